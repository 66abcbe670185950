/**
 * Presentation order of raw H.264 / H.265 pictures. A raw stream stores
 * pictures in decode order; with B-frames that is not the order they are
 * shown in, and an RTP timestamp is the presentation time (RFC 6184, 5.1;
 * RFC 7798, 4.1). Each slice carries its picture order count (POC), which
 * ranks pictures for output; between two POC resets (an IDR picture) the rank
 * of a picture's POC is its output position.
 *
 * Used by the one scan an Annex-B file gets at open: the result is one signed
 * byte per picture, output position minus decode position.
 * @module
 */

import { BitReader, BitstreamError, nalToRbsp } from "./bit_reader.ts";
import { type H264Sps, parseH264Sps } from "./h264_sps.ts";
import { H265_NAL_HEADER_BYTES, type H265Sps, parseH265Sps } from "./h265_nal.ts";

/** What the slice headers of one access unit say about its order. */
export interface PictureOrder {
  /** Picture order count; undefined when the stream does not say (output = decode order). */
  readonly poc: number | undefined;
  /** POC restarts here (IDR): pictures after it are never shown before it. */
  readonly reset: boolean;
}

/**
 * Largest distance between decode and output position believed (H.264 and
 * H.265 keep at most 16 pictures for reordering); a period with more is taken
 * to be misread and left in decode order.
 */
export const MAX_REORDER = 16;

/** H.264 NAL unit types this file reads (H.264 Table 7-1). */
const H264_SLICE = 1;
const H264_SLICE_IDR = 5;
const H264_SPS = 7;
const H264_PPS = 8;
/** Largest pic_parameter_set_id (H.264 7.4.2.2: 255; H.265 7.4.3.3.1: 63). */
const MAX_PPS_ID = 255;

/** Reads the POC of H.264 pictures (H.264 7.3.3 slice header, 8.2.1.1 POC type 0). */
export class H264PictureOrderCount {
  #sps = new Map<number, H264Sps>();
  #ppsToSps = new Map<number, number>();
  /** prevPicOrderCntMsb / prevPicOrderCntLsb of the previous reference picture. */
  #prevMsb = 0;
  #prevLsb = 0;

  /** The order of one access unit, given all its NAL units (parameter sets included). */
  push(units: readonly Uint8Array[]): PictureOrder {
    for (const nal of units) {
      if (nal.length < 2) continue;
      const type = nal[0] & 0x1f;
      if (type === H264_SPS) {
        const parsed = parseH264Sps(nal);
        if (parsed.ok) this.#sps.set(parsed.sps.spsId, parsed.sps);
      } else if (type === H264_PPS) {
        const ids = readIds(nal.subarray(1));
        if (ids) this.#ppsToSps.set(ids[0], ids[1]);
      } else if (type === H264_SLICE || type === H264_SLICE_IDR) {
        return this.#slice(nal, type === H264_SLICE_IDR);
      }
    }
    return { poc: undefined, reset: false };
  }

  #slice(nal: Uint8Array, idr: boolean): PictureOrder {
    const unknown = { poc: undefined, reset: idr };
    let lsb: number;
    let sps: H264Sps | undefined;
    try {
      const r = new BitReader(nalToRbsp(nal).subarray(1));
      r.ue(); // first_mb_in_slice
      r.ue(); // slice_type
      const spsId = this.#ppsToSps.get(r.ueMax(MAX_PPS_ID, "pic_parameter_set_id"));
      sps = spsId === undefined ? undefined : this.#sps.get(spsId);
      // Types 1 and 2 derive the POC from frame_num: B-frames need type 0 in practice.
      if (!sps || sps.pocType !== 0) return unknown;
      if (sps.separateColourPlane) r.skip(2); // colour_plane_id
      r.skip(sps.log2MaxFrameNum); // frame_num
      if (!sps.frameMbsOnly && r.flag()) return unknown; // field_pic_flag: fields are not ranked
      if (idr) r.ue(); // idr_pic_id
      lsb = r.u(sps.log2MaxPocLsb);
    } catch (e) {
      if (e instanceof BitstreamError) return unknown;
      throw e;
    }
    if (idr) this.#prevMsb = this.#prevLsb = 0;
    // 8.2.1.1, equation 8-3.
    const msb = pocMsb(this.#prevMsb, this.#prevLsb, lsb, sps.log2MaxPocLsb);
    const reference = (nal[0] & 0x60) !== 0; // nal_ref_idc
    if (reference) {
      this.#prevMsb = msb;
      this.#prevLsb = lsb;
    }
    return { poc: msb + lsb, reset: idr };
  }
}

