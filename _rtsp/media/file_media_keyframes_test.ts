/**
 * `FileMedia.keyframeTimes`: for each format, the times listed are where a
 * cursor starts exactly (its first video unit a keyframe presented then),
 * thinned to the spacing asked for.
 */

import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { type FileMedia, openMediaFile, type ReadAt } from "./file_media.ts";
import { MEDIA_NEEDS, testMedia } from "../../_testing/media.ts";
import { fileReadAt } from "../../_testing/media_units.ts";
import { toolTest } from "../../_testing/tools.ts";

function memoryReadAt(bytes: Uint8Array): ReadAt {
  return (offset, length) => Promise.resolve(bytes.slice(offset, offset + length));
}

async function openOk(name: string, readAt: ReadAt, size: number): Promise<FileMedia> {
  const opened = await openMediaFile(name, readAt, size);
  assert(opened.ok, opened.ok ? "" : opened.error);
  return opened.media;
}

/** Annex-B H.264 (SPS without VUI: 25 fps), an IDR every `idrEvery` pictures; slices only framed. */
function syntheticH264(pictures: number, idrEvery: number): Uint8Array {
  const sps = [0x67, 0x42, 0xc0, 0x0d, 0xd9, 0x01, 0x41, 0xfb, 0x01, 0x10, 0x00, 0x00, 0x03, 0x00];
  const pps = [0x68, 0xcb, 0x83, 0xcb, 0x20];
  const parts: number[] = [];
  for (let i = 0; i < pictures; i++) {
    if (i % idrEvery === 0) parts.push(0, 0, 0, 1, ...sps, 0, 0, 0, 1, ...pps);
    const slice = i % idrEvery === 0 ? [0x65, 0x88, 0x84, i & 0xff] : [0x41, 0x9a, i & 0xff, 0x55];
    parts.push(0, 0, 0, 1, ...slice);
  }
  return Uint8Array.from(parts);
}

/** ADTS frames, AAC LC 44.1 kHz stereo. */
function syntheticAdts(frames: number): Uint8Array {
  const parts: number[] = [];
  for (let i = 0; i < frames; i++) {
    const length = 7 + 12;
    parts.push(0xff, 0xf1, 0x50, 0x80 | (length >> 11), (length >> 3) & 0xff);
    parts.push(((length & 7) << 5) | 0x1f, 0xfc);
    for (let b = 0; b < 12; b++) parts.push((i + b) & 0xff);
  }
  return Uint8Array.from(parts);
}

/** Every listed time is a cursor's exact start, on a keyframe (video) presented at that time. */
async function checkCursorsLand(media: FileMedia, times: Float64Array): Promise<void> {
  // The track seeks land on: the first video track, else the first.
  const lead = Math.max(0, media.tracks.findIndex((t) => t.description.media === "video"));
  const clock = media.tracks[lead].description.clockRate;
  for (const t of times) {
    const cursor = await media.cursor(t);
    assertEquals(cursor.startSeconds, t, `cursor(${t})`);
    let first;
    do first = await cursor.next(); while (
      first && !("error" in first) && first.trackIndex !== lead
    );
    assert(first && !("error" in first), `a unit at ${t}`);
    assert(first.au.keyframe, `a keyframe at ${t}`);
    const shown = first.au.timestamp / clock - media.timestampOffsetSeconds;
    assert(Math.abs(shown - t) < 1e-3, `presented at ${shown}, listed ${t}`);
  }
}

Deno.test("keyframeTimes: Annex-B, an IDR every 2 s, thinned to the spacing asked", async () => {
  const bytes = syntheticH264(500, 50); // 20 s at 25 fps
  const media = await openOk("s.264", memoryReadAt(bytes), bytes.length);
  const table: Array<[number, number[]]> = [
    [0, [0, 2, 4, 6, 8, 10, 12, 14, 16, 18]],
    [2, [0, 2, 4, 6, 8, 10, 12, 14, 16, 18]],
    [3, [0, 4, 8, 12, 16]],
    [4, [0, 4, 8, 12, 16]],
    [5, [0, 6, 12, 18]],
    [100, [0]],
    [Infinity, [0]],
    [NaN, [0, 2, 4, 6, 8, 10, 12, 14, 16, 18]],
  ];
  for (const [spacing, expected] of table) {
    assertEquals([...media.keyframeTimes(spacing)], expected, `spacing ${spacing}`);
  }
  assertEquals(media.firstSendSeconds, 0);
  await checkCursorsLand(media, media.keyframeTimes(0));
});

Deno.test("keyframeTimes: ADTS lists frames about the spacing apart", async () => {
  const bytes = syntheticAdts(1000); // 1000 × 1024 / 44100 = 23.2 s
  const media = await openOk("t.aac", memoryReadAt(bytes), bytes.length);
  const frame = 1024 / 44100;
  const table: Array<[number, number]> = [
    // spacing, frames between listed times (ceil(spacing / frame))
    [2, 87],
    [1, 44],
    [0, 1],
    [frame * 64, 64],
  ];
  for (const [spacing, step] of table) {
    const times = media.keyframeTimes(spacing);
    assertEquals(times.length, Math.ceil(1000 / step), `spacing ${spacing}`);
    times.forEach((t, k) => assertEquals(t, (k * step * 1024) / 44100));
  }
  assertEquals(media.firstSendSeconds, 0);
  await checkCursorsLand(media, media.keyframeTimes(2));
});

interface RealCase {
  readonly file: string;
  readonly spacing: number;
  readonly times: number[];
  /** firstSendSeconds, rounded to the ms. */
  readonly firstSend: number;
}

/** `_testing/media.ts`: a keyframe every second (25 pictures) unless said otherwise. */
const REAL_CASES: RealCase[] = [
  // AAC priming: the audio's decode times start 1024 samples before 0 (48 kHz).
  { file: "clip.mp4", spacing: 0, times: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], firstSend: -0.021 },
  { file: "clip.mp4", spacing: 4, times: [0, 4, 8], firstSend: -0.021 },
  { file: "gop2s.mp4", spacing: 3, times: [0, 4, 8], firstSend: 0 },
  // libx264 defaults: B-frames.
  { file: "cbr3m_gop4s.mp4", spacing: 1, times: [0, 4], firstSend: -0.08 },
  // B-frames: decode times start two pictures before 0 (ffmpeg's edit list).
  { file: "bframes.mp4", spacing: 0, times: [0, 1, 2, 3], firstSend: -0.08 },
  { file: "bframes.264", spacing: 2, times: [0, 2], firstSend: 0 },
  { file: "bframes_hevc.mp4", spacing: 0, times: [0, 1, 2, 3], firstSend: -0.08 },
  { file: "clip.265", spacing: 0, times: [0, 1, 2, 3], firstSend: 0 },
];

await toolTest(
  "keyframeTimes: real files (MP4, Annex-B) land on their keyframes",
  MEDIA_NEEDS,
  async () => {
    const dir = await testMedia();
    for (const c of REAL_CASES) {
      const { readAt, size, close } = await fileReadAt(`${dir}/${c.file}`);
      try {
        const media = await openOk(c.file, readAt, size);
        const times = media.keyframeTimes(c.spacing);
        assertEquals([...times].map((t) => Math.round(t * 1000) / 1000), c.times, c.file);
        assertEquals(Math.round(media.firstSendSeconds * 1000) / 1000, c.firstSend, c.file);
        await checkCursorsLand(media, times);
      } finally {
        close();
      }
    }
  },
);
