import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import {
  type CursorStep,
  type FileCursor,
  type FileMedia,
  MAX_BYTES_BEFORE_SPS,
  openMediaFile,
  type OpenMediaResult,
  READ_CHUNK_BYTES,
  type ReadAt,
  type TimedUnit,
} from "./file_media.ts";
import type { AccessUnit } from "./access_unit.ts";
import type { SourceTrack } from "./source_track.ts";
import { createDepacketizer, createPacketizer } from "../rtp/create_packetizer.ts";
import { parseRtpPacket } from "../rtp/rtp_packet.ts";
import { run, toolTest } from "../../_testing/tools.ts";
import { fileReadAt } from "../../_testing/media_units.ts";
import { MEDIA_NEEDS, testMedia } from "../../_testing/media.ts";

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/** Largest single read any format may make. */
const MAX_READ_BYTES = 1024 * 1024;
/** Video frame rate of every generated file. */
const FPS = 25;

/**
 * A ReadAt over bytes in memory that records every read. With `maxReturn`, it
 * returns at most that many bytes per call (as a short read may), which puts
 * chunk boundaries everywhere, start codes and headers included.
 */
function memoryReadAt(
  bytes: Uint8Array,
  maxReturn = Infinity,
): { readAt: ReadAt; reads: number[] } {
  const reads: number[] = [];
  const readAt: ReadAt = (offset, length) => {
    reads.push(length);
    return Promise.resolve(bytes.slice(offset, offset + Math.min(length, maxReturn)));
  };
  return { readAt, reads };
}

/** A ReadAt over a real file that records every read's length. */
async function openFile(path: string) {
  const reads: number[] = [];
  const opened = await fileReadAt(path, (_offset, length) => reads.push(length));
  return { ...opened, reads };
}

async function ffmpeg(args: string[]): Promise<void> {
  const result = await run("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", ...args], {
    timeoutMs: 120_000,
  });
  assertEquals(result.code, 0, result.stderr);
}

interface Probe {
  streams: { index: number; codec_type: string; nb_read_packets: string }[];
  format: { duration?: string };
  packets: { stream_index: number; pts_time?: string; dts_time?: string }[];
}

async function ffprobe(path: string): Promise<Probe> {
  const result = await run("ffprobe", [
    "-v",
    "error",
    "-count_packets",
    "-show_streams",
    "-show_format",
    "-show_entries",
    "packet=stream_index,pts_time,dts_time",
    "-of",
    "json",
    path,
  ]);
  assertEquals(result.code, 0, result.stderr);
  return JSON.parse(new TextDecoder().decode(result.stdout));
}

const VIDEO_SOURCE = ["-f", "lavfi", "-i", `testsrc=size=320x240:rate=${FPS}`];
const AUDIO_SOURCE = ["-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=44100"];
/** One keyframe per second exactly (-g 25, no scene-cut keyframes). */
const X264 = ["-c:v", "libx264", "-g", `${FPS}`, "-sc_threshold", "0", "-pix_fmt", "yuv420p"];
const X265 = [
  "-c:v",
  "libx265",
  "-x265-params",
  `keyint=${FPS}:min-keyint=${FPS}:scenecut=0:open-gop=0:log-level=error`,
  "-pix_fmt",
  "yuv420p",
];
const TEN_SECONDS = ["-t", "10"];

function isError(step: CursorStep): step is { readonly error: string } {
  return step !== undefined && "error" in step;
}

/** Every unit from `cursor` to the end; fails on an error step. */
async function drain(cursor: FileCursor): Promise<TimedUnit[]> {
  const units: TimedUnit[] = [];
  for (;;) {
    const step = await cursor.next();
    if (step === undefined) return units;
    if (isError(step)) throw new Error(`cursor error: ${step.error}`);
    units.push(step);
  }
}

/** Reads to the end or the first error, which must come; never throws. */
async function drainExpectingAnything(
  cursor: FileCursor,
): Promise<{ units: number; error?: string }> {
  let units = 0;
  for (let guard = 0; guard < 1_000_000; guard++) {
    const step = await cursor.next();
    if (step === undefined) return { units };
    if (isError(step)) {
      // An error is sticky.
      assertEquals(await cursor.next(), step);
      return { units, error: step.error };
    }
    units++;
  }
  throw new Error("cursor never ended");
}

async function openOk(name: string, readAt: ReadAt, size: number): Promise<FileMedia> {
  const result = await openMediaFile(name, readAt, size);
  assert(result.ok, result.ok ? "" : `${result.kind}: ${result.error}`);
  return result.media;
}

function assertSendOrder(units: readonly TimedUnit[], trackCount: number): void {
  for (let i = 1; i < units.length; i++) {
    assert(
      units[i].sendSeconds >= units[i - 1].sendSeconds,
      `unit ${i} sent at ${units[i].sendSeconds} after ${units[i - 1].sendSeconds}`,
    );
  }
  for (let t = 0; t < trackCount; t++) {
    const times = units.filter((u) => u.trackIndex === t).map((u) => u.sendSeconds);
    assert(times.every((s, i) => i === 0 || s >= times[i - 1]), `track ${t} send order`);
  }
  assert(units.every((u) => u.au.timestamp >= 0 && Number.isInteger(u.au.timestamp)));
}