/** H.265 NAL unit types this file reads (H.265 Table 7-1). */
const H265_BLA_W_LP = 16;
const H265_IDR_W_RADL = 19;
const H265_IDR_N_LP = 20;
const H265_CRA = 21;
const H265_IRAP_LAST = 23;
const H265_RSV_VCL_N14 = 14;
const H265_RADL_N = 6;
const H265_RASL_R = 9;
const H265_SPS = 33;
const H265_PPS = 34;

interface H265Pps {
  readonly spsId: number;
  readonly outputFlagPresent: boolean;
  readonly extraSliceHeaderBits: number;
}

/** Reads the POC of H.265 pictures (H.265 7.3.6.1 slice header, 8.3.1). */
export class H265PictureOrderCount {
  #sps = new Map<number, H265Sps>();
  #pps = new Map<number, H265Pps>();
  /** The previous TemporalId-0 picture's POC LSB and MSB (prevTid0Pic). */
  #prevMsb = 0;
  #prevLsb = 0;
  #first = true;

  /** The order of one access unit, given all its NAL units (parameter sets included). */
  push(units: readonly Uint8Array[]): PictureOrder {
    for (const nal of units) {
      if (nal.length < H265_NAL_HEADER_BYTES + 1) continue;
      const type = (nal[0] >> 1) & 0x3f;
      if (type === H265_SPS) {
        const parsed = parseH265Sps(nal);
        if (parsed.ok) this.#sps.set(parsed.sps.spsId, parsed.sps);
      } else if (type === H265_PPS) {
        const pps = readH265Pps(nal.subarray(H265_NAL_HEADER_BYTES));
        if (pps) this.#pps.set(pps[0], pps[1]);
      } else if (type < 32 && (nal[H265_NAL_HEADER_BYTES] & 0x80) !== 0) {
        return this.#slice(nal, type);
      }
    }
    return { poc: undefined, reset: false };
  }

