/**
 * ADTS AAC files served on demand: one scan at open finds the frames and
 * keeps a checkpoint every {@link ADTS_CHECKPOINT_FRAMES} frames for seeking.
 *
 * @module
 */

import {
  AAC_SAMPLES_PER_FRAME,
  type AdtsHeader,
  AdtsReader,
  audioSpecificConfigFromAdts,
  DEFAULT_MAX_RESYNC_BYTES,
  parseAdtsHeader,
} from "./adts.ts";
import type { CursorStep, FileCursor, FileMedia, OpenMediaResult, ReadAt } from "./file_media.ts";
import {
  ChunkedUnits,
  corrupt,
  lastAtOrBefore,
  NumberList,
  readChunk,
  SpacedTimes,
  TIME_EPSILON_SECONDS,
  unsupported,
} from "./file_media_shared.ts";
import { aacTrack, type SourceTrack } from "./source_track.ts";

/** ADTS frames between two seek checkpoints of the index (~1.4 s at 48 kHz: little to skip). */
export const ADTS_CHECKPOINT_FRAMES = 64;
/** Channels for ADTS channel_configuration 1..7, ISO/IEC 14496-3 Table 1.19 (7 is 7.1). */
const ADTS_CHANNELS_BY_CONFIGURATION: readonly number[] = [0, 1, 2, 3, 4, 5, 6, 8];

/** What one scan of an ADTS file learns. */
interface AdtsIndex {
  readonly first: AdtsHeader;
  /** AAC frames (raw data blocks) in the file: the timeline in 1024-sample steps. */
  readonly frames: number;
  /** File offsets of every {@link ADTS_CHECKPOINT_FRAMES}-th ADTS frame. */
  readonly checkpointOffsets: Float64Array;
  /** Frame number (raw data blocks before it) of each checkpoint, ascending. */
  readonly checkpointFrames: Float64Array;
}

/**
 * Walks the ADTS frames of the file in chunks with the sync rule of
 * {@link AdtsReader} (a frame counts only when a valid header or the end of
 * the stream follows it), so a reader started at a checkpoint sees the same
 * frames.
 */
async function indexAdts(
  readAt: ReadAt,
  size: number,
): Promise<{ ok: true; index: AdtsIndex } | { ok: false; error: string }> {
  let buf = new Uint8Array(0);
  /** File offset of buf[0]. */
  let bufStart = 0;
  /** Next file offset to read. */
  let readOffset = 0;
  /** File offset being examined. */
  let pos = 0;
  let garbageRun = 0;
  let first: AdtsHeader | undefined;
  let frames = 0;
  let adtsFrames = 0;
  const checkpointOffsets = new NumberList();
  const checkpointFrames = new NumberList();

  const readMore = async (): Promise<void> => {
    const chunk = await readChunk(readAt, readOffset, size);
    readOffset += chunk.length;
    // Keep only what is not yet consumed: at most one frame plus a header.
    const kept = buf.subarray(pos - bufStart);
    const joined = new Uint8Array(kept.length + chunk.length);
    joined.set(kept, 0);
    joined.set(chunk, kept.length);
    buf = joined;
    bufStart = pos;
  };

  for (;;) {
    const ended = readOffset >= size;
    const rel = pos - bufStart;
    if (rel >= buf.length) {
      if (ended) break;
      await readMore();
      continue;
    }
    const parsed = parseAdtsHeader(buf, rel);
    let accept: AdtsHeader | undefined;
    let needMore = false;
    if (parsed.ok) {
      const h = parsed.header;
      const frameEnd = rel + h.frameLength;
      if (frameEnd >= buf.length) {
        // Cut short, or exactly at the end of the buffered bytes: only the
        // end of the file decides (a complete last frame is accepted).
        if (!ended) needMore = true;
        else if (frameEnd === buf.length) accept = h;
      } else {
        const next = parseAdtsHeader(buf, frameEnd);
        if (!next.ok && next.code === "truncated" && !ended) needMore = true;
        else if (next.ok || next.code === "truncated") accept = h;
      }
    } else if (parsed.code === "truncated" && !ended) {
      needMore = true;
    }
    if (needMore) {
      await readMore();
      continue;
    }
    if (accept === undefined) {
      pos++;
      if (++garbageRun > DEFAULT_MAX_RESYNC_BYTES) {
        return { ok: false, error: `no ADTS frame found in ${garbageRun} bytes` };
      }
      continue;
    }
    garbageRun = 0;
    first ??= accept;
    if (adtsFrames % ADTS_CHECKPOINT_FRAMES === 0) {
      checkpointOffsets.push(pos);
      checkpointFrames.push(frames);
    }
    adtsFrames++;
    frames += accept.rawDataBlocks;
    pos += accept.frameLength;
  }
  if (first === undefined) return { ok: false, error: "no ADTS frames" };
  return {
    ok: true,
    index: {
      first,
      frames,
      checkpointOffsets: checkpointOffsets.finish(),
      checkpointFrames: checkpointFrames.finish(),
    },
  };
}

