/**
 * Round trips through real programs: the test media files are read as the
 * server reads them, packetized to RTP, depacketized and muxed to fragmented
 * MP4; ffprobe and ffmpeg must read the result without an error and find
 * every frame.
 */

import assert from "node:assert/strict";
import { createPacketizer } from "../../rtp/create_packetizer.ts";
import { MEDIA_NEEDS, testMedia } from "../../../_testing/media.ts";
import { run, toolTest } from "../../../_testing/tools.ts";
import { mediaUnits } from "../../../_testing/media_units.ts";
import { type Fmp4Fragment, Fmp4Muxer, type Fmp4Output } from "./muxer.ts";
import { RtpAccessUnits } from "./rtp_access_units.ts";
import { fmp4CodecOf } from "./codec_config.ts";
import { parseFragment } from "./_test_helpers.ts";

/** RTP timestamps start just before their 32-bit wrap, so every file crosses it. */
const INITIAL_TIMESTAMP = 0xffff_0000;

interface Muxed {
  readonly init: Uint8Array;
  readonly fragments: Fmp4Fragment[];
  readonly codecs: string;
  readonly muxer: Fmp4Muxer;
}

/** Reads `path` as the server does and muxes it through RTP. */
export async function muxFile(path: string): Promise<Muxed> {
  const { tracks, units: timed } = await mediaUnits(path);
  const muxer = new Fmp4Muxer(tracks.map((t) => t.description));
  const packetizers = tracks.map((t, i) =>
    createPacketizer(t, {
      ssrc: i + 1,
      initialSequenceNumber: 0,
      initialTimestamp: INITIAL_TIMESTAMP,
    })
  );
  const inputs = tracks.map((t) => {
    const codec = fmp4CodecOf(t.description);
    return codec && new RtpAccessUnits(codec, t.description);
  });
  const out: Fmp4Output[] = [];
  for (const step of timed) {
    const input = inputs[step.trackIndex];
    if (!input) continue;
    const clockRate = tracks[step.trackIndex].description.clockRate;
    for (const au of input.push(packetizers[step.trackIndex].packetize(step.au))) {
      // The wallclock of presentation: the file's own timeline, shared by all tracks.
      const wallclockMs = (((au.timestamp - INITIAL_TIMESTAMP) >>> 0) / clockRate) * 1000;
      out.push(...muxer.push(step.trackIndex, au, wallclockMs));
    }
  }
  out.push(...muxer.flush());
  const inits = out.filter((o) => o.kind === "init");
  assert.equal(inits.length, 1, "one init segment");
  assert.equal(out[0].kind, "init", "the init segment comes first");
  return {
    init: inits[0].bytes,
    codecs: inits[0].codecs,
    fragments: out.flatMap((o) => (o.kind === "fragment" ? [o.fragment] : [])),
    muxer,
  };
}

/** Writes init + fragments to a temporary `.mp4`. */
export async function writeMuxed(
  init: Uint8Array,
  fragments: readonly Fmp4Fragment[],
): Promise<string> {
  const path = await Deno.makeTempFile({ prefix: "rtsp_ts_fmp4_", suffix: ".mp4" });
  const file = await Deno.open(path, { write: true, truncate: true });
  try {
    await file.write(init);
    for (const f of fragments) {
      let at = 0;
      while (at < f.bytes.length) at += await file.write(f.bytes.subarray(at));
    }
  } finally {
    file.close();
  }
  return path;
}

/** Per stream of `path`: codec, frame count and duration from ffprobe; asserts no message. */
export async function probe(
  path: string,
): Promise<Array<{ codec: string; frames: number; duration: number }>> {
  const out = await run("ffprobe", [
    ...["-v", "error", "-count_frames", "-show_entries"],
    "stream=codec_name,nb_read_frames,duration",
    ...["-of", "json", path],
  ]);
  assert.equal(out.stderr.trim(), "", `ffprobe ${path}: ${out.stderr}`);
  assert.equal(out.code, 0);
  const streams = JSON.parse(new TextDecoder().decode(out.stdout)).streams as Array<
    { codec_name: string; nb_read_frames: string; duration?: string }
  >;
  return streams.map((s) => ({
    codec: s.codec_name,
    frames: Number(s.nb_read_frames),
    duration: Number(s.duration ?? NaN),
  }));
}

