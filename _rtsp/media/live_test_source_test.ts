import assert from "node:assert/strict";
import {
  LiveTestSource,
  MAX_CATCH_UP_MS,
  TEST_AUDIO_TRACK,
  TEST_VIDEO_TRACK,
} from "./live_test_source.ts";

Deno.test("LiveTestSource releases video every 40 ms and audio every 20 ms, in time order", () => {
  const source = new LiveTestSource(1000);
  assert.deepEqual(source.due(999), []);
  const first = source.due(1000);
  assert.deepEqual(first.map((u) => u.trackIndex), [TEST_VIDEO_TRACK, TEST_AUDIO_TRACK]);
  assert.equal(first[0].au.keyframe, true);
  assert.equal(first[0].au.units.length, 3, "SPS, PPS, IDR");
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