function ofTrack(units: readonly TimedUnit[], track: number): AccessUnit[] {
  return units.filter((u) => u.trackIndex === track).map((u) => u.au);
}

function seconds(media: FileMedia, unit: TimedUnit): number {
  return unit.au.timestamp / media.tracks[unit.trackIndex].description.clockRate -
    media.timestampOffsetSeconds;
}

const h264Type = (nal: Uint8Array) => nal[0] & 0x1f;
const h265Type = (nal: Uint8Array) => (nal[0] >> 1) & 0x3f;

/** Whether a NAL unit is a parameter set (H.264 SPS/PPS, H.265 VPS/SPS/PPS). */
function isParameterSet(codec: SourceTrack["codec"], nal: Uint8Array): boolean {
  return codec === "H264" ? [7, 8].includes(h264Type(nal)) : [32, 33, 34].includes(h265Type(nal));
}

/**
 * Packetizes every unit with createPacketizer, depacketizes with
 * createDepacketizer and compares. Video keyframes may gain the track's
 * parameter sets (the packetizer inserts them when missing), so those are
 * checked for presence and otherwise ignored.
 */
function roundTrip(track: SourceTrack, units: readonly AccessUnit[]): void {
  // Start near both wrap points: sequence numbers and timestamps must survive them.
  const initialTimestamp = 0xffff_0000;
  const packetizer = createPacketizer(track, {
    ssrc: 0x1234_5678,
    initialSequenceNumber: 0xfff0,
    initialTimestamp,
  });
  const depacketizer = createDepacketizer(track, { initialTimestamp });
  const out: AccessUnit[] = [];
  for (const au of units) {
    for (const bytes of packetizer.packetize(au)) {
      const parsed = parseRtpPacket(bytes);
      assert(parsed.ok, parsed.ok ? "" : parsed.error);
      assertEquals(parsed.packet.header.payloadType, track.description.payloadType);
      out.push(...depacketizer.push(parsed.packet));
    }
  }
  out.push(...depacketizer.flush());
  assertEquals(depacketizer.droppedPackets, 0);
  assertEquals(out.length, units.length, `${track.codec}: access unit count`);
  const video = track.codec === "H264" || track.codec === "H265";
  for (let i = 0; i < units.length; i++) {
    const sent = units[i];
    const got = out[i];
    assertEquals(got.timestamp, sent.timestamp, `${track.codec} unit ${i} timestamp`);
    assertEquals(got.keyframe, sent.keyframe, `${track.codec} unit ${i} keyframe`);
    if (!video) {
      assertEquals(got.units, sent.units, `${track.codec} unit ${i}`);
      continue;
    }
    const strip = (nals: readonly Uint8Array[]) =>
      nals.filter((n) => !isParameterSet(track.codec, n));
    assertEquals(strip(got.units), strip(sent.units), `${track.codec} unit ${i} NAL units`);
    if (sent.keyframe) {
      const sets = got.units.filter((n) => isParameterSet(track.codec, n));
      assertEquals(sets.length, track.codec === "H264" ? 2 : 3, `unit ${i} parameter sets`);
    }
  }
}

/** Size of the first top-level `mdat` box of an MP4 (32-bit sizes only, as ffmpeg writes small files). */
function mdatSize(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let offset = 0; offset + 8 <= bytes.length;) {
    const size = view.getUint32(offset);
    const type = new TextDecoder().decode(bytes.subarray(offset + 4, offset + 8));
    if (type === "mdat") return size;
    assert(size >= 8, `box size ${size}`);
    offset += size;
  }
  throw new Error("no mdat");
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "file_media_test" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * Checks a played-through file against ffprobe: unit count per stream, and for
 * MP4 each unit's presentation and decode times.
 */
function compareWithProbe(
  media: FileMedia,
  units: readonly TimedUnit[],
  probe: Probe,
  exactTimes: boolean,
): void {
  assertEquals(media.tracks.length, probe.streams.length);
  for (const stream of probe.streams) {
    const mine = units.filter((u) => u.trackIndex === stream.index);
    assertEquals(mine.length, Number(stream.nb_read_packets), `stream ${stream.index} count`);
    if (!exactTimes) continue;
    const packets = probe.packets.filter((p) => p.stream_index === stream.index);
    const tick = 1 / media.tracks[stream.index].description.clockRate;
    packets.forEach((p, i) => {
      const pts = Number(p.pts_time);
      const dts = Number(p.dts_time);
      assert(
        Math.abs(seconds(media, mine[i]) - pts) <= tick + 1e-9,
        `stream ${stream.index} unit ${i}: pts ${seconds(media, mine[i])} vs ${pts}`,
      );
      assert(Math.abs(mine[i].sendSeconds - dts) < 1e-6, `stream ${stream.index} unit ${i} dts`);
    });
  }
}

