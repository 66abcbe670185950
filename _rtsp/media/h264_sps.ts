/**
 * H.264 (ITU-T H.264 | ISO/IEC 14496-10) NAL unit helpers and a sequence
 * parameter set parser that extracts what an RTSP server needs: profile, level,
 * picture size and frame rate.
 */

import { BitReader, BitstreamError, nalToRbsp } from "./bit_reader.ts";

/** nal_unit_type values, ITU-T H.264 Table 7-1. */
export const H264NalType = {
  /** Coded slice of a non-IDR picture. */
  SLICE_NON_IDR: 1,
  /** Coded slice data partition A. */
  SLICE_PARTITION_A: 2,
  /** Coded slice data partition B. */
  SLICE_PARTITION_B: 3,
  /** Coded slice data partition C. */
  SLICE_PARTITION_C: 4,
  /** Coded slice of an IDR picture. */
  SLICE_IDR: 5,
  /** Supplemental enhancement information. */
  SEI: 6,
  /** Sequence parameter set. */
  SPS: 7,
  /** Picture parameter set. */
  PPS: 8,
  /** Access unit delimiter. */
  AUD: 9,
  /** End of sequence. */
  END_OF_SEQUENCE: 10,
  /** End of stream. */
  END_OF_STREAM: 11,
  /** Filler data. */
  FILLER: 12,
  /** Sequence parameter set extension. */
  SPS_EXTENSION: 13,
  /** Prefix NAL unit (SVC/MVC). */
  PREFIX: 14,
  /** Subset sequence parameter set. */
  SUBSET_SPS: 15,
  /** Depth parameter set. */
  DEPTH_PS: 16,
  /** Coded slice of an auxiliary coded picture without partitioning. */
  SLICE_AUX: 19,
  /** Coded slice extension (SVC/MVC). */
  SLICE_EXTENSION: 20,
} as const;

/** Returns nal_unit_type (the low 5 bits of the header byte, H.264 7.3.1), or -1 for an empty NAL. */
export function h264NalType(nal: Uint8Array): number {
  return nal.length === 0 ? -1 : nal[0] & 0x1f;
}

/**
 * True for the VCL NAL unit types of a primary coded picture (1..5, H.264
 * Table 7-1, column "NAL unit type class").
 */
export function isH264Vcl(type: number): boolean {
  return type >= H264NalType.SLICE_NON_IDR && type <= H264NalType.SLICE_IDR;
}

/** True when the access unit holds an IDR slice (nal_unit_type 5): a random access point. */
export function isH264Keyframe(units: readonly Uint8Array[]): boolean {
  return units.some((u) => h264NalType(u) === H264NalType.SLICE_IDR);
}

/**
 * True when a slice NAL unit (types 1, 2, 5) has first_mb_in_slice == 0, i.e. it
 * starts a new picture in streams without arbitrary slice order.
 *
 * first_mb_in_slice is the first `ue(v)` of slice_header() (H.264 7.3.3) and
 * codes 0 as a single `1` bit, so the top bit of the byte after the header
 * decides it. That byte can never be an emulation prevention byte because the
 * header byte of a slice NAL is non-zero.
 */
export function h264FirstSliceInPicture(nal: Uint8Array): boolean {
  return nal.length >= 2 && (nal[1] & 0x80) !== 0;
}

