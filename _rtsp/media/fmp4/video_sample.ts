/**
 * An H.264 or H.265 access unit (NAL units, as RTP depacketizing gives them)
 * made into a fragmented-MP4 sample: NAL units behind 4-byte big-endian
 * lengths (ISO/IEC 14496-15 §5.3.2 and §8.3.2, lengthSizeMinusOne = 3),
 * without the parameter sets, which `avc1`/`hvc1` keep in the sample entry
 * (§5.4.2.1, §8.4.1.1), and without access unit delimiters and filler data,
 * which carry nothing a decoder needs. Parameter sets found in the unit are
 * handed back so a change can make a new init segment.
 *
 * @module
 */

import { NAL_LENGTH_BYTES } from "./avc_entry.ts";
import type { VideoParameterSets } from "./codec_config.ts";
import { H264NalType, h264NalType, isH264Keyframe, isH264Vcl } from "../h264_sps.ts";
import { H265NalType, h265NalType, isH265Keyframe, isH265Vcl } from "../h265_nal.ts";

/** A video sample's bytes and what the access unit said. */
export interface VideoSample {
  /** Length-prefixed NAL units for `mdat`. */
  readonly data: Uint8Array;
  /** An IDR (H.264) or IRAP (H.265) picture. */
  readonly sync: boolean;
  /** Parameter sets the unit carried in-band, when it carried a whole set. */
  readonly parameterSets?: VideoParameterSets;
}

/** How one codec names its NAL units. */
interface NalRules {
  readonly type: (nal: Uint8Array) => number;
  readonly isVcl: (type: number) => boolean;
  readonly isKeyframe: (units: readonly Uint8Array[]) => boolean;
  readonly vps?: number;
  readonly sps: number;
  readonly pps: number;
  /** Types left out of samples besides parameter sets (delimiters, filler). */
  readonly dropped: readonly number[];
}

const H264_RULES: NalRules = {
  type: h264NalType,
  isVcl: isH264Vcl,
  isKeyframe: isH264Keyframe,
  sps: H264NalType.SPS,
  pps: H264NalType.PPS,
  dropped: [H264NalType.AUD, H264NalType.FILLER],
};

const H265_RULES: NalRules = {
  type: h265NalType,
  isVcl: isH265Vcl,
  isKeyframe: isH265Keyframe,
  vps: H265NalType.VPS,
  sps: H265NalType.SPS,
  pps: H265NalType.PPS,
  dropped: [H265NalType.AUD, H265NalType.FD],
};

/**
 * The sample of one access unit, or undefined when it holds no picture
 * (only parameter sets or delimiters: their sets are then lost; senders put
 * them with the IDR picture, RFC 6184 §8.4).
 */
export function videoSample(
  codec: "H264" | "H265",
  units: readonly Uint8Array[],
): VideoSample | undefined {
  const rules = codec === "H264" ? H264_RULES : H265_RULES;
  const kept: Uint8Array[] = [];
  let vps: Uint8Array | undefined;
  let sps: Uint8Array | undefined;
  let pps: Uint8Array | undefined;
  let picture = false;
  let size = 0;
  for (const nal of units) {
    const type = rules.type(nal);
    if (type < 0) continue;
    if (type === rules.sps) sps ??= nal;
    else if (type === rules.pps) pps ??= nal;
    else if (rules.vps !== undefined && type === rules.vps) vps ??= nal;
    else if (!rules.dropped.includes(type)) {
      picture ||= rules.isVcl(type);
      kept.push(nal);
      size += NAL_LENGTH_BYTES + nal.length;
    }
  }
  if (!picture) return undefined;
  const data = new Uint8Array(size);
  const view = new DataView(data.buffer);
  let at = 0;
  for (const nal of kept) {
    view.setUint32(at, nal.length);
    data.set(nal, at + NAL_LENGTH_BYTES);
    at += NAL_LENGTH_BYTES + nal.length;
  }
  const sync = rules.isKeyframe(units);
  if (!sps || !pps || (rules.vps !== undefined && !vps)) return { data, sync };
  return { data, sync, parameterSets: vps ? { vps, sps, pps } : { sps, pps } };
}