export async function openAdtsMedia(readAt: ReadAt, size: number): Promise<OpenMediaResult> {
  const built = await indexAdts(readAt, size);
  if (!built.ok) return corrupt(`ADTS stream: ${built.error}`);
  const { first } = built.index;
  const channels = ADTS_CHANNELS_BY_CONFIGURATION[first.channelConfiguration] ?? 0;
  if (channels === 0) {
    // Configuration 0 defines channels in a program_config_element, which a
    // 2-byte AudioSpecificConfig cannot carry.
    return unsupported("ADTS with channel_configuration 0 (program config element)");
  }
  const track = aacTrack(0, audioSpecificConfigFromAdts(first), first.sampleRate, channels);
  return { ok: true, media: new AdtsMedia(track, built.index, readAt, size) };
}

class AdtsMedia implements FileMedia {
  readonly tracks: readonly SourceTrack[];
  readonly durationSeconds: number;
  readonly timestampOffsetSeconds = 0;
  readonly firstSendSeconds = 0;
  readonly #index: AdtsIndex;
  readonly #readAt: ReadAt;
  readonly #size: number;

  constructor(track: SourceTrack, index: AdtsIndex, readAt: ReadAt, size: number) {
    this.tracks = [track];
    this.#index = index;
    this.durationSeconds = index.frames * AAC_SAMPLES_PER_FRAME / index.first.sampleRate;
    this.#readAt = readAt;
    this.#size = size;
  }

  keyframeTimes(minSpacingSeconds: number): Float64Array {
    // Every AAC frame decodes alone: a frame every `minSpacingSeconds` or so,
    // at the frame times `cursor` starts at, without listing every frame.
    const { first, frames } = this.#index;
    const frameSeconds = AAC_SAMPLES_PER_FRAME / first.sampleRate;
    const step = Math.max(
      1,
      Math.ceil(Math.max(0, minSpacingSeconds) / frameSeconds - TIME_EPSILON_SECONDS),
    );
    const times = new SpacedTimes(0);
    for (let frame = 0; frame < frames; frame += step) {
      times.push(frame * AAC_SAMPLES_PER_FRAME / first.sampleRate);
    }
    return times.finish();
  }

  cursor(startSeconds: number, readAt: ReadAt = this.#readAt): Promise<FileCursor> {
    const { first, frames, checkpointOffsets, checkpointFrames } = this.#index;
    const framesPerSecond = first.sampleRate / AAC_SAMPLES_PER_FRAME;
    // Every AAC frame is a random access point: start at the frame at or before.
    const target = startSeconds > 0 && Number.isFinite(startSeconds)
      ? Math.min(
        Math.floor(startSeconds * framesPerSecond + TIME_EPSILON_SECONDS),
        Math.max(0, frames - 1),
      )
      : 0;
    const k = lastAtOrBefore(checkpointFrames, target);
    return Promise.resolve(
      new AdtsCursor(readAt, this.#size, {
        offset: checkpointOffsets[k],
        frame: checkpointFrames[k],
        target,
        sampleRate: first.sampleRate,
      }),
    );
  }
}

class AdtsCursor implements FileCursor {
  readonly startSeconds: number;
  readonly #units: ChunkedUnits;
  readonly #sampleRate: number;
  /** Frame number of the checkpoint the reader started at (its timestamp 0). */
  readonly #baseFrame: number;
  readonly #target: number;

  constructor(
    readAt: ReadAt,
    size: number,
    start: { offset: number; frame: number; target: number; sampleRate: number },
  ) {
    this.#units = new ChunkedUnits(new AdtsReader(), readAt, size, start.offset);
    this.#baseFrame = start.frame;
    this.#target = start.target;
    this.#sampleRate = start.sampleRate;
    this.startSeconds = start.target * AAC_SAMPLES_PER_FRAME / start.sampleRate;
  }

  async next(): Promise<CursorStep> {
    for (;;) {
      const au = await this.#units.next();
      if (au === undefined || "error" in au) return au;
      const frame = this.#baseFrame + au.timestamp / AAC_SAMPLES_PER_FRAME;
      // Frames between the checkpoint and the seek target are read but not sent.
      if (frame < this.#target) continue;
      const timestamp = frame * AAC_SAMPLES_PER_FRAME;
      return {
        trackIndex: 0,
        sendSeconds: timestamp / this.#sampleRate,
        au: { timestamp, units: au.units, keyframe: true },
      };
    }
  }
}