/** Fields of a parsed H.264 sequence parameter set. */
export interface H264Sps {
  /** profile_idc (e.g. 66 Baseline, 77 Main, 100 High; H.264 Annex A). */
  readonly profileIdc: number;
  /** The byte of constraint_set0..5_flag and reserved_zero_2bits, as in `profile-level-id` (RFC 6184). */
  readonly constraintFlags: number;
  /** level_idc (10 × level number, e.g. 31 for level 3.1). */
  readonly levelIdc: number;
  /** seq_parameter_set_id. */
  readonly spsId: number;
  /** chroma_format_idc (1 = 4:2:0 when absent, H.264 7.4.2.1.1). */
  readonly chromaFormatIdc: number;
  /** Displayed width in luma samples, after frame cropping. */
  readonly width: number;
  /** Displayed height in luma samples, after frame cropping. */
  readonly height: number;
  /** separate_colour_plane_flag (4:4:4 coded as three planes; slices carry colour_plane_id). */
  readonly separateColourPlane: boolean;
  /** log2_max_frame_num_minus4 + 4: bits of frame_num in a slice header. */
  readonly log2MaxFrameNum: number;
  /** pic_order_cnt_type (H.264 8.2.1): 0 means slices carry pic_order_cnt_lsb. */
  readonly pocType: number;
  /** log2_max_pic_order_cnt_lsb_minus4 + 4 when `pocType` is 0, else 0. */
  readonly log2MaxPocLsb: number;
  /** frame_mbs_only_flag: no field pictures. */
  readonly frameMbsOnly: boolean;
  /** Frames per second from VUI timing_info, when present and non-zero. */
  readonly frameRate?: number;
  /** bit_depth_luma_minus8 + 8 (8 when the profile does not carry it). */
  readonly bitDepthLuma: number;
  /** bit_depth_chroma_minus8 + 8 (8 when the profile does not carry it). */
  readonly bitDepthChroma: number;
  /**
   * VUI max_num_reorder_frames (E.2.1): how many frames may precede a frame in
   * decode order and follow it in output order; absent when the SPS does not say.
   */
  readonly maxNumReorderFrames?: number;
}

/** The result of {@link parseH264Sps}. */
export type H264SpsResult =
  | { readonly ok: true; readonly sps: H264Sps }
  | { readonly ok: false; readonly error: string };

/**
 * profile_idc values whose SPS carries chroma_format_idc, bit depths and scaling
 * matrices (the `if (profile_idc == 100 || ...)` condition of H.264 7.3.2.1.1).
 */
const HIGH_PROFILES: ReadonlySet<number> = new Set([
  100,
  110,
  122,
  244,
  44,
  83,
  86,
  118,
  128,
  138,
  139,
  134,
  135,
]);

/** aspect_ratio_idc meaning an explicit sar_width/sar_height follows (H.264 Table E-1). */
const EXTENDED_SAR = 255;

/** Largest seq_parameter_set_id (H.264 7.4.2.1.1). */
const MAX_SPS_ID = 31;
/** Largest log2_max_frame_num_minus4 and log2_max_pic_order_cnt_lsb_minus4 (H.264 7.4.2.1.1). */
const MAX_LOG2_MINUS4 = 12;
/** Largest num_ref_frames_in_pic_order_cnt_cycle (H.264 7.4.2.1.1). */
const MAX_REF_FRAMES_IN_POC_CYCLE = 255;
/** Largest bit_depth_luma_minus8 / bit_depth_chroma_minus8 (H.264 7.4.2.1.1). */
const MAX_BIT_DEPTH_MINUS8 = 6;
/**
 * A bound on pic_width_in_mbs_minus1 / pic_height_in_map_units_minus1. Level 6.2
 * allows at most 139264 macroblocks per frame (H.264 Table A-1), and
 * sqrt(8 × MaxFS) bounds either dimension (A.3.1 f/g).
 */
const MAX_DIMENSION_MBS = 1056;

/**
 * Parses an H.264 sequence parameter set NAL unit (header byte included, with
 * emulation prevention bytes still in place) per ITU-T H.264 7.3.2.1.1 and
 * E.1.1 up to timing_info. Never throws: malformed or truncated data gives
 * `{ ok: false }`.
 */
export function parseH264Sps(nal: Uint8Array): H264SpsResult {
  if (h264NalType(nal) !== H264NalType.SPS) {
    return { ok: false, error: `not an SPS NAL unit (type ${h264NalType(nal)})` };
  }
  try {
    return { ok: true, sps: readSps(new BitReader(nalToRbsp(nal).subarray(1))) };
  } catch (e) {
    if (e instanceof BitstreamError) return { ok: false, error: `H.264 SPS: ${e.message}` };
    throw e;
  }
}

