/**
 * Pulled paths end to end: our server proxying cameras (gst-rtsp-server, and
 * our own server with users) for ffmpeg, GStreamer and raw readers; edges
 * pulling from an origin; upstream faults.
 */

import assert from "node:assert/strict";
import { type PullSourceInput, pullSourceSpec } from "./_engine/pull/pull_sources.ts";
import { ffmpegDecode, gstPlayPipeline, gstRun } from "./_testing/clients.ts";
import { GST_RTSP_SERVER, startGstCamera } from "./_testing/gst_camera.ts";
import { startMain } from "./_testing/main_process.ts";
import { MEDIA_NEEDS, testMedia } from "./_testing/media.ts";
import { ffmpegPublish, waitForStream } from "./_testing/publisher.ts";
import { playTcp, RawClient } from "./_testing/raw_client.ts";
import { startTestServer, type TestServer } from "./_testing/server.ts";
import { toolTest } from "./_testing/tools.ts";
import { authConfig } from "./_testing/auth.ts";
import { makeTestCertificate, rtspsFlags } from "./_testing/certificate.ts";
import { parseRtpPacket } from "./_rtsp/rtp/rtp_packet.ts";
import { Logger } from "./_server/log.ts";

/** A server pulling `sources` (defaults filled in), logging to a string the test can read. */
async function startProxy(
  sources: PullSourceInput[],
  options: Parameters<typeof startTestServer>[0] = {},
): Promise<TestServer & { log: () => string }> {
  const lines: string[] = [];
  const log = new Logger("info", (line) => lines.push(line));
  const server = await startTestServer({
    pullSources: sources.map(pullSourceSpec),
    log,
    ...options,
  });
  return Object.assign(server, { log: () => lines.join("\n") });
}

/** DESCRIBE's status on a fresh connection. */
async function describeStatus(port: number, url: string): Promise<number> {
  const c = await RawClient.connect(port);
  try {
    return (await c.request(`DESCRIBE ${url} RTSP/1.0\r\nCSeq: 1\r\n\r\n`)).status;
  } finally {
    c.close();
  }
}

/** RTP sequence numbers of channel 0 in a reader's frames so far (the frames are consumed). */
function videoSequence(c: RawClient): number[] {
  const out: number[] = [];
  for (const f of c.frames.splice(0)) {
    if (f.channel !== 0) continue;
    const p = parseRtpPacket(f.payload);
    if (p.ok) out.push(p.packet.header.sequenceNumber);
  }
  return out;
}

Deno.test("100 readers of a proxied path: the upstream sees one session, every reader gets media", async () => {
  await using upstream = await startTestServer();
  await using proxy = await startProxy([{ pattern: "/cam", source: upstream.url("/test") }], {
    http: true,
  });
  const readers: RawClient[] = [];
  try {
    for (let i = 0; i < 100; i++) {
      const c = await RawClient.connect(proxy.port);
      readers.push(c);
      await playTcp(c, proxy.url("/cam"), 2);
    }
    await Promise.all(readers.map((c) => c.collect(20, 5000)));
    for (const [i, c] of readers.entries()) {
      assert.ok(videoSequence(c).length > 0, `reader ${i} got video`);
    }
    assert.equal(upstream.responder.sessions.size, 1, "one upstream session");
    assert.equal(upstream.app.hub.playingCount, 1);
    assert.equal(proxy.app.hub.playingCount, 100);
    // The operator's view says where the path comes from.
    const paths = await (await fetch(proxy.httpUrl("/v1/paths"))).json();
    const cam = paths.paths.find((p: { name: string }) => p.name === "/cam");
    assert.equal(cam?.kind, "pulled");
    assert.equal(cam?.readers.tcp, 100);
  } finally {
    for (const c of readers) c.close();
  }
});

