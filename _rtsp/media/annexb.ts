/**
 * Annex-B byte streams (ITU-T H.264 Annex B, H.265 Annex B): splitting into NAL
 * units, and an incremental reader that groups NAL units into access units
 * (pictures) with timestamps, for raw `.264` / `.265` files read in chunks.
 */

import type { AccessUnit } from "./access_unit.ts";
import {
  h264FirstSliceInPicture,
  H264NalType,
  h264NalType,
  type H264Sps,
  isH264Vcl,
  parseH264Sps,
} from "./h264_sps.ts";
import {
  h265FirstSliceInPicture,
  H265NalType,
  h265NalType,
  type H265Sps,
  isH265Irap,
  isH265Vcl,
  parseH265Sps,
} from "./h265_nal.ts";

/** Video codecs whose elementary streams use Annex-B framing. */
export type AnnexBCodec = "H264" | "H265";

/** RTP clock rate for H.264 and H.265 (RFC 6184 8.2.1, RFC 7798 7.1). */
export const VIDEO_CLOCK_RATE = 90000;

/** Frame rate used when the SPS has no VUI timing info. */
export const DEFAULT_FRAME_RATE = 25;

/** Default limit on one NAL unit; larger ones are treated as a broken stream, not buffered. */
export const DEFAULT_MAX_NAL_BYTES = 16 * 1024 * 1024;

/** Default limit on one access unit (all its NAL units together). */
export const DEFAULT_MAX_ACCESS_UNIT_BYTES = 64 * 1024 * 1024;

/**
 * Frame rates outside this range in an SPS are ignored (the default is kept):
 * they come from corrupt or field-based timing that would make timestamps useless.
 */
const MIN_SANE_FRAME_RATE = 0.1;
/** See {@link MIN_SANE_FRAME_RATE}. */
const MAX_SANE_FRAME_RATE = 1000;

/** H.264 / H.265 B.1.1: a start code is the three bytes `00 00 01`. */
export const START_CODE_BYTES = 3;

/**
 * The one Annex-B start-code scanner: the index of the first start code
 * (`00 00 01`, H.264 / H.265 B.1.1) that begins at or after `from` and lies
 * wholly before `end`. When there is none, the result is above
 * `end - START_CODE_BYTES`: no start code begins before it, so an incremental
 * scan resumes there once more bytes follow. The zero before a 4-byte
 * `00 00 00 01` is not part of the start code.
 */
export function findStartCode(bytes: Uint8Array, from: number, end: number): number {
  let i = from;
  while (i + 2 < end) {
    // A start code ends in 01 and needs two zeros before it; stepping by the
    // position of the first byte that rules a match out keeps this fast.
    if (bytes[i + 2] > 1) {
      i += 3;
    } else if (bytes[i + 2] === 1 && bytes[i + 1] === 0 && bytes[i] === 0) {
      return i;
    } else {
      i++;
    }
  }
  return i;
}

/**
 * Splits a complete Annex-B byte stream into NAL units (without start codes).
 *
 * Start codes are `00 00 01`; the extra zero of a 4-byte `00 00 00 01` and any
 * trailing_zero_8bits are stripped from the end of the preceding NAL unit
 * (H.264 B.2). Bytes before the first start code are ignored, and so are empty
 * NAL units. The returned arrays are views into `bytes`.
 */
export function splitAnnexB(bytes: Uint8Array): Uint8Array[] {
  const nals: Uint8Array[] = [];
  const end = bytes.length;
  let start = -1;
  for (
    let i = findStartCode(bytes, 0, end);
    i + START_CODE_BYTES <= end;
    i = findStartCode(bytes, start, end)
  ) {
    if (start >= 0) pushTrimmed(nals, bytes, start, i);
    start = i + START_CODE_BYTES;
  }
  if (start >= 0) pushTrimmed(nals, bytes, start, end);
  return nals;
}

/** Appends bytes[start, end) minus trailing zero bytes, unless that leaves nothing. */
function pushTrimmed(out: Uint8Array[], bytes: Uint8Array, start: number, end: number): void {
  while (end > start && bytes[end - 1] === 0) end--;
  if (end > start) out.push(bytes.subarray(start, end));
}

