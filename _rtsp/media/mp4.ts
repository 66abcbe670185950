/**
 * Lazy MP4 (ISO Base Media File Format, ISO/IEC 14496-12) reader.
 *
 * Only box headers are read while walking the file, only `moov` is loaded into
 * memory, and each access unit is read on demand with one ranged read, so a
 * multi-gigabyte file costs a few MB. I/O is injected as a {@link ReadAt}
 * function; this module never touches the file system.
 *
 * Corrupt or hostile input yields `{ ok: false, error }` results, never a throw,
 * a hang or an allocation out of proportion to the input.
 *
 * Limitations: fragmented MP4 (`mvex`/`moof`) is rejected; only the first
 * sample description of a track is used; of an edit list (`elst`) only leading
 * empty edits and the first media edit's start are honoured (the usual
 * encoder-delay / B-frame shift), later edits are ignored.
 *
 * @module
 */

import type { AccessUnit } from "./access_unit.ts";
import {
  type Box,
  BOX_HEADER_SIZE,
  BoxType,
  check,
  findChild,
  HandlerType,
  iterBoxes,
  LARGE_BOX_HEADER_SIZE,
  MAX_MOOV_SIZE,
  MAX_TOP_LEVEL_BOXES,
  Mp4FormatError,
  parseBoxHeader,
  payloadReader,
  requireChild,
} from "./mp4_boxes.ts";
import {
  type H264Config,
  type H265Config,
  type Mp4Codec,
  type OpusConfig,
  parseStsd,
} from "./mp4_codecs.ts";
import {
  firstAtOrAfter,
  isSync,
  MAX_SAMPLES_PER_FILE,
  parseSampleTable,
  ptsOf,
  type SampleTable,
  syncAtOrBefore,
} from "./mp4_sample_table.ts";

export type { H264Config, H265Config, Mp4Codec, OpusConfig } from "./mp4_codecs.ts";
export { MAX_MOOV_SIZE } from "./mp4_boxes.ts";
export { MAX_SAMPLE_SIZE, MAX_SAMPLES_PER_FILE } from "./mp4_sample_table.ts";

/**
 * Reads `length` bytes at `offset` of the file. May return fewer bytes at end
 * of file; may reject on I/O failure (reported as an error result).
 */
export type ReadAt = (offset: number, length: number) => Promise<Uint8Array>;

/** Result of {@link openMp4}. */
export type Mp4Result = { ok: true; file: Mp4File } | { ok: false; error: string };

/** Result of {@link Mp4Track.readAccessUnit}. */
export type AccessUnitResult = { ok: true; unit: AccessUnit } | { ok: false; error: string };

/** RTP clock rate of H.264 (RFC 6184 §8.2.1) and H.265 (RFC 7798 §7.1) streams. */
export const VIDEO_RTP_CLOCK_RATE = 90000;
/** RTP clock rate of Opus, whatever the input rate (RFC 7587 §4.1). */
export const OPUS_RTP_CLOCK_RATE = 48000;

/** `elst` media_time marking an empty edit (a presentation gap), ISO/IEC 14496-12 §8.6.6.3. */
const ELST_EMPTY_EDIT = -1;
/** Bytes per `elst` entry for versions 0 and 1, §8.6.6.2. */
const ELST_ENTRY_SIZE_V0 = 12;
const ELST_ENTRY_SIZE_V1 = 20;
/** Offset of track_ID in `tkhd` after version/flags, for versions 0 and 1 (§8.3.2.2). */
const TKHD_TRACK_ID_OFFSET_V0 = 8;
const TKHD_TRACK_ID_OFFSET_V1 = 16;
/** Offset of width in `tkhd` after version/flags, for versions 0 and 1 (§8.3.2.2). */
const TKHD_WIDTH_OFFSET_V0 = 72;
const TKHD_WIDTH_OFFSET_V1 = 84;

/** Where and when one sample is. Times are in the track timescale, edit list applied. */
export interface Mp4SampleInfo {
  /** Absolute file offset. */
  readonly offset: number;
  readonly size: number;
  /** Decode timestamp (may be negative before the first presented frame). */
  readonly dts: number;
  /** Presentation timestamp (negative for encoder-delay samples). */
  readonly pts: number;
  readonly keyframe: boolean;
}

