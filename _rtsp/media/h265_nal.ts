/**
 * H.265/HEVC (ITU-T H.265 | ISO/IEC 23008-2) NAL unit helpers and a sequence
 * parameter set parser for picture size, profile/level and frame rate.
 */

import { BitReader, BitstreamError, nalToRbsp } from "./bit_reader.ts";

/** nal_unit_type values, ITU-T H.265 Table 7-1. */
export const H265NalType = {
  /** Coded slice segment of a non-TSA, non-STSA trailing picture (sub-layer non-reference). */
  TRAIL_N: 0,
  /** Coded slice segment of a trailing picture (sub-layer reference). */
  TRAIL_R: 1,
  /** Random access skipped leading picture. */
  RASL_N: 8,
  /** Random access skipped leading picture (reference). */
  RASL_R: 9,
  /** First IRAP type: broken link access, may have leading pictures. */
  BLA_W_LP: 16,
  /** Broken link access with RADL pictures. */
  BLA_W_RADL: 17,
  /** Broken link access without leading pictures. */
  BLA_N_LP: 18,
  /** Instantaneous decoding refresh with RADL pictures. */
  IDR_W_RADL: 19,
  /** Instantaneous decoding refresh without leading pictures. */
  IDR_N_LP: 20,
  /** Clean random access. */
  CRA_NUT: 21,
  /** Last IRAP type (reserved RSV_IRAP_VCL23). */
  RSV_IRAP_VCL23: 23,
  /** Last VCL type (reserved RSV_VCL31). */
  RSV_VCL31: 31,
  /** Video parameter set. */
  VPS: 32,
  /** Sequence parameter set. */
  SPS: 33,
  /** Picture parameter set. */
  PPS: 34,
  /** Access unit delimiter. */
  AUD: 35,
  /** End of sequence. */
  EOS: 36,
  /** End of bitstream. */
  EOB: 37,
  /** Filler data. */
  FD: 38,
  /** Prefix SEI. */
  PREFIX_SEI: 39,
  /** Suffix SEI. */
  SUFFIX_SEI: 40,
} as const;

/** Length of nal_unit_header() (H.265 7.3.1.2). */
export const H265_NAL_HEADER_BYTES = 2;

/** Returns nal_unit_type (bits 1..6 of the first header byte, H.265 7.3.1.2), or -1 when the header is incomplete. */
export function h265NalType(nal: Uint8Array): number {
  return nal.length < H265_NAL_HEADER_BYTES ? -1 : (nal[0] >> 1) & 0x3f;
}

/** True for VCL NAL unit types (0..31, H.265 Table 7-1). */
export function isH265Vcl(type: number): boolean {
  return type >= 0 && type <= H265NalType.RSV_VCL31;
}

/** True for IRAP picture types (16..23, H.265 Table 7-1): random access points. */
export function isH265Irap(type: number): boolean {
  return type >= H265NalType.BLA_W_LP && type <= H265NalType.RSV_IRAP_VCL23;
}

/** True when the access unit holds an IRAP slice segment (IDR, CRA or BLA). */
export function isH265Keyframe(units: readonly Uint8Array[]): boolean {
  return units.some((u) => isH265Irap(h265NalType(u)));
}

/**
 * True when a VCL NAL unit has first_slice_segment_in_pic_flag set: it starts a
 * new picture. The flag is the first bit of slice_segment_header() (H.265
 * 7.3.6.1), right after the 2-byte header; that byte cannot be an emulation
 * prevention byte because the second header byte is never zero
 * (nuh_temporal_id_plus1 > 0).
 */
export function h265FirstSliceInPicture(nal: Uint8Array): boolean {
  return nal.length > H265_NAL_HEADER_BYTES && (nal[H265_NAL_HEADER_BYTES] & 0x80) !== 0;
}

/** Fields of a parsed H.265 sequence parameter set. */
export interface H265Sps {
  /** general_profile_space (0 for the profiles of H.265 Annex A). */
  readonly profileSpace: number;
  /** general_tier_flag: 0 Main tier, 1 High tier. */
  readonly tierFlag: number;
  /** general_profile_idc (1 Main, 2 Main 10, 3 Main Still Picture, 4 RExt...). */
  readonly profileIdc: number;
  /** general_level_idc (30 × level number, e.g. 93 for level 3.1). */
  readonly levelIdc: number;
  /** sps_seq_parameter_set_id. */
  readonly spsId: number;
  /** chroma_format_idc. */
  readonly chromaFormatIdc: number;
  /** Displayed width in luma samples, after the conformance window. */
  readonly width: number;
  /** Displayed height in luma samples, after the conformance window. */
  readonly height: number;
  /** separate_colour_plane_flag (slices then carry colour_plane_id). */
  readonly separateColourPlane: boolean;
  /** log2_max_pic_order_cnt_lsb_minus4 + 4: bits of slice_pic_order_cnt_lsb. */
  readonly log2MaxPocLsb: number;
  /** Frames per second from VUI timing info, when present and non-zero. */
  readonly frameRate?: number;
  /** bit_depth_luma_minus8 + 8. */
  readonly bitDepthLuma: number;
  /** bit_depth_chroma_minus8 + 8. */
  readonly bitDepthChroma: number;
  /** sps_max_num_reorder_pics of the highest sub-layer (7.4.3.2.1): the reordering depth. */
  readonly maxNumReorderPics: number;
}