/** Options for {@link AnnexBAccessUnitReader}. */
export interface AnnexBReaderOptions {
  /** Frame rate when the SPS carries none; default {@link DEFAULT_FRAME_RATE}. */
  readonly defaultFrameRate?: number;
  /** Largest NAL unit accepted, in bytes; default {@link DEFAULT_MAX_NAL_BYTES}. */
  readonly maxNalBytes?: number;
  /** Largest access unit accepted, in bytes; default {@link DEFAULT_MAX_ACCESS_UNIT_BYTES}. */
  readonly maxAccessUnitBytes?: number;
}

/** Why an {@link AnnexBAccessUnitReader} stopped. */
export type AnnexBErrorCode =
  | "nal-too-large"
  | "access-unit-too-large"
  | "no-start-code"
  | "ended";

/** The result of {@link AnnexBAccessUnitReader.push} and {@link AnnexBAccessUnitReader.end}. */
export type AnnexBReadResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: AnnexBErrorCode; readonly error: string };

const OK: AnnexBReadResult = { ok: true };

/** How a NAL unit relates to access unit boundaries. */
const Role = {
  /** Starts a new access unit unconditionally (access unit delimiter). */
  Delimiter: 0,
  /** Starts a new access unit when the current one already has a picture (SPS, PPS, SEI...). */
  Prefix: 1,
  /** A slice that starts a new picture. */
  FirstSlice: 2,
  /** Any other slice of the current picture. */
  Slice: 3,
  /** Belongs to the current access unit (suffix SEI, end of sequence, filler...). */
  Suffix: 4,
} as const;
type Role = typeof Role[keyof typeof Role];

/**
 * Turns an Annex-B byte stream, pushed in arbitrary chunks, into access units.
 *
 * Access unit boundaries follow H.264 7.4.1.2.3 and H.265 7.4.2.4.4: a new one
 * starts at an access unit delimiter, at a parameter set / prefix SEI after a
 * picture's slices, or at a slice that begins a picture (first_mb_in_slice == 0,
 * first_slice_segment_in_pic_flag == 1). Detecting the first slice this way
 * assumes no arbitrary slice order, which Baseline streams may use but encoders
 * in practice do not.
 *
 * Timestamps are `index × 90000 / frameRate` in decode order, so streams with
 * B-frames get monotonic timestamps that are not presentation times.
 *
 * Memory: only the unfinished NAL unit and access unit are kept between pushes,
 * and the scan resumes where it stopped, so each byte is examined once.
 */
export class AnnexBAccessUnitReader {
  /** The codec whose NAL unit header and access unit rules apply. */
  readonly codec: AnnexBCodec;
  readonly #defaultFrameRate: number;
  readonly #maxNalBytes: number;
  readonly #maxAuBytes: number;

  /** Buffered bytes live in #buf[0, #len). */
  #buf = new Uint8Array(0);
  #len = 0;
  /** Stream offset of #buf[0]: bytes pushed and dropped from the buffer before it. */
  #base = 0;
  /** Where the current NAL unit's payload starts in #buf, or -1 before the first start code. */
  #nalStart = -1;
  /** The next index at which a start code could begin. */
  #scan = 0;
  /** Bytes thrown away before the first start code. */
  #skipped = 0;

  #units: Uint8Array[] = [];
  /** Stream offset of the start code of #units[0]. */
  #auOffset = 0;
  #auBytes = 0;
  #auHasPicture = false;
  #auKeyframe = false;
  #ready: AccessUnit[] = [];
  /** Stream offset of each of #ready (see {@linkcode takeAccessUnitsWithOffsets}). */
  #readyOffsets: number[] = [];

  #frameIndex = 0;
  /** Timestamps are #timeBase + (#frameIndex - #indexBase) × 90000 / #frameRate, so a rate change does not rewrite the past. */
  #timeBase = 0;
  #indexBase = 0;
  #frameRate: number;