/** The seek checks shared by every video format: cursor(5.5) starts on the 5 s keyframe. */
async function checkVideoSeek(media: FileMedia, all: readonly TimedUnit[], videoTrack: number) {
  const cursor = await media.cursor(5.5);
  assertEquals(cursor.startSeconds, 5);
  const units = await drain(cursor);
  assertSendOrder(units, media.tracks.length);
  const video = units.filter((u) => u.trackIndex === videoTrack);
  assert(video[0].au.keyframe, "first video unit after a seek is a keyframe");
  // Within one RTP clock tick, as the timestamp offset is rounded to whole ticks.
  const slack = 1 / 8000;
  assert(Math.abs(seconds(media, video[0]) - 5) < slack, `keyframe at ${seconds(media, video[0])}`);
  // Nothing presented before the keyframe is sent (closed GOPs).
  assert(units.every((u) => seconds(media, u) >= 5 - slack), "no unit before the seek point");
  // From the seek point on, the same units as playing from the start.
  const fromStart = all.filter((u) => u.trackIndex === videoTrack).map((u) => u.au);
  const tail = fromStart.slice(fromStart.length - video.length);
  assertEquals(video.map((u) => u.au), tail);
  return units;
}

/** A/V sync: the video and audio units presented nearest 5 s agree within one frame. */
function checkAvSync(media: FileMedia, units: readonly TimedUnit[]): void {
  const nearest = (track: number) =>
    units.filter((u) => u.trackIndex === track).reduce((best, u) =>
      Math.abs(seconds(media, u) - 5) < Math.abs(seconds(media, best) - 5) ? u : best
    );
  const video = nearest(0);
  const audio = nearest(1);
  const videoAt = video.au.timestamp / media.tracks[0].description.clockRate;
  const audioAt = audio.au.timestamp / media.tracks[1].description.clockRate;
  assert(Math.abs(videoAt - audioAt) <= 1 / FPS, `video ${videoAt} s, audio ${audioAt} s`);
  // Within one 90 kHz tick: the offset is rounded to whole ticks.
  const tick = 1 / media.tracks[0].description.clockRate;
  assert(Math.abs(videoAt - media.timestampOffsetSeconds - 5) <= tick, `video at ${videoAt}`);
}

// ---------------------------------------------------------------------------
// Without external tools
// ---------------------------------------------------------------------------

Deno.test("file_media: unknown or missing extensions are unsupported", async () => {
  const bytes = new Uint8Array(1000);
  for (const name of ["clip.avi", "clip", "/dir.mp4/clip", "clip.mp4.txt", ".mp4", "clip.ts"]) {
    const { readAt, reads } = memoryReadAt(bytes);
    const result = await openMediaFile(name, readAt, bytes.length);
    assertEquals(result.ok, false, name);
    assertEquals((result as { kind: string }).kind, "unsupported", name);
    assertEquals(reads, [], `${name}: nothing read`);
  }
});

Deno.test("file_media: garbage content under a known extension is corrupt", async () => {
  const garbage = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 7919 + 13) % 251 + 2);
  for (const name of ["a.mp4", "a.MOV", "a.m4a", "a.264", "a.H265", "a.hevc", "a.aac"]) {
    const { readAt, reads } = memoryReadAt(garbage);
    const result = await openMediaFile(name, readAt, garbage.length);
    assertEquals(result.ok, false, name);
    assertEquals((result as { kind: string }).kind, "corrupt", name);
    assert(reads.every((n) => n <= READ_CHUNK_BYTES), `${name}: ${reads}`);
  }
});

Deno.test("file_media: an Annex-B file without an SPS early on is refused without reading it all", async () => {
  // P slices only (no SPS/PPS/IDR), 20 MiB: framed like H.264 but not describable.
  const bytes = new Uint8Array(20 * 1024 * 1024);
  for (let i = 0; i + 8 <= bytes.length; i += 1000) bytes.set([0, 0, 0, 1, 0x41, 0x9a, 7, 7], i);
  const { readAt, reads } = memoryReadAt(bytes);
  const result = await openMediaFile("misnamed.264", readAt, bytes.length);
  assertEquals(result.ok, false);
  assertEquals((result as { kind: string }).kind, "corrupt");
  const read = reads.reduce((a, b) => a + b, 0);
  assert(read <= MAX_BYTES_BEFORE_SPS + READ_CHUNK_BYTES, `read ${read} bytes`);
});

Deno.test("file_media: empty files, bad sizes and failing reads are corrupt, not thrown", async () => {
  const empty = memoryReadAt(new Uint8Array(0));
  const results: OpenMediaResult[] = [
    await openMediaFile("a.mp4", empty.readAt, 0),
    await openMediaFile("a.264", empty.readAt, -1),
    await openMediaFile("a.aac", empty.readAt, NaN),
    // The file is shorter than its stated size.
    await openMediaFile("a.264", empty.readAt, 5000),
    await openMediaFile("a.aac", () => Promise.reject(new Error("EIO")), 5000),
    await openMediaFile("a.mp4", () => Promise.reject(new Error("EIO")), 5000),
  ];
  for (const result of results) {
    assertEquals(result.ok, false);
    assertEquals((result as { kind: string }).kind, "corrupt");
  }
  assert((results[4] as { error: string }).error.includes("EIO"));
});

