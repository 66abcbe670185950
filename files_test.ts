/**
 * Files under --root played by real clients: MP4, Annex-B and ADTS, seeking,
 * PAUSE/PLAY, several readers, and paths that try to leave the root.
 */

import assert from "node:assert/strict";
import { ffmpegDecode, ffprobeStreams, gstPlayPipeline, gstRun } from "./_testing/clients.ts";
import { RawClient } from "./_testing/raw_client.ts";
import { startTestServer } from "./_testing/server.ts";
import { MEDIA_NEEDS, testMedia } from "./_testing/media.ts";
import { type Requirement, run, toolTest } from "./_testing/tools.ts";
import { FileLibrary } from "./_server/file_library.ts";
import { Logger } from "./_server/log.ts";

/**
 * Registers a test that plays the test media (made by ffmpeg) with `tools`; it is
 * ignored where they are missing (see toolTest). `fn` gets the media directory.
 */
function mediaTest(
  name: string,
  tools: Requirement[],
  fn: (root: string) => Promise<void>,
  options: { ignore?: boolean } = {},
): Promise<void> {
  return toolTest(name, [...MEDIA_NEEDS, ...tools], async () => fn(await testMedia()), options);
}

await mediaTest(
  "ffprobe lists the streams of MP4, Annex-B and ADTS files",
  ["ffprobe"],
  async (root) => {
    await using srv = await startTestServer({ root });
    const summary = async (path: string) =>
      (await ffprobeStreams(srv.url(path), ["-rtsp_transport", "tcp"])).map((s) =>
        [s.codec_name, s.width, s.height, s.r_frame_rate, s.sample_rate].filter((x) =>
          x !== undefined && x !== "0/0"
        ).join(" ")
      );
    const expected: Record<string, string[]> = {
      "/clip.mp4": ["h264 320 240 25/1", "aac 48000"],
      "/clip.264": ["h264 320 240 25/1"],
      "/sub/nested.264": ["h264 320 240 25/1"],
      "/clip.265": ["hevc 320 240 25/1"],
      "/hevc_opus.mp4": ["hevc 320 240 25/1", "opus 48000"],
      "/tone.aac": ["aac 48000"],
    };
    // All at once: each ffprobe mostly waits for the stream, and the server serves them side by side.
    const found = await Promise.all(Object.keys(expected).map(summary));
    assert.deepEqual(
      Object.fromEntries(Object.keys(expected).map((p, i) => [p, found[i]])),
      expected,
    );
  },
);

for (
  const [name, args] of [["TCP", ["-rtsp_transport", "tcp"]], ["UDP", [
    "-rtsp_transport",
    "udp",
  ]]] as const
) {
  await mediaTest(
    `ffmpeg over ${name} decodes 5 s of an MP4 (H.264 + AAC) with no errors`,
    [],
    async (root) => {
      await using srv = await startTestServer({ root });
      const r = await ffmpegDecode(srv.url("/clip.mp4"), 5, [...args]);
      assert.equal(r.code, 0, r.errors);
      assert.equal(r.errors, "");
      assert.ok(Math.abs(r.frames - 125) <= 12.5, `${r.frames} frames`);
    },
  );
}

await mediaTest(
  "ffmpeg decodes H.265 + Opus from an MP4 and a raw .265 with no errors",
  [],
  async (root) => {
    await using srv = await startTestServer({ root });
    for (const path of ["/hevc_opus.mp4", "/clip.265"]) {
      const r = await ffmpegDecode(srv.url(path), 3, ["-rtsp_transport", "tcp"]);
      assert.equal(r.code, 0, r.errors);
      assert.equal(r.errors, "", path);
      assert.ok(Math.abs(r.frames - 75) <= 7.5, `${path}: ${r.frames} frames`);
    }
  },
);

await mediaTest("GStreamer plays an MP4 over TCP and UDP", ["gst-launch-1.0"], async (root) => {
  await using srv = await startTestServer({ root });
  for (const protocol of ["tcp", "udp"] as const) {
    const r = await gstRun(
      gstPlayPipeline(srv.url("/clip.mp4"), { protocol }),
      5,
    );
    assert.deepEqual(r.problems, [], protocol);
    // rtspsrc holds the first 2 s in its jitter buffer; the rest must flow.
    assert.ok(r.buffers > 60, `${protocol}: ${r.buffers} buffers`);
  }
});

await mediaTest("three readers of one file each get their own timeline", [], async (root) => {
  await using srv = await startTestServer({ root });
  const results = await Promise.all([0, 1, 2].map(async (i) => {
    await new Promise((r) => setTimeout(r, i * 700));
    return await ffmpegDecode(srv.url("/clip.264"), 3, [
      "-rtsp_transport",
      i === 1 ? "udp" : "tcp",
    ]);
  }));
  for (const r of results) {
    assert.equal(r.errors, "");
    assert.ok(Math.abs(r.frames - 75) <= 7.5, `${r.frames} frames`);
  }
});

