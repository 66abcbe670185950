/**
 * Files served on demand: turns an MP4, a raw H.264/H.265 Annex-B stream or an
 * ADTS AAC file into tracks (SDP facts) and a seekable cursor of timed access
 * units, merged across tracks in send (decode) order.
 *
 * I/O is injected as a {@link ReadAt} function and is always bounded: MP4
 * samples are read one by one, Annex-B and ADTS files in
 * {@link READ_CHUNK_BYTES} chunks; no file is ever read whole. Raw streams have
 * no sample table, so opening one scans it once and keeps a compact index
 * (typed arrays) of keyframe / checkpoint offsets for seeking (RFC 2326 §12.29
 * `Range: npt=`).
 *
 * Corrupt input gives `{ ok: false }` from {@link openMediaFile} or
 * `{ error }` from {@link FileCursor.next}, never a throw or a hang.
 *
 * @module
 */

import type { AccessUnit } from "./access_unit.ts";
import {
  AAC_SAMPLES_PER_FRAME,
  type AdtsHeader,
  AdtsReader,
  audioSpecificConfigFromAdts,
  DEFAULT_MAX_RESYNC_BYTES,
  parseAdtsHeader,
} from "./adts.ts";
import { AnnexBAccessUnitReader, type AnnexBCodec, VIDEO_CLOCK_RATE } from "./annexb.ts";
import { type Mp4Track, openMp4 } from "./mp4.ts";
import { aacTrack, h264Track, h265Track, opusTrack, type SourceTrack } from "./source_track.ts";
import {
  H264PictureOrderCount,
  H265PictureOrderCount,
  PresentationShifts,
} from "./picture_order.ts";

/**
 * Reads `length` bytes at `offset`. May return fewer bytes at the end of the
 * file; may reject on I/O failure (reported as an error result, never thrown on).
 */
export type ReadAt = (offset: number, length: number) => Promise<Uint8Array>;

/** Result of {@link openMediaFile}. */
export type OpenMediaResult =
  | { readonly ok: true; readonly media: FileMedia }
  | { readonly ok: false; readonly kind: "unsupported" | "corrupt"; readonly error: string };

/** A file opened for playback. */
export interface FileMedia {
  /** Only playable tracks, in SDP order; `trackIndex` of a {@link TimedUnit} indexes this. */
  readonly tracks: readonly SourceTrack[];
  /** Length of the file's timeline, seconds (SDP `a=range:npt=0-<duration>`). */
  readonly durationSeconds: number;
  /**
   * Seconds added to every presentation time before it becomes an
   * {@link AccessUnit.timestamp}, so that none is negative (MP4 encoder-delay
   * samples are presented before 0). The same for every track, so A/V sync is
   * kept; file time `t` is RTP media time `(t + timestampOffsetSeconds) × clockRate`
   * (what RTP-Info `rtptime` must describe). 0 for raw streams.
   */
  readonly timestampOffsetSeconds: number;
  /**
   * A reader positioned at the keyframe at or before `startSeconds` (RFC 2326
   * Range: npt= seeks land on the video keyframe; audio starts at the same
   * time). `startSeconds <= 0` (or not finite) reads from the very beginning.
   * @param readAt where the cursor reads (default: what the file was opened
   * with), so one parsed file can serve many readers, each with its own handle
   */
  cursor(startSeconds: number, readAt?: ReadAt): Promise<FileCursor>;
}

/** What {@link FileCursor.next} returns: a unit, `undefined` at the end, or an error. */
export type CursorStep = TimedUnit | undefined | { readonly error: string };

/** Sequential reader of a {@link FileMedia}. Not safe for concurrent `next()` calls. */
export interface FileCursor {
  /** Where it actually starts, seconds on the file's timeline (the keyframe's time). */
  readonly startSeconds: number;
  /**
   * The next unit across all tracks in send order (by decode time), or
   * undefined at the end, or an error for a corrupt sample / failed read
   * (every later call returns the same error).
   */
  next(): Promise<CursorStep>;
}

/** One access unit and when to send it. */
export interface TimedUnit {
  /** Index into {@link FileMedia.tracks}. */
  readonly trackIndex: number;
  /**
   * When to send it, seconds on the file's timeline: the decode time,
   * non-decreasing per track. May be slightly negative for the first units of
   * an MP4 whose decode times start before 0 (B-frame reordering delay).
   */
  readonly sendSeconds: number;
  /**
   * The unit. `au.timestamp` is the presentation time in the track's RTP clock,
   * measured from the file's time 0 plus {@link FileMedia.timestampOffsetSeconds};
   * never negative.
   */
  readonly au: AccessUnit;
}

