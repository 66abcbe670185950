/**
 * Raw H.264 / H.265 Annex-B streams served on demand: one scan at open builds
 * a keyframe index (offsets and picture numbers) for seeking, and cursors
 * read access units in `READ_CHUNK_BYTES` chunks from a keyframe.
 *
 * @module
 */

import { AnnexBAccessUnitReader, type AnnexBCodec, VIDEO_CLOCK_RATE } from "./annexb.ts";
import type { CursorStep, FileCursor, FileMedia, OpenMediaResult, ReadAt } from "./file_media.ts";
import {
  ChunkedUnits,
  corrupt,
  INITIAL_INDEX_CAPACITY,
  lastAtOrBefore,
  NumberList,
  readChunk,
  TIME_EPSILON_SECONDS,
} from "./file_media_shared.ts";
import {
  H264PictureOrderCount,
  H265PictureOrderCount,
  PresentationShifts,
} from "./picture_order.ts";
import { h264Track, h265Track, type SourceTrack } from "./source_track.ts";

/**
 * How far into an Annex-B file the first SPS must appear, bytes. Encoders put
 * it first; a file without one that early is not a stream we can describe,
 * and giving up spares scanning a misnamed multi-gigabyte file to its end.
 */
export const MAX_BYTES_BEFORE_SPS = 16 * 1024 * 1024;

/** A start code is `00 00 01` (H.264 / H.265 B.1.1): two zero bytes, then this one. */
const START_CODE_LAST_BYTE = 1;
/** Zero bytes in front of {@link START_CODE_LAST_BYTE} in a start code. */
const START_CODE_ZEROS = 2;

/**
 * Zero bytes immediately before `chunk[end]`, counting the `carried` zeros that
 * ended the previous chunk, capped at {@link START_CODE_ZEROS} (all that matters).
 */
function zerosBefore(chunk: Uint8Array, end: number, carried: number): number {
  let zeros = 0;
  for (let k = end - 1; k >= 0 && zeros < START_CODE_ZEROS; k--) {
    if (chunk[k] !== 0) return zeros;
    zeros++;
  }
  return Math.min(START_CODE_ZEROS, zeros + carried);
}

/**
 * Finds the byte offsets of the start codes of non-empty NAL units, with the
 * same rules as {@link AnnexBAccessUnitReader} (`00 00 01`; a NAL unit of only
 * zero bytes does not count), so the n-th offset found is where the reader's
 * n-th NAL unit begins. Offsets wait in a queue until the caller has matched
 * them to access units.
 */
class NalStartScanner {
  #zeros = 0;
  /** Offset of the current NAL unit's start code, -1 before the first. */
  #current = -1;
  /** Whether the current NAL unit has a non-zero byte (true before the first: see scan). */
  #nonEmpty = true;
  /** Offsets of NAL units numbered #first, #first + 1, ... in #queue[#head, #tail). */
  #queue = new Float64Array(INITIAL_INDEX_CAPACITY);
  #head = 0;
  #tail = 0;
  #first = 0;

  /** Scans `chunk`, which sits at file offset `base`. */
  scan(chunk: Uint8Array, base: number): void {
    const carried = this.#zeros;
    let current = this.#current;
    let nonEmpty = this.#nonEmpty;
    let i = 0;
    while (i < chunk.length) {
      let one: number;
      if (nonEmpty) {
        // Only a start code can change anything now: jump to the next 0x01
        // with the engine's native search instead of looking at every byte.
        one = chunk.indexOf(START_CODE_LAST_BYTE, i);
        if (one < 0) break;
      } else {
        // Just after a start code: step until the first byte that is not zero,
        // which decides whether this NAL unit is empty.
        const byte = chunk[i];
        if (byte === 0) {
          i++;
          continue;
        }
        if (byte !== START_CODE_LAST_BYTE) {
          nonEmpty = true;
          i++;
          continue;
        }
        one = i;
      }
      if (zerosBefore(chunk, one, carried) >= START_CODE_ZEROS) {
        if (current >= 0 && nonEmpty) this.#enqueue(current);
        current = base + one - START_CODE_ZEROS;
        nonEmpty = false;
      } else {
        nonEmpty = true;
      }
      i = one + 1;
    }
    this.#zeros = zerosBefore(chunk, chunk.length, carried);
    this.#current = current;
    // Before the first start code there is no NAL unit to be empty; jumping
    // straight to start codes is right there too.
    this.#nonEmpty = current < 0 || nonEmpty;
  }

