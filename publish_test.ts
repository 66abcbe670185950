/**
 * Publishing and relaying with real programs: ffmpeg and GStreamer publish,
 * ffmpeg, GStreamer and raw sockets read back; instant start, a reader that
 * never reads, and a publisher that drops and is replaced.
 */

import assert from "node:assert/strict";
import { ffmpegDecode, ffprobeStreams, gstPlayPipeline, gstRun } from "./_testing/clients.ts";
import { MEDIA_NEEDS, testMedia } from "./_testing/media.ts";
import { ffmpegPublish, gstPublish, waitForStream } from "./_testing/publisher.ts";
import { playTcp, RawClient } from "./_testing/raw_client.ts";
import { startTestServer } from "./_testing/server.ts";
import { MAX_QUEUED_MEDIA_BYTES } from "./_server/connection_writer.ts";
import { type Requirement, run, toolTest } from "./_testing/tools.ts";
import { parseRtcpCompound } from "./_rtsp/rtp/rtcp.ts";
import { parseRtpPacket } from "./_rtsp/rtp/rtp_packet.ts";

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** ANNOUNCEs one H.264 track (the smallest SDP a publisher sends) to `url`. */
function announceH264(c: RawClient, url: string, cseq: number) {
  const sdp = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\nt=0 0\r\n" +
    "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=control:trackID=0\r\n";
  return c.request(
    `ANNOUNCE ${url} RTSP/1.0\r\nCSeq: ${cseq}\r\nContent-Type: application/sdp\r\n` +
      `Content-Length: ${sdp.length}\r\n\r\n${sdp}`,
  );
}

/** Numbering continues: no jump backwards or far forwards between consecutive packets. */
function assertNumberingContinues(video: ReturnType<typeof parseRtpPacket>[]): void {
  for (let i = 1; i < video.length; i++) {
    const a = video[i - 1], b = video[i];
    assert.ok(a.ok && b.ok);
    const step = (b.packet.header.sequenceNumber - a.packet.header.sequenceNumber + 0x10000) %
      0x10000;
    assert.ok(step >= 1 && step < 100, `sequence step ${step}`);
  }
}

/**
 * Registers a test that publishes the test media (made by ffmpeg) with `tools`; it is
 * ignored where they are missing (see toolTest). `fn` gets the media directory.
 */
function mediaTest(
  name: string,
  tools: Requirement[],
  fn: (dir: string) => Promise<void>,
): Promise<void> {
  return toolTest(name, [...MEDIA_NEEDS, ...tools], async () => fn(await testMedia()));
}

for (const transport of ["tcp", "udp"] as const) {
  await mediaTest(
    `ffmpeg publishes over ${transport}; ffmpeg reads it back over UDP and TCP with no errors`,
    [],
    async (dir) => {
      await using srv = await startTestServer();
      await using _pub = ffmpegPublish(srv.url("/live"), `${dir}/clip.mp4`, transport);
      await waitForStream(srv.port, "/live");
      const overs = ["udp", "tcp"];
      const reads = await Promise.all(
        overs.map((readOver) => ffmpegDecode(srv.url("/live"), 3, ["-rtsp_transport", readOver])),
      );
      reads.forEach((r, i) => {
        assert.equal(r.code, 0, r.errors);
        assert.equal(r.errors, "", `read over ${overs[i]}`);
        assert.ok(Math.abs(r.frames - 75) <= 7.5, `read over ${overs[i]}: ${r.frames} frames`);
      });
    },
  );
}

await mediaTest(
  "GStreamer reads a relayed stream over TCP and UDP, and publishes with rtspclientsink",
  ["gst-launch-1.0"],
  async (dir) => {
    await using srv = await startTestServer();
    await using _pub = ffmpegPublish(srv.url("/live"), `${dir}/clip.mp4`, "tcp");
    await waitForStream(srv.port, "/live");
    for (const protocol of ["tcp", "udp"] as const) {
      const r = await gstRun(
        gstPlayPipeline(srv.url("/live"), { protocol }),
        5,
      );
      assert.deepEqual(r.problems, [], protocol);
      assert.ok(r.buffers > 60, `${protocol}: ${r.buffers} buffers`);
    }
    await using _gst = gstPublish(srv.url("/fromgst"));
    await waitForStream(srv.port, "/fromgst");
    const r = await ffmpegDecode(srv.url("/fromgst"), 3, ["-rtsp_transport", "tcp"]);
    assert.equal(r.errors, "");
    assert.ok(Math.abs(r.frames - 75) <= 7.5, `${r.frames} frames`);
  },
);

