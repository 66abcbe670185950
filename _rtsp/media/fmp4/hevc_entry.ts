/**
 * The H.265 sample entry of a fragmented MP4: `hvc1` with its
 * HEVCDecoderConfigurationRecord `hvcC` (ISO/IEC 14496-15 §8.3.3.1 and
 * §8.4.1), and its codecs parameter (ISO/IEC 14496-15 Annex E.3, as RFC 6381
 * §3.3 defers to), e.g. `hvc1.1.6.L93.B0`.
 *
 * `hvc1` (not `hev1`): parameter sets live in the sample entry only, as for
 * `avc1`; a change of parameter sets makes a new init segment.
 *
 * @module
 */

import { box, FieldWriter } from "./box_writer.ts";
import { NAL_LENGTH_BYTES } from "./avc_entry.ts";
import { visualSampleEntry } from "./sample_entry.ts";
import { nalToRbsp } from "../bit_reader.ts";
import { H265_NAL_HEADER_BYTES, H265NalType, parseH265Sps } from "../h265_nal.ts";

/** §8.3.3.1.2: the only configurationVersion defined. */
const HVCC_VERSION = 1;
/**
 * H.265 7.3.2.2.1 / 7.3.3: the SPS RBSP (after the NAL header) starts with one
 * byte of vps id, max_sub_layers_minus1 and temporal_id_nesting, then the
 * general profile_tier_level: 1 byte space/tier/profile, 4 bytes of
 * compatibility flags, 6 bytes of constraint flags, 1 byte level.
 */
const SPS_PTL = { layers: 0, profile: 1, compatibility: 2, constraints: 6, level: 12, end: 13 };
/** Bytes of general_constraint_indicator_flags (48 bits). */
const CONSTRAINT_BYTES = 6;
/** §8.3.3.1.2: `array_completeness` set, all NAL units of that type are in the array. */
const ARRAY_COMPLETE = 0x80;

/** An H.265 track's parameter sets and what its sample entry says about the picture. */
export interface HevcConfig {
  readonly vps: Uint8Array;
  readonly sps: Uint8Array;
  readonly pps: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly chromaFormatIdc: number;
  readonly bitDepthLuma: number;
  readonly bitDepthChroma: number;
  /** sps_max_num_reorder_pics: pictures of reordering (B-frames). */
  readonly reorderFrames: number;
  /** The SPS RBSP from its first byte through general_level_idc. */
  readonly profileTierLevel: Uint8Array;
}

/** The configuration of a VPS/SPS/PPS triple, or undefined when the SPS does not parse. */
export function hevcConfig(
  vps: Uint8Array,
  sps: Uint8Array,
  pps: Uint8Array,
): HevcConfig | undefined {
  const parsed = parseH265Sps(sps);
  const rbsp = nalToRbsp(sps).subarray(H265_NAL_HEADER_BYTES);
  if (!parsed.ok || rbsp.length < SPS_PTL.end) return undefined;
  return {
    vps,
    sps,
    pps,
    width: parsed.sps.width,
    height: parsed.sps.height,
    chromaFormatIdc: parsed.sps.chromaFormatIdc,
    bitDepthLuma: parsed.sps.bitDepthLuma,
    bitDepthChroma: parsed.sps.bitDepthChroma,
    reorderFrames: parsed.sps.maxNumReorderPics,
    profileTierLevel: rbsp.slice(0, SPS_PTL.end),
  };
}

/** HEVCDecoderConfigurationRecord (§8.3.3.1.2) with one array each of VPS, SPS and PPS. */
export function hvcC(config: HevcConfig): Uint8Array {
  const ptl = config.profileTierLevel;
  const maxSubLayersMinus1 = (ptl[SPS_PTL.layers] >> 1) & 0x07;
  const temporalIdNested = ptl[SPS_PTL.layers] & 0x01;
  const w = new FieldWriter()
    .u8(HVCC_VERSION)
    .u8(ptl[SPS_PTL.profile]) // general_profile_space, general_tier_flag, general_profile_idc
    .bytes(ptl.subarray(SPS_PTL.compatibility, SPS_PTL.constraints))
    .bytes(ptl.subarray(SPS_PTL.constraints, SPS_PTL.level))
    .u8(ptl[SPS_PTL.level]) // general_level_idc
    .u16(0xf000) // reserved '1111', min_spatial_segmentation_idc 0
    .u8(0xfc) // reserved '111111', parallelismType 0 (unknown)
    .u8(0xfc | config.chromaFormatIdc)
    .u8(0xf8 | (config.bitDepthLuma - 8)) // bitDepthLumaMinus8
    .u8(0xf8 | (config.bitDepthChroma - 8)) // bitDepthChromaMinus8
    .u16(0) // avgFrameRate: unspecified
    // constantFrameRate 0, numTemporalLayers, temporalIdNested, lengthSizeMinusOne
    .u8(((maxSubLayersMinus1 + 1) << 3) | (temporalIdNested << 2) | (NAL_LENGTH_BYTES - 1))
    .u8(3); // numOfArrays
  const arrays: Array<[number, Uint8Array]> = [
    [H265NalType.VPS, config.vps],
    [H265NalType.SPS, config.sps],
    [H265NalType.PPS, config.pps],
  ];
  for (const [type, nal] of arrays) {
    w.u8(ARRAY_COMPLETE | type).u16(1).u16(nal.length).bytes(nal);
  }
  return box("hvcC", w.done());
}

/** The `hvc1` sample entry (§8.4.1.1) with its `hvcC`. */
export function hvc1SampleEntry(config: HevcConfig): Uint8Array {
  return visualSampleEntry("hvc1", config.width, config.height, hvcC(config));
}

/**
 * ISO/IEC 14496-15 Annex E.3: `hvc1.` profile space letter (none for 0) and
 * profile_idc, the compatibility flags bit-reversed in hex, tier (`L`/`H`) and
 * level_idc, then the constraint bytes in hex with trailing zero bytes left out.
 */
export function hevcCodecString(config: HevcConfig): string {
  const ptl = config.profileTierLevel;
  const space = ptl[SPS_PTL.profile] >> 6;
  const tier = (ptl[SPS_PTL.profile] >> 5) & 0x01;
  const profileIdc = ptl[SPS_PTL.profile] & 0x1f;
  let compatibility = 0;
  for (let i = 0; i < 4; i++) {
    compatibility = compatibility * 256 + ptl[SPS_PTL.compatibility + i];
  }
  let reversed = 0;
  for (let bit = 0; bit < 32; bit++) {
    if ((compatibility >>> bit) & 1) reversed += 2 ** (31 - bit);
  }
  const constraints = [
    ...ptl.subarray(SPS_PTL.constraints, SPS_PTL.constraints + CONSTRAINT_BYTES),
  ];
  while (constraints.length > 0 && constraints.at(-1) === 0) constraints.pop();
  return [
    "hvc1",
    `${space === 0 ? "" : String.fromCharCode(0x40 + space)}${profileIdc}`,
    reversed.toString(16).toUpperCase(),
    `${tier ? "H" : "L"}${ptl[SPS_PTL.level]}`,
    ...constraints.map((b) => b.toString(16).toUpperCase()),
  ].join(".");
}