/** One audio or video track of an MP4 file. */
export interface Mp4Track {
  /** track_ID from `tkhd`. */
  readonly id: number;
  readonly kind: "video" | "audio";
  readonly codec: Mp4Codec;
  /** Sample entry four-character code, e.g. "avc1", "hev1", "mp4a", "Opus". */
  readonly codecTag: string;
  /** Media timescale from `mdhd` (ticks per second). */
  readonly timescale: number;
  readonly durationSeconds: number;
  readonly sampleCount: number;
  readonly width?: number;
  readonly height?: number;
  readonly sampleRate?: number;
  readonly channels?: number;
  readonly h264?: H264Config;
  readonly h265?: H265Config;
  /** AudioSpecificConfig for AAC (RFC 3640 `config=`). */
  readonly aacConfig?: Uint8Array;
  readonly opus?: OpusConfig;
  /** Clock of {@link AccessUnit.timestamp}: 90 kHz video, sample rate for AAC, 48 kHz Opus. */
  readonly rtpClockRate: number;
  /**
   * Media time (track timescale) presented at time 0, from the edit list;
   * subtracted from raw media timestamps. 0 without an edit list.
   */
  readonly mediaTimeShift: number;
  /** Sample `i` in decode order. Throws RangeError for an index outside [0, sampleCount). */
  sampleInfo(i: number): Mp4SampleInfo;
  /**
   * Index of the sync sample presented at or before `seconds` (the start of
   * the GOP to send for an RTSP Range seek); the first sync sample when all
   * are later.
   */
  syncSampleAtOrBefore(seconds: number): number;
  /** Sync samples (`stss` entries; every sample when there is no `stss`). */
  readonly syncSampleCount: number;
  /** Index of the `k`-th sync sample, in decode order. Throws RangeError outside [0, syncSampleCount). */
  syncSampleIndex(k: number): number;
  /** Index of the first sample presented at or after `seconds` (audio); sampleCount if none. */
  sampleIndexAtOrAfter(seconds: number): number;
  /**
   * Reads sample `i` with one ranged read and converts it: video → its NAL
   * units (length prefixes removed), audio → one frame. The timestamp is the
   * presentation time in {@link rtpClockRate} units.
   */
  readAccessUnit(i: number, readAt?: ReadAt): Promise<AccessUnitResult>;
}

/** A parsed MP4 file: its audio and video tracks (other handler types are skipped). */
export interface Mp4File {
  readonly tracks: readonly Mp4Track[];
  /** Longest track duration. */
  readonly durationSeconds: number;
  /** Byte range of the `moov` box in the file. */
  readonly moovOffset: number;
  readonly moovSize: number;
}

/** Turns anything thrown while parsing into an error message. */
function describe(e: unknown): string {
  if (e instanceof Mp4FormatError) return e.message;
  return `read failed: ${e instanceof Error ? e.message : String(e)}`;
}

/** Calls `readAt` and insists on exactly `length` bytes. */
async function readExactly(
  readAt: ReadAt,
  offset: number,
  length: number,
  what: string,
): Promise<Uint8Array> {
  const data = await readAt(offset, length);
  check(data.length >= length, `${what}: short read (${data.length} of ${length} bytes)`);
  return data.length === length ? data : data.subarray(0, length);
}

/**
 * Opens an MP4 file: walks top-level box headers to find `moov` (before or
 * after `mdat`), reads only that box, and parses its tracks.
 */
export async function openMp4(readAt: ReadAt, fileSize: number): Promise<Mp4Result> {
  try {
    check(Number.isSafeInteger(fileSize) && fileSize >= 0, `invalid file size ${fileSize}`);
    const moov = await findMoov(readAt, fileSize);
    const bytes = await readExactly(readAt, moov.offset, moov.size, "moov");
    const file = parseMoov(bytes, moov.offset, moov.size, fileSize, readAt);
    return { ok: true, file };
  } catch (e) {
    return { ok: false, error: describe(e) };
  }
}

/** Walks top-level boxes, reading only their headers, until `moov`. */
async function findMoov(
  readAt: ReadAt,
  fileSize: number,
): Promise<{ offset: number; size: number }> {
  let offset = 0;
  for (let boxes = 0; offset < fileSize; boxes++) {
    check(boxes < MAX_TOP_LEVEL_BOXES, `no moov in the first ${MAX_TOP_LEVEL_BOXES} boxes`);
    const available = fileSize - offset;
    check(available >= BOX_HEADER_SIZE, `truncated box header at ${offset}`);
    const header = await readAt(offset, Math.min(LARGE_BOX_HEADER_SIZE, available));
    const { type, size } = parseBoxHeader(header, 0, available);
    if (type === BoxType.moov) {
      check(size <= MAX_MOOV_SIZE, `moov is ${size} bytes, over the ${MAX_MOOV_SIZE} limit`);
      return { offset, size };
    }
    offset += size;
  }
  throw new Mp4FormatError("no moov box");
}