await mediaTest(
  "H.265, Opus and an unknown codec (L16) pass through unchanged",
  ["ffprobe"],
  async (dir) => {
    await using srv = await startTestServer();
    await using _a = ffmpegPublish(srv.url("/hevc"), `${dir}/hevc_opus.mp4`, "tcp");
    await using _b = ffmpegPublish(srv.url("/l16"), `${dir}/clip.mp4`, "tcp", [
      "-c:a",
      "pcm_s16be",
      "-ar",
      "8000",
      "-ac",
      "1",
    ]);
    await waitForStream(srv.port, "/hevc");
    await waitForStream(srv.port, "/l16");
    const codecs = async (path: string) =>
      (await ffprobeStreams(srv.url(path), ["-rtsp_transport", "tcp"])).map((s) => s.codec_name);
    assert.deepEqual(await codecs("/hevc"), ["hevc", "opus"]);
    assert.deepEqual(await codecs("/l16"), ["h264", "pcm_s16be"]);
    const r = await ffmpegDecode(srv.url("/hevc"), 2, ["-rtsp_transport", "tcp"]);
    assert.equal(r.errors, "");
    assert.ok(r.frames >= 45, `${r.frames} frames`);
  },
);

await mediaTest(
  "a new reader of a relayed H.264 stream gets a whole keyframe within 200 ms of PLAY",
  [],
  async (dir) => {
    await using srv = await startTestServer();
    // A 2 s GOP: without the cached GOP a reader would wait up to 2 s for a keyframe.
    await using _pub = ffmpegPublish(srv.url("/gop"), `${dir}/gop2s.mp4`, "tcp");
    await waitForStream(srv.port, "/gop");
    const delays: number[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      await wait(700);
      const c = await RawClient.connect(srv.port);
      try {
        const { sentAt } = await playTcp(c, srv.url("/gop"), 1);
        // The first video frame (up to its marker bit) must hold an IDR.
        let idr = false;
        let done = false;
        for (let i = 0; i < 100 && !done; i++) {
          await c.collect(c.frames.length + 1, 2000);
          for (const f of c.frames.splice(0)) {
            if (f.channel !== 0) continue;
            const p = parseRtpPacket(f.payload);
            assert.ok(p.ok);
            const payload = p.packet.payload;
            const nal = payload[0] & 0x1f;
            // RFC 6184: an IDR (5) alone, first in a STAP-A (24) after SPS/PPS, or in FU-A (28).
            if (nal === 5 || (nal === 28 && (payload[1] & 0x1f) === 5)) idr = true;
            if (nal === 24) {
              for (let at = 1; at + 2 < payload.length;) {
                const size = (payload[at] << 8) | payload[at + 1];
                if ((payload[at + 2] & 0x1f) === 5) idr = true;
                at += 2 + size;
              }
            }
            if (p.packet.header.marker) {
              delays.push(performance.now() - sentAt);
              done = true;
              break;
            }
          }
        }
        assert.ok(done, "a whole frame arrived");
        assert.ok(idr, "the first frame is an IDR picture");
      } finally {
        c.close();
      }
    }
    console.log(
      `first whole keyframe after PLAY: ${delays.map((d) => d.toFixed(1)).join(", ")} ms`,
    );
    for (const d of delays) assert.ok(d < 200, `${d} ms`);
  },
);

await mediaTest(
  "a UDP reader joining late in a long GOP gets the cached GOP paced: ffmpeg decodes it with no loss",
  [],
  async (dir) => {
    await using srv = await startTestServer();
    await using _pub = ffmpegPublish(srv.url("/big"), `${dir}/cbr3m_gop4s.mp4`, "tcp");
    await waitForStream(srv.port, "/big");
    // 3.5 s into a 4 s GOP: about 1.3 MB is cached, 16 times ffmpeg's 64 KiB socket buffer.
    await wait(3500);
    const out = await ffmpegDecode(srv.url("/big"), 3, ["-v", "warning", "-rtsp_transport", "udp"]);
    assert.equal(out.code, 0, out.errors);
    assert.doesNotMatch(out.errors, /missed|error|corrupt/i, "no packet lost, nothing to conceal");
    assert.ok(out.frames >= 70, `${out.frames} frames`);
  },
);