  #slice(nal: Uint8Array, type: number): PictureOrder {
    const irap = type >= H265_BLA_W_LP && type <= H265_IRAP_LAST;
    const idr = type === H265_IDR_W_RADL || type === H265_IDR_N_LP;
    // 8.1.3: an IDR or BLA picture, or a CRA that starts the stream, restarts the POC.
    const restart = irap && (type < H265_CRA || this.#first);
    this.#first = false;
    const unknown = { poc: undefined, reset: restart };
    let lsb = 0;
    let sps: H265Sps | undefined;
    try {
      const r = new BitReader(nalToRbsp(nal).subarray(H265_NAL_HEADER_BYTES));
      r.skip(1); // first_slice_segment_in_pic_flag (set: only first slices come here)
      if (irap) r.skip(1); // no_output_of_prior_pics_flag
      const pps = this.#pps.get(r.ueMax(63, "slice_pic_parameter_set_id"));
      sps = pps && this.#sps.get(pps.spsId);
      if (!pps || !sps) return unknown;
      r.skip(pps.extraSliceHeaderBits); // slice_reserved_flag[i]
      r.ue(); // slice_type
      if (pps.outputFlagPresent) r.skip(1); // pic_output_flag
      if (sps.separateColourPlane) r.skip(2); // colour_plane_id
      if (!idr) lsb = r.u(sps.log2MaxPocLsb); // slice_pic_order_cnt_lsb
    } catch (e) {
      if (e instanceof BitstreamError) return unknown;
      throw e;
    }
    // 8.3.1, equation 8-1.
    const msb = restart ? 0 : pocMsb(this.#prevMsb, this.#prevLsb, lsb, sps.log2MaxPocLsb);
    const temporalId = (nal[1] & 0x07) - 1;
    // prevTid0Pic: TemporalId 0, and not RADL, RASL or a sub-layer non-reference picture.
    const subLayerNonReference = type <= H265_RSV_VCL_N14 && type % 2 === 0;
    const leading = type >= H265_RADL_N && type <= H265_RASL_R;
    if (temporalId === 0 && !leading && !subLayerNonReference) {
      this.#prevMsb = msb;
      this.#prevLsb = lsb;
    }
    return { poc: msb + lsb, reset: restart };
  }
}

/**
 * The POC's most significant part, following the LSB across its wrap from the
 * previous picture's (H.264 equation 8-3, H.265 equation 8-1: the same rule).
 */
function pocMsb(prevMsb: number, prevLsb: number, lsb: number, log2MaxLsb: number): number {
  const max = 2 ** log2MaxLsb;
  if (lsb < prevLsb && prevLsb - lsb >= max / 2) return prevMsb + max;
  if (lsb > prevLsb && lsb - prevLsb > max / 2) return prevMsb - max;
  return prevMsb;
}

/** pic_parameter_set_id and seq_parameter_set_id, the first two fields of a PPS RBSP. */
function readIds(payload: Uint8Array): [number, number] | undefined {
  try {
    const r = new BitReader(nalToRbsp(payload));
    return [r.ueMax(MAX_PPS_ID, "pic_parameter_set_id"), r.ueMax(31, "seq_parameter_set_id")];
  } catch (e) {
    if (e instanceof BitstreamError) return undefined;
    throw e;
  }
}

/** The H.265 PPS fields a first slice header depends on (H.265 7.3.2.3.1). */
function readH265Pps(payload: Uint8Array): [number, H265Pps] | undefined {
  try {
    const r = new BitReader(nalToRbsp(payload));
    const id = r.ueMax(63, "pps_pic_parameter_set_id");
    const spsId = r.ueMax(15, "pps_seq_parameter_set_id");
    r.skip(1); // dependent_slice_segments_enabled_flag (not read by first slices)
    const outputFlagPresent = r.flag();
    const extraSliceHeaderBits = r.u(3);
    return [id, { spsId, outputFlagPresent, extraSliceHeaderBits }];
  } catch (e) {
    if (e instanceof BitstreamError) return undefined;
    throw e;
  }
}

/**
 * Collects pictures' orders in decode order and gives, per picture, its
 * output position minus its decode position.
 */
export class PresentationShifts {
  #shifts: number[] = [];
  #period: (number | undefined)[] = [];

  /** Adds the next picture in decode order. */
  add(order: PictureOrder): void {
    if (order.reset) this.#closePeriod();
    this.#period.push(order.poc);
  }

  /** The shifts, one per picture added. */
  finish(): Int8Array {
    this.#closePeriod();
    return Int8Array.from(this.#shifts);
  }

  #closePeriod(): void {
    const pocs = this.#period;
    this.#period = [];
    const n = pocs.length;
    const shifts = new Array<number>(n).fill(0);
    if (pocs.every((p) => p !== undefined)) {
      // Output position = rank of the POC (ties keep decode order).
      const byOutput = [...pocs.keys()].sort((a, b) => pocs[a]! - pocs[b]! || a - b);
      let plausible = true;
      byOutput.forEach((decodeIndex, outputIndex) => {
        shifts[decodeIndex] = outputIndex - decodeIndex;
        if (Math.abs(outputIndex - decodeIndex) > MAX_REORDER) plausible = false;
      });
      if (!plausible) shifts.fill(0);
    }
    for (const s of shifts) this.#shifts.push(s);
  }
}