/** Decodes `path` with ffmpeg; asserts that it says nothing at `-v error`. */
export async function decodeSilently(path: string): Promise<void> {
  const out = await run("ffmpeg", ["-v", "error", "-i", path, "-f", "null", "-"]);
  assert.equal(out.stderr.trim(), "", `ffmpeg ${path}: ${out.stderr}`);
  assert.equal(out.code, 0);
}

/** Bytes of one 320x240 I420 picture. */
const I420_320X240_BYTES = 320 * 240 * 3 / 2;

/**
 * Decodes the video of `path` with GStreamer (qtdemux, a second, independent
 * fragmented-MP4 reader) to raw 320x240 I420, and returns the pictures
 * decoded; asserts that it reports no error or warning.
 */
async function gstreamerPictures(path: string): Promise<number> {
  const raw = await Deno.makeTempFile({ prefix: "rtsp_ts_fmp4_", suffix: ".yuv" });
  try {
    const out = await run("gst-launch-1.0", [
      ...["-q", "filesrc", `location=${path}`, "!", "qtdemux", "name=d", "d.video_0", "!"],
      ...["queue", "!", "decodebin", "!", "videoconvert", "!", "video/x-raw,format=I420", "!"],
      ...["filesink", `location=${raw}`],
    ]);
    const said = new TextDecoder().decode(out.stdout) + out.stderr;
    assert.doesNotMatch(said, /ERROR|WARNING/, said);
    assert.equal(out.code, 0);
    return (await Deno.stat(raw)).size / I420_320X240_BYTES;
  } finally {
    await Deno.remove(raw);
  }
}

/** Decode times of every fragment's first track never go back; every fragment is a whole box pair. */
function assertFragmentsInOrder(fragments: readonly Fmp4Fragment[]): void {
  fragments.forEach((f, i) => {
    assert.equal(f.sequenceNumber, i + 1);
    assert.ok(f.durationSeconds > 0, `fragment ${i} lasts ${f.durationSeconds}`);
    if (i > 0) assert.ok(f.decodeTimeSeconds >= fragments[i - 1].decodeTimeSeconds);
  });
  assert.ok(fragments[0].keyframe, "the first fragment starts at a keyframe");
}

const cases: Array<{
  file: string;
  codecs: RegExp;
  streams: Array<{ codec: string; frames?: number; seconds: number }>;
}> = [
  {
    file: "clip.mp4",
    codecs: /^avc1\.42c0..,mp4a\.40\.2$/,
    streams: [{ codec: "h264", frames: 250, seconds: 10 }, { codec: "aac", seconds: 10 }],
  },
  {
    file: "bframes.mp4",
    codecs: /^avc1\.6400..$/,
    streams: [{ codec: "h264", frames: 100, seconds: 4 }],
  },
  {
    file: "hevc_opus.mp4",
    codecs: /^hvc1\.1\.6\.L\d+(\.[0-9A-F]+)*,opus$/,
    streams: [{ codec: "hevc", frames: 100, seconds: 4 }, { codec: "opus", seconds: 4 }],
  },
  {
    file: "bframes_hevc.mp4",
    codecs: /^hvc1\.1\.6\.L\d+(\.[0-9A-F]+)*$/,
    streams: [{ codec: "hevc", frames: 100, seconds: 4 }],
  },
  { file: "clip.264", codecs: /^avc1\./, streams: [{ codec: "h264", frames: 250, seconds: 10 }] },
  { file: "tone.aac", codecs: /^mp4a\.40\.2$/, streams: [{ codec: "aac", seconds: 4 }] },
];

for (const c of cases) {
  await toolTest(
    `Fmp4Muxer muxes ${c.file} through RTP into fMP4 that ffprobe and ffmpeg read without error`,
    [...MEDIA_NEEDS, "ffprobe"],
    async () => {
      const muxed = await muxFile(`${await testMedia()}/${c.file}`);
      assert.match(muxed.codecs, c.codecs);
      assertFragmentsInOrder(muxed.fragments);
      const path = await writeMuxed(muxed.init, muxed.fragments);
      try {
        const streams = await probe(path);
        assert.equal(streams.length, c.streams.length, JSON.stringify(streams));
        c.streams.forEach((want, i) => {
          assert.equal(streams[i].codec, want.codec);
          if (want.frames !== undefined) assert.equal(streams[i].frames, want.frames);
          assert.ok(
            Math.abs(streams[i].duration - want.seconds) < 0.1,
            `${want.codec} lasts ${streams[i].duration} s, not ${want.seconds}`,
          );
        });
        await decodeSilently(path);
        assert.equal(muxed.muxer.droppedSamples, 0);
        const offsets = muxed.fragments.flatMap((f) =>
          parseFragment(f.bytes).runs.flatMap((r) => r.samples.map((s) => s.compositionOffset))
        );
        assert.ok(offsets.every((o) => o >= 0), "no picture is presented before it is decoded");
        assert.equal(muxed.muxer.timestampJumps, 0);
        assert.equal(muxed.muxer.clampedSamples, 0);
      } finally {
        await Deno.remove(path);
      }
    },
  );
}