await mediaTest(
  "a second publisher on a busy path is refused; a path with no publisher is 404",
  [],
  async (dir) => {
    await using srv = await startTestServer();
    const c = await RawClient.connect(srv.port);
    try {
      assert.equal(
        (await c.request(`DESCRIBE ${srv.url("/nobody")} RTSP/1.0\r\nCSeq: 1\r\n\r\n`)).status,
        404,
      );
      const announce = (path: string, cseq: number) => announceH264(c, srv.url(path), cseq);
      assert.equal(
        (await announce("/test", 2)).status,
        403,
        "the live test stream is not replaced",
      );
      await using _pub = ffmpegPublish(srv.url("/cam"), `${dir}/clip.mp4`, "tcp");
      await waitForStream(srv.port, "/cam");
      assert.equal((await announce("/cam", 3)).status, 403, "someone already publishes there");
      const setup = await c.request(
        `SETUP ${
          srv.url("/other")
        }/trackID=0 RTSP/1.0\r\nCSeq: 4\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1;mode=record\r\n\r\n`,
      );
      assert.equal(setup.status, 455, "SETUP for recording needs an ANNOUNCE first");
    } finally {
      c.close();
    }
  },
);

await mediaTest(
  "publisher drop and takeover within the grace period: readers keep their sessions",
  [],
  async (dir) => {
    await using srv = await startTestServer({ graceMs: 3000 });
    const first = ffmpegPublish(srv.url("/cam"), `${dir}/clip.mp4`, "tcp");
    await waitForStream(srv.port, "/cam");
    const c = await RawClient.connect(srv.port);
    try {
      const { session } = await playTcp(c, srv.url("/cam"), 2);
      await c.collect(200, 2000);
      await first.kill(); // no TEARDOWN: the connection just drops
      await wait(800);
      await using _second = ffmpegPublish(srv.url("/cam"), `${dir}/clip.mp4`, "udp");
      await waitForStream(srv.port, "/cam");
      c.frames.length = 0;
      await c.collect(300, 3000);
      const video = c.frames.filter((f) => f.channel === 0).map((f) => parseRtpPacket(f.payload));
      assert.ok(video.length > 50, `${video.length} packets from the new publisher`);
      assert.ok(srv.responder.sessions.has(session), "the reader's session survived the takeover");
      assertNumberingContinues(video);
      // The OPTIONS keep-alive still works on the reader's connection.
      assert.equal(
        (await c.request(
          `GET_PARAMETER ${srv.url("/cam")} RTSP/1.0\r\nCSeq: 20\r\nSession: ${session}\r\n\r\n`,
        )).status,
        200,
      );
    } finally {
      c.close();
    }
  },
);

