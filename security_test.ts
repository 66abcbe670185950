/**
 * Abuse limits and RTSPS, with the limits set low: the extra connection gets
 * 503, a slow head is dropped, idle connections close, and a well-behaved
 * client is served throughout.
 */

import assert from "node:assert/strict";
import { DEFAULT_ABUSE_LIMITS } from "./_server/abuse_limits.ts";
import { ffmpegDecode, ffprobeStreams } from "./_testing/clients.ts";
import { makeTestCertificate, rtspsFlags } from "./_testing/certificate.ts";
import { startMain } from "./_testing/main_process.ts";
import { RawClient } from "./_testing/raw_client.ts";
import { startTestServer } from "./_testing/server.ts";
import { toolTest } from "./_testing/tools.ts";

const OPTIONS = (cseq: number) => `OPTIONS * RTSP/1.0\r\nCSeq: ${cseq}\r\n\r\n`;
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function assertServed(port: number): Promise<void> {
  const c = await RawClient.connect(port);
  try {
    assert.equal((await c.request(OPTIONS(77))).status, 200);
  } finally {
    c.close();
  }
}

Deno.test("past the connection limits the extra connection gets 503 with Retry-After and is closed", async () => {
  await using srv = await startTestServer({
    abuse: { ...DEFAULT_ABUSE_LIMITS, maxConnections: 3 },
  });
  const held = [
    await RawClient.connect(srv.port),
    await RawClient.connect(srv.port),
    await RawClient.connect(srv.port),
  ];
  try {
    for (const c of held) assert.equal((await c.request(OPTIONS(1))).status, 200);
    const extra = await RawClient.connect(srv.port);
    const r = await extra.request(OPTIONS(42));
    assert.equal(r.status, 503);
    assert.equal(r.headers.get("cseq"), "42");
    assert.equal(r.headers.get("retry-after"), "5");
    assert.equal(await extra.closedByServer(), true);
    extra.close();
    // The clients already in are still served, and a new one once there is room.
    assert.equal((await held[0].request(OPTIONS(2))).status, 200);
    held.pop()!.close();
    await wait(50);
    await assertServed(srv.port);
  } finally {
    for (const c of held) c.close();
  }
});

Deno.test("the per-address connection limit refuses the extra connection from that address", async () => {
  await using srv = await startTestServer({
    abuse: { ...DEFAULT_ABUSE_LIMITS, maxConnectionsPerAddress: 2 },
  });
  const a = await RawClient.connect(srv.port);
  const b = await RawClient.connect(srv.port);
  try {
    assert.equal((await a.request(OPTIONS(1))).status, 200);
    const c = await RawClient.connect(srv.port);
    assert.equal((await c.request(OPTIONS(3))).status, 503);
    c.close();
    assert.equal((await b.request(OPTIONS(2))).status, 200);
  } finally {
    a.close();
    b.close();
  }
});

Deno.test("past the session limit a SETUP that would add a session gets 503", async () => {
  await using srv = await startTestServer({ abuse: { ...DEFAULT_ABUSE_LIMITS, maxSessions: 1 } });
  const c = await RawClient.connect(srv.port);
  try {
    const setup = (cseq: number) =>
      c.request(
        `SETUP ${srv.url()}/trackID=0 RTSP/1.0\r\nCSeq: ${cseq}\r\nTransport: RTP/AVP/TCP;unicast;interleaved=${
          cseq * 2
        }-${cseq * 2 + 1}\r\n\r\n`,
      );
    assert.equal((await setup(1)).status, 200);
    const second = await setup(2);
    assert.equal(second.status, 503);
    assert.equal(second.headers.get("retry-after"), "5");
    assert.equal((await c.request(OPTIONS(3))).status, 200);
  } finally {
    c.close();
  }
});

Deno.test("a connection past its request rate gets 503s, with every CSeq echoed", async () => {
  await using srv = await startTestServer({
    abuse: { ...DEFAULT_ABUSE_LIMITS, maxRequestsPerSecond: 5 },
  });
  const c = await RawClient.connect(srv.port);
  try {
    await c.send(Array.from({ length: 30 }, (_, i) => OPTIONS(i + 1)).join(""));
    const answers = await c.read(30);
    assert.deepEqual(
      answers.map((r) => r.headers.get("cseq")),
      Array.from({ length: 30 }, (_, i) => String(i + 1)),
    );
    const ok = answers.filter((r) => r.status === 200).length;
    assert.equal(ok, 10, "the burst (twice the rate) gets through");
    assert.ok(
      answers.slice(10).every((r) => r.status === 503 && r.headers.get("retry-after") === "5"),
    );
    await assertServed(srv.port);
  } finally {
    c.close();
  }
});

Deno.test("a client that never finishes its request head is dropped; others are served meanwhile", async () => {
  await using srv = await startTestServer({
    abuse: { ...DEFAULT_ABUSE_LIMITS, headTimeoutMs: 400 },
  });
  const slow = await RawClient.connect(srv.port);
  try {
    await slow.send("OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n");
    await assertServed(srv.port);
    const started = Date.now();
    for (let i = 0; i < 5; i++) {
      await wait(50);
      await slow.send("X-Drip: 1\r\n").catch(() => {}); // dribbling bytes does not extend the deadline
    }
    assert.equal(await slow.closedByServer(2000), true);
    assert.ok(Date.now() - started < 1500);
    await assertServed(srv.port);
  } finally {
    slow.close();
  }
});

Deno.test("idle connections without a session are closed; one with a session stays", async () => {
  await using srv = await startTestServer({
    abuse: { ...DEFAULT_ABUSE_LIMITS, idleTimeoutMs: 300 },
  });
  const idle = await RawClient.connect(srv.port);
  const busy = await RawClient.connect(srv.port);
  try {
    assert.equal((await idle.request(OPTIONS(1))).status, 200);
    const s = await busy.request(
      `SETUP ${srv.url()}/trackID=1 RTSP/1.0\r\nCSeq: 1\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\r\n`,
    );
    assert.equal(s.status, 200);
    assert.equal(await idle.closedByServer(2000), true);
    await wait(400);
    assert.equal(
      (await busy.request(OPTIONS(2))).status,
      200,
      "the connection with a session is kept",
    );
  } finally {
    idle.close();
    busy.close();
  }
});

await toolTest("RTSPS: ffprobe and ffmpeg read rtsps:// with a certificate made for the test", [
  "openssl",
  "ffmpeg",
  "ffprobe",
], async () => {
  const tls = await makeTestCertificate();
  await using server = await startMain(rtspsFlags(tls));
  assert.ok(server.tlsPort, server.stderr());
  const url = `rtsps://127.0.0.1:${server.tlsPort}/test`;
  const streams = await ffprobeStreams(url, ["-rtsp_transport", "tcp"]);
  assert.deepEqual(streams.map((s) => s.codec_name), ["h264", "pcm_mulaw"]);
  const r = await ffmpegDecode(url, 2, ["-rtsp_transport", "tcp"]);
  assert.equal(r.errors, "");
  assert.ok(Math.abs(r.frames - 50) <= 5, `${r.frames} frames`);
  // The plain listener keeps working beside it.
  await assertServed(server.port);
});
