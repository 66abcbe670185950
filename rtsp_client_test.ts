/**
 * The RTSP client (`_server/rtsp_client.ts` over `_rtsp/client/`) against real
 * servers: this repository's own (in process, port 0) over TCP, UDP and TLS,
 * with Digest and Basic users, and gst-rtsp-server as an upstream camera.
 */

import assert from "node:assert/strict";
import { authConfig } from "./_testing/auth.ts";
import { makeTestCertificate, rtspsFlags } from "./_testing/certificate.ts";
import { startMain } from "./_testing/main_process.ts";
import { startRecordingProxy } from "./_testing/recording_proxy.ts";
import { startTestServer } from "./_testing/server.ts";
import { MEDIA_NEEDS, testMedia } from "./_testing/media.ts";
import { inCi, toolTest } from "./_testing/tools.ts";
import type { ClientEvent, ClientFrame } from "./_rtsp/client/client_outputs.ts";
import { RtspClient, RtspClientError, type RtspClientOptions } from "./_server/rtsp_client.ts";

/** What a client received in `ms` of playing. */
interface Received {
  frames: ClientFrame[];
  /** Per track: sequence numbers in arrival order. */
  sequences: number[][];
  events: string[];
  transport: "TCP" | "UDP";
}

/** Connects, plays for `ms`, closes, and returns what arrived. */
async function receive(
  url: string,
  ms: number,
  options: RtspClientOptions = {},
): Promise<Received> {
  const events: string[] = [];
  const onEvent = (e: ClientEvent) => {
    // Media, and the RTCP BYE this server sends on TEARDOWN, are checked elsewhere.
    if (!["rtp", "frame", "rtcp", "bye"].includes(e.kind)) events.push(e.kind);
  };
  const client = await RtspClient.connect(url, { ...options, onEvent });
  const frames: ClientFrame[] = [];
  const sequences: number[][] = client.description.tracks.map(() => []);
  client.onFrame = (frame) => frames.push(frame);
  client.onPacket = (track, packet) => sequences[track].push(packet.header.sequenceNumber);
  try {
    const info = await client.play();
    await new Promise((resolve) => setTimeout(resolve, ms));
    return { frames, sequences, events, transport: info.transport };
  } finally {
    await client.close();
  }
}

/** Counts breaks in a run of RTP sequence numbers (RFC 3550, 5.1: +1 mod 2^16 each). */
function gaps(sequence: readonly number[]): number {
  let breaks = 0;
  for (let i = 1; i < sequence.length; i++) {
    if (sequence[i] !== ((sequence[i - 1] + 1) & 0xffff)) breaks++;
  }
  return breaks;
}

/** Checks /test of this server: H.264 keyframes every second and G.711 frames. */
function checkTestStream(r: Received, ms: number): void {
  const video = r.frames.filter((f) => f.track === 0);
  const audio = r.frames.filter((f) => f.track === 1);
  // 25 fps; the first GOP comes at once from the cache, so at least ms/40 minus start-up.
  assert.ok(video.length >= (ms / 40) * 0.6, `${video.length} pictures in ${ms} ms`);
  assert.ok(video[0].keyframe, "the first picture is not a keyframe");
  assert.ok(video.filter((f) => f.keyframe).length >= Math.floor(ms / 1000), "keyframes");
  assert.ok(audio.length > 0, "no audio");
  for (const f of video) assert.ok(f.units.length > 0);
  // Timestamps never go back within the video track.
  for (let i = 1; i < video.length; i++) {
    assert.ok(
      ((video[i].timestamp - video[i - 1].timestamp) >>> 0) < 0x8000_0000,
      "time went back",
    );
  }
  assert.deepEqual(r.sequences.map(gaps), [0, 0], "sequence gaps");
}

Deno.test("RtspClient reads this server's /test over TCP: H.264 keyframes and G.711, no gaps", async () => {
  await using srv = await startTestServer();
  // Past 5 s, so receiver reports (RFC 3550, 6.2) go out on the interleaved RTCP channels too.
  const r = await receive(srv.url("/test"), 5500, { transport: "tcp" });
  assert.equal(r.transport, "TCP");
  checkTestStream(r, 5500);
  assert.deepEqual(r.events, ["connected", "described", "ready", "playing", "closed"]);
});

Deno.test("RtspClient reads this server's /test over UDP, and auto picks UDP", async () => {
  await using srv = await startTestServer();
  for (const transport of ["udp", "auto"] as const) {
    const r = await receive(srv.url("/test"), 1500, { transport });
    assert.equal(r.transport, "UDP", transport);
    checkTestStream(r, 1500);
  }
});

Deno.test("RtspClient with transport auto falls back to TCP when the server refuses UDP (461)", async () => {
  await using srv = await startTestServer({ rtpPorts: "off" });
  const r = await receive(srv.url("/test"), 1200);
  assert.equal(r.transport, "TCP");
  assert.deepEqual(r.events, [
    "connected",
    "described",
    "transport-fallback",
    "ready",
    "playing",
    "closed",
  ]);
  checkTestStream(r, 1200);
});