/** A minimal Annex-B H.264 stream: SPS, PPS, IDR, then P slices (not decodable, but well framed). */
function syntheticH264(pictures: number, idrEvery: number, emptyNals = false): Uint8Array {
  // Baseline SPS 320x240 without VUI (so the 25 fps default applies) and a PPS,
  // as written by an encoder; slices only need their header bits.
  const sps = [0x67, 0x42, 0xc0, 0x0d, 0xd9, 0x01, 0x41, 0xfb, 0x01, 0x10, 0x00, 0x00, 0x03, 0x00];
  const pps = [0x68, 0xcb, 0x83, 0xcb, 0x20];
  const parts: number[] = [];
  for (let i = 0; i < pictures; i++) {
    if (i % idrEvery === 0) parts.push(0, 0, 0, 1, ...sps, 0, 0, 0, 1, ...pps);
    // first_mb_in_slice = 0 is the ue(v) "1" bit: 0x80 / 0x88 start the slice header.
    const slice = i % idrEvery === 0 ? [0x65, 0x88, 0x84, i & 0xff] : [0x41, 0x9a, i & 0xff, 0x55];
    parts.push(0, 0, 0, 1, ...slice);
    // An empty NAL unit (a start code followed only by zeros) belongs to no picture.
    if (emptyNals && i % 10 === 3) parts.push(0, 0, 1, 0, 0);
  }
  return Uint8Array.from(parts);
}

Deno.test("file_media: synthetic Annex-B index, seek and chunk boundaries", async () => {
  const bytes = syntheticH264(500, 50);
  const { readAt } = memoryReadAt(bytes);
  const media = await openOk("synthetic.h264", readAt, bytes.length);
  assertEquals(media.tracks.length, 1);
  assertEquals(media.durationSeconds, 500 / 25);
  assertEquals(media.tracks[0].description.attributes, ["framerate:25"]);
  const all = await drain(await media.cursor(0));
  assertEquals(all.length, 500);
  assertEquals(all.filter((u) => u.au.keyframe).length, 10);
  assertEquals(all[0].au.units.map(h264Type), [7, 8, 5]);
  assertEquals(all[1].au.units.map(h264Type), [1]);
  all.forEach((u, i) => {
    assertEquals(u.au.timestamp, i * 3600);
    assertEquals(u.sendSeconds, i / 25);
  });
  for (const [start, key] of [[0, 0], [1.99, 0], [2, 50], [3.5, 50], [19.96, 450], [1e9, 450]]) {
    const cursor = await media.cursor(start);
    assertEquals(cursor.startSeconds, key / 25, `start ${start}`);
    const units = await drain(cursor);
    assertEquals(units, all.slice(key), `start ${start}`);
  }
  // Reads returning 1, 2, 3 or 7 bytes: every start code is split somewhere.
  for (const maxReturn of [1, 2, 3, 7]) {
    const short = await openOk(
      "synthetic.264",
      memoryReadAt(bytes, maxReturn).readAt,
      bytes.length,
    );
    assertEquals(short.durationSeconds, media.durationSeconds);
    assertEquals(await drain(await short.cursor(0)), all, `${maxReturn}-byte reads`);
    assertEquals(await drain(await short.cursor(7)), all.slice(150), `${maxReturn}-byte reads`);
  }
});

Deno.test("file_media: Annex-B stream with leading junk and empty NAL units", async () => {
  const stream = syntheticH264(100, 25, true);
  // Junk before the first start code, and an empty NAL unit (start code, zeros, start code).
  const bytes = Uint8Array.from([0xde, 0xad, 0, 0, 0, 0, 0, 1, 0, 0, 0, ...stream]);
  for (const maxReturn of [Infinity, 1, 2, 5]) {
    const media = await openOk("junk.264", memoryReadAt(bytes, maxReturn).readAt, bytes.length);
    const all = await drain(await media.cursor(0));
    assertEquals(all.length, 100);
    // A seek lands exactly on the keyframe's first NAL unit: the empty NAL units
    // before it did not throw the byte offsets of the index off.
    const seek = await drain(await media.cursor(2));
    assertEquals(seek, all.slice(50));
    assertEquals(seek[0].au.units.map(h264Type), [7, 8, 5]);
    assertEquals((await drain(await media.cursor(3.5)))[0].au.units.map(h264Type), [7, 8, 5]);
  }
});