/** Bytes per read of a raw (Annex-B / ADTS) stream: large enough to be cheap, far below any limit. */
export const READ_CHUNK_BYTES = 256 * 1024;
/** ADTS frames between two seek checkpoints of the index (~1.4 s at 48 kHz: little to skip). */
export const ADTS_CHECKPOINT_FRAMES = 64;
/**
 * MP4 samples per track inspected for the earliest presentation time. Negative
 * times come from encoder delay and B-frame reordering, both confined to the
 * first few samples; scanning all would cost O(samples) per open.
 */
const MP4_EARLIEST_PTS_SCAN_SAMPLES = 256;
/**
 * How far into an Annex-B file the first SPS must appear, bytes. Encoders put
 * it first; a file without one that early is not a stream we can describe,
 * and giving up spares scanning a misnamed multi-gigabyte file to its end.
 */
export const MAX_BYTES_BEFORE_SPS = 16 * 1024 * 1024;
/** Slack when comparing a time with a frame time, seconds (float rounding of index / fps). */
const TIME_EPSILON_SECONDS = 1e-9;
/** Initial capacity of the growable index arrays, entries. */
const INITIAL_INDEX_CAPACITY = 64;
/** Channels for ADTS channel_configuration 1..7, ISO/IEC 14496-3 Table 1.19 (7 is 7.1). */
const ADTS_CHANNELS_BY_CONFIGURATION: readonly number[] = [0, 1, 2, 3, 4, 5, 6, 8];

/** The container or stream formats served. */
type FileFormat = "mp4" | "h264" | "h265" | "adts";

/** File name extensions (lower case, no dot) and their formats. */
const FORMAT_BY_EXTENSION: Readonly<Record<string, FileFormat>> = {
  mp4: "mp4",
  m4v: "mp4",
  m4a: "mp4",
  mov: "mp4",
  "264": "h264",
  h264: "h264",
  "265": "h265",
  h265: "h265",
  hevc: "h265",
  aac: "adts",
};

/** Failure results. */
function unsupported(error: string): OpenMediaResult {
  return { ok: false, kind: "unsupported", error };
}
function corrupt(error: string): OpenMediaResult {
  return { ok: false, kind: "corrupt", error };
}

/** A message for anything thrown by `readAt` (or by a bug), which must not escape. */
function describeError(e: unknown): string {
  return `read failed: ${e instanceof Error ? e.message : String(e)}`;
}

/** The lower-case extension of the last path segment of `name`, or "" when it has none. */
function extensionOf(name: string): string {
  const base = name.slice(name.lastIndexOf("/") + 1);
  const dot = base.lastIndexOf(".");
  return dot <= 0 ? "" : base.slice(dot + 1).toLowerCase();
}

/**
 * Opens a media file: chooses the format by extension (case-insensitive), then
 * checks that the content really is that format. An unknown extension or a
 * file without a playable track is "unsupported"; content that does not parse
 * is "corrupt".
 */
export async function openMediaFile(
  name: string,
  readAt: ReadAt,
  size: number,
): Promise<OpenMediaResult> {
  const extension = extensionOf(name);
  const format = Object.hasOwn(FORMAT_BY_EXTENSION, extension)
    ? FORMAT_BY_EXTENSION[extension]
    : undefined;
  if (format === undefined) {
    return unsupported(
      `${extension ? `.${extension}` : "no extension"}: not a supported file type`,
    );
  }
  if (!Number.isSafeInteger(size) || size < 0) return corrupt(`invalid file size ${size}`);
  if (size === 0) return corrupt("empty file");
  try {
    switch (format) {
      case "mp4":
        return await openMp4Media(readAt, size);
      case "h264":
      case "h265":
        return await openAnnexBMedia(format === "h264" ? "H264" : "H265", readAt, size);
      case "adts":
        return await openAdtsMedia(readAt, size);
    }
  } catch (e) {
    return corrupt(describeError(e));
  }
}

/** Reads the chunk at `offset` (at most {@link READ_CHUNK_BYTES}); an empty read before `size` is an error. */
async function readChunk(readAt: ReadAt, offset: number, size: number): Promise<Uint8Array> {
  const chunk = await readAt(offset, Math.min(READ_CHUNK_BYTES, size - offset));
  if (chunk.length === 0) throw new Error(`file ended at ${offset}, expected ${size} bytes`);
  return chunk;
}

/** An incremental elementary-stream reader: Annex-B or ADTS. */
interface ChunkReader {
  push(chunk: Uint8Array): { readonly ok: true } | { readonly ok: false; readonly error: string };
  end(): { readonly ok: true } | { readonly ok: false; readonly error: string };
  takeAccessUnits(): AccessUnit[];
}

/**
 * Access units read from a raw stream in {@linkcode READ_CHUNK_BYTES} chunks
 * from a byte offset: what the Annex-B and ADTS cursors share.
 */