await toolTest(
  "gst-rtsp-server camera (H.264 + AAC) through the proxy: ffmpeg over TCP and UDP, GStreamer, no decode errors",
  ["ffmpeg", "gst-launch-1.0", GST_RTSP_SERVER],
  async () => {
    await using camera = await startGstCamera();
    for (const transport of ["tcp", "udp"] as const) {
      await using proxy = await startProxy([{ pattern: "/cam", source: camera.url, transport }]);
      // The three readers at once: one upstream session serves them all.
      const [r, u, g] = await Promise.all([
        ffmpegDecode(proxy.url("/cam"), 3, ["-rtsp_transport", "tcp"]),
        ffmpegDecode(proxy.url("/cam"), 3, ["-rtsp_transport", "udp"]),
        gstRun(gstPlayPipeline(proxy.url("/cam"), { protocol: "tcp" }), 3),
      ]);
      assert.equal(r.errors, "", `upstream over ${transport}`);
      assert.ok(r.frames >= 60, `${transport}: ${r.frames} frames`);
      assert.equal(u.errors, "", `upstream over ${transport}, reader over UDP`);
      assert.ok(u.frames >= 60, `${transport} → udp: ${u.frames} frames`);
      assert.deepEqual(g.problems, [], `GStreamer, upstream over ${transport}`);
      assert.ok(g.buffers > 40, `GStreamer: ${g.buffers} buffers`);
    }
  },
);

await toolTest(
  "an upstream that needs Digest: credentials from the source URL; wrong ones give readers 502 and a clear log",
  ["ffprobe"],
  async () => {
    const auth = authConfig({
      users: [{ name: "cam", password: "s3cret" }],
      schemes: ["digest-md5"],
    });
    await using upstream = await startTestServer({ auth });
    const good = upstream.url("/test").replace("rtsp://", "rtsp://cam:s3cret@");
    const bad = upstream.url("/test").replace("rtsp://", "rtsp://cam:wrong@");
    await using proxy = await startProxy([
      { pattern: "/good", source: good },
      { pattern: "/bad", source: bad },
    ]);
    const r = await ffmpegDecode(proxy.url("/good"), 2, ["-rtsp_transport", "tcp"]);
    assert.equal(r.errors, "");
    assert.ok(r.frames > 30, `${r.frames} frames`);
    assert.equal(await describeStatus(proxy.port, proxy.url("/bad")), 502);
    assert.match(proxy.log(), /\/bad: upstream failed \(unauthorized/);
    assert.doesNotMatch(proxy.log(), /wrong|s3cret/, "passwords never reach the log");
  },
);

await toolTest(
  "an origin with two edges: ffmpeg publishes to the origin, ffmpeg reads the path from each edge",
  [...MEDIA_NEEDS],
  async () => {
    const dir = await testMedia();
    await using origin = await startTestServer();
    await using _pub = ffmpegPublish(origin.url("/live"), `${dir}/clip.mp4`, "tcp");
    await waitForStream(origin.port, "/live");
    await using edgeA = await startProxy([{
      pattern: "/**",
      source: `rtsp://127.0.0.1:${origin.port}/$path`,
    }]);
    await using edgeB = await startProxy([{
      pattern: "/**",
      source: `rtsp://127.0.0.1:${origin.port}/$path`,
    }]);
    for (const edge of [edgeA, edgeB]) {
      const r = await ffmpegDecode(edge.url("/live"), 2, ["-rtsp_transport", "tcp"]);
      assert.equal(r.errors, "");
      assert.ok(r.frames > 30, `${r.frames} frames`);
    }
    // A path the origin does not have is 404 at the edge too.
    assert.equal(await describeStatus(edgeA.port, edgeA.url("/nothing")), 404);
  },
);

Deno.test("an edge pulling from itself is refused with 508 Loop Detected after one attempt, not a request storm", async () => {
  const lines: string[] = [];
  // The edge's own port is known only once it listens: a source pointing back is set after.
  const placeholder = await startTestServer();
  const port = placeholder.port;
  await placeholder[Symbol.asyncDispose]();
  await using edge = await startMain([
    "--hostname",
    "127.0.0.1",
    "--rtp-ports",
    "off",
    "--origin",
    `rtsp://127.0.0.1:${port}`,
    "--port",
    String(port),
  ]);
  lines.push(`edge on ${edge.port}`);
  assert.equal(await describeStatus(edge.port, `rtsp://127.0.0.1:${edge.port}/loop`), 508);
  const log = edge.stderr();
  assert.match(log, /came back through proxies/);
  assert.equal((log.match(/pulling rtsp:/g) ?? []).length, 1, "one upstream attempt");
});

Deno.test("an upstream that never answers: the reader gets 504 within the start timeout, no session is left", async () => {
  const silent = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of silent) held.push(conn);
  })();
  try {
    await using proxy = await startProxy([{
      pattern: "/cam",
      source: `rtsp://127.0.0.1:${silent.addr.port}/x`,
      startTimeoutMs: 1000,
    }]);
    const t0 = performance.now();
    assert.equal(await describeStatus(proxy.port, proxy.url("/cam")), 504);
    const waited = performance.now() - t0;
    assert.ok(waited >= 900 && waited < 5000, `answered after ${waited} ms`);
    assert.equal(proxy.responder.sessions.size, 0);
    assert.match(proxy.log(), /\/cam: upstream failed \(timeout/);
  } finally {
    silent.close();
    await accepting.catch(() => {});
    for (const c of held) c.close();
  }
});