  /** The stream ended: the last NAL unit is complete. */
  end(): void {
    if (this.#current >= 0 && this.#nonEmpty) this.#enqueue(this.#current);
    this.#current = -1;
  }

  /** Offset of NAL unit number `n`, if found and not yet dropped. */
  offsetOf(n: number): number | undefined {
    const at = this.#head + n - this.#first;
    return n >= this.#first && at < this.#tail ? this.#queue[at] : undefined;
  }

  /** Forgets NAL units numbered below `n`. */
  dropBefore(n: number): void {
    const drop = Math.min(Math.max(0, n - this.#first), this.#tail - this.#head);
    this.#head += drop;
    this.#first += drop;
  }

  #enqueue(offset: number): void {
    if (this.#tail === this.#queue.length) {
      const live = this.#tail - this.#head;
      // Compact when at least half is dead, else grow: amortised O(1).
      if (live <= this.#queue.length / 2) {
        this.#queue.copyWithin(0, this.#head, this.#tail);
      } else {
        const grown = new Float64Array(this.#queue.length * 2);
        grown.set(this.#queue.subarray(this.#head, this.#tail), 0);
        this.#queue = grown;
      }
      this.#head = 0;
      this.#tail = live;
    }
    this.#queue[this.#tail++] = offset;
  }
}

/** What one scan of an Annex-B file learns. */
interface AnnexBIndex {
  readonly frameRate: number;
  readonly accessUnits: number;
  /** File offset where each keyframe's access unit starts. */
  readonly keyOffsets: Float64Array;
  /** Access unit (decode order) number of each keyframe, ascending. */
  readonly keyUnits: Float64Array;
  /**
   * Per access unit, its presentation position minus its decode position
   * (B-frames), from the pictures' order counts; all 0 without B-frames.
   */
  readonly presentationShifts: Int8Array;
  readonly vps?: Uint8Array;
  readonly sps?: Uint8Array;
  readonly pps?: Uint8Array;
}

/** Scans the whole stream once, chunk by chunk, building the keyframe index. */
async function indexAnnexB(
  codec: AnnexBCodec,
  readAt: ReadAt,
  size: number,
): Promise<{ ok: true; index: AnnexBIndex } | { ok: false; error: string }> {
  const reader = new AnnexBAccessUnitReader(codec);
  const scanner = new NalStartScanner();
  const keyOffsets = new NumberList();
  const keyUnits = new NumberList();
  const order = codec === "H264" ? new H264PictureOrderCount() : new H265PictureOrderCount();
  const shifts = new PresentationShifts();
  let accessUnits = 0;
  let nalCount = 0;
  let frameRate: number | undefined;
  let vps: Uint8Array | undefined;
  let sps: Uint8Array | undefined;
  let pps: Uint8Array | undefined;

  const consume = (): string | undefined => {
    // The getters return the latest parameter sets; taking them at the first
    // chance keeps the first ones of the file, as the SDP should announce.
    vps ??= reader.vps;
    sps ??= reader.sps;
    pps ??= reader.pps;
    for (const au of reader.takeAccessUnits()) {
      frameRate ??= reader.frameRate;
      if (au.keyframe) {
        const offset = scanner.offsetOf(nalCount);
        if (offset === undefined) return `lost track of NAL unit ${nalCount}`;
        keyOffsets.push(offset);
        keyUnits.push(accessUnits);
      }
      shifts.add(order.push(au.units));
      nalCount += au.units.length;
      accessUnits++;
    }
    scanner.dropBefore(nalCount);
    return undefined;
  };

  for (let offset = 0; offset < size;) {
    const chunk = await readChunk(readAt, offset, size);
    scanner.scan(chunk, offset);
    offset += chunk.length;
    const pushed = reader.push(chunk);
    if (!pushed.ok) return { ok: false, error: pushed.error };
    const lost = consume();
    if (lost) return { ok: false, error: lost };
    if (sps === undefined && offset >= MAX_BYTES_BEFORE_SPS) {
      // Not a raw stream of this codec (a misnamed file): stop before scanning all of it.
      return { ok: false, error: `no sequence parameter set in the first ${offset} bytes` };
    }
  }
  scanner.end();
  const ended = reader.end();
  if (!ended.ok) return { ok: false, error: ended.error };
  const lost = consume();
  if (lost) return { ok: false, error: lost };
  return {
    ok: true,
    index: {
      frameRate: frameRate ?? reader.frameRate,
      accessUnits,
      keyOffsets: keyOffsets.finish(),
      keyUnits: keyUnits.finish(),
      presentationShifts: shifts.finish(),
      vps,
      sps,
      pps,
    },
  };
}

export async function openAnnexBMedia(
  codec: AnnexBCodec,
  readAt: ReadAt,
  size: number,
): Promise<OpenMediaResult> {
  const built = await indexAnnexB(codec, readAt, size);
  const what = codec === "H264" ? "H.264" : "H.265";
  if (!built.ok) return corrupt(`${what} stream: ${built.error}`);
  const index = built.index;
  if (index.accessUnits === 0) return corrupt(`no ${what} pictures`);
  if (index.keyUnits.length === 0) return corrupt(`no ${what} keyframe`);
  const { vps, sps, pps } = index;
  if (!sps || !pps || (codec === "H265" && !vps)) {
    return corrupt(`${what} stream without parameter sets`);
  }
  const track = codec === "H264"
    ? h264Track(0, sps, pps, index.frameRate)
    : h265Track(0, vps!, sps, pps, index.frameRate);
  return { ok: true, media: new AnnexBMedia(codec, track, index, readAt, size) };
}

/** The most pictures any picture is shown ahead of its decode position. */
function reorderDelay(shifts: Int8Array): number {
  let delay = 0;
  for (const shift of shifts) delay = Math.max(delay, -shift);
  return delay;
}

class AnnexBMedia implements FileMedia {
  readonly tracks: readonly SourceTrack[];
  readonly durationSeconds: number;
  readonly timestampOffsetSeconds: number;
  readonly #codec: AnnexBCodec;
  readonly #index: AnnexBIndex;
  readonly #readAt: ReadAt;
  /** Pictures every timestamp is delayed by (see the constructor). */
  readonly #reorderDelay: number;
  readonly #size: number;

  constructor(
    codec: AnnexBCodec,
    track: SourceTrack,
    index: AnnexBIndex,
    readAt: ReadAt,
    size: number,
  ) {
    this.#codec = codec;
    this.tracks = [track];
    this.#index = index;
    this.durationSeconds = index.accessUnits / index.frameRate;
    // A B-frame shown before its decode time would be stamped before the
    // stream's start: every timestamp is delayed by the deepest reordering
    // instead, as an MP4's edit list does, so presentation never precedes decoding.
    this.#reorderDelay = reorderDelay(index.presentationShifts);
    this.timestampOffsetSeconds = this.#reorderDelay / index.frameRate;
    this.#readAt = readAt;
    this.#size = size;
  }

  cursor(startSeconds: number, readAt: ReadAt = this.#readAt): Promise<FileCursor> {
    const { frameRate, keyOffsets, keyUnits, presentationShifts } = this.#index;
    let offset = 0;
    let unit = 0;
    // From the start, read from byte 0: pictures before the first keyframe
    // (a stream cut mid-GOP) are still sent, as the MP4 path does.
    if (startSeconds > 0 && Number.isFinite(startSeconds)) {
      const k = lastAtOrBefore(keyUnits, startSeconds * frameRate + TIME_EPSILON_SECONDS);
      offset = keyOffsets[k];
      unit = keyUnits[k];
    }
    return Promise.resolve(
      new AnnexBCursor(this.#codec, readAt, this.#size, offset, unit, {
        frameRate,
        presentationShifts,
        delay: this.#reorderDelay,
      }),
    );
  }
}

class AnnexBCursor implements FileCursor {
  readonly startSeconds: number;
  readonly #units: ChunkedUnits;
  readonly #frameRate: number;
  readonly #shifts: Int8Array;
  readonly #delay: number;
  #unit: number;

  constructor(
    codec: AnnexBCodec,
    readAt: ReadAt,
    size: number,
    offset: number,
    unit: number,
    timing: {
      readonly frameRate: number;
      readonly presentationShifts: Int8Array;
      /** Pictures every timestamp is delayed by (see `timestampOffsetSeconds`). */
      readonly delay: number;
    },
  ) {
    const frameRate = timing.frameRate;
    this.#shifts = timing.presentationShifts;
    this.#delay = timing.delay;
    // A fresh reader at an access unit boundary groups NAL units exactly as
    // the indexing pass did, so access unit numbers continue from `unit`.
    const reader = new AnnexBAccessUnitReader(codec, { defaultFrameRate: frameRate });
    this.#units = new ChunkedUnits(reader, readAt, size, offset);
    this.#unit = unit;
    this.#frameRate = frameRate;
    this.startSeconds = unit / frameRate;
  }

  async next(): Promise<CursorStep> {
    const au = await this.#units.next();
    if (au === undefined || "error" in au) return au;
    const unit = this.#unit++;
    // Timestamps come from the index's frame rate, not the fresh reader's:
    // it may not see an SPS (and its timing) before the first picture. Sent in
    // decode order; stamped with the presentation time (RFC 6184, 5.1).
    const shown = unit + (this.#shifts[unit] ?? 0) + this.#delay;
    return {
      trackIndex: 0,
      sendSeconds: unit / this.#frameRate,
      au: {
        timestamp: Math.round(shown * VIDEO_CLOCK_RATE / this.#frameRate),
        units: au.units,
        keyframe: au.keyframe,
      },
    };
  }
}
