/**
 * Reading back what the muxer writes, for tests: the runs of a media segment
 * (ISO/IEC 14496-12 §8.8: tfhd track_ID, tfdt, trun samples).
 * @module
 */

import type { TrackDescription } from "../../catalogue.ts";
import { LiveTestSource } from "../live_test_source.ts";
import { h264Track } from "../source_track.ts";
import { BOX_HEADER_SIZE, ByteReader, findChild, iterBoxes, requireChild } from "../mp4_boxes.ts";

/** One sample of a `trun`, as written. */
export interface ParsedSample {
  readonly duration: number;
  readonly size: number;
  readonly flags: number;
  readonly compositionOffset: number;
}

/** One `traf`. */
export interface ParsedRun {
  readonly trackId: number;
  readonly baseDecodeTime: number;
  readonly dataOffset: number;
  readonly samples: ParsedSample[];
}

/** The runs of a `moof` + `mdat`; checks that the data offsets land inside the `mdat`. */
export function parseFragment(bytes: Uint8Array): { sequenceNumber: number; runs: ParsedRun[] } {
  const [moof, mdat] = [...iterBoxes(bytes, 0, bytes.length)];
  if (moof?.type !== "moof" || mdat?.type !== "mdat") throw new Error("not moof + mdat");
  const mfhd = new ByteReader(
    bytes,
    requireChild(bytes, moof, "mfhd").payloadStart,
    moof.end,
    "mfhd",
  );
  mfhd.skip(4);
  const sequenceNumber = mfhd.u32();
  const runs: ParsedRun[] = [];
  for (const traf of iterBoxes(bytes, moof.payloadStart, moof.end)) {
    if (traf.type !== "traf") continue;
    const tfhd = requireChild(bytes, traf, "tfhd");
    const trackId = new ByteReader(bytes, tfhd.payloadStart + 4, tfhd.end, "tfhd").u32();
    const tfdtBox = findChild(bytes, traf, "tfdt")!;
    const tfdt = new ByteReader(bytes, tfdtBox.payloadStart, tfdtBox.end, "tfdt");
    const tfdtVersion = tfdt.u8();
    tfdt.skip(3);
    const baseDecodeTime = tfdtVersion === 1 ? tfdt.u64() : tfdt.u32();
    const trunBox = requireChild(bytes, traf, "trun");
    const trun = new ByteReader(bytes, trunBox.payloadStart, trunBox.end, "trun");
    const { flags } = trun.fullBoxHeader();
    const count = trun.u32();
    const dataOffset = flags & 0x1 ? trun.i32() : 0;
    const samples: ParsedSample[] = [];
    for (let i = 0; i < count; i++) {
      samples.push({
        duration: flags & 0x100 ? trun.u32() : 0,
        size: flags & 0x200 ? trun.u32() : 0,
        flags: flags & 0x400 ? trun.u32() : 0,
        compositionOffset: flags & 0x800 ? trun.i32() : 0,
      });
    }
    const end = dataOffset + samples.reduce((n, s) => n + s.size, 0);
    if (dataOffset < mdat.start + BOX_HEADER_SIZE || end > mdat.end) {
      throw new Error(`trun of track ${trackId} points outside the mdat`);
    }
    runs.push({ trackId, baseDecodeTime, dataOffset, samples });
  }
  return { sequenceNumber, runs };
}

/** An H.264 track as SDP describes it, with the /test pattern's SPS and PPS (320x240, level 2.1). */
export function testH264Track(): TrackDescription {
  const { sps, pps } = new LiveTestSource(0).tracks[0].parameterSets!;
  return h264Track(0, sps, pps).description;
}
