/**
 * The initialization segment of a fragmented MP4 (ISO/IEC 14496-12 §8.8, and
 * the CMAF/MSE "init segment"): `ftyp`, then a `moov` whose tracks have empty
 * sample tables (every sample is in a movie fragment) and an `mvex` with one
 * `trex` per track announcing that fragments follow.
 *
 * @module
 */

import { box, FieldWriter, fullBox } from "./box_writer.ts";

/** `ftyp` major brand: ISO/IEC 14496-12 §E.4 `iso5` (fragments with `tfdt` and default-base-is-moof). */
const MAJOR_BRAND = "iso5";
const MINOR_VERSION = 512;
/** Compatible brands: `iso6` (§E.5) and `mp41`, as common MSE players expect. */
const COMPATIBLE_BRANDS = ["iso5", "iso6", "mp41"] as const;
/** `mvhd` timescale; the movie has no duration of its own, so any value would do. */
const MOVIE_TIMESCALE = 1000;
/** 1.0 as 16.16 fixed point (`mvhd` rate) and as 8.8 fixed point (volume). */
const FIXED_16_16_ONE = 0x0001_0000;
const FIXED_8_8_ONE = 0x0100;
/** §8.2.2.2 and §8.3.2.2: the unity matrix { 0x00010000,0,0,0,0x00010000,0,0,0,0x40000000 }. */
const UNITY_MATRIX = [0x0001_0000, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000] as const;
/** §8.3.2.3 tkhd flags: track_enabled | track_in_movie. */
const TKHD_ENABLED_IN_MOVIE = 0x000003;
/** §8.4.2.3: ISO-639-2/T `und` packed as three 5-bit letters (each minus 0x60). */
const LANGUAGE_UNDETERMINED = ((0x75 - 0x60) << 10) | ((0x6e - 0x60) << 5) | (0x64 - 0x60);
/** §8.7.2.2 `url ` flag: the media data is in the same file. */
const URL_SELF_CONTAINED = 0x000001;
/** §12.1.2.2 `vmhd` flags are 1. */
const VMHD_FLAGS = 0x000001;

/** One track of the init segment. */
export interface InitTrack {
  /** track_ID, from 1 (§8.3.2.3: 0 is not allowed). */
  readonly trackId: number;
  readonly kind: "video" | "audio";
  /** Media timescale in ticks per second: the RTP clock rate of the track. */
  readonly timescale: number;
  /** The sample entry (`avc1`, `hvc1`, `mp4a`, `Opus`, `fLaC`) for `stsd`. */
  readonly sampleEntry: Uint8Array;
  /** Video only: picture size for `tkhd`. */
  readonly width?: number;
  readonly height?: number;
}

/** `ftyp` (§4.3). */
export function ftyp(): Uint8Array {
  const w = new FieldWriter().fourCC(MAJOR_BRAND).u32(MINOR_VERSION);
  for (const brand of COMPATIBLE_BRANDS) w.fourCC(brand);
  return box("ftyp", w.done());
}

function matrix(w: FieldWriter): FieldWriter {
  for (const v of UNITY_MATRIX) w.u32(v);
  return w;
}

/** `mvhd` version 0 (§8.2.2): no duration (fragments follow), next_track_ID after ours. */
export function mvhd(nextTrackId: number): Uint8Array {
  const w = new FieldWriter()
    .u32(0) // creation_time
    .u32(0) // modification_time
    .u32(MOVIE_TIMESCALE)
    .u32(0) // duration: unknown
    .u32(FIXED_16_16_ONE) // rate
    .u16(FIXED_8_8_ONE) // volume
    .zeros(2 + 8); // reserved
  matrix(w).zeros(6 * 4).u32(nextTrackId); // pre_defined[6]
  return fullBox("mvhd", 0, 0, w.done());
}