  #sps: Uint8Array | undefined;
  #pps: Uint8Array | undefined;
  #vps: Uint8Array | undefined;
  #spsInfo: H264Sps | H265Sps | undefined;
  #failure: AnnexBReadResult | undefined;

  /** Throws RangeError for a non-positive `defaultFrameRate`: a programming error, not bad input. */
  constructor(codec: AnnexBCodec, options: AnnexBReaderOptions = {}) {
    this.codec = codec;
    this.#defaultFrameRate = options.defaultFrameRate ?? DEFAULT_FRAME_RATE;
    if (!(this.#defaultFrameRate > 0 && Number.isFinite(this.#defaultFrameRate))) {
      throw new RangeError(`defaultFrameRate must be positive, got ${options.defaultFrameRate}`);
    }
    this.#frameRate = this.#defaultFrameRate;
    this.#maxNalBytes = options.maxNalBytes ?? DEFAULT_MAX_NAL_BYTES;
    this.#maxAuBytes = options.maxAccessUnitBytes ?? DEFAULT_MAX_ACCESS_UNIT_BYTES;
  }

  /** The latest SPS NAL unit seen, as sent in SDP `sprop-parameter-sets` / `sprop-sps`. */
  get sps(): Uint8Array | undefined {
    return this.#sps;
  }

  /** The latest PPS NAL unit seen. */
  get pps(): Uint8Array | undefined {
    return this.#pps;
  }

  /** The latest VPS NAL unit seen (H.265 only). */
  get vps(): Uint8Array | undefined {
    return this.#vps;
  }

  /** The latest SPS that parsed, or undefined when none has (yet). */
  get spsInfo(): H264Sps | H265Sps | undefined {
    return this.#spsInfo;
  }

  /** The frame rate currently used for timestamps. */
  get frameRate(): number {
    return this.#frameRate;
  }

  /** Bytes before the first start code that were discarded. */
  get skippedBytes(): number {
    return this.#skipped;
  }

  /**
   * Feeds the next chunk of the stream. The chunk is copied, so the caller may
   * reuse it. After an error every later call returns the same error.
   */
  push(chunk: Uint8Array): AnnexBReadResult {
    if (this.#failure) return this.#failure;
    this.#append(chunk);
    this.#scanNals();
    return this.#failure ?? this.#checkLimits();
  }

  /** Marks the end of the stream: the last NAL unit and access unit are completed. */
  end(): AnnexBReadResult {
    if (this.#failure) return this.#failure;
    if (this.#nalStart >= 0) {
      this.#emitNal(this.#nalStart, this.#len);
    } else if (this.#len > 0) {
      this.#skipped += this.#len;
    }
    this.#len = 0;
    this.#nalStart = -1;
    this.#scan = 0;
    this.#flushAccessUnit();
    // Whatever is left has no picture (e.g. a lone SPS at the end of a file):
    // nothing a client could display, and nothing to time it by.
    this.#units = [];
    this.#auBytes = 0;
    const result = this.#failure ?? OK;
    this.#failure = this.#failure ?? {
      ok: false,
      code: "ended",
      error: "end() was already called",
    };
    return result;
  }

  /** Returns the access units completed so far and forgets them. */
  takeAccessUnits(): AccessUnit[] {
    return this.takeAccessUnitsWithOffsets().units;
  }

  /**
   * Like {@linkcode takeAccessUnits}, with where each unit starts: the stream
   * offset (bytes from the first one pushed) of the start code of its first
   * NAL unit. A fresh reader fed the stream from there reads the same units.
   */
  takeAccessUnitsWithOffsets(): { units: AccessUnit[]; offsets: number[] } {
    const out = { units: this.#ready, offsets: this.#readyOffsets };
    this.#ready = [];
    this.#readyOffsets = [];
    return out;
  }

  #append(chunk: Uint8Array): void {
    if (this.#len + chunk.length > this.#buf.length) {
      // Drop what is already consumed: bytes before the current NAL unit, or
      // before the scan position when no start code has been seen.
      const keepFrom = this.#nalStart >= 0 ? this.#nalStart : this.#scan;
      const kept = this.#len - keepFrom;
      const needed = kept + chunk.length;
      // Shifting in place only when it frees at least half the buffer keeps the
      // copying amortised O(1) per byte; otherwise grow geometrically.
      const target = needed <= this.#buf.length && keepFrom >= this.#buf.length / 2
        ? this.#buf
        : new Uint8Array(Math.max(needed, this.#buf.length * 2, 4096));
      target.set(this.#buf.subarray(keepFrom, this.#len), 0);
      this.#buf = target;
      this.#len = kept;
      this.#base += keepFrom;
      if (this.#nalStart >= 0) {
        this.#nalStart -= keepFrom;
      } else {
        this.#skipped += keepFrom;
      }
      this.#scan -= keepFrom;
    }
    this.#buf.set(chunk, this.#len);
    this.#len += chunk.length;
  }

  #scanNals(): void {
    const buf = this.#buf;
    const len = this.#len;
    let i = findStartCode(buf, this.#scan, len);
    for (; i + START_CODE_BYTES <= len; i = findStartCode(buf, i + START_CODE_BYTES, len)) {
      if (this.#nalStart >= 0) {
        this.#emitNal(this.#nalStart, i);
        if (this.#failure) return;
      } else {
        // Before the first start code the whole buffer is unconsumed junk
        // (leading_zero_8bits or garbage); earlier junk was counted when dropped.
        this.#skipped += i;
      }
      this.#nalStart = i + START_CODE_BYTES;
    }
    // The last two bytes may begin a start code completed by the next chunk.
    this.#scan = Math.max(i, this.#nalStart, 0);
  }

  #checkLimits(): AnnexBReadResult {
    if (this.#nalStart >= 0) {
      const pending = this.#len - this.#nalStart;
      // Up to 3 bytes of the tail may be the next start code, not NAL payload.
      if (pending - 3 > this.#maxNalBytes) {
        return this.#fail(
          "nal-too-large",
          `a NAL unit exceeds ${this.#maxNalBytes} bytes`,
        );
      }
    } else if (this.#skipped + this.#scan > this.#maxNalBytes) {
      return this.#fail(
        "no-start-code",
        `no Annex-B start code in the first ${this.#skipped + this.#scan} bytes`,
      );
    }
    return OK;
  }

  #fail(code: AnnexBErrorCode, error: string): AnnexBReadResult {
    this.#failure = { ok: false, code, error };
    return this.#failure;
  }

  /** Handles the NAL unit at #buf[start, end), trailing zeros included. */
  #emitNal(start: number, end: number): void {
    while (end > start && this.#buf[end - 1] === 0) end--;
    if (end === start) return;
    if (end - start > this.#maxNalBytes) {
      this.#fail(
        "nal-too-large",
        `a NAL unit of ${end - start} bytes exceeds ${this.#maxNalBytes}`,
      );
      return;
    }
    // Copy: the buffer is reused, and access units outlive it.
    const nal = this.#buf.slice(start, end);
    const role = this.codec === "H264" ? h264Role(nal) : h265Role(nal);
    if (
      role === Role.Delimiter ||
      (this.#auHasPicture && (role === Role.Prefix || role === Role.FirstSlice))
    ) {
      this.#flushAccessUnit();
    }
    if (this.#auBytes + nal.length > this.#maxAuBytes) {
      this.#fail(
        "access-unit-too-large",
        `an access unit exceeds ${this.#maxAuBytes} bytes`,
      );
      return;
    }
    if (this.#units.length === 0) this.#auOffset = this.#base + start - START_CODE_BYTES;
    this.#units.push(nal);
    this.#auBytes += nal.length;
    if (role === Role.FirstSlice || role === Role.Slice) this.#auHasPicture = true;
    // Side effects come after the flush above so that they land on the access
    // unit this NAL unit belongs to, not on the one it completed.
    if (this.codec === "H264") this.#noteH264(nal);
    else this.#noteH265(nal);
  }

  #noteH264(nal: Uint8Array): void {
    switch (h264NalType(nal)) {
      case H264NalType.SLICE_IDR:
        this.#auKeyframe = true;
        break;
      case H264NalType.SPS:
        this.#sps = nal;
        this.#useSps(parseH264Sps(nal));
        break;
      case H264NalType.PPS:
        this.#pps = nal;
        break;
    }
  }

  #noteH265(nal: Uint8Array): void {
    const type = h265NalType(nal);
    if (isH265Irap(type)) this.#auKeyframe = true;
    else if (type === H265NalType.VPS) this.#vps = nal;
    else if (type === H265NalType.SPS) {
      this.#sps = nal;
      this.#useSps(parseH265Sps(nal));
    } else if (type === H265NalType.PPS) this.#pps = nal;
  }