function readSps(r: BitReader): H264Sps {
  const profileIdc = r.u(8);
  const constraintFlags = r.u(8);
  const levelIdc = r.u(8);
  const spsId = r.ueMax(MAX_SPS_ID, "seq_parameter_set_id");

  let chromaFormatIdc = 1;
  let separateColourPlane = false;
  let bitDepthLuma = 8;
  let bitDepthChroma = 8;
  if (HIGH_PROFILES.has(profileIdc)) {
    chromaFormatIdc = r.ueMax(3, "chroma_format_idc");
    if (chromaFormatIdc === 3) separateColourPlane = r.flag();
    bitDepthLuma = r.ueMax(MAX_BIT_DEPTH_MINUS8, "bit_depth_luma_minus8") + 8;
    bitDepthChroma = r.ueMax(MAX_BIT_DEPTH_MINUS8, "bit_depth_chroma_minus8") + 8;
    r.skip(1); // qpprime_y_zero_transform_bypass_flag
    if (r.flag()) { // seq_scaling_matrix_present_flag
      const lists = chromaFormatIdc !== 3 ? 8 : 12;
      for (let i = 0; i < lists; i++) {
        if (r.flag()) skipScalingList(r, i < 6 ? 16 : 64);
      }
    }
  }

  const log2MaxFrameNum = r.ueMax(MAX_LOG2_MINUS4, "log2_max_frame_num_minus4") + 4;
  const pocType = r.ueMax(2, "pic_order_cnt_type");
  let log2MaxPocLsb = 0;
  if (pocType === 0) {
    log2MaxPocLsb = r.ueMax(MAX_LOG2_MINUS4, "log2_max_pic_order_cnt_lsb_minus4") + 4;
  } else if (pocType === 1) {
    r.skip(1); // delta_pic_order_always_zero_flag
    r.se(); // offset_for_non_ref_pic
    r.se(); // offset_for_top_to_bottom_field
    const cycle = r.ueMax(MAX_REF_FRAMES_IN_POC_CYCLE, "num_ref_frames_in_pic_order_cnt_cycle");
    for (let i = 0; i < cycle; i++) r.se(); // offset_for_ref_frame[i]
  }
  r.ue(); // max_num_ref_frames
  r.skip(1); // gaps_in_frame_num_value_allowed_flag
  const widthMbs = r.ueMax(MAX_DIMENSION_MBS, "pic_width_in_mbs_minus1") + 1;
  const heightMapUnits = r.ueMax(MAX_DIMENSION_MBS, "pic_height_in_map_units_minus1") + 1;
  const frameMbsOnly = r.flag();
  if (!frameMbsOnly) r.skip(1); // mb_adaptive_frame_field_flag
  r.skip(1); // direct_8x8_inference_flag

  // Frame size in luma samples before cropping (H.264 7.4.2.1.1, equations 7-13..7-18):
  // a map unit is a macroblock pair when fields may be coded.
  const fieldFactor = frameMbsOnly ? 1 : 2;
  let width = widthMbs * 16;
  let height = fieldFactor * heightMapUnits * 16;

  if (r.flag()) { // frame_cropping_flag
    const left = r.ue();
    const right = r.ue();
    const top = r.ue();
    const bottom = r.ue();
    // CropUnitX/CropUnitY, equations 7-19..7-22: ChromaArrayType 0 (monochrome or
    // separate planes) crops in luma samples, otherwise in chroma sample units.
    const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
    const subWidthC = chromaArrayType === 0 ? 1 : chromaFormatIdc === 3 ? 1 : 2;
    const subHeightC = chromaArrayType === 0 ? 1 : chromaFormatIdc === 1 ? 2 : 1;
    width -= subWidthC * (left + right);
    height -= subHeightC * fieldFactor * (top + bottom);
    if (width <= 0 || height <= 0) {
      throw new BitstreamError(`frame cropping leaves an empty picture (${width}x${height})`);
    }
  }

  let vui: Vui = {};
  if (r.flag()) vui = readVui(r); // vui_parameters_present_flag

  const sps: H264Sps = {
    profileIdc,
    constraintFlags,
    levelIdc,
    spsId,
    chromaFormatIdc,
    width,
    height,
    separateColourPlane,
    log2MaxFrameNum,
    pocType,
    log2MaxPocLsb,
    frameMbsOnly,
    bitDepthLuma,
    bitDepthChroma,
  };
  return { ...sps, ...vui };
}

/** Skips scaling_list() (H.264 7.3.2.1.1.1), which only has to be consumed. */
function skipScalingList(r: BitReader, size: number): void {
  let lastScale = 8;
  let nextScale = 8;
  for (let j = 0; j < size; j++) {
    if (nextScale !== 0) {
      const delta = r.seRange(-128, 127, "delta_scale");
      nextScale = (lastScale + delta + 256) % 256;
    }
    lastScale = nextScale === 0 ? lastScale : nextScale;
  }
}