/** The result of {@link parseH265Sps}. */
export type H265SpsResult =
  | { readonly ok: true; readonly sps: H265Sps }
  | { readonly ok: false; readonly error: string };

/** Largest sps_seq_parameter_set_id (H.265 7.4.3.2.1). */
const MAX_SPS_ID = 15;
/** Largest log2_max_pic_order_cnt_lsb_minus4 (H.265 7.4.3.2.1). */
const MAX_LOG2_POC_LSB_MINUS4 = 12;
/** Largest num_short_term_ref_pic_sets (H.265 7.4.3.2.1). */
const MAX_SHORT_TERM_REF_PIC_SETS = 64;
/** Largest num_long_term_ref_pics_sps (H.265 7.4.3.2.1). */
const MAX_LONG_TERM_REF_PICS_SPS = 32;
/**
 * A bound on num_negative_pics / num_positive_pics: sps_max_dec_pic_buffering_minus1
 * is below MaxDpbSize, which is at most 16 (H.265 A.4.2).
 */
const MAX_DELTA_POCS = 16;
/**
 * A bound on pic_width/height_in_luma_samples: sqrt(8 × MaxLumaPs) for level 6.2
 * (MaxLumaPs 35 651 584, H.265 Table A.8 and A.4.1).
 */
const MAX_LUMA_DIMENSION = 16888;
/** aspect_ratio_idc meaning an explicit sar_width/sar_height follows (H.265 Table E.1). */
const EXTENDED_SAR = 255;

/**
 * Parses an H.265 SPS NAL unit (2-byte header included, emulation prevention
 * still in place) per ITU-T H.265 7.3.2.2.1, reading VUI (E.2.1) up to
 * vui_timing_info. Never throws: malformed or truncated data gives `{ ok: false }`.
 */
export function parseH265Sps(nal: Uint8Array): H265SpsResult {
  if (h265NalType(nal) !== H265NalType.SPS) {
    return { ok: false, error: `not an SPS NAL unit (type ${h265NalType(nal)})` };
  }
  try {
    const rbsp = nalToRbsp(nal).subarray(H265_NAL_HEADER_BYTES);
    return { ok: true, sps: readSps(new BitReader(rbsp)) };
  } catch (e) {
    if (e instanceof BitstreamError) return { ok: false, error: `H.265 SPS: ${e.message}` };
    throw e;
  }
}

function readSps(r: BitReader): H265Sps {
  r.skip(4); // sps_video_parameter_set_id
  const maxSubLayersMinus1 = r.u(3);
  if (maxSubLayersMinus1 > 6) {
    throw new BitstreamError(`sps_max_sub_layers_minus1 = ${maxSubLayersMinus1} exceeds 6`);
  }
  r.skip(1); // sps_temporal_id_nesting_flag
  const ptl = readProfileTierLevel(r, maxSubLayersMinus1);
  const spsId = r.ueMax(MAX_SPS_ID, "sps_seq_parameter_set_id");
  const chromaFormatIdc = r.ueMax(3, "chroma_format_idc");
  const separateColourPlane = chromaFormatIdc === 3 ? r.flag() : false;
  const picWidth = r.ueMax(MAX_LUMA_DIMENSION, "pic_width_in_luma_samples");
  const picHeight = r.ueMax(MAX_LUMA_DIMENSION, "pic_height_in_luma_samples");
  let width = picWidth;
  let height = picHeight;
  if (r.flag()) { // conformance_window_flag
    const left = r.ue();
    const right = r.ue();
    const top = r.ue();
    const bottom = r.ue();
    // Offsets count chroma samples: SubWidthC/SubHeightC from H.265 Table 6-1,
    // 1 when ChromaArrayType is 0 (monochrome or separate colour planes).
    const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
    const subWidthC = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
    const subHeightC = chromaArrayType === 1 ? 2 : 1;
    width -= subWidthC * (left + right);
    height -= subHeightC * (top + bottom);
  }
  if (width <= 0 || height <= 0) {
    throw new BitstreamError(`empty picture after the conformance window (${width}x${height})`);
  }

  const { frameRate, log2MaxPocLsb, bitDepthLuma, bitDepthChroma, maxNumReorderPics } =
    readToVuiFrameRate(r, maxSubLayersMinus1);
  const sps: H265Sps = {
    ...ptl,
    spsId,
    chromaFormatIdc,
    width,
    height,
    separateColourPlane,
    log2MaxPocLsb,
    bitDepthLuma,
    bitDepthChroma,
    maxNumReorderPics,
  };
  return frameRate === undefined ? sps : { ...sps, frameRate };
}

