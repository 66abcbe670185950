/**
 * A media segment of a fragmented MP4 (ISO/IEC 14496-12 §8.8): one `moof`
 * (`mfhd`, then a `traf` per track with `tfhd`, `tfdt`, `trun`) and the
 * `mdat` holding the samples it describes, tracks one after the other.
 *
 * @module
 */

import { BOX_HEADER_SIZE } from "../mp4_boxes.ts";
import { box, FieldWriter, fullBox } from "./box_writer.ts";

/** §8.8.7.1 tfhd flag default-base-is-moof: trun data offsets count from the moof's first byte. */
const TFHD_DEFAULT_BASE_IS_MOOF = 0x020000;
/** §8.8.8.1 trun flags. */
const TRUN_DATA_OFFSET = 0x000001;
const TRUN_SAMPLE_DURATION = 0x000100;
const TRUN_SAMPLE_SIZE = 0x000200;
const TRUN_SAMPLE_FLAGS = 0x000400;
const TRUN_SAMPLE_COMPOSITION_OFFSET = 0x000800;
/**
 * §8.8.3.1 sample flags. A sync sample: sample_depends_on = 2 (depends on no
 * other). Any other: sample_depends_on = 1 and sample_is_non_sync_sample.
 */
export const SYNC_SAMPLE_FLAGS = 0x0200_0000;
export const NON_SYNC_SAMPLE_FLAGS = 0x0101_0000;
/** §8.8.8.2: trun version 1 makes composition offsets signed. */
const TRUN_SIGNED_OFFSETS_VERSION = 1;
/** §8.8.12.2: tfdt version 1 has a 64-bit baseMediaDecodeTime. */
const TFDT_64_BIT_VERSION = 1;
/** Bounds of a signed 32-bit composition offset. */
const MIN_I32 = -0x8000_0000;
const MAX_I32 = 0x7fff_ffff;

/** One sample of a fragment. */
export interface FragmentSample {
  /** The bytes in `mdat`: length-prefixed NAL units, or one audio frame. */
  readonly data: Uint8Array;
  /** Ticks until the next sample's decode time (> 0). */
  readonly duration: number;
  /** A sync sample (IDR / IRAP picture, every audio frame). */
  readonly sync: boolean;
  /** Presentation minus decode time, ticks (signed; 0 for audio). */
  readonly compositionOffset: number;
}

/** One track's run of samples in a fragment. */
export interface FragmentTrack {
  readonly trackId: number;
  /** Decode time of the first sample, ticks of the track's timescale (tfdt). */
  readonly baseDecodeTime: number;
  readonly samples: readonly FragmentSample[];
  /** Whether the run carries composition offsets (video; audio never needs them). */
  readonly compositionOffsets: boolean;
}

/** `mfhd` (§8.8.5). */
function mfhd(sequenceNumber: number): Uint8Array {
  return fullBox("mfhd", 0, 0, new FieldWriter().u32(sequenceNumber).done());
}

/** `tfhd` (§8.8.7): only the track and default-base-is-moof; everything else is per sample. */
function tfhd(trackId: number): Uint8Array {
  return fullBox("tfhd", 0, TFHD_DEFAULT_BASE_IS_MOOF, new FieldWriter().u32(trackId).done());
}

/** `tfdt` version 1 (§8.8.12). */
export function tfdt(baseDecodeTime: number): Uint8Array {
  return fullBox("tfdt", TFDT_64_BIT_VERSION, 0, new FieldWriter().u64(baseDecodeTime).done());
}

/**
 * `trun` version 1 (§8.8.8): data offset, and per sample its duration, size,
 * flags and (video) signed composition offset.
 */
export function trun(track: FragmentTrack, dataOffset: number): Uint8Array {
  let flags = TRUN_DATA_OFFSET | TRUN_SAMPLE_DURATION | TRUN_SAMPLE_SIZE | TRUN_SAMPLE_FLAGS;
  if (track.compositionOffsets) flags |= TRUN_SAMPLE_COMPOSITION_OFFSET;
  const w = new FieldWriter().u32(track.samples.length).i32(dataOffset);
  for (const s of track.samples) {
    w.u32(s.duration).u32(s.data.length).u32(s.sync ? SYNC_SAMPLE_FLAGS : NON_SYNC_SAMPLE_FLAGS);
    if (track.compositionOffsets) {
      w.i32(Math.min(MAX_I32, Math.max(MIN_I32, s.compositionOffset)));
    }
  }
  return fullBox("trun", TRUN_SIGNED_OFFSETS_VERSION, flags, w.done());
}

function moof(
  sequenceNumber: number,
  tracks: readonly FragmentTrack[],
  dataOffsets: readonly number[],
): Uint8Array {
  return box(
    "moof",
    mfhd(sequenceNumber),
    ...tracks.map((t, i) =>
      box("traf", tfhd(t.trackId), tfdt(t.baseDecodeTime), trun(t, dataOffsets[i]))
    ),
  );
}

/**
 * `moof` + `mdat` for the given runs (tracks without samples are left out).
 * Each trun's data offset points at its samples in the `mdat` (§8.8.8.3,
 * relative to the `moof` by default-base-is-moof).
 */
export function mediaSegment(sequenceNumber: number, tracks: readonly FragmentTrack[]): Uint8Array {
  const runs = tracks.filter((t) => t.samples.length > 0);
  // The moof's size does not depend on the offsets' values: measure it once.
  const moofSize = moof(sequenceNumber, runs, runs.map(() => 0)).length;
  const offsets: number[] = [];
  let at = moofSize + BOX_HEADER_SIZE;
  for (const t of runs) {
    offsets.push(at);
    for (const s of t.samples) at += s.data.length;
  }
  const head = moof(sequenceNumber, runs, offsets);
  const mdatSize = at - moofSize;
  const out = new Uint8Array(at);
  out.set(head);
  const mdatHeader = new FieldWriter().u32(mdatSize).fourCC("mdat").done();
  out.set(mdatHeader, moofSize);
  let write = moofSize + BOX_HEADER_SIZE;
  for (const t of runs) {
    for (const s of t.samples) {
      out.set(s.data, write);
      write += s.data.length;
    }
  }
  return out;
}