Deno.test("RtspClient restarts over TCP when no UDP packet arrives after PLAY", async () => {
  await using srv = await startTestServer();
  // A port pair that takes the server's UDP and drops it: the client never sees it.
  const sink = [0, 1].map(() =>
    Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 })
  );
  const draining = sink.map(async (socket) => {
    try {
      for await (const _ of socket) { /* dropped */ }
    } catch { /* closed */ }
  });
  const [rtp, rtcp] = sink.map((s) => (s.addr as Deno.NetAddr).port);
  await using proxy = startRecordingProxy(
    srv.port,
    (text) => text.replace(/client_port=\d+-\d+/g, `client_port=${rtp}-${rtcp}`),
  );
  try {
    const r = await receive(`rtsp://127.0.0.1:${proxy.port}/test`, 1500, { udpTimeoutMs: 500 });
    assert.equal(r.transport, "UDP", "PLAY was answered while on UDP");
    assert.deepEqual(r.events, [
      "connected",
      "described",
      "ready",
      "playing",
      "transport-fallback",
      "ready",
      "playing",
      "closed",
    ]);
    // What came, came over TCP after the fallback.
    assert.ok(r.frames.some((f) => f.track === 0 && f.keyframe), "no keyframe over TCP");
    assert.match(proxy.sent(), /TEARDOWN [^]*interleaved=0-1/);
  } finally {
    for (const socket of sink) socket.close();
    await Promise.all(draining);
  }
});

Deno.test("RtspClient follows a redirect to another server", async () => {
  await using srv = await startTestServer();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  // A server that sends every request elsewhere (RFC 2326, 11.3.3 302 Moved Temporarily).
  const redirecting = (async () => {
    for await (const conn of listener) {
      const buffer = new Uint8Array(4096);
      const n = await conn.read(buffer);
      const cseq = /CSeq: *(\d+)/i.exec(new TextDecoder().decode(buffer.subarray(0, n ?? 0)))?.[1];
      await conn.write(
        new TextEncoder().encode(
          `RTSP/1.0 302 Moved Temporarily\r\nCSeq: ${cseq}\r\nLocation: ${
            srv.url("/test")
          }\r\n\r\n`,
        ),
      );
      conn.close();
    }
  })().catch(() => {});
  try {
    const events: string[] = [];
    const client = await RtspClient.connect(`rtsp://127.0.0.1:${listener.addr.port}/cam`, {
      transport: "tcp",
      onEvent: (e) => events.push(e.kind),
    });
    assert.equal(client.url, srv.url("/test"));
    assert.deepEqual(client.description.tracks.map((t) => t.codec), ["H264", "PCMU"]);
    await client.play();
    await client.close();
    assert.deepEqual(events.slice(0, 3), ["connected", "redirected", "connected"]);
  } finally {
    listener.close();
    await redirecting;
  }
});

Deno.test("RtspClient authenticates with Digest and with Basic from the URL; wrong ones fail", async () => {
  const users = [{ name: "alice", password: "wonder land" }];
  await using digest = await startTestServer({ auth: authConfig({ users }) });
  const url = (userinfo: string) => `rtsp://${userinfo}@127.0.0.1:${digest.port}/test`;
  checkTestStream(await receive(url("alice:wonder%20land"), 1200, { transport: "tcp" }), 1200);
  await assert.rejects(
    RtspClient.connect(url("alice:wrong"), { transport: "tcp" }),
    (e: unknown) =>
      e instanceof RtspClientError &&
      JSON.stringify(e.error) === JSON.stringify({ kind: "auth-failed", reason: "refused" }),
  );
  await assert.rejects(
    RtspClient.connect(digest.url("/test")),
    (e: unknown) => e instanceof RtspClientError && e.error.kind === "auth-failed",
  );
  await using basic = await startTestServer({ auth: authConfig({ users, schemes: ["basic"] }) });
  checkTestStream(
    await receive(`rtsp://alice:wonder%20land@127.0.0.1:${basic.port}/test`, 1200, {
      transport: "udp",
    }),
    1200,
  );
});

Deno.test("RtspClient reports a 404 and a refused connection as typed errors", async () => {
  await using srv = await startTestServer();
  await assert.rejects(
    RtspClient.connect(srv.url("/nothing-here")),
    (e: unknown) =>
      e instanceof RtspClientError && e.error.kind === "http-status" && e.error.status === 404 &&
      e.error.method === "DESCRIBE",
  );
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  await assert.rejects(
    RtspClient.connect(`rtsp://127.0.0.1:${port}/test`),
    (e: unknown) => e instanceof RtspClientError && e.error.kind === "connect-failed",
  );
});

