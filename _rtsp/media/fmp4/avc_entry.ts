/**
 * The H.264 sample entry of a fragmented MP4: `avc1` with its
 * AVCDecoderConfigurationRecord `avcC` (ISO/IEC 14496-15 §5.3.3.1 and
 * §5.4.2), and its RFC 6381 §3.3 codecs parameter (`avc1.PPCCLL`).
 *
 * `avc1` (not `avc3`): the parameter sets are in the sample entry; samples
 * carry no SPS/PPS, and when the stream changes them a new init segment is made.
 *
 * @module
 */

import { box, FieldWriter } from "./box_writer.ts";
import { visualSampleEntry } from "./sample_entry.ts";
import { parseH264Sps } from "../h264_sps.ts";
import { bytesToHex } from "../../rtp/fmtp.ts";

/** §5.3.3.1.2: the only configurationVersion defined. */
const AVCC_VERSION = 1;
/** Bytes of each NAL unit length prefix in samples (lengthSizeMinusOne = 3). */
export const NAL_LENGTH_BYTES = 4;
/** §5.3.3.1.2: reserved bits set to 1 ahead of lengthSizeMinusOne, numOfSequenceParameterSets, etc. */
const RESERVED_6_BITS = 0xfc;
const RESERVED_3_BITS = 0xe0;
const RESERVED_5_BITS = 0xf8;
/**
 * §5.3.3.1.2: profiles whose record ends with chroma_format, bit depths and
 * SPS extensions (High 100, High 10 110, High 4:2:2 122, High 4:4:4 144).
 */
const PROFILES_WITH_CHROMA_FIELDS: ReadonlySet<number> = new Set([100, 110, 122, 144]);
/** H.264 A.2.1: the Baseline profile has no B slices. */
const H264_BASELINE_PROFILE = 66;
/** H.264 8.2.1.3: picture order count type 2 means output order is decode order. */
const H264_POC_TYPE_OUTPUT_IS_DECODE = 2;
/** H.264 7.3.2.1.1: profile_idc, constraint flags and level_idc are SPS bytes 1..3. */
const SPS_PROFILE_BYTES = { start: 1, end: 4 } as const;

/** An H.264 track's parameter sets and what its sample entry says about the picture. */
export interface AvcConfig {
  readonly sps: Uint8Array;
  readonly pps: Uint8Array;
  readonly width: number;
  readonly height: number;
  /** chroma_format_idc, bit depths: for the High-profile tail of `avcC` (8-bit 4:2:0 by default). */
  readonly chromaFormatIdc?: number;
  readonly bitDepthLuma?: number;
  readonly bitDepthChroma?: number;
  /**
   * Frames of reordering (B-frames): the VUI's max_num_reorder_frames, 0 when
   * the stream cannot reorder (Baseline, POC type 2), undefined when unknown.
   */
  readonly reorderFrames?: number;
}

/** The configuration of an SPS/PPS pair, or undefined when the SPS does not parse. */
export function avcConfig(sps: Uint8Array, pps: Uint8Array): AvcConfig | undefined {
  const parsed = parseH264Sps(sps);
  if (!parsed.ok || sps.length < SPS_PROFILE_BYTES.end) return undefined;
  const p = parsed.sps;
  const cannotReorder = p.profileIdc === H264_BASELINE_PROFILE ||
    p.pocType === H264_POC_TYPE_OUTPUT_IS_DECODE;
  const reorderFrames = p.maxNumReorderFrames ?? (cannotReorder ? 0 : undefined);
  return {
    sps,
    pps,
    width: p.width,
    height: p.height,
    chromaFormatIdc: p.chromaFormatIdc,
    bitDepthLuma: p.bitDepthLuma,
    bitDepthChroma: p.bitDepthChroma,
    ...(reorderFrames === undefined ? {} : { reorderFrames }),
  };
}

/** AVCDecoderConfigurationRecord (§5.3.3.1.2), one SPS and one PPS. */
export function avcC(config: AvcConfig): Uint8Array {
  const { sps, pps } = config;
  const profile = sps[1];
  const w = new FieldWriter()
    .u8(AVCC_VERSION)
    .u8(profile) // AVCProfileIndication
    .u8(sps[2]) // profile_compatibility
    .u8(sps[3]) // AVCLevelIndication
    .u8(RESERVED_6_BITS | (NAL_LENGTH_BYTES - 1))
    .u8(RESERVED_3_BITS | 1) // numOfSequenceParameterSets
    .u16(sps.length)
    .bytes(sps)
    .u8(1) // numOfPictureParameterSets
    .u16(pps.length)
    .bytes(pps);
  if (PROFILES_WITH_CHROMA_FIELDS.has(profile)) {
    w.u8(RESERVED_6_BITS | (config.chromaFormatIdc ?? 1))
      .u8(RESERVED_5_BITS | ((config.bitDepthLuma ?? 8) - 8))
      .u8(RESERVED_5_BITS | ((config.bitDepthChroma ?? 8) - 8))
      .u8(0); // numOfSequenceParameterSetExt
  }
  return box("avcC", w.done());
}

/** The `avc1` sample entry (§5.4.2.1) with its `avcC`. */
export function avc1SampleEntry(config: AvcConfig): Uint8Array {
  return visualSampleEntry("avc1", config.width, config.height, avcC(config));
}

/** RFC 6381 §3.3: `avc1.` and the hex of profile_idc, constraint flags and level_idc. */
export function avcCodecString(config: AvcConfig): string {
  return `avc1.${bytesToHex(config.sps.subarray(SPS_PROFILE_BYTES.start, SPS_PROFILE_BYTES.end))}`;
}