class ChunkedUnits {
  readonly #reader: ChunkReader;
  readonly #readAt: ReadAt;
  readonly #size: number;
  #offset: number;
  #ready: AccessUnit[] = [];
  #readyPos = 0;
  #ended = false;
  #error: string | undefined;

  constructor(reader: ChunkReader, readAt: ReadAt, size: number, offset: number) {
    this.#reader = reader;
    this.#readAt = readAt;
    this.#size = size;
    this.#offset = offset;
  }

  /** The next access unit, `undefined` at the end, or the (sticky) error. */
  async next(): Promise<AccessUnit | undefined | { readonly error: string }> {
    while (this.#readyPos === this.#ready.length) {
      if (this.#error !== undefined) return { error: this.#error };
      if (this.#ended) return undefined;
      await this.#fill();
    }
    return this.#ready[this.#readyPos++];
  }

  async #fill(): Promise<void> {
    try {
      let result;
      if (this.#offset < this.#size) {
        const chunk = await readChunk(this.#readAt, this.#offset, this.#size);
        this.#offset += chunk.length;
        result = this.#reader.push(chunk);
      } else {
        this.#ended = true;
        result = this.#reader.end();
      }
      if (!result.ok) this.#error = result.error;
      this.#ready = this.#reader.takeAccessUnits();
      this.#readyPos = 0;
    } catch (e) {
      this.#error = describeError(e);
    }
  }
}

/** A Float64Array that grows by doubling: a compact list of offsets or indices. */
class NumberList {
  #data = new Float64Array(INITIAL_INDEX_CAPACITY);
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(value: number): void {
    if (this.#length === this.#data.length) {
      const grown = new Float64Array(this.#data.length * 2);
      grown.set(this.#data);
      this.#data = grown;
    }
    this.#data[this.#length++] = value;
  }

  /** The values, trimmed to their length (a copy, so the spare capacity is freed). */
  finish(): Float64Array {
    return this.#data.slice(0, this.#length);
  }
}

/** Index of the last entry of the ascending `values` that is <= `target`; 0 when none is. */
function lastAtOrBefore(values: Float64Array, target: number): number {
  let lo = 0;
  let hi = values.length - 1;
  let found = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid] <= target) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

// ---------------------------------------------------------------------------
// MP4
// ---------------------------------------------------------------------------

/** A playable MP4 track and its description. */
interface Mp4Playable {
  readonly track: Mp4Track;
  readonly source: SourceTrack;
}

/** The SourceTrack for an MP4 track, or undefined when it cannot be streamed. */
function describeMp4Track(track: Mp4Track, index: number): SourceTrack | undefined {
  if (track.sampleCount === 0) return undefined;
  const frameRate = track.durationSeconds > 0
    ? track.sampleCount / track.durationSeconds
    : undefined;
  switch (track.codec) {
    case "H264": {
      const sps = track.h264?.sps[0];
      const pps = track.h264?.pps[0];
      return sps && pps ? h264Track(index, sps, pps, frameRate) : undefined;
    }
    case "H265": {
      const vps = track.h265?.vps[0];
      const sps = track.h265?.sps[0];
      const pps = track.h265?.pps[0];
      return vps && sps && pps ? h265Track(index, vps, sps, pps, frameRate) : undefined;
    }
    case "AAC":
      return track.aacConfig && track.channels
        ? aacTrack(index, track.aacConfig, track.rtpClockRate, track.channels)
        : undefined;
    case "OPUS":
      return opusTrack(index, track.opus?.channels ?? track.channels ?? 1);
    default:
      return undefined;
  }
}

async function openMp4Media(readAt: ReadAt, size: number): Promise<OpenMediaResult> {
  const opened = await openMp4(readAt, size);
  if (!opened.ok) return corrupt(opened.error);
  const playable: Mp4Playable[] = [];
  for (const track of opened.file.tracks) {
    const source = describeMp4Track(track, playable.length);
    if (source) playable.push({ track, source });
  }
  if (playable.length === 0) {
    const found = opened.file.tracks.map((t) => t.codecTag).join(", ") || "none";
    return unsupported(`no playable track (H.264, H.265, AAC or Opus); tracks: ${found}`);
  }
  // One offset for all tracks: shifting each track to its own zero would move
  // audio against video by the encoder delay.
  let earliest = 0;
  for (const { track } of playable) {
    const n = Math.min(track.sampleCount, MP4_EARLIEST_PTS_SCAN_SAMPLES);
    for (let i = 0; i < n; i++) {
      earliest = Math.min(earliest, track.sampleInfo(i).pts / track.timescale);
    }
  }
  return { ok: true, media: new Mp4Media(playable, -earliest) };
}

class Mp4Media implements FileMedia {
  readonly tracks: readonly SourceTrack[];
  readonly durationSeconds: number;
  readonly timestampOffsetSeconds: number;
  readonly #playable: readonly Mp4Playable[];

  constructor(playable: readonly Mp4Playable[], timestampOffsetSeconds: number) {
    this.#playable = playable;
    this.tracks = playable.map((p) => p.source);
    this.durationSeconds = playable.reduce((max, p) => Math.max(max, p.track.durationSeconds), 0);
    this.timestampOffsetSeconds = timestampOffsetSeconds;
  }

  cursor(startSeconds: number, readAt?: ReadAt): Promise<FileCursor> {
    const tracks = this.#playable.map((p) => p.track);
    if (!(startSeconds > 0) || !Number.isFinite(startSeconds)) {
      return Promise.resolve(
        new Mp4Cursor(tracks, tracks.map(() => 0), 0, this.timestampOffsetSeconds, readAt),
      );
    }
    // The seek lands on the lead track's sync sample; every other track starts
    // at that time, so the client sees audio and video begin together.
    const leadIndex = Math.max(0, tracks.findIndex((t) => t.kind === "video"));
    const lead = tracks[leadIndex];
    const key = lead.syncSampleAtOrBefore(startSeconds);
    const keySeconds = Math.max(0, lead.sampleInfo(key).pts / lead.timescale);
    const starts = tracks.map((t, i) => {
      if (i === leadIndex) return key;
      return t.kind === "video"
        ? t.syncSampleAtOrBefore(keySeconds)
        : t.sampleIndexAtOrAfter(keySeconds);
    });
    return Promise.resolve(
      new Mp4Cursor(tracks, starts, keySeconds, this.timestampOffsetSeconds, readAt),
    );
  }
}

/** Per-track state of an {@link Mp4Cursor}. */
interface Mp4Lane {
  readonly track: Mp4Track;
  /** The timestamp offset in this track's RTP clock. */
  readonly offsetTicks: number;
  /** Next sample index in decode order. */
  next: number;
  /** Decode time of sample `next`, seconds; Infinity when the track is done. */
  nextDts: number;
}

class Mp4Cursor implements FileCursor {
  readonly startSeconds: number;
  readonly #lanes: Mp4Lane[];
  /** Undefined: each track reads through what the file was opened with. */
  readonly #readAt: ReadAt | undefined;
  #error: string | undefined;

  constructor(
    tracks: readonly Mp4Track[],
    starts: readonly number[],
    startSeconds: number,
    offsetSeconds: number,
    readAt?: ReadAt,
  ) {
    this.startSeconds = startSeconds;
    this.#readAt = readAt;
    this.#lanes = tracks.map((track, i) => {
      const lane: Mp4Lane = {
        track,
        offsetTicks: Math.round(offsetSeconds * track.rtpClockRate),
        next: starts[i],
        nextDts: Infinity,
      };
      this.#updateDts(lane);
      return lane;
    });
  }

  #updateDts(lane: Mp4Lane): void {
    lane.nextDts = lane.next < lane.track.sampleCount
      ? lane.track.sampleInfo(lane.next).dts / lane.track.timescale
      : Infinity;
  }