await toolTest(
  "RtspClient assembles H.265 + Opus and H.264 + AAC from files this server plays",
  MEDIA_NEEDS,
  async () => {
    await using srv = await startTestServer({ root: await testMedia() });
    const cases = [
      { path: "/hevc_opus.mp4", codecs: ["H265", "OPUS"] },
      { path: "/clip.mp4", codecs: ["H264", "AAC"] },
    ];
    for (const { path, codecs } of cases) {
      const client = await RtspClient.connect(srv.url(path), { transport: "tcp" });
      assert.deepEqual(client.description.tracks.map((t) => t.codec), codecs, path);
      const frames: ClientFrame[] = [];
      client.onFrame = (frame) => frames.push(frame);
      await client.play();
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await client.close();
      const video = frames.filter((f) => f.track === 0);
      assert.ok(video.length >= 20, `${path}: ${video.length} pictures`);
      assert.ok(video[0].keyframe, `${path}: the first picture is not a keyframe`);
      assert.ok(frames.some((f) => f.track === 1), `${path}: no audio frame`);
      assert.deepEqual(client.trackStats.map((s) => s.dropped), [0, 0], path);
    }
  },
);

await toolTest("RtspClient reads rtsps:// with a custom CA (caCerts)", ["openssl"], async () => {
  const tls = await makeTestCertificate();
  await using server = await startMain(rtspsFlags(tls));
  assert.ok(server.tlsPort, server.stderr());
  const url = `rtsps://127.0.0.1:${server.tlsPort}/test`;
  const r = await receive(url, 1200, { transport: "tcp", caCerts: [tls.cert] });
  checkTestStream(r, 1200);
  // Without the CA the certificate is not trusted.
  await assert.rejects(
    RtspClient.connect(url, { transport: "tcp" }),
    (e: unknown) => e instanceof RtspClientError && e.error.kind === "connect-failed",
  );
});

/** gst-rtsp-server as a camera: the shared anchor script (Debian's python3-gi and GstRtspServer). */
const GST_CAMERA = Deno.env.get("GST_CAMERA_SCRIPT") ??
  new URL("../shared/anchors/gst_camera.py", import.meta.url).pathname;
const gstCameraMissing = await Deno.stat(GST_CAMERA).then(() => false, () => true);

/** Starts gst_camera.py on a free port; resolves once it listens. */
async function startGstCamera(): Promise<{ port: number } & AsyncDisposable> {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = probe.addr.port;
  probe.close();
  const child = new Deno.Command("/usr/bin/python3", {
    args: [GST_CAMERA, "--port", String(port)],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = child.stderr.pipeTo(new WritableStream());
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  const deadline = setTimeout(() => child.kill("SIGKILL"), 20_000);
  while (!/ on rtsp:\/\//.test(seen)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`gst_camera.py exited before listening: ${seen}`);
    seen += value;
  }
  clearTimeout(deadline);
  const drained = (async () => {
    while (!(await reader.read()).done) { /* keep the pipe flowing */ }
  })();
  return {
    port,
    async [Symbol.asyncDispose]() {
      child.kill("SIGTERM");
      await child.status;
      await drained;
      await stderr;
    },
  };
}

await toolTest(
  "RtspClient reads gst-rtsp-server's live H.264 + AAC (RFC 3640) over TCP and UDP" +
    (gstCameraMissing && !inCi() ? ` [ignored: ${GST_CAMERA} not found]` : ""),
  ["python3", "gst-launch-1.0"],
  async () => {
    assert.ok(!gstCameraMissing, `${GST_CAMERA} not found (set GST_CAMERA_SCRIPT)`);
    await using camera = await startGstCamera();
    for (const transport of ["tcp", "udp"] as const) {
      const client = await RtspClient.connect(`rtsp://127.0.0.1:${camera.port}/test`, {
        transport,
      });
      const tracks = client.description.tracks;
      assert.deepEqual(tracks.map((t) => t.codec), ["H264", "AAC"]);
      const frames: ClientFrame[] = [];
      client.onFrame = (frame) => frames.push(frame);
      const info = await client.play();
      assert.equal(info.transport, transport.toUpperCase());
      assert.ok(info.rtpInfo.every((entry) => entry?.seq !== undefined), "RTP-Info seq per track");
      await new Promise((resolve) => setTimeout(resolve, 2500));
      await client.close();
      const video = frames.filter((f) => f.track === 0);
      const audio = frames.filter((f) => f.track === 1);
      // key-int-max=25 at 25 fps: a keyframe each second.
      assert.ok(video.length >= 30, `${transport}: ${video.length} pictures`);
      assert.ok(video.some((f) => f.keyframe), `${transport}: no keyframe`);
      // AAC frames of 1024 samples at 44.1 kHz: ~43 per second.
      assert.ok(audio.length >= 40, `${transport}: ${audio.length} AAC frames`);
      assert.ok(audio.every((f) => f.units.every((u) => u.length > 0)));
      assert.deepEqual(client.trackStats.map((s) => s.invalid), [0, 0]);
    }
  },
  { ignore: gstCameraMissing && !inCi() },
);