/** `tkhd` version 0 (§8.3.2). */
function tkhd(track: InitTrack): Uint8Array {
  const w = new FieldWriter()
    .u32(0) // creation_time
    .u32(0) // modification_time
    .u32(track.trackId)
    .u32(0) // reserved
    .u32(0) // duration
    .zeros(8) // reserved
    .i16(0) // layer
    .i16(0) // alternate_group
    .u16(track.kind === "audio" ? FIXED_8_8_ONE : 0) // volume
    .u16(0); // reserved
  matrix(w)
    .u32((track.width ?? 0) * FIXED_16_16_ONE)
    .u32((track.height ?? 0) * FIXED_16_16_ONE);
  return fullBox("tkhd", 0, TKHD_ENABLED_IN_MOVIE, w.done());
}

/** `mdhd` version 0 (§8.4.2). */
function mdhd(timescale: number): Uint8Array {
  const w = new FieldWriter()
    .u32(0) // creation_time
    .u32(0) // modification_time
    .u32(timescale)
    .u32(0) // duration
    .u16(LANGUAGE_UNDETERMINED)
    .u16(0); // pre_defined
  return fullBox("mdhd", 0, 0, w.done());
}

/** `hdlr` (§8.4.3): `vide` or `soun`, with a readable name. */
function hdlr(kind: "video" | "audio"): Uint8Array {
  const name = new TextEncoder().encode(kind === "video" ? "VideoHandler\0" : "SoundHandler\0");
  const w = new FieldWriter()
    .u32(0) // pre_defined
    .fourCC(kind === "video" ? "vide" : "soun")
    .zeros(12) // reserved[3]
    .bytes(name);
  return fullBox("hdlr", 0, 0, w.done());
}

/** `dinf` with a `dref` of one self-contained `url ` (§8.7.1, §8.7.2). */
function dinf(): Uint8Array {
  const dref = fullBox(
    "dref",
    0,
    0,
    new FieldWriter().u32(1).done(),
    fullBox("url ", 0, URL_SELF_CONTAINED),
  );
  return box("dinf", dref);
}

/** `stbl` (§8.5.1) with the sample entry and empty stts, stsc, stsz, stco. */
function stbl(sampleEntry: Uint8Array): Uint8Array {
  const empty = new FieldWriter().u32(0).done();
  return box(
    "stbl",
    fullBox("stsd", 0, 0, new FieldWriter().u32(1).done(), sampleEntry),
    fullBox("stts", 0, 0, empty),
    fullBox("stsc", 0, 0, empty),
    fullBox("stsz", 0, 0, new FieldWriter().u32(0).u32(0).done()), // sample_size, sample_count
    fullBox("stco", 0, 0, empty),
  );
}

/** The media header of the track's kind: `vmhd` (§12.1.2) or `smhd` (§12.2.2). */
function mediaHeader(kind: "video" | "audio"): Uint8Array {
  return kind === "video"
    ? fullBox("vmhd", 0, VMHD_FLAGS, new FieldWriter().u16(0).zeros(6).done()) // graphicsmode, opcolor
    : fullBox("smhd", 0, 0, new FieldWriter().i16(0).u16(0).done()); // balance, reserved
}

/** `trak` (§8.3.1). */
function trak(track: InitTrack): Uint8Array {
  const minf = box("minf", mediaHeader(track.kind), dinf(), stbl(track.sampleEntry));
  return box("trak", tkhd(track), box("mdia", mdhd(track.timescale), hdlr(track.kind), minf));
}

/** `trex` (§8.8.3): defaults are all given per sample in `trun`, so they are 0. */
function trex(trackId: number): Uint8Array {
  const w = new FieldWriter()
    .u32(trackId)
    .u32(1) // default_sample_description_index
    .u32(0) // default_sample_duration
    .u32(0) // default_sample_size
    .u32(0); // default_sample_flags
  return fullBox("trex", 0, 0, w.done());
}

/** The whole init segment: `ftyp` and `moov` (`mvhd`, a `trak` per track, `mvex`). */
export function initSegment(tracks: readonly InitTrack[]): Uint8Array {
  const nextTrackId = Math.max(0, ...tracks.map((t) => t.trackId)) + 1;
  const moov = box(
    "moov",
    mvhd(nextTrackId),
    ...tracks.map(trak),
    box("mvex", ...tracks.map((t) => trex(t.trackId))),
  );
  const head = ftyp();
  const out = new Uint8Array(head.length + moov.length);
  out.set(head);
  out.set(moov, head.length);
  return out;
}
