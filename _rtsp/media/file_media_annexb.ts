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
  lastAtOrBefore,
  NumberList,
  readChunk,
  SpacedTimes,
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
  const keyOffsets = new NumberList();
  const keyUnits = new NumberList();
  const order = codec === "H264" ? new H264PictureOrderCount() : new H265PictureOrderCount();
  const shifts = new PresentationShifts();
  let accessUnits = 0;
  let frameRate: number | undefined;
  let vps: Uint8Array | undefined;
  let sps: Uint8Array | undefined;
  let pps: Uint8Array | undefined;

  const consume = (): void => {
    // The getters return the latest parameter sets; taking them at the first
    // chance keeps the first ones of the file, as the SDP should announce.
    vps ??= reader.vps;
    sps ??= reader.sps;
    pps ??= reader.pps;
    // The reader's own scan says where each unit's start code is: a cursor
    // reading from a keyframe's offset starts at that unit.
    const { units, offsets } = reader.takeAccessUnitsWithOffsets();
    for (let k = 0; k < units.length; k++) {
      const au = units[k];
      frameRate ??= reader.frameRate;
      if (au.keyframe) {
        keyOffsets.push(offsets[k]);
        keyUnits.push(accessUnits);
      }
      shifts.add(order.push(au.units));
      accessUnits++;
    }
  };

  for (let offset = 0; offset < size;) {
    const chunk = await readChunk(readAt, offset, size);
    offset += chunk.length;
    const pushed = reader.push(chunk);
    if (!pushed.ok) return { ok: false, error: pushed.error };
    consume();
    if (sps === undefined && offset >= MAX_BYTES_BEFORE_SPS) {
      // Not a raw stream of this codec (a misnamed file): stop before scanning all of it.
      return { ok: false, error: `no sequence parameter set in the first ${offset} bytes` };
    }
  }
  const ended = reader.end();
  if (!ended.ok) return { ok: false, error: ended.error };
  consume();
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
  readonly firstSendSeconds = 0;
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

  keyframeTimes(minSpacingSeconds: number): Float64Array {
    // The keyframes' decode positions, as `cursor` starts at them (an IDR / IRAP
    // picture is presented at its decode position: nothing before it comes after).
    const { frameRate, keyUnits } = this.#index;
    const times = new SpacedTimes(minSpacingSeconds);
    for (const unit of keyUnits) times.push(unit / frameRate);
    return times.finish();
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