/** ADTS frames (AAC LC, 44.1 kHz, stereo) with payloads of varied sizes. */
function syntheticAdts(frames: number): Uint8Array {
  const parts: number[] = [];
  for (let i = 0; i < frames; i++) {
    const payload = 10 + (i % 17);
    const length = 7 + payload;
    // syncword, MPEG-4, layer 0, no CRC | profile LC(1), sf index 4 (44100), channels 2.
    parts.push(0xff, 0xf1, 0x50, 0x80 | (length >> 11), (length >> 3) & 0xff);
    parts.push(((length & 7) << 5) | 0x1f, 0xfc);
    for (let b = 0; b < payload; b++) parts.push((i + b) & 0xff);
  }
  return Uint8Array.from(parts);
}

Deno.test("file_media: synthetic ADTS index and seek to the frame at or before", async () => {
  const frames = 1000;
  const bytes = syntheticAdts(frames);
  const media = await openOk("tone.aac", memoryReadAt(bytes).readAt, bytes.length);
  const track = media.tracks[0];
  assertEquals(track.description.encoding, "mpeg4-generic");
  assertEquals(track.description.clockRate, 44100);
  assertEquals(track.description.channels, 2);
  assert(track.description.fmtp?.includes("config=1210"), track.description.fmtp);
  assertEquals(media.durationSeconds, frames * 1024 / 44100);
  const all = await drain(await media.cursor(0));
  assertEquals(all.length, frames);
  all.forEach((u, i) => {
    assertEquals(u.au.timestamp, i * 1024);
    assertEquals(u.au.units[0].length, 10 + (i % 17));
  });
  for (const start of [0.5, 5.5, 11.6, 23.21, 100]) {
    const cursor = await media.cursor(start);
    const first = Math.min(Math.floor(start * 44100 / 1024), frames - 1);
    assertEquals(cursor.startSeconds, first * 1024 / 44100);
    assertEquals(await drain(cursor), all.slice(first), `start ${start}`);
  }
  // Short reads split headers and frames everywhere; nothing changes.
  for (const maxReturn of [1, 5, 8]) {
    const short = await openOk("tone.aac", memoryReadAt(bytes, maxReturn).readAt, bytes.length);
    assertEquals(short.durationSeconds, media.durationSeconds);
    assertEquals(await drain(await short.cursor(0)), all, `${maxReturn}-byte reads`);
    assertEquals(await drain(await short.cursor(5.5)), all.slice(236), `${maxReturn}-byte reads`);
  }
});

Deno.test("file_media: ADTS junk between frames: index and cursor agree", async () => {
  const clean = syntheticAdts(200);
  // 3 junk bytes after the 10th frame (frame i is 17 + i % 17 bytes).
  let cut = 0;
  for (let i = 0; i < 10; i++) cut += 17 + (i % 17);
  const bytes = Uint8Array.from([
    ...clean.subarray(0, cut),
    0x12,
    0x34,
    0x56,
    ...clean.subarray(cut),
  ]);
  const media = await openOk("junk.aac", memoryReadAt(bytes).readAt, bytes.length);
  const all = await drain(await media.cursor(0));
  // The frame followed by junk is unconfirmed and dropped (AdtsReader's sync
  // rule); the index counts the same way, so durations and seeks stay consistent.
  assertEquals(all.length, 199);
  assertEquals(media.durationSeconds, 199 * 1024 / 44100);
  assertEquals(all.map((u) => u.au.timestamp), Array.from({ length: 199 }, (_, i) => i * 1024));
  assertEquals(all[9].au.units[0].length, 10 + 10);
  assertEquals(await drain(await media.cursor(3)), all.slice(129));
});

Deno.test("file_media: cut and flipped raw streams never throw or hang", async () => {
  const inputs: [string, Uint8Array][] = [
    ["x.264", syntheticH264(200, 25)],
    ["x.aac", syntheticAdts(300)],
  ];
  let seed = 12345;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (const [name, original] of inputs) {
    let opened = 0;
    for (let trial = 0; trial < 40; trial++) {
      const bytes = original.slice(0, trial % 2 ? random(original.length) : original.length);
      for (let f = 0; f < 1 + random(20); f++) bytes[random(bytes.length)] = random(256);
      const result = await openMediaFile(name, memoryReadAt(bytes).readAt, bytes.length);
      if (!result.ok) continue;
      opened++;
      for (const start of [0, 3]) {
        await drainExpectingAnything(await result.media.cursor(start));
      }
    }
    // Most damage is local: the readers resynchronise and play the rest.
    assert(opened > 20, `${name}: only ${opened} of 40 opened`);
  }
});

// ---------------------------------------------------------------------------
// Real files made by ffmpeg
// ---------------------------------------------------------------------------