  async next(): Promise<CursorStep> {
    if (this.#error !== undefined) return { error: this.#error };
    // Earliest decode time first; ties go to the lower track index, so the
    // order is deterministic.
    let best = -1;
    for (let i = 0; i < this.#lanes.length; i++) {
      const dts = this.#lanes[i].nextDts;
      if (dts !== Infinity && (best < 0 || dts < this.#lanes[best].nextDts)) best = i;
    }
    if (best < 0) return undefined;
    const lane = this.#lanes[best];
    const sample = lane.next;
    const sendSeconds = lane.nextDts;
    lane.next++;
    this.#updateDts(lane);
    let read;
    try {
      read = await lane.track.readAccessUnit(sample, this.#readAt);
    } catch (e) {
      read = { ok: false as const, error: describeError(e) };
    }
    if (!read.ok) {
      this.#error = read.error;
      return { error: read.error };
    }
    const unit = read.unit;
    return {
      trackIndex: best,
      sendSeconds,
      au: {
        timestamp: Math.max(0, unit.timestamp + lane.offsetTicks),
        units: unit.units,
        keyframe: unit.keyframe,
      },
    };
  }
}

// ---------------------------------------------------------------------------
// Annex-B H.264 / H.265
// ---------------------------------------------------------------------------

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

async function openAnnexBMedia(
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

// ---------------------------------------------------------------------------
// ADTS AAC
// ---------------------------------------------------------------------------

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

async function openAdtsMedia(readAt: ReadAt, size: number): Promise<OpenMediaResult> {
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