/** Parses the in-memory `moov` (its first byte is the box header). */
function parseMoov(
  bytes: Uint8Array,
  moovOffset: number,
  moovSize: number,
  fileSize: number,
  readAt: ReadAt,
): Mp4File {
  const { type, headerSize, size } = parseBoxHeader(bytes, 0, bytes.length);
  check(type === BoxType.moov && size === bytes.length, "moov: header changed between reads");
  const moov: Box = { type, start: 0, payloadStart: headerSize, end: size };
  check(findChild(bytes, moov, BoxType.mvex) === undefined, "fragmented MP4 is not supported");
  const movieTimescale = parseMvhdTimescale(bytes, requireChild(bytes, moov, BoxType.mvhd));
  const tracks: Mp4Track[] = [];
  let samplesLeft = MAX_SAMPLES_PER_FILE;
  for (const box of iterBoxes(bytes, moov.payloadStart, moov.end)) {
    if (box.type !== BoxType.trak) continue;
    const track = parseTrak(bytes, box, movieTimescale, fileSize, samplesLeft, readAt);
    if (track === undefined) continue;
    samplesLeft -= track.sampleCount;
    tracks.push(track);
  }
  const durationSeconds = tracks.reduce((max, t) => Math.max(max, t.durationSeconds), 0);
  return { tracks, durationSeconds, moovOffset, moovSize };
}

/** Movie Header Box, ISO/IEC 14496-12 §8.2.2: only the timescale is needed (for `elst`). */
function parseMvhdTimescale(bytes: Uint8Array, mvhd: Box): number {
  const r = payloadReader(bytes, mvhd);
  const { version } = r.fullBoxHeader();
  r.skip(version === 1 ? 16 : 8); // creation and modification times
  return r.u32();
}

/** Parses one `trak`; undefined for handler types other than video and audio. */
function parseTrak(
  bytes: Uint8Array,
  trak: Box,
  movieTimescale: number,
  fileSize: number,
  maxSamples: number,
  readAt: ReadAt,
): TrackImpl | undefined {
  const mdia = requireChild(bytes, trak, BoxType.mdia);
  const handler = parseHandler(bytes, requireChild(bytes, mdia, BoxType.hdlr));
  if (handler !== HandlerType.video && handler !== HandlerType.audio) return undefined;

  const tkhd = parseTkhd(bytes, requireChild(bytes, trak, BoxType.tkhd));
  const mdhd = parseMdhd(bytes, requireChild(bytes, mdia, BoxType.mdhd));
  const minf = requireChild(bytes, mdia, BoxType.minf);
  const stbl = requireChild(bytes, minf, BoxType.stbl);
  const entry = parseStsd(bytes, requireChild(bytes, stbl, BoxType.stsd), handler);
  const table = parseSampleTable(bytes, stbl, fileSize, maxSamples);

  const edts = findChild(bytes, trak, BoxType.edts);
  const elst = edts ? findChild(bytes, edts, BoxType.elst) : undefined;
  const mediaTimeShift = elst ? parseElstShift(bytes, elst, movieTimescale, mdhd.timescale) : 0;

  const video = handler === HandlerType.video;
  const rtpClockRate = video
    ? VIDEO_RTP_CLOCK_RATE
    : entry.codec === "OPUS"
    ? OPUS_RTP_CLOCK_RATE
    : (entry.sampleRate || mdhd.timescale);
  return new TrackImpl(
    {
      ...entry,
      id: tkhd.id,
      kind: video ? "video" : "audio",
      timescale: mdhd.timescale,
      durationSeconds: mdhd.duration / mdhd.timescale,
      // tkhd carries the presentation size; fall back to the coded size in the sample entry.
      width: video ? (tkhd.width || entry.width) : undefined,
      height: video ? (tkhd.height || entry.height) : undefined,
      rtpClockRate,
      mediaTimeShift,
    },
    table,
    readAt,
  );
}

/** Handler Reference Box, §8.4.3: handler_type follows version/flags and pre_defined. */
function parseHandler(bytes: Uint8Array, hdlr: Box): string {
  const r = payloadReader(bytes, hdlr);
  r.fullBoxHeader();
  r.skip(4); // pre_defined
  const code = r.bytes(4);
  return String.fromCharCode(...code);
}