await toolTest("file_media real: MP4 H.264 baseline + AAC", ["ffmpeg", "ffprobe"], async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/baseline.mp4`;
    await ffmpeg([
      ...VIDEO_SOURCE,
      ...AUDIO_SOURCE,
      ...TEN_SECONDS,
      ...X264,
      "-profile:v",
      "baseline",
      "-c:a",
      "aac",
      "-ac",
      "2",
      path,
    ]);
    const probe = await ffprobe(path);
    const f = await openFile(path);
    try {
      const media = await openOk("Baseline.MP4", f.readAt, f.size);
      const [video, audio] = media.tracks;
      assertEquals(video.codec, "H264");
      assertEquals(video.description.media, "video");
      assertEquals(video.description.payloadType, 96);
      assertEquals(video.description.encoding, "H264");
      assertEquals(video.description.clockRate, 90000);
      assertEquals(video.description.control, "trackID=0");
      assertEquals(video.description.attributes, ["framerate:25"]);
      assert(video.description.fmtp?.includes("packetization-mode=1"));
      assert(video.description.fmtp?.includes("profile-level-id=42c0"), video.description.fmtp);
      assert(video.description.fmtp?.includes("sprop-parameter-sets="));
      assertEquals(video.parameterSets?.sps.length !== undefined, true);
      assertEquals(h264Type(video.parameterSets!.sps), 7);
      assertEquals(h264Type(video.parameterSets!.pps), 8);

      assertEquals(audio.codec, "AAC");
      assertEquals(audio.description.payloadType, 97);
      assertEquals(audio.description.encoding, "mpeg4-generic");
      assertEquals(audio.description.clockRate, 44100);
      assertEquals(audio.description.channels, 2);
      assertEquals(audio.description.control, "trackID=1");
      // AAC LC (2), 44.1 kHz (index 4), 2 channels: 0x1210.
      assert(audio.description.fmtp?.includes("config=1210"), audio.description.fmtp);
      // AAC encoder delay: the first frame is presented before 0.
      assert(media.timestampOffsetSeconds > 0 && media.timestampOffsetSeconds < 0.1);
      assert(Math.abs(media.durationSeconds - Number(probe.format.duration)) < 0.1);

      const all = await drain(await media.cursor(0));
      assertSendOrder(all, 2);
      compareWithProbe(media, all, probe, true);
      const firstVideo = all.find((u) => u.trackIndex === 0)!;
      assert(firstVideo.au.keyframe);
      assertEquals(firstVideo.au.units.filter((n) => h264Type(n) === 5).length > 0, true);
      checkAvSync(media, all);

      const seek = await checkVideoSeek(media, all, 0);
      const seekAudio = seek.filter((u) => u.trackIndex === 1);
      assert(seconds(media, seekAudio[0]) < 5 + 1024 / 44100, "audio starts with the keyframe");
      checkAvSync(media, seek);

      // Bounded reads: moov once, then one read per sample, never the mdat.
      const mdat = mdatSize(await Deno.readFile(path));
      assert(
        f.reads.every((n) => n <= MAX_READ_BYTES && n < mdat),
        `reads ${Math.max(...f.reads)}`,
      );

      roundTrip(video, ofTrack(all, 0));
      roundTrip(audio, ofTrack(all, 1));
    } finally {
      f.close();
    }
  });
});

await toolTest(
  "file_media real: MP4 with B-frames sends in decode order",
  ["ffmpeg", "ffprobe"],
  async () => {
    await withTempDir(async (dir) => {
      const path = `${dir}/high.m4v`;
      await ffmpeg([
        ...VIDEO_SOURCE,
        ...TEN_SECONDS,
        ...X264,
        "-profile:v",
        "high",
        "-bf",
        "2",
        "-f",
        "mp4",
        path,
      ]);
      const probe = await ffprobe(path);
      const f = await openFile(path);
      try {
        const media = await openOk(path, f.readAt, f.size);
        assertEquals(media.tracks.length, 1);
        assert(media.tracks[0].description.fmtp?.includes("profile-level-id=64"));
        const all = await drain(await media.cursor(0));
        assertSendOrder(all, 1);
        compareWithProbe(media, all, probe, true);
        // Decode order is not presentation order, yet presentation times cover
        // every frame slot exactly once.
        const pts = all.map((u) => u.au.timestamp);
        assert(pts.some((t, i) => i > 0 && t < pts[i - 1]), "B-frames reorder");
        const offset = Math.round(media.timestampOffsetSeconds * 90000);
        assertEquals(
          [...pts].sort((a, b) => a - b),
          Array.from({ length: 250 }, (_, i) => offset + i * 3600),
        );
        // Decoding starts before presentation: the first units are sent before 0.
        assert(all[0].sendSeconds < 0);
        await checkVideoSeek(media, all, 0);
        roundTrip(media.tracks[0], all.map((u) => u.au));
      } finally {
        f.close();
      }
    });
  },
);

// libx265 and libopus are optional in ffmpeg builds: without them these are ignored.
await toolTest("file_media real: MP4 H.265 + Opus", [
  "ffmpeg",
  "ffprobe",
  "ffmpeg:libx265",
  "ffmpeg:libopus",
], async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/hevc.mp4`;
    await ffmpeg([
      ...VIDEO_SOURCE,
      "-f",
      "lavfi",
      "-i",
      "sine=frequency=440:sample_rate=48000",
      ...TEN_SECONDS,
      ...X265,
      "-c:a",
      "libopus",
      "-ac",
      "2",
      path,
    ]);
    const probe = await ffprobe(path);
    const f = await openFile(path);
    try {
      const media = await openOk(path, f.readAt, f.size);
      const [video, audio] = media.tracks;
      assertEquals(video.codec, "H265");
      assertEquals(video.description.encoding, "H265");
      assertEquals(video.description.clockRate, 90000);
      for (const p of ["sprop-vps=", "sprop-sps=", "sprop-pps="]) {
        assert(video.description.fmtp?.includes(p), video.description.fmtp);
      }
      assertEquals(h265Type(video.parameterSets!.vps!), 32);
      assertEquals(audio.codec, "OPUS");
      assertEquals(audio.description.encoding, "opus");
      assertEquals(audio.description.clockRate, 48000);
      assertEquals(audio.description.channels, 2);
      assertEquals(audio.description.fmtp, "sprop-stereo=1");
      assertEquals(audio.description.payloadType, 97);

      const all = await drain(await media.cursor(0));
      assertSendOrder(all, 2);
      compareWithProbe(media, all, probe, true);
      assert(all.find((u) => u.trackIndex === 0)!.au.keyframe);
      checkAvSync(media, all);
      const seek = await checkVideoSeek(media, all, 0);
      checkAvSync(media, seek);
      assert(f.reads.every((n) => n <= MAX_READ_BYTES));
      roundTrip(video, ofTrack(all, 0));
      roundTrip(audio, ofTrack(all, 1));
    } finally {
      f.close();
    }
  });
});