/** Reads profile_tier_level(1, maxNumSubLayersMinus1) (H.265 7.3.3), keeping the general fields. */
function readProfileTierLevel(
  r: BitReader,
  maxSubLayersMinus1: number,
): Pick<H265Sps, "profileSpace" | "tierFlag" | "profileIdc" | "levelIdc"> {
  const profileSpace = r.u(2);
  const tierFlag = r.u(1);
  const profileIdc = r.u(5);
  // general_profile_compatibility_flag[32], the four source flags and the
  // 43 + 1 constraint/reserved bits.
  r.skip(32 + 4 + 43 + 1);
  const levelIdc = r.u(8);
  const profilePresent: boolean[] = [];
  const levelPresent: boolean[] = [];
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    profilePresent.push(r.flag());
    levelPresent.push(r.flag());
  }
  if (maxSubLayersMinus1 > 0) r.skip(2 * (8 - maxSubLayersMinus1)); // reserved_zero_2bits
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    // sub_layer profile fields total 88 bits, like the general ones above.
    if (profilePresent[i]) r.skip(88);
    if (levelPresent[i]) r.skip(8); // sub_layer_level_idc
  }
  return { profileSpace, tierFlag, profileIdc, levelIdc };
}

/**
 * Consumes the SPS from bit_depth_luma_minus8 to vui_parameters_present_flag
 * (H.265 7.3.2.2.1); returns the POC LSB size and, when VUI is present, the frame rate.
 */
function readToVuiFrameRate(
  r: BitReader,
  maxSubLayersMinus1: number,
): Pick<H265Sps, "log2MaxPocLsb" | "bitDepthLuma" | "bitDepthChroma" | "maxNumReorderPics"> & {
  frameRate: number | undefined;
} {
  const bitDepthLuma = r.ueMax(8, "bit_depth_luma_minus8") + 8;
  const bitDepthChroma = r.ueMax(8, "bit_depth_chroma_minus8") + 8;
  const log2MaxPocLsb = r.ueMax(MAX_LOG2_POC_LSB_MINUS4, "log2_max_pic_order_cnt_lsb_minus4") + 4;
  const orderingInfoForAll = r.flag(); // sps_sub_layer_ordering_info_present_flag
  let maxNumReorderPics = 0;
  for (let i = orderingInfoForAll ? 0 : maxSubLayersMinus1; i <= maxSubLayersMinus1; i++) {
    r.ue(); // sps_max_dec_pic_buffering_minus1
    // The last one read is the highest sub-layer's, which bounds the others (7.4.3.2.1).
    // Read as before (any value parses); more than a DPB holds (A.4.2) is capped.
    maxNumReorderPics = Math.min(MAX_DELTA_POCS, r.ue());
    r.ue(); // sps_max_latency_increase_plus1
  }
  r.ue(); // log2_min_luma_coding_block_size_minus3
  r.ue(); // log2_diff_max_min_luma_coding_block_size
  r.ue(); // log2_min_luma_transform_block_size_minus2
  r.ue(); // log2_diff_max_min_luma_transform_block_size
  r.ue(); // max_transform_hierarchy_depth_inter
  r.ue(); // max_transform_hierarchy_depth_intra
  if (r.flag()) { // scaling_list_enabled_flag
    if (r.flag()) skipScalingListData(r); // sps_scaling_list_data_present_flag
  }
  r.skip(2); // amp_enabled_flag, sample_adaptive_offset_enabled_flag
  if (r.flag()) { // pcm_enabled_flag
    r.skip(8); // pcm_sample_bit_depth_luma_minus1, pcm_sample_bit_depth_chroma_minus1
    r.ue(); // log2_min_pcm_luma_coding_block_size_minus3
    r.ue(); // log2_diff_max_min_pcm_luma_coding_block_size
    r.skip(1); // pcm_loop_filter_disabled_flag
  }
  const numStRps = r.ueMax(MAX_SHORT_TERM_REF_PIC_SETS, "num_short_term_ref_pic_sets");
  const numDeltaPocs: number[] = [];
  for (let i = 0; i < numStRps; i++) numDeltaPocs.push(readStRefPicSet(r, i, numDeltaPocs));
  if (r.flag()) { // long_term_ref_pics_present_flag
    const n = r.ueMax(MAX_LONG_TERM_REF_PICS_SPS, "num_long_term_ref_pics_sps");
    for (let i = 0; i < n; i++) r.skip(log2MaxPocLsb + 1); // lt_ref_pic_poc_lsb_sps, used_by_curr_pic_lt_sps_flag
  }
  r.skip(2); // sps_temporal_mvp_enabled_flag, strong_intra_smoothing_enabled_flag
  const fields = { log2MaxPocLsb, bitDepthLuma, bitDepthChroma, maxNumReorderPics };
  if (!r.flag()) return { frameRate: undefined, ...fields }; // vui_parameters_present_flag
  return { frameRate: readVuiFrameRate(r), ...fields };
}