/** Track Header Box, §8.3.2: track id and 16.16 fixed-point width/height. */
function parseTkhd(bytes: Uint8Array, tkhd: Box): { id: number; width: number; height: number } {
  const r = payloadReader(bytes, tkhd);
  const { version } = r.fullBoxHeader();
  const base = r.position;
  r.skip(version === 1 ? TKHD_TRACK_ID_OFFSET_V1 : TKHD_TRACK_ID_OFFSET_V0);
  const id = r.u32();
  r.skip(base + (version === 1 ? TKHD_WIDTH_OFFSET_V1 : TKHD_WIDTH_OFFSET_V0) - r.position);
  const width = r.u32() >>> 16;
  const height = r.u32() >>> 16;
  return { id, width, height };
}

/** Media Header Box, §8.4.2: the media timescale and duration. */
function parseMdhd(bytes: Uint8Array, mdhd: Box): { timescale: number; duration: number } {
  const r = payloadReader(bytes, mdhd);
  const { version } = r.fullBoxHeader();
  r.skip(version === 1 ? 16 : 8); // creation and modification times
  const timescale = r.u32();
  check(timescale > 0, "mdhd: zero timescale");
  const duration = version === 1 ? r.u64() : r.u32();
  return { timescale, duration };
}

/**
 * Edit List Box, §8.6.6: the shift (track timescale) to subtract from media
 * times. Leading empty edits delay the track; the first media edit says which
 * media time is presented first (encoder delay, B-frame reordering delay).
 */
function parseElstShift(
  bytes: Uint8Array,
  elst: Box,
  movieTimescale: number,
  timescale: number,
): number {
  const r = payloadReader(bytes, elst);
  const { version } = r.fullBoxHeader();
  const count = r.u32();
  const entrySize = version === 1 ? ELST_ENTRY_SIZE_V1 : ELST_ENTRY_SIZE_V0;
  check(count * entrySize <= r.remaining, `elst: entry count ${count} exceeds box size`);
  let emptyDuration = 0;
  for (let e = 0; e < count; e++) {
    const segmentDuration = version === 1 ? r.u64() : r.u32();
    const mediaTime = version === 1 ? r.i64() : r.i32();
    r.skip(4); // media_rate_integer, media_rate_fraction
    if (mediaTime === ELST_EMPTY_EDIT) {
      emptyDuration += segmentDuration;
      continue;
    }
    const delay = movieTimescale > 0 ? Math.round((emptyDuration * timescale) / movieTimescale) : 0;
    return mediaTime - delay;
  }
  return 0;
}

/**
 * Rescales an integer timestamp between clocks without losing precision for
 * large values: the whole-second part is scaled exactly, only the remainder is
 * rounded.
 */
export function rescaleTimestamp(t: number, from: number, to: number): number {
  const seconds = Math.floor(t / from);
  const remainder = t - seconds * from;
  return seconds * to + Math.round((remainder * to) / from);
}

/**
 * Splits a sample of length-prefixed NAL units (ISO/IEC 14496-15 §5.3.2 /
 * §8.3.2). Zero-length units are skipped; a length running past the sample is
 * an error. Each step consumes at least the prefix, so the loop ends.
 */
export function splitLengthPrefixed(
  sample: Uint8Array,
  lengthSize: number,
): { ok: true; units: Uint8Array[] } | { ok: false; error: string } {
  const units: Uint8Array[] = [];
  let pos = 0;
  while (pos < sample.length) {
    if (sample.length - pos < lengthSize) {
      return { ok: false, error: `truncated NAL length prefix at byte ${pos}` };
    }
    let length = 0;
    for (let k = 0; k < lengthSize; k++) length = length * 256 + sample[pos + k];
    pos += lengthSize;
    if (length > sample.length - pos) {
      return { ok: false, error: `NAL length ${length} at byte ${pos} runs past the sample` };
    }
    if (length > 0) units.push(sample.subarray(pos, pos + length));
    pos += length;
  }
  return { ok: true, units };
}

type TrackFields = Omit<
  Mp4Track,
  | "sampleCount"
  | "sampleInfo"
  | "syncSampleAtOrBefore"
  | "syncSampleCount"
  | "syncSampleIndex"
  | "sampleIndexAtOrAfter"
  | "readAccessUnit"
>;

