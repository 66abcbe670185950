import assert from "node:assert/strict";
import {
  LiveTestSource,
  MAX_CATCH_UP_MS,
  TEST_AUDIO_TRACK,
  TEST_VIDEO_TRACK,
} from "./live_test_source.ts";
import type { AccessUnit } from "./access_unit.ts";
import { H264TestPattern } from "./test_pattern.ts";
import { run, toolTest } from "../../_testing/tools.ts";

/** H.264 7.3.1: nal_unit_type, low 5 bits of the NAL header. */
function nalType(nal: Uint8Array): number {
  return nal[0] & 0x1f;
}

Deno.test("LiveTestSource releases video every 40 ms and audio every 20 ms, in time order", () => {
  const source = new LiveTestSource(1000);
  assert.deepEqual(source.due(999), []);
  const first = source.due(1000);
  assert.deepEqual(first.map((u) => u.trackIndex), [TEST_VIDEO_TRACK, TEST_AUDIO_TRACK]);
  assert.equal(first[0].au.keyframe, true);
  // SPS, PPS, then the IDR picture as 3 slices (one ~116 KB slice would be too big).
  assert.deepEqual(first[0].au.units.map(nalType), [7, 8, 5, 5, 5], "SPS, PPS, IDR");
  assert.equal(source.nextDueMs(), 1020);
  const next = source.due(1040);
  assert.deepEqual(
    next.map((u) => `${u.trackIndex}@${u.au.timestamp}`),
    ["1@160", "0@3600", "1@320"],
  );
  assert.equal(next[1].au.keyframe, false);
});

Deno.test("LiveTestSource: one second holds 25 video frames with one IDR and 50 audio frames", () => {
  const source = new LiveTestSource(0);
  const units = [];
  for (let now = 0; now <= 999; now += 10) units.push(...source.due(now));
  const video = units.filter((u) => u.trackIndex === TEST_VIDEO_TRACK);
  const audio = units.filter((u) => u.trackIndex === TEST_AUDIO_TRACK);
  assert.equal(video.length, 25);
  assert.equal(audio.length, 50);
  assert.deepEqual(video.filter((u) => u.au.keyframe).map((u) => u.au.timestamp), [0]);
  assert.equal(source.due(1000)[0].au.keyframe, true, "next IDR one second later");
});

Deno.test("LiveTestSource skips ahead to an IDR after a stall instead of bursting", () => {
  const source = new LiveTestSource(0);
  source.due(0);
  const after = source.due(10_000);
  const video = after.filter((u) => u.trackIndex === TEST_VIDEO_TRACK);
  assert.ok(video.length <= Math.ceil(MAX_CATCH_UP_MS / 40) + 1, `${video.length} frames`);
  assert.equal(video[0].au.keyframe, true);
});

Deno.test("LiveTestSource maps wall time to each track's media clock", () => {
  const source = new LiveTestSource(5000);
  assert.equal(source.mediaTimeAt(TEST_VIDEO_TRACK, 6000), 90000);
  assert.equal(source.mediaTimeAt(TEST_AUDIO_TRACK, 6000), 8000);
  assert.match(source.tracks[0].description.fmtp ?? "", /packetization-mode=1;profile-level-id=42/);
});

await toolTest(
  "LiveTestSource: no NAL unit over 60,000 bytes, IDRs in slices ffmpeg decodes pixel-exact",
  ["ffmpeg"],
  async () => {
    // live555-based clients (openRTSP, older VLC) buffer 100,000 bytes per NAL unit
    // by default and cut longer ones; a one-slice IDR here was 115,804 bytes.
    const source = new LiveTestSource(0);
    const video: AccessUnit[] = [];
    for (let now = 0; now <= 2040; now += 10) {
      for (const u of source.due(now)) if (u.trackIndex === TEST_VIDEO_TRACK) video.push(u.au);
    }
    assert.equal(video.length, 52);
    for (const au of video) {
      for (const nal of au.units) {
        assert.ok(nal.length <= 60_000, `${nal.length}-byte NAL unit at ${au.timestamp}`);
      }
    }
    const keyframes = video.filter((au) => au.keyframe);
    assert.deepEqual(keyframes.map((au) => au.timestamp), [0, 90_000, 180_000]);
    for (const au of keyframes) {
      const slices = au.units.filter((nal) => nalType(nal) === 5);
      assert.ok(slices.length >= 2, `${slices.length} IDR slice(s) at ${au.timestamp}`);
    }

    const dir = await Deno.makeTempDir({ prefix: "live_test_source_" });
    try {
      const file = `${dir}/live.264`;
      const nals = video.flatMap((au) => au.units);
      const annexB = new Uint8Array(nals.reduce((n, nal) => n + 4 + nal.length, 0));
      let o = 0;
      for (const nal of nals) {
        annexB.set([0, 0, 0, 1], o);
        annexB.set(nal, o + 4);
        o += 4 + nal.length;
      }
      await Deno.writeFile(file, annexB);
      const out = await run("ffmpeg", [
        ...["-v", "error", "-f", "h264", "-i", file, "-fps_mode", "passthrough"],
        ...["-f", "rawvideo", "-pix_fmt", "yuv420p", "-"],
      ]);
      assert.equal(out.stderr, "");
      assert.equal(out.code, 0);
      const reference = new H264TestPattern();
      const frameBytes = 320 * 240 * 1.5;
      assert.equal(out.stdout.length, video.length * frameBytes, "decoded frame count");
      const frame = (i: number) => out.stdout.subarray(i * frameBytes, (i + 1) * frameBytes);
      for (let i = 0; i < video.length; i++) {
        const got = frame(i);
        const want = reference.yuv420(video[i].timestamp / 3600);
        let diff = 0;
        for (let k = 0; k < frameBytes; k++) if (got[k] !== want[k]) diff++;
        assert.equal(diff, 0, `frame ${i}: ${diff} samples differ from what was drawn`);
      }
      // The A/V sync flash, with literal BT.601 levels: white for the first 3 frames
      // of each second (in step with the beep), black after.
      const { flashBox } = reference.layout;
      const flashLuma = (i: number) =>
        frame(i)[(flashBox.y + flashBox.height / 2) * 320 + flashBox.x + flashBox.width / 2];
      assert.deepEqual([0, 2, 3, 24, 25, 27, 28, 50].map(flashLuma), [
        235,
        235,
        16,
        16,
        235,
        235,
        16,
        235,
      ]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);