for (const codec of ["H264", "H265"] as const) {
  const needs = codec === "H265" ? ["ffmpeg:libx265"] : [];
  await toolTest(`file_media real: Annex-B ${codec}`, ["ffmpeg", "ffprobe", ...needs], async () => {
    await withTempDir(async (dir) => {
      const path = `${dir}/clip.${codec === "H264" ? "264" : "hevc"}`;
      await ffmpeg([
        ...VIDEO_SOURCE,
        ...TEN_SECONDS,
        ...(codec === "H264" ? [...X264, "-profile:v", "main", "-bf", "2"] : X265),
        "-f",
        codec === "H264" ? "h264" : "hevc",
        path,
      ]);
      const probe = await ffprobe(path);
      const f = await openFile(path);
      try {
        const media = await openOk(path, f.readAt, f.size);
        const track = media.tracks[0];
        assertEquals(track.codec, codec);
        assertEquals(track.description.clockRate, 90000);
        assertEquals(track.description.attributes, ["framerate:25"]);
        assert(track.parameterSets?.sps && track.parameterSets.pps);
        if (codec === "H264") {
          assert(track.description.fmtp?.includes("profile-level-id=4d"), track.description.fmtp);
          assert(track.description.fmtp?.includes("sprop-parameter-sets="));
        } else {
          assertEquals(h265Type(track.parameterSets.vps!), 32);
          assert(track.description.fmtp?.includes("sprop-vps="));
        }
        assertEquals(media.durationSeconds, Number(probe.streams[0].nb_read_packets) / FPS);
        assert(Math.abs(media.durationSeconds - 10) < 0.1, `${media.durationSeconds}`);

        const all = await drain(await media.cursor(0));
        assertSendOrder(all, 1);
        compareWithProbe(media, all, probe, false);
        assert(all[0].au.keyframe);
        // B-frames: presentation times run behind decode by the reordering
        // depth, which becomes the media's timestamp offset (as an MP4's ctts does).
        assert(media.timestampOffsetSeconds > 0, `offset ${media.timestampOffsetSeconds}`);
        // Every second starts a GOP.
        const keyTimes = all.filter((u) => u.au.keyframe).map((u) =>
          Math.round((u.au.timestamp / 90000 - media.timestampOffsetSeconds) * 1000) / 1000
        );
        assertEquals(keyTimes, Array.from({ length: 10 }, (_, i) => i));
        await checkVideoSeek(media, all, 0);
        // Chunked reads only, opening included.
        assert(f.reads.every((n) => n <= READ_CHUNK_BYTES), `${Math.max(...f.reads)}`);
        roundTrip(track, all.map((u) => u.au));
      } finally {
        f.close();
      }
    });
  });
}