/** Skips scaling_list_data() (H.265 7.3.4). */
function skipScalingListData(r: BitReader): void {
  for (let sizeId = 0; sizeId < 4; sizeId++) {
    for (let matrixId = 0; matrixId < 6; matrixId += sizeId === 3 ? 3 : 1) {
      if (!r.flag()) { // scaling_list_pred_mode_flag
        r.ueMax(matrixId, "scaling_list_pred_matrix_id_delta");
        continue;
      }
      const coefNum = Math.min(64, 1 << (4 + (sizeId << 1)));
      if (sizeId > 1) r.seRange(-7, 247, "scaling_list_dc_coef_minus8");
      for (let i = 0; i < coefNum; i++) r.seRange(-128, 127, "scaling_list_delta_coef");
    }
  }
}

/**
 * Reads st_ref_pic_set(stRpsIdx) (H.265 7.3.7) as it appears in an SPS and
 * returns NumDeltaPocs[stRpsIdx], which later sets need for inter-set prediction.
 */
function readStRefPicSet(r: BitReader, idx: number, numDeltaPocs: readonly number[]): number {
  const interPredicted = idx !== 0 && r.flag(); // inter_ref_pic_set_prediction_flag
  if (interPredicted) {
    // In an SPS delta_idx_minus1 is absent (only slice headers code it), so the
    // reference set is the previous one (7.4.8).
    r.skip(1); // delta_rps_sign
    r.ueMax(2 ** 15 - 1, "abs_delta_rps_minus1");
    const refNum = numDeltaPocs[idx - 1];
    // Equation 7-61 keeps one entry per j with use_delta_flag set; the flag is
    // inferred to be 1 when used_by_curr_pic_flag is 1.
    let count = 0;
    for (let j = 0; j <= refNum; j++) {
      const used = r.flag(); // used_by_curr_pic_flag[j]
      const useDelta = used || r.flag(); // use_delta_flag[j]
      if (useDelta) count++;
    }
    return count;
  }
  const negative = r.ueMax(MAX_DELTA_POCS, "num_negative_pics");
  const positive = r.ueMax(MAX_DELTA_POCS, "num_positive_pics");
  for (let i = 0; i < negative + positive; i++) {
    r.ueMax(2 ** 15 - 1, "delta_poc_minus1");
    r.skip(1); // used_by_curr_pic_flag
  }
  return negative + positive;
}

/**
 * Reads vui_parameters() (H.265 E.2.1) up to vui_timing_info and returns the
 * frame rate. Unlike H.264, one tick is one picture here (E.3.1).
 */
function readVuiFrameRate(r: BitReader): number | undefined {
  if (r.flag()) { // aspect_ratio_info_present_flag
    if (r.u(8) === EXTENDED_SAR) r.skip(32); // sar_width, sar_height
  }
  if (r.flag()) r.skip(1); // overscan_info_present_flag → overscan_appropriate_flag
  if (r.flag()) { // video_signal_type_present_flag
    r.skip(4); // video_format, video_full_range_flag
    if (r.flag()) r.skip(24); // colour_primaries, transfer_characteristics, matrix_coeffs
  }
  if (r.flag()) { // chroma_loc_info_present_flag
    r.ue(); // chroma_sample_loc_type_top_field
    r.ue(); // chroma_sample_loc_type_bottom_field
  }
  r.skip(3); // neutral_chroma_indication_flag, field_seq_flag, frame_field_info_present_flag
  if (r.flag()) { // default_display_window_flag
    for (let i = 0; i < 4; i++) r.ue(); // def_disp_win_*_offset
  }
  if (!r.flag()) return undefined; // vui_timing_info_present_flag
  const numUnitsInTick = r.u(32);
  const timeScale = r.u(32);
  if (numUnitsInTick === 0 || timeScale === 0) return undefined;
  return timeScale / numUnitsInTick;
}