  #useSps(result: { ok: true; sps: H264Sps | H265Sps } | { ok: false; error: string }): void {
    // A damaged SPS still goes to the client verbatim; only its timing is lost.
    if (!result.ok) return;
    this.#spsInfo = result.sps;
    const fps = result.sps.frameRate;
    const rate = fps !== undefined && fps >= MIN_SANE_FRAME_RATE && fps <= MAX_SANE_FRAME_RATE
      ? fps
      : this.#defaultFrameRate;
    if (rate !== this.#frameRate) {
      this.#timeBase = this.#exactTime(this.#frameIndex);
      this.#indexBase = this.#frameIndex;
      this.#frameRate = rate;
    }
  }

  #exactTime(index: number): number {
    return this.#timeBase + (index - this.#indexBase) * VIDEO_CLOCK_RATE / this.#frameRate;
  }

  #flushAccessUnit(): void {
    // Parameter sets or SEI not yet followed by a picture stay pending and open
    // the next access unit, so an odd order (SPS, PPS, AUD, IDR) loses nothing.
    if (!this.#auHasPicture) return;
    this.#ready.push({
      timestamp: Math.round(this.#exactTime(this.#frameIndex)),
      units: this.#units,
      keyframe: this.#auKeyframe,
    });
    this.#readyOffsets.push(this.#auOffset);
    this.#frameIndex++;
    this.#units = [];
    this.#auBytes = 0;
    this.#auHasPicture = false;
    this.#auKeyframe = false;
  }
}