await toolTest(
  "Fmp4Muxer: parameter sets sent in-band make the init segment, and new ones make a new one",
  [...MEDIA_NEEDS, "ffprobe"],
  async () => {
    const dir = await testMedia();
    // 320x240 with SPS/PPS ahead of every IDR, then 640x360 whose sets we put there too.
    const small = await mediaUnits(`${dir}/clip.264`);
    const large = await mediaUnits(`${dir}/cbr3m.mp4`);
    const sets = large.tracks[0].parameterSets!;
    // The SDP says nothing of the parameter sets: everything comes in-band.
    const track = { ...small.tracks[0].description, fmtp: "packetization-mode=1" };
    const muxer = new Fmp4Muxer([track]);
    const out: Fmp4Output[] = [];
    const feed = (units: readonly Uint8Array[], keyframe: boolean, timestamp: number) => {
      out.push(...muxer.push(0, { timestamp, units, keyframe }, timestamp / 90));
    };
    const smallUnits = small.units.slice(0, 50);
    for (const u of smallUnits) feed(u.au.units, u.au.keyframe, u.au.timestamp);
    // The second stream has B-frames: its own presentation times, moved to follow on.
    const largeUnits = large.units.filter((u) => u.trackIndex === 0).slice(0, 50);
    const shift = smallUnits.at(-1)!.au.timestamp + 3600 - largeUnits[0].au.timestamp;
    for (const u of largeUnits) {
      const units = u.au.keyframe ? [sets.sps, sets.pps, ...u.au.units] : u.au.units;
      feed(units, u.au.keyframe, u.au.timestamp + shift);
    }
    out.push(...muxer.flush());
    const inits = out.flatMap((o, i) => (o.kind === "init" ? [i] : []));
    assert.equal(inits.length, 2, "one init per parameter set change");
    assert.equal(inits[0], 0);
    for (const at of inits) {
      const next = out[at + 1];
      assert.ok(
        next.kind === "fragment" && next.fragment.keyframe,
        "a new init is followed by a keyframe",
      );
    }
    assert.equal(muxer.droppedSamples, 0);
    assert.equal(muxer.clampedSamples, 0, "the second stream's reorder window is its own SPS's");
    // Each part is a file of its own: init and the fragments it describes.
    const parts = [out.slice(0, inits[1]), out.slice(inits[1])];
    const sizes = [[320, 240], [640, 360]];
    for (const [i, part] of parts.entries()) {
      const [init, ...rest] = part;
      assert.ok(init.kind === "init");
      const fragments = rest.flatMap((o) => (o.kind === "fragment" ? [o.fragment] : []));
      const path = await writeMuxed(init.bytes, fragments);
      try {
        const out = await run("ffprobe", [
          ...["-v", "error", "-show_entries", "stream=width,height", "-of", "csv=p=0", path],
        ]);
        assert.equal(out.stderr.trim(), "");
        assert.equal(new TextDecoder().decode(out.stdout).trim(), sizes[i].join(","));
        assert.equal((await probe(path))[0].frames, 50);
        await decodeSilently(path);
      } finally {
        await Deno.remove(path);
      }
    }
  },
);

for (const file of ["clip.mp4", "bframes.mp4", "hevc_opus.mp4", "bframes_hevc.mp4"]) {
  await toolTest(
    `Fmp4Muxer: GStreamer's qtdemux decodes every picture of ${file} muxed through RTP`,
    [...MEDIA_NEEDS, "gst-launch-1.0"],
    async () => {
      const muxed = await muxFile(`${await testMedia()}/${file}`);
      const path = await writeMuxed(muxed.init, muxed.fragments);
      try {
        const pictures = muxed.fragments.flatMap((f) => parseFragment(f.bytes).runs)
          .filter((r) => r.trackId === 1)
          .reduce((n, r) => n + r.samples.length, 0);
        assert.equal(await gstreamerPictures(path), pictures);
      } finally {
        await Deno.remove(path);
      }
    },
  );
}
