/**
 * Files as HLS VOD: the plan (cut points), the playlist text, and media
 * segments that continue each other (`tfdt` of n+1 = end of n).
 */

import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { buildVodPlaylist, MAX_VOD_SEGMENTS, type PlannedMedia, planVod } from "./vod_playlist.ts";
import { buildVodSegment, vodInitSegment, vodShiftSeconds, vodTracks } from "./vod_segment.ts";
import { openMediaFile, type ReadAt } from "../../_rtsp/media/file_media.ts";
import { parseFragment } from "../../_rtsp/media/fmp4/_test_helpers.ts";
import { SYNC_SAMPLE_FLAGS } from "../../_rtsp/media/fmp4/media_segment.ts";
import { iterBoxes } from "../../_rtsp/media/mp4_boxes.ts";
import { H264TestPattern } from "../../_rtsp/media/test_pattern.ts";
import { concatBytes } from "../../_rtsp/bytes.ts";

/** A plan's input: tracks of the given kinds, keyframes listed (then thinned as FileMedia does). */
function fakeMedia(
  kinds: Array<"video" | "audio" | "h265">,
  durationSeconds: number,
  keyframes: number[],
): PlannedMedia {
  return {
    tracks: kinds.map((kind) => ({
      description: kind === "h265"
        ? { media: "video", encoding: "H265" }
        : { media: kind, encoding: kind === "video" ? "H264" : "mpeg4-generic" },
    })) as unknown as PlannedMedia["tracks"],
    durationSeconds,
    keyframeTimes: (spacing) => {
      const kept: number[] = [];
      for (const t of keyframes) if (kept.length === 0 || t >= kept.at(-1)! + spacing) kept.push(t);
      return Float64Array.from(kept);
    },
  };
}

const every = (step: number, until: number) =>
  Array.from({ length: Math.ceil(until / step) }, (_, i) => i * step);

Deno.test("planVod: cuts at keyframes at least 4 s apart (audio only: 2 s)", () => {
  const table: Array<[string, PlannedMedia, number[][]]> = [
    ["1 s GOPs, 10 s", fakeMedia(["video", "audio"], 10, every(1, 10)), [[0, 4], [4, 8], [8, 10]]],
    // A last segment shorter than half the spacing joins the one before.
    ["1 s GOPs, 9.5 s", fakeMedia(["video"], 9.5, every(1, 9.5)), [[0, 4], [4, 9.5]]],
    ["3 s GOPs", fakeMedia(["video"], 12, every(3, 12)), [[0, 6], [6, 12]]],
    ["10 s GOPs", fakeMedia(["video"], 25, every(10, 25)), [[0, 10], [10, 20], [20, 25]]],
    ["audio only", fakeMedia(["audio"], 5, every(0.5, 5)), [[0, 2], [2, 4], [4, 5]]],
    ["one GOP", fakeMedia(["video"], 3, [0]), [[0, 3]]],
    // A first keyframe after 0: the first segment still starts at 0 (not independent).
    ["late first keyframe", fakeMedia(["video"], 10, [0.5, 5]), [[0, 5], [5, 10]]],
    // H.265 keyframes may open open GOPs: cut the same, never said independent.
    ["H.265", fakeMedia(["h265", "audio"], 10, every(1, 10)), [[0, 4], [4, 8], [8, 10]]],
  ];
  for (const [name, media, expected] of table) {
    const plan = planVod(media);
    assertEquals(plan.segments.map((s) => [s.startSeconds, s.endSeconds]), expected, name);
    assertEquals(plan.independent, name !== "late first keyframe" && name !== "H.265", name);
  }
});

Deno.test("planVod: a very long file gets longer segments, never more than the bound", () => {
  const hours = 100;
  const plan = planVod(fakeMedia(["video"], hours * 3600, every(1, hours * 3600)));
  assert(plan.segments.length <= MAX_VOD_SEGMENTS, `${plan.segments.length} segments`);
  assert(plan.segments.length > MAX_VOD_SEGMENTS / 2, `${plan.segments.length} segments`);
});