await mediaTest("ffmpeg -ss 5 seeks: the first picture is the one at 5 s", [], async (root) => {
  await using srv = await startTestServer({ root });
  const grab = async (input: string, pre: string[]) => {
    // yuv420p is what the decoder outputs: no conversion, so pictures compare exactly.
    const out = await run("ffmpeg", [
      "-v",
      "error",
      ...pre,
      "-ss",
      "5",
      "-i",
      input,
      "-frames:v",
      "1",
      "-f",
      "rawvideo",
      "-pix_fmt",
      "yuv420p",
      "-",
    ], { timeoutMs: 30_000 });
    assert.equal(out.code, 0, out.stderr);
    return out.stdout;
  };
  const remote = await grab(srv.url("/clip.mp4"), ["-rtsp_transport", "tcp"]);
  const local = await grab(`${root}/clip.mp4`, []);
  const start = await run("ffmpeg", [
    "-v",
    "error",
    "-i",
    `${root}/clip.mp4`,
    "-frames:v",
    "1",
    "-f",
    "rawvideo",
    "-pix_fmt",
    "yuv420p",
    "-",
  ]);
  assert.equal(remote.length, (320 * 240 * 3) / 2);
  assert.deepEqual(remote, local, "same picture as the file at 5 s");
  assert.notDeepEqual(remote, start.stdout, "not the first picture");
});

await mediaTest("PAUSE then PLAY resumes a file where it paused", [], async (root) => {
  await using srv = await startTestServer({ root });
  const c = await RawClient.connect(srv.port);
  try {
    const url = srv.url("/clip.264");
    const s = await c.request(
      `SETUP ${url} RTSP/1.0\r\nCSeq: 1\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\r\n`,
    );
    const session = s.headers.get("session")!.split(";")[0];
    const play = await c.request(`PLAY ${url} RTSP/1.0\r\nCSeq: 2\r\nSession: ${session}\r\n\r\n`);
    assert.equal(play.headers.get("range"), "npt=0.000-10.000");
    await c.collect(100_000, 1500);
    const pause = await c.request(
      `PAUSE ${url} RTSP/1.0\r\nCSeq: 3\r\nSession: ${session}\r\n\r\n`,
    );
    assert.equal(pause.status, 200);
    await new Promise((r) => setTimeout(r, 1000));
    const resume = await c.request(
      `PLAY ${url} RTSP/1.0\r\nCSeq: 4\r\nSession: ${session}\r\n\r\n`,
    );
    const at = Number(/^npt=([\d.]+)-10\.000$/.exec(resume.headers.get("range")!)?.[1]);
    assert.ok(at > 1.2 && at < 2.0, `resumed at ${at} s, paused after about 1.5 s`);
    const seek = await c.request(
      `PLAY ${url} RTSP/1.0\r\nCSeq: 5\r\nSession: ${session}\r\nRange: npt=7.5-\r\n\r\n`,
    );
    assert.equal(
      seek.headers.get("range"),
      "npt=7.000-10.000",
      "seeks land on the keyframe at or before",
    );
  } finally {
    c.close();
  }
});

await mediaTest(
  "paths never leave the root; unknown and corrupt files are refused; the server keeps serving",
  [],
  async (root) => {
    await using srv = await startTestServer({ root });
    const c = await RawClient.connect(srv.port);
    try {
      const describe = async (path: string) =>
        (await c.request(
          `DESCRIBE rtsp://127.0.0.1:${srv.port}${path} RTSP/1.0\r\nCSeq: 1\r\n\r\n`,
        ))
          .status;
      const cases: Array<[string, number]> = [
        // Dot segments are resolved once, never above the root (RFC 3986, 5.2.4):
        // these name /clip.264 and /etc/passwd under the root.
        ["/../clip.264", 200],
        ["/sub/../../etc/passwd", 404],
        ["/%2e%2e/%2e%2e/etc/passwd", 404],
        ["/sub/%2E%2E/clip.264", 200],
        ["//etc/passwd", 404],
        ["/escape.264", 404],
        ["/missing.mp4", 404],
        ["/sub", 404],
        ["/notes.txt", 415],
        ["/broken.mp4", 415],
        // A link inside the root is not followed either: rules are decided on the path asked.
        ["/inside_link.264", 404],
        ["/clip.264", 200],
      ];
      for (const [path, status] of cases) assert.equal(await describe(path), status, path);
    } finally {
      c.close();
    }
  },
);

