/**
 * Real players against a real server: ffprobe, ffmpeg and GStreamer play the
 * live test stream over UDP and TCP. CI installs them; elsewhere a test whose
 * tool is missing is ignored, the tool named in its name (see toolTest).
 */

import assert from "node:assert/strict";
import { ffmpegDecode, ffprobeStreams, gstPlayPipeline, gstRun } from "./_testing/clients.ts";
import { startTestServer } from "./_testing/server.ts";
import { toolTest } from "./_testing/tools.ts";

const SECONDS = 5;
const FPS = 25;

function assertFrameCount(frames: number, what: string): void {
  const expected = SECONDS * FPS;
  assert.ok(
    Math.abs(frames - expected) <= expected * 0.1,
    `${what}: ${frames} frames, expected ${expected} ± 10%`,
  );
}

await toolTest(
  "ffprobe lists the test stream: H.264 320x240 at 25 fps and PCMU 8 kHz",
  ["ffprobe"],
  async () => {
    await using srv = await startTestServer();
    const streams = await ffprobeStreams(srv.url(), ["-rtsp_transport", "tcp"]);
    assert.deepEqual(
      streams.map((
        s,
      ) => [s.codec_type, s.codec_name, s.width, s.height, s.r_frame_rate, s.sample_rate]),
      [
        ["video", "h264", 320, 240, "25/1", undefined],
        ["audio", "pcm_mulaw", undefined, undefined, "0/0", "8000"],
      ],
    );
  },
);

for (
  const [name, args] of [
    ["UDP", ["-rtsp_transport", "udp"]],
    ["TCP", ["-rtsp_transport", "tcp"]],
    ["prefer_tcp", ["-rtsp_flags", "prefer_tcp"]],
  ] as const
) {
  await toolTest(
    `ffmpeg over ${name} decodes 5 s of video and audio with no errors`,
    ["ffmpeg"],
    async () => {
      await using srv = await startTestServer();
      const result = await ffmpegDecode(srv.url(), SECONDS, [...args]);
      assert.equal(result.code, 0, result.errors);
      assert.equal(result.errors, "");
      assertFrameCount(result.frames, name);
      assert.ok(Math.abs(result.seconds - SECONDS) < 0.5, `${result.seconds} s of output`);
    },
  );
}

for (const protocol of ["tcp", "udp"] as const) {
  await toolTest(
    `GStreamer (playbin, rtspsrc over ${protocol}) receives buffers for 5 s without errors`,
    ["gst-launch-1.0"],
    async () => {
      await using srv = await startTestServer();
      const result = await gstRun(
        gstPlayPipeline(srv.url(), { protocol }),
        SECONDS,
      );
      assert.deepEqual(result.problems, []);
      assert.equal(result.code, 0);
      // Video frames plus 20 ms audio frames in 5 s: well over 100 buffers.
      assert.ok(result.buffers > 100, `${result.buffers} buffers`);
    },
  );
}

await toolTest("three ffmpeg readers at once on /test all decode cleanly", ["ffmpeg"], async () => {
  await using srv = await startTestServer();
  const results = await Promise.all([
    ffmpegDecode(srv.url(), SECONDS, ["-rtsp_transport", "tcp"]),
    ffmpegDecode(srv.url(), SECONDS, ["-rtsp_transport", "udp"]),
    ffmpegDecode(srv.url(), SECONDS, ["-rtsp_transport", "tcp"]),
  ]);
  for (const [i, r] of results.entries()) {
    assert.equal(r.code, 0, r.errors);
    assert.equal(r.errors, "", `reader ${i}`);
    assertFrameCount(r.frames, `reader ${i}`);
  }
});