Deno.test("an upstream answering garbage, or 404: the reader gets 502, or 404", async () => {
  const garbage = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    for await (const conn of garbage) {
      conn.write(new TextEncoder().encode("HTTP/1.1 200 OK\r\n\r\n\x00\x01garbage")).catch(() => {})
        .finally(() => setTimeout(() => conn.close(), 100));
    }
  })();
  try {
    await using upstream = await startTestServer();
    await using proxy = await startProxy([
      { pattern: "/junk", source: `rtsp://127.0.0.1:${garbage.addr.port}/x` },
      { pattern: "/missing", source: upstream.url("/no/such/path") },
    ]);
    assert.equal(await describeStatus(proxy.port, proxy.url("/junk")), 502);
    assert.equal(await describeStatus(proxy.port, proxy.url("/missing")), 404);
    // Within the back-off the next reader is answered from the last failure.
    assert.equal(await describeStatus(proxy.port, proxy.url("/junk")), 502);
    assert.equal(proxy.app.pulls?.get("/junk")?.attempts, 1);
  } finally {
    garbage.close();
    await serving.catch(() => {});
  }
});

await toolTest(
  "the upstream camera killed and restarted: readers keep their sessions; sequence numbers run on",
  [GST_RTSP_SERVER],
  async () => {
    let camera = await startGstCamera();
    const port = camera.port;
    try {
      await using proxy = await startProxy([{
        pattern: "/cam",
        source: camera.url,
        transport: "tcp",
        stallMs: 1500,
      }]);
      const c = await RawClient.connect(proxy.port);
      try {
        const { session } = await playTcp(c, proxy.url("/cam"), 2);
        await c.collect(50, 5000);
        const before = videoSequence(c);
        assert.ok(before.length > 10, `${before.length} packets before`);
        await camera.kill();
        await new Promise((r) => setTimeout(r, 500));
        camera = await startGstCamera(port);
        // The proxy reconnects after about 1 s of back-off (plus the camera's start).
        const pulled = proxy.app.pulls!.get("/cam")!;
        const deadline = Date.now() + 15_000;
        while (!(pulled.attempts >= 2 && pulled.state === "playing") && Date.now() < deadline) {
          await c.collect(c.frames.length + 1, 100);
        }
        assert.equal(pulled.state, "playing", "the upstream is read again");
        let after: number[] = [];
        while (after.length < 30 && Date.now() < deadline) {
          await c.collect(c.frames.length + 30, 1000);
          after = after.concat(videoSequence(c));
        }
        assert.ok(after.length >= 30, `${after.length} packets after the restart`);
        const all = [...before, ...after];
        for (let i = 1; i < all.length; i++) {
          assert.equal((all[i] - all[i - 1] + 0x10000) % 0x10000, 1, `sequence at ${i}`);
        }
        assert.ok(proxy.responder.sessions.has(session), "the reader's session is still there");
        assert.match(proxy.log(), /\/cam: upstream lost/);
      } finally {
        c.close();
      }
    } finally {
      await camera.kill();
    }
  },
);