/** What vui_parameters() says that is kept. */
interface Vui {
  frameRate?: number;
  maxNumReorderFrames?: number;
}

/** Largest max_num_reorder_frames (E.2.1: at most max_dec_frame_buffering, itself at most 16). */
const MAX_REORDER_FRAMES = 16;
/** Largest cpb_cnt_minus1 (E.2.2). */
const MAX_CPB_CNT_MINUS1 = 31;

/**
 * Reads vui_parameters() (H.264 E.1.1): the frame rate from timing_info (a
 * frame lasts two ticks: num_units_in_tick is a field period, E.2.1), and
 * max_num_reorder_frames from the bitstream restriction. What follows the
 * timing info is read on a best-effort basis: a truncated or odd tail leaves
 * the reorder depth unknown but keeps the frame rate.
 */
function readVui(r: BitReader): Vui {
  const { timingInfo, frameRate } = readVuiFrameRate(r);
  const vui: Vui = frameRate === undefined ? {} : { frameRate };
  try {
    const maxNumReorderFrames = readVuiReorder(r, timingInfo);
    return maxNumReorderFrames === undefined ? vui : { ...vui, maxNumReorderFrames };
  } catch (e) {
    if (e instanceof BitstreamError) return vui;
    throw e;
  }
}

/** Skips hrd_parameters() (H.264 E.1.2). */
function skipHrdParameters(r: BitReader): void {
  const cpbCount = r.ueMax(MAX_CPB_CNT_MINUS1, "cpb_cnt_minus1") + 1;
  r.skip(8); // bit_rate_scale, cpb_size_scale
  for (let i = 0; i < cpbCount; i++) {
    r.ue(); // bit_rate_value_minus1
    r.ue(); // cpb_size_value_minus1
    r.skip(1); // cbr_flag
  }
  r.skip(20); // four 5-bit delay and offset lengths
}

/**
 * The VUI after timing_info (H.264 E.1.1): max_num_reorder_frames, when restricted.
 * Called right after {@linkcode readVuiFrameRate}, which stops before fixed_frame_rate_flag.
 */
function readVuiReorder(r: BitReader, timingInfo: boolean): number | undefined {
  if (timingInfo) r.skip(1); // fixed_frame_rate_flag
  const nalHrd = r.flag();
  if (nalHrd) skipHrdParameters(r);
  const vclHrd = r.flag();
  if (vclHrd) skipHrdParameters(r);
  if (nalHrd || vclHrd) r.skip(1); // low_delay_hrd_flag
  r.skip(1); // pic_struct_present_flag
  if (!r.flag()) return undefined; // bitstream_restriction_flag
  r.skip(1); // motion_vectors_over_pic_boundaries_flag
  r.ue(); // max_bytes_per_pic_denom
  r.ue(); // max_bits_per_mb_denom
  r.ue(); // log2_max_mv_length_horizontal
  r.ue(); // log2_max_mv_length_vertical
  return r.ueMax(MAX_REORDER_FRAMES, "max_num_reorder_frames");
}

/** Reads vui_parameters() through time_scale: whether timing_info is there, and the frame rate. */
function readVuiFrameRate(r: BitReader): { timingInfo: boolean; frameRate?: number } {
  if (r.flag()) { // aspect_ratio_info_present_flag
    if (r.u(8) === EXTENDED_SAR) r.skip(32); // sar_width, sar_height
  }
  if (r.flag()) r.skip(1); // overscan_info_present_flag → overscan_appropriate_flag
  if (r.flag()) { // video_signal_type_present_flag
    r.skip(4); // video_format, video_full_range_flag
    if (r.flag()) r.skip(24); // colour_primaries, transfer_characteristics, matrix_coefficients
  }
  if (r.flag()) { // chroma_loc_info_present_flag
    r.ue(); // chroma_sample_loc_type_top_field
    r.ue(); // chroma_sample_loc_type_bottom_field
  }
  if (!r.flag()) return { timingInfo: false }; // timing_info_present_flag
  const numUnitsInTick = r.u(32);
  const timeScale = r.u(32);
  if (numUnitsInTick === 0 || timeScale === 0) return { timingInfo: true };
  return { timingInfo: true, frameRate: timeScale / (2 * numUnitsInTick) };
}