class TrackImpl implements Mp4Track {
  readonly id: number;
  readonly kind: "video" | "audio";
  readonly codec: Mp4Codec;
  readonly codecTag: string;
  readonly timescale: number;
  readonly durationSeconds: number;
  readonly sampleCount: number;
  readonly width?: number;
  readonly height?: number;
  readonly sampleRate?: number;
  readonly channels?: number;
  readonly h264?: H264Config;
  readonly h265?: H265Config;
  readonly aacConfig?: Uint8Array;
  readonly opus?: OpusConfig;
  readonly rtpClockRate: number;
  readonly mediaTimeShift: number;
  readonly #table: SampleTable;
  readonly #readAt: ReadAt;

  constructor(fields: TrackFields, table: SampleTable, readAt: ReadAt) {
    this.id = fields.id;
    this.kind = fields.kind;
    this.codec = fields.codec;
    this.codecTag = fields.codecTag;
    this.timescale = fields.timescale;
    this.durationSeconds = fields.durationSeconds;
    this.sampleCount = table.count;
    this.rtpClockRate = fields.rtpClockRate;
    this.mediaTimeShift = fields.mediaTimeShift;
    // Leave absent optional fields absent rather than present-but-undefined.
    if (fields.width !== undefined) this.width = fields.width;
    if (fields.height !== undefined) this.height = fields.height;
    if (fields.sampleRate !== undefined) this.sampleRate = fields.sampleRate;
    if (fields.channels !== undefined) this.channels = fields.channels;
    if (fields.h264 !== undefined) this.h264 = fields.h264;
    if (fields.h265 !== undefined) this.h265 = fields.h265;
    if (fields.aacConfig !== undefined) this.aacConfig = fields.aacConfig;
    if (fields.opus !== undefined) this.opus = fields.opus;
    this.#table = table;
    this.#readAt = readAt;
  }

  sampleInfo(i: number): Mp4SampleInfo {
    if (!Number.isInteger(i) || i < 0 || i >= this.sampleCount) {
      throw new RangeError(`sample ${i} out of range [0, ${this.sampleCount})`);
    }
    const t = this.#table;
    return {
      offset: t.offsets[i],
      size: t.sizes[i],
      dts: t.dts[i] - this.mediaTimeShift,
      pts: ptsOf(t, i) - this.mediaTimeShift,
      keyframe: isSync(t, i),
    };
  }

  /** Seconds → raw media time, rounded to a tick so 1.5 s is exactly 1.5 s. */
  #mediaTime(seconds: number): number {
    return Math.round(seconds * this.timescale) + this.mediaTimeShift;
  }

  syncSampleAtOrBefore(seconds: number): number {
    return syncAtOrBefore(this.#table, this.#mediaTime(seconds));
  }

  get syncSampleCount(): number {
    return this.#table.syncSamples?.length ?? this.sampleCount;
  }

  syncSampleIndex(k: number): number {
    if (!Number.isInteger(k) || k < 0 || k >= this.syncSampleCount) {
      throw new RangeError(`sync sample ${k} out of range [0, ${this.syncSampleCount})`);
    }
    return this.#table.syncSamples?.[k] ?? k;
  }

  sampleIndexAtOrAfter(seconds: number): number {
    return firstAtOrAfter(this.#table, this.#mediaTime(seconds));
  }

  /**
   * Reads sample `i` as an access unit.
   * @param readAt where to read (default: what the file was opened with)
   */
  async readAccessUnit(i: number, readAt: ReadAt = this.#readAt): Promise<AccessUnitResult> {
    if (!Number.isInteger(i) || i < 0 || i >= this.sampleCount) {
      return { ok: false, error: `sample ${i} out of range [0, ${this.sampleCount})` };
    }
    if (this.codec === "unsupported") {
      return { ok: false, error: `track ${this.id}: unsupported codec ${this.codecTag}` };
    }
    const info = this.sampleInfo(i);
    let data: Uint8Array;
    try {
      data = await readExactly(readAt, info.offset, info.size, `sample ${i}`);
    } catch (e) {
      return { ok: false, error: describe(e) };
    }
    const timestamp = rescaleTimestamp(info.pts, this.timescale, this.rtpClockRate);
    if (this.kind === "audio") {
      return { ok: true, unit: { timestamp, units: [data], keyframe: true } };
    }
    const nalLengthSize = (this.h264 ?? this.h265)?.nalLengthSize;
    if (nalLengthSize === undefined) return { ok: false, error: "video track without config" };
    const split = splitLengthPrefixed(data, nalLengthSize);
    if (!split.ok) return { ok: false, error: `track ${this.id} sample ${i}: ${split.error}` };
    return { ok: true, unit: { timestamp, units: split.units, keyframe: info.keyframe } };
  }
}