Deno.test("an on-demand path stops its upstream after the idle time with no reader", async () => {
  await using upstream = await startTestServer();
  await using proxy = await startProxy([{
    pattern: "/cam",
    source: upstream.url("/test"),
    idleMs: 500,
  }]);
  const c = await RawClient.connect(proxy.port);
  await playTcp(c, proxy.url("/cam"), 1);
  await c.collect(10, 5000);
  assert.equal(upstream.responder.sessions.size, 1);
  c.close();
  const deadline = Date.now() + 5000;
  while (upstream.responder.sessions.size > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(upstream.responder.sessions.size, 0, "the upstream session was torn down");
  assert.equal(proxy.app.pulls?.get("/cam")?.state, "idle");
  assert.match(proxy.log(), /\/cam: no reader for 500 ms; stopping/);
});

await toolTest(
  "a proxied camera plays in the browser's protocol: /ws/<path> starts the pull and sends codecs, init, fragments",
  [GST_RTSP_SERVER],
  async () => {
    await using camera = await startGstCamera();
    await using proxy = await startProxy([{ pattern: "/cam", source: camera.url }], { http: true });
    const socket = new WebSocket(proxy.httpUrl("/ws/cam").replace("http:", "ws:"));
    socket.binaryType = "arraybuffer";
    const messages: Array<string | Uint8Array> = [];
    const enough = Promise.withResolvers<void>();
    socket.onmessage = (e) => {
      messages.push(typeof e.data === "string" ? e.data : new Uint8Array(e.data));
      if (messages.length >= 5) enough.resolve();
    };
    socket.onclose = () => enough.resolve();
    const timer = setTimeout(() => enough.resolve(), 10_000);
    await enough.promise;
    clearTimeout(timer);
    const closed = new Promise((r) => socket.onclose = r);
    socket.close();
    await closed;
    assert.ok(messages.length >= 5, `${messages.length} messages`);
    const head = JSON.parse(messages[0] as string);
    assert.match(head.codecs, /^avc1\.42[0-9a-f]{4},mp4a\.40\.2$/);
    const boxType = (m: string | Uint8Array) =>
      typeof m === "string" ? "text" : new TextDecoder().decode(m.subarray(4, 8));
    assert.equal(boxType(messages[1]), "ftyp");
    assert.ok(messages.slice(2).every((m) => boxType(m) === "moof"));
    assert.equal(proxy.app.pulls?.get("/cam")?.attempts, 1);
  },
);

await toolTest(
  "an rtsps:// upstream with a private CA plays through --upstream-ca, and is refused (502) without it",
  ["openssl"],
  async () => {
    const tls = await makeTestCertificate();
    await using upstream = await startMain(rtspsFlags(tls));
    assert.ok(upstream.tlsPort, upstream.stderr());
    const source = `/s=rtsps://127.0.0.1:${upstream.tlsPort}/test`;
    const common = ["--hostname", "127.0.0.1", "--rtp-ports", "off", "--proxy", source];
    await using trusting = await startMain([...common, "--upstream-ca", tls.certFile]);
    const reader = await RawClient.connect(trusting.port);
    try {
      await playTcp(reader, `rtsp://127.0.0.1:${trusting.port}/s`, 2);
      assert.ok((await reader.collect(20, 5000)).length >= 20, trusting.stderr());
    } finally {
      reader.close();
    }
    await using doubting = await startMain(common);
    assert.equal(
      await describeStatus(doubting.port, `rtsp://127.0.0.1:${doubting.port}/s`),
      502,
      doubting.stderr(),
    );
  },
);