await mediaTest(
  "a takeover by a publisher with another picture size: a reader that stays decodes both sizes with no error",
  [],
  async (dir) => {
    // A second clip at another size; ffmpeg publishing an MP4 sends its SPS/PPS
    // only in the SDP, so the reader can only learn them in-band from us.
    const wide = `${dir}/wide_${crypto.randomUUID()}.mp4`;
    const made = await run("ffmpeg", [
      ...["-hide_banner", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=480x272:rate=25"],
      ...[
        "-t",
        "4",
        "-c:v",
        "libx264",
        "-profile:v",
        "baseline",
        "-g",
        "25",
        "-pix_fmt",
        "yuv420p",
      ],
      wide,
    ]);
    assert.equal(made.code, 0, made.stderr);
    await using srv = await startTestServer({ graceMs: 5000 });
    const first = ffmpegPublish(srv.url("/cam"), `${dir}/clip.mp4`, "tcp", ["-an"]);
    await waitForStream(srv.port, "/cam");
    const reading = run("ffmpeg", [
      ...["-hide_banner", "-nostdin", "-loglevel", "level+info", "-rtsp_transport", "tcp"],
      ...["-i", srv.url("/cam"), "-t", "7", "-vf", "showinfo", "-f", "null", "-"],
    ], { timeoutMs: 30_000 });
    await wait(2500);
    await first.kill();
    await wait(800);
    await using _second = ffmpegPublish(srv.url("/cam"), wide, "tcp", ["-an"]);
    const read = await reading;
    const sizes = new Set([...read.stderr.matchAll(/ s:(\d+x\d+) /g)].map((m) => m[1]));
    assert.deepEqual([...sizes].sort(), ["320x240", "480x272"], read.stderr.slice(-2000));
    const errors = read.stderr.split("\n").filter((l) => /\[(error|fatal)\]/.test(l));
    assert.deepEqual(errors, []);
  },
);

await mediaTest(
  "with --replace-publisher a new publisher replaces the current one; readers keep their sessions",
  [],
  async (dir) => {
    await using srv = await startTestServer({ replacePublisher: ["/cam/*"] });
    const first = ffmpegPublish(srv.url("/cam/door"), `${dir}/clip.mp4`, "tcp");
    await waitForStream(srv.port, "/cam/door");
    const c = await RawClient.connect(srv.port);
    try {
      const { session } = await playTcp(c, srv.url("/cam/door"), 2);
      await c.collect(100, 2000);
      const ssrcBefore = c.frames.filter((f) => f.channel === 0).map((f) =>
        parseRtpPacket(f.payload)
      )
        .find((p) => p.ok)!;
      await using _second = ffmpegPublish(srv.url("/cam/door"), `${dir}/clip.mp4`, "udp");
      // The first publisher's connection is closed: ffmpeg gives up and exits.
      const gone = await Promise.race([first.child.status.then(() => true), wait(8000)]);
      assert.equal(gone, true, "the replaced publisher was disconnected");
      c.frames.length = 0;
      await c.collect(300, 4000);
      const video = c.frames.filter((f) => f.channel === 0).map((f) => parseRtpPacket(f.payload));
      assert.ok(video.length > 50, `${video.length} packets from the new publisher`);
      assert.ok(
        srv.responder.sessions.has(session),
        "the reader's session survived the replacement",
      );
      for (const p of video) {
        assert.ok(p.ok && ssrcBefore.ok);
        assert.equal(p.packet.header.ssrc, ssrcBefore.packet.header.ssrc, "readers keep one SSRC");
      }
      assertNumberingContinues(video);
      // Outside the configured paths a second publisher is still refused.
      await using _other = ffmpegPublish(srv.url("/lobby"), `${dir}/clip.mp4`, "tcp");
      await waitForStream(srv.port, "/lobby");
      assert.equal((await announceH264(c, srv.url("/lobby"), 30)).status, 403);
    } finally {
      c.close();
      await first.kill();
    }
  },
);

await mediaTest(
  "after the grace period with no publisher, readers get BYE and their sessions end",
  [],
  async (dir) => {
    await using srv = await startTestServer({ graceMs: 1000 });
    const pub = ffmpegPublish(srv.url("/cam"), `${dir}/clip.mp4`, "tcp");
    await waitForStream(srv.port, "/cam");
    const c = await RawClient.connect(srv.port);
    try {
      const { session } = await playTcp(c, srv.url("/cam"), 1);
      await c.collect(50, 2000);
      await pub.kill();
      c.frames.length = 0;
      await c.collect(100_000, 2500);
      const byes = c.frames.filter((f) => f.channel === 1)
        .map((f) => parseRtcpCompound(f.payload))
        .filter((r) => r.ok && r.packets.some((p) => p.type === "bye"));
      assert.equal(byes.length, 1, "one BYE");
      assert.equal(srv.responder.sessions.has(session), false);
      assert.equal(
        (await c.request(`DESCRIBE ${srv.url("/cam")} RTSP/1.0\r\nCSeq: 30\r\n\r\n`)).status,
        404,
      );
    } finally {
      c.close();
    }
  },
);

await mediaTest(
  "a reader that never reads fills its queue to the bound and no further; other readers lose nothing",
  [],
  async (dir) => {
    // The lag limit is set past the test, so the stuck reader stays connected throughout.
    // The bound is checked on the server's own count of queued bytes: RSS moved by
    // more than the whole bound from run to run (a CI run saw +16.05 MB).
    await using srv = await startTestServer({ maxReaderLagMs: 60_000 });
    const url = srv.url("/cam");
    await using _pub = ffmpegPublish(url, `${dir}/cbr3m.mp4`, "tcp");
    await waitForStream(srv.port, "/cam");
    const stuck = await RawClient.connect(srv.port);
    const good = await RawClient.connect(srv.port);
    try {
      await playTcp(stuck, url, 1); // and then never read again
      await playTcp(good, url, 1);
      const seqs: number[] = [];
      let mostQueued = 0;
      const deadline = Date.now() + 30_000;
      // Once the queue has reached its bound, 5 s more show it stays there (the
      // kernel's socket buffers fill first, ~10-15 s at 3 Mbit/s).
      let fullSince: number | undefined;
      while (Date.now() < deadline && (fullSince === undefined || Date.now() - fullSince < 5000)) {
        await good.collect(good.frames.length + 200, 1000);
        for (const f of good.frames.splice(0)) {
          if (f.channel !== 0) continue;
          const p = parseRtpPacket(f.payload);
          if (p.ok) seqs.push(p.packet.header.sequenceNumber);
        }
        for (const w of srv.server.writers.values()) {
          mostQueued = Math.max(mostQueued, w.queuedBytes);
        }
        if (fullSince === undefined && mostQueued > MAX_QUEUED_MEDIA_BYTES * 0.75) {
          fullSince = Date.now();
        }
      }
      let gaps = 0;
      for (let i = 1; i < seqs.length; i++) {
        if (((seqs[i] - seqs[i - 1] + 0x10000) % 0x10000) !== 1) gaps++;
      }
      console.log(
        `stuck reader: at most ${mostQueued} bytes queued; good reader: ${seqs.length} packets, ${gaps} gaps`,
      );
      assert.ok(seqs.length > 5000, `${seqs.length} packets`);
      assert.equal(gaps, 0, "the good reader lost nothing");
      // The stuck reader's queue filled up to its bound (so frames were dropped) and never past it.
      assert.ok(mostQueued > MAX_QUEUED_MEDIA_BYTES * 0.75, `${mostQueued} bytes queued at most`);
      assert.ok(mostQueued <= MAX_QUEUED_MEDIA_BYTES, `${mostQueued} bytes queued at most`);
      assert.equal(
        srv.server.connectionCount,
        3,
        "publisher, stuck and good readers still connected",
      );
    } finally {
      stuck.close();
      good.close();
    }
  },
);

Deno.test("a publisher that sends RTP but no RTCP keeps its session alive", async () => {
  await using srv = await startTestServer({ sessionTimeoutMs: 1000 });
  const c = await RawClient.connect(srv.port);
  try {
    const url = srv.url("/quiet");
    assert.equal((await announceH264(c, url, 1)).status, 200);
    const s = await c.request(
      `SETUP ${url}/trackID=0 RTSP/1.0\r\nCSeq: 2\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1;mode=record\r\n\r\n`,
    );
    assert.equal(s.status, 200);
    assert.match(s.headers.get("transport")!, /mode=record/);
    const session = s.headers.get("session")!.split(";")[0];
    assert.equal(
      (await c.request(`RECORD ${url} RTSP/1.0\r\nCSeq: 3\r\nSession: ${session}\r\n\r\n`)).status,
      200,
    );
    for (let i = 0; i < 25; i++) {
      // One IDR-typed NAL unit per packet, marker set: 100 ms apart, 2.5 s in all.
      await c.send(
        new Uint8Array([0x24, 0, 0, 13, 0x80, 0xe0, 0, i, 0, 0, 0, i, 0, 0, 0, 1, 0x65]),
      );
      await wait(100);
    }
    assert.ok(srv.responder.sessions.has(session), "RTP alone kept the publisher's session");
    assert.equal((await c.request(`DESCRIBE ${url} RTSP/1.0\r\nCSeq: 4\r\n\r\n`)).status, 200);
  } finally {
    c.close();
  }
});

await mediaTest(
  "with --wait-for-publisher a reader that comes first waits and then plays",
  [],
  async (dir) => {
    await using srv = await startTestServer({ waitForPublisherMs: 5000 });
    const c = await RawClient.connect(srv.port);
    try {
      await c.send(`DESCRIBE ${srv.url("/later")} RTSP/1.0\r\nCSeq: 1\r\n\r\n`);
      await wait(500);
      await using _pub = ffmpegPublish(srv.url("/later"), `${dir}/clip.mp4`, "tcp");
      const [r] = await c.read(1, 8000);
      assert.equal(r.status, 200);
      assert.match(r.body, /m=video 0 RTP\/AVP 96/);
    } finally {
      c.close();
    }
    // Nobody comes: 404 once the wait is over.
    await using quick = await startTestServer({ waitForPublisherMs: 300 });
    const started = Date.now();
    const c2 = await RawClient.connect(quick.port);
    try {
      assert.equal(
        (await c2.request(`DESCRIBE ${quick.url("/never")} RTSP/1.0\r\nCSeq: 1\r\n\r\n`)).status,
        404,
      );
      assert.ok(Date.now() - started >= 250);
    } finally {
      c2.close();
    }
  },
);