/** Classifies an H.264 NAL unit for access unit detection (H.264 7.4.1.2.3). */
function h264Role(nal: Uint8Array): Role {
  const type = h264NalType(nal);
  switch (type) {
    case H264NalType.AUD:
      return Role.Delimiter;
    case H264NalType.SPS:
    case H264NalType.PPS:
    case H264NalType.SEI:
    case H264NalType.PREFIX:
    case H264NalType.SUBSET_SPS:
    case H264NalType.DEPTH_PS:
    case 17: // reserved: 7.4.1.2.3 lists 14..18 among the NAL units that open an access unit
    case 18:
      return Role.Prefix;
  }
  if (!isH264Vcl(type)) return Role.Suffix;
  // Partitions B and C carry slice_id, not a slice header.
  const hasHeader = type !== H264NalType.SLICE_PARTITION_B &&
    type !== H264NalType.SLICE_PARTITION_C;
  return hasHeader && h264FirstSliceInPicture(nal) ? Role.FirstSlice : Role.Slice;
}

/** Classifies an H.265 NAL unit for access unit detection (H.265 7.4.2.4.4). */
function h265Role(nal: Uint8Array): Role {
  const type = h265NalType(nal);
  switch (type) {
    case H265NalType.AUD:
      return Role.Delimiter;
    case H265NalType.VPS:
    case H265NalType.SPS:
    case H265NalType.PPS:
    case H265NalType.PREFIX_SEI:
      return Role.Prefix;
  }
  // Reserved 41..44 and unspecified 48..55 also precede a picture.
  if ((type >= 41 && type <= 44) || (type >= 48 && type <= 55)) return Role.Prefix;
  if (!isH265Vcl(type)) return Role.Suffix;
  return h265FirstSliceInPicture(nal) ? Role.FirstSlice : Role.Slice;
}