Deno.test("buildVodPlaylist: the exact VOD playlist (RFC 8216)", () => {
  const plan = planVod(fakeMedia(["video"], 10.04, every(1, 10)));
  assertEquals(buildVodPlaylist(plan).split("\n"), [
    "#EXTM3U",
    "#EXT-X-VERSION:6",
    "#EXT-X-TARGETDURATION:4",
    "#EXT-X-PLAYLIST-TYPE:VOD",
    "#EXT-X-MEDIA-SEQUENCE:0",
    "#EXT-X-INDEPENDENT-SEGMENTS",
    '#EXT-X-MAP:URI="init0.mp4"',
    "#EXTINF:4.000,",
    "seg0.mp4",
    "#EXTINF:4.000,",
    "seg1.mp4",
    "#EXTINF:2.040,",
    "seg2.mp4",
    "#EXT-X-ENDLIST",
    "",
  ]);
  // The target is every duration rounded to the nearest integer, at most (4.3.3.1): 6.5 → 7.
  const long = buildVodPlaylist(planVod(fakeMedia(["video"], 9.5, [0, 6.5])));
  assert(long.includes("#EXT-X-TARGETDURATION:7\n"), long);
  assert(long.includes("#EXTINF:6.500,\nseg0.mp4\n#EXTINF:3.000,\nseg1.mp4\n"), long);
  // Without a keyframe at 0 the segments are not all independent: no such tag.
  const late = buildVodPlaylist(planVod(fakeMedia(["video"], 10, [0.5, 5])));
  assert(!late.includes("INDEPENDENT"), late);
});

/** Annex-B H.264 of the live test pattern (25 fps), a keyframe every `gopFrames` pictures. */
function patternAnnexB(pictures: number, gopFrames: number): Uint8Array {
  const pattern = new H264TestPattern({ fps: 25, gopFrames });
  const nals: Uint8Array[] = [];
  for (let i = 0; i < pictures; i++) {
    const au = pattern.frame(i);
    nals.push(...au.units);
  }
  return concatBytes(...nals.flatMap((nal) => [Uint8Array.of(0, 0, 0, 1), nal]));
}

Deno.test("buildVodSegment: segments start on a keyframe and continue each other", async () => {
  const pictures = 250; // 10 s
  const bytes = patternAnnexB(pictures, 25);
  const readAt: ReadAt = (offset, length) => Promise.resolve(bytes.slice(offset, offset + length));
  const opened = await openMediaFile("s.264", readAt, bytes.length);
  assert(opened.ok);
  const media = opened.media;
  const tracks = vodTracks(media.tracks.map((t) => t.description));
  assertEquals(tracks.map((t) => [t.trackId, t.codec, t.timescale]), [[1, "H264", 90000]]);
  const init = vodInitSegment(tracks);
  assertEquals([...iterBoxes(init, 0, init.length)].map((b) => b.type), ["ftyp", "moov"]);
  assertEquals(vodShiftSeconds(media), { decode: 0, presentation: 0 });

  const plan = planVod(media);
  assertEquals(plan.segments.length, 3);
  let nextDecode = 0;
  let samples = 0;
  for (let i = 0; i < plan.segments.length; i++) {
    const built = await buildVodSegment(media, tracks, plan, i);
    assert(built.ok, built.ok ? "" : built.error);
    const { sequenceNumber, runs } = parseFragment(built.bytes);
    assertEquals(sequenceNumber, i + 1);
    assertEquals(runs.length, 1);
    const run = runs[0];
    assertEquals(run.baseDecodeTime, nextDecode, `segment ${i} continues the one before`);
    assertEquals(run.baseDecodeTime, plan.segments[i].startSeconds * 90000);
    assertEquals(run.samples[0].flags, SYNC_SAMPLE_FLAGS, `segment ${i} starts on a keyframe`);
    for (const s of run.samples) assertEquals(s.duration, 3600);
    nextDecode = run.baseDecodeTime + run.samples.reduce((n, s) => n + s.duration, 0);
    samples += run.samples.length;
  }
  assertEquals(samples, pictures, "every picture once");
  assertEquals(nextDecode, 10 * 90000);

  // A segment over the byte bound is refused, not built.
  const small = await buildVodSegment(media, tracks, plan, 0, 100);
  assert(!small.ok && small.kind === "too-large");
});