await mediaTest(
  "FileLibrary parses a file once for all its readers, each reading on its own; again once it changes",
  [],
  async (root) => {
    const dir = await Deno.makeTempDir({ prefix: "rtsp_ts_library_" });
    try {
      await Deno.copyFile(`${root}/clip.mp4`, `${dir}/a.mp4`);
      const library = new FileLibrary(dir, new Logger("error"));
      const a = await library.open("/a.mp4");
      const b = await library.open("/a.mp4");
      assert.ok(!("error" in a) && !("error" in b));
      assert.equal(library.parses, 1, "the second reader shares the first one's parse");
      // Two cursors read in turns, at different places: each keeps its own position.
      const fromStart = await a.media.cursor(0);
      const fromFive = await b.media.cursor(5);
      const seen: number[][] = [[], []];
      for (let i = 0; i < 40; i++) {
        for (const [k, cursor] of [fromStart, fromFive].entries()) {
          const step = await cursor.next();
          assert.ok(step && !("error" in step));
          seen[k].push(step.sendSeconds);
        }
      }
      assert.ok(seen[0][0] < 0.1 && seen[1][0] >= 4.9, `${seen[0][0]} and ${seen[1][0]}`);
      for (const times of seen) {
        assert.ok(times.every((t, i) => i === 0 || t >= times[i - 1]), "each in order");
      }
      a.close();
      const after = await fromFive.next();
      assert.ok(after && !("error" in after), "closing one reader's file leaves the other's");
      b.close();

      // A different file under the same name is parsed again.
      await Deno.copyFile(`${root}/gop2s.mp4`, `${dir}/a.mp4`);
      const c = await library.open("/a.mp4");
      assert.ok(!("error" in c));
      assert.equal(library.parses, 2);
      assert.equal(c.media.tracks.length, 1, "the new file has no audio");
      c.close();
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

/** The video timestamps a FileLibrary cursor gives for `path`, in decode order. */
async function videoTimestamps(library: FileLibrary, path: string): Promise<number[]> {
  const opened = await library.open(path);
  assert.ok(!("error" in opened), path);
  try {
    const cursor = await opened.media.cursor(0);
    const out: number[] = [];
    for (let step = await cursor.next(); step; step = await cursor.next()) {
      assert.ok(!("error" in step), path);
      if (opened.media.tracks[step.trackIndex].description.media === "video") {
        out.push(step.au.timestamp);
      }
    }
    return out;
  } finally {
    opened.close();
  }
}

await mediaTest(
  "raw H.264 and H.265 with B-frames are stamped in presentation order, as their MP4 is",
  [],
  async (root) => {
    const library = new FileLibrary(root, new Logger("error"));
    for (
      const [raw, mp4] of [["/bframes.264", "/bframes.mp4"], ["/bframes.265", "/bframes_hevc.mp4"]]
    ) {
      const fromRaw = await videoTimestamps(library, raw);
      const fromMp4 = await videoTimestamps(library, mp4);
      assert.equal(fromRaw.length, 100, raw);
      assert.equal(fromMp4.length, 100, mp4);
      // Same bitstream: the same presentation times, up to the MP4's constant offset.
      const offset = fromMp4[0] - fromRaw[0];
      assert.deepEqual(fromRaw.map((t) => t + offset), fromMp4, raw);
      // And they really are out of decode order (the test would prove nothing otherwise).
      assert.ok(fromRaw.some((t, i) => i > 0 && t < fromRaw[i - 1]), `${raw} has B-frames`);
    }
  },
);

await mediaTest(
  "ffmpeg reads raw H.264 and H.265 with B-frames without timestamp warnings",
  [],
  async (root) => {
    await using srv = await startTestServer({ root });
    for (const path of ["/bframes.264", "/bframes.265"]) {
      const out = await ffmpegDecode(srv.url(path), 3, ["-v", "warning", "-rtsp_transport", "tcp"]);
      assert.equal(out.code, 0, out.errors);
      assert.equal(out.errors, "", `${path}: ffmpeg warned`);
      assert.ok(out.frames >= 70, `${path}: ${out.frames} frames`);
    }
  },
);

// Without an IPv4 interface besides loopback there is no default interface to send
// the group on: the test is ignored then (CI included), and its name says why.
const outward = Deno.networkInterfaces().some((i) =>
  i.family === "IPv4" && i.address !== "127.0.0.1"
);
await mediaTest(
  "ffmpeg plays a file and the live stream over udp_multicast (the group leaves through the default interface)" +
    (outward ? "" : " [ignored: no IPv4 interface besides loopback]"),
  [],
  async (root) => {
    // Bound to 0.0.0.0, the server lets the routing table pick the group's interface,
    // which is where ffmpeg joins it.
    await using srv = await startTestServer({
      root,
      hostname: "0.0.0.0",
      multicast: { firstAddress: 0xefff2c00, addressCount: 16, ttl: 1 },
    });
    // A file (a group timeline of its own) and the live test stream.
    for (const path of ["/clip.mp4", "/test"]) {
      const out = await ffmpegDecode(srv.url(path), 3, ["-rtsp_transport", "udp_multicast"]);
      assert.equal(out.code, 0, out.errors);
      assert.equal(out.errors, "", path);
      assert.ok(out.frames >= 60, `${path}: ${out.frames} frames over multicast`);
    }
  },
  { ignore: !outward },
);