await toolTest("file_media real: ADTS AAC", ["ffmpeg", "ffprobe"], async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/tone.aac`;
    await ffmpeg([...AUDIO_SOURCE, ...TEN_SECONDS, "-c:a", "aac", "-f", "adts", path]);
    const probe = await ffprobe(path);
    const f = await openFile(path);
    try {
      const media = await openOk(path, f.readAt, f.size);
      const track = media.tracks[0];
      assertEquals(track.codec, "AAC");
      assertEquals(track.description.clockRate, 44100);
      assertEquals(track.description.channels, 1);
      assert(track.description.fmtp?.includes("config=1208"), track.description.fmtp);
      const count = Number(probe.streams[0].nb_read_packets);
      assertEquals(media.durationSeconds, count * 1024 / 44100);
      // ffprobe only estimates an ADTS file's duration from its bit rate; the
      // frame count above is exact, and 10 s were encoded.
      assert(Math.abs(media.durationSeconds - 10) < 0.1, `${media.durationSeconds}`);

      const all = await drain(await media.cursor(0));
      assertSendOrder(all, 1);
      compareWithProbe(media, all, probe, false);
      const cursor = await media.cursor(5.5);
      const first = Math.floor(5.5 * 44100 / 1024);
      assertEquals(cursor.startSeconds, first * 1024 / 44100);
      assert(cursor.startSeconds <= 5.5 && cursor.startSeconds > 5.5 - 1024 / 44100);
      assertEquals(await drain(cursor), all.slice(first));
      assert(f.reads.every((n) => n <= READ_CHUNK_BYTES));
      roundTrip(track, all.map((u) => u.au));
    } finally {
      f.close();
    }
  });
});

await toolTest("file_media real: truncated files give errors, not exceptions", [
  "ffmpeg",
  "ffprobe",
], async () => {
  await withTempDir(async (dir) => {
    const tail = `${dir}/tail.mp4`;
    const fast = `${dir}/fast.mp4`;
    const common = [...VIDEO_SOURCE, ...AUDIO_SOURCE, "-t", "4", ...X264, "-c:a", "aac"];
    await ffmpeg([...common, tail]);
    await ffmpeg([...common, "-movflags", "+faststart", fast]);

    // moov at the end: cut off, so the file cannot be opened.
    const tailBytes = await Deno.readFile(tail);
    const cut = tailBytes.slice(0, tailBytes.length >> 1);
    const tailResult = await openMediaFile("tail.mp4", memoryReadAt(cut).readAt, cut.length);
    assertEquals(tailResult.ok, false);
    assertEquals((tailResult as { kind: string }).kind, "corrupt");

    // moov first, cut: the sample table points past the end, so it is refused.
    const fastBytes = await Deno.readFile(fast);
    const half = fastBytes.slice(0, fastBytes.length >> 1);
    const cutResult = await openMediaFile("fast.mp4", memoryReadAt(half).readAt, half.length);
    assertEquals((cutResult as { kind: string }).kind, "corrupt");

    // A file that shrinks after opening: samples past the cut fail on the cursor.
    const media = await openOk("fast.mp4", memoryReadAt(half).readAt, fastBytes.length);
    const played = await drainExpectingAnything(await media.cursor(0));
    assert(played.error !== undefined && played.units > 10, JSON.stringify(played));

    // Raw streams shrinking after opening: an error step too.
    const rawFiles: [string, string[]][] = [
      ["clip.264", [...VIDEO_SOURCE, ...X264, "-f", "h264"]],
      ["clip.aac", [...AUDIO_SOURCE, "-f", "adts"]],
    ];
    for (const [name, args] of rawFiles) {
      const raw = `${dir}/${name}`;
      await ffmpeg([...args, "-t", "4", raw]);
      let backing = await Deno.readFile(raw);
      const size = backing.length;
      const readAt: ReadAt = (offset, length) =>
        Promise.resolve(backing.slice(offset, offset + length));
      const rawMedia = await openOk(name, readAt, size);
      backing = backing.slice(0, size >> 1);
      const rawPlayed = await drainExpectingAnything(await rawMedia.cursor(0));
      assert(rawPlayed.error?.includes("file ended"), `${name}: ${JSON.stringify(rawPlayed)}`);
    }

    // Bytes flipped inside moov and mdat: whatever happens is a result.
    let seed = 99;
    for (let trial = 0; trial < 20; trial++) {
      const bytes = fastBytes.slice();
      for (let k = 0; k < 8; k++) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        // Mostly the first 4 KiB (moov), where damage matters most.
        const at = k < 6 ? seed % 4096 : seed % bytes.length;
        bytes[at] ^= 1 << (seed % 8);
      }
      const result = await openMediaFile("flip.mp4", memoryReadAt(bytes).readAt, bytes.length);
      if (result.ok) await drainExpectingAnything(await result.media.cursor(1.2));
    }
  });
});

await toolTest(
  "file_media real: a file with only unsupported tracks is unsupported",
  ["ffmpeg"],
  async () => {
    await withTempDir(async (dir) => {
      const path = `${dir}/mpeg4.mp4`;
      await ffmpeg([...VIDEO_SOURCE, "-t", "1", "-c:v", "mpeg4", path]);
      const bytes = await Deno.readFile(path);
      const result = await openMediaFile(path, memoryReadAt(bytes).readAt, bytes.length);
      assertEquals(result.ok, false);
      assertEquals((result as { kind: string }).kind, "unsupported");
    });
  },
);

// ---------------------------------------------------------------------------
// keyframeTimes: where a cursor starts exactly (HLS VOD cut points)
// ---------------------------------------------------------------------------

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
  const media = await openOk("s.264", memoryReadAt(bytes).readAt, bytes.length);
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
  const media = await openOk("t.aac", memoryReadAt(bytes).readAt, bytes.length);
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
