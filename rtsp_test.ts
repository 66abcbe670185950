/**
 * Integration tests: a real server on port 0, raw sockets, real clients, and
 * the public module imported by URL.
 */

import assert from "node:assert/strict";
import { RawClient } from "./_testing/raw_client.ts";
import { startTestServer } from "./_testing/server.ts";
import { run, toolTest } from "./_testing/tools.ts";

const OPTIONS = (cseq: number | string) => `OPTIONS * RTSP/1.0\r\nCSeq: ${cseq}\r\n\r\n`;

/** A fresh connection still gets 200 OK: the server survived. */
async function assertServerHealthy(port: number): Promise<void> {
  const c = await RawClient.connect(port);
  try {
    const r = await c.request(OPTIONS(99));
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("cseq"), "99");
  } finally {
    c.close();
  }
}

Deno.test("50 pipelined OPTIONS in one write are answered in order, in one read", async () => {
  await using srv = await startTestServer();
  const c = await RawClient.connect(srv.port);
  try {
    await c.send(Array.from({ length: 50 }, (_, i) => OPTIONS(i + 1)).join(""));
    const responses = await c.read(50);
    assert.deepEqual(
      responses.map((r) => `${r.status} ${r.headers.get("cseq")}`),
      Array.from({ length: 50 }, (_, i) => `200 ${i + 1}`),
    );
  } finally {
    c.close();
  }
});

/** Hostile inputs: what each gets back, and whether the server then closes. */
const HOSTILE: ReadonlyArray<
  { name: string; send: () => Uint8Array; status: number; closes: boolean }
> = [
  {
    name: "garbage bytes",
    send: () => new Uint8Array([0xde, 0xad, 0xbe, 0xef, 0x00, 0x0a, 0x0d, 0x0a]),
    status: 400,
    closes: true,
  },
  {
    name: "an HTTP request",
    send: () => new TextEncoder().encode("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"),
    status: 505,
    closes: false,
  },
  {
    name: "RTSP/2.0",
    send: () => new TextEncoder().encode("OPTIONS * RTSP/2.0\r\nCSeq: 1\r\n\r\n"),
    status: 505,
    closes: false,
  },
  {
    name: "a missing CSeq",
    send: () => new TextEncoder().encode("OPTIONS * RTSP/1.0\r\n\r\n"),
    status: 400,
    closes: false,
  },
  {
    name: "1 MiB of header bytes with no blank line",
    send: () =>
      new TextEncoder().encode(
        "OPTIONS * RTSP/1.0\r\nCSeq: 2\r\n" + "X-Junk: 0123456789abcdef\r\n".repeat(40330),
      ),
    status: 400,
    closes: true,
  },
  {
    name: "a negative Content-Length",
    send: () =>
      new TextEncoder().encode(
        "SET_PARAMETER rtsp://127.0.0.1/test RTSP/1.0\r\nCSeq: 3\r\nContent-Length: -10\r\n\r\n",
      ),
    status: 400,
    closes: true,
  },
  {
    name: "a huge Content-Length",
    send: () =>
      new TextEncoder().encode(
        "ANNOUNCE rtsp://127.0.0.1/test RTSP/1.0\r\nCSeq: 4\r\nContent-Length: 10000000000\r\n\r\n",
      ),
    status: 413,
    closes: true,
  },
];

Deno.test("hostile input gets an RTSP error and the server keeps serving", async (t) => {
  await using srv = await startTestServer();
  for (const h of HOSTILE) {
    await t.step(h.name, async () => {
      const c = await RawClient.connect(srv.port);
      try {
        // The server may close before reading everything; a reset on send is fine.
        await c.send(h.send()).catch(() => {});
        const [r] = await c.read(1);
        assert.equal(r.status, h.status);
        if (h.closes) assert.equal(await c.closedByServer(), true, "connection closed");
        else assert.equal((await c.request(OPTIONS(5))).status, 200, "connection kept");
      } finally {
        c.close();
      }
      await assertServerHealthy(srv.port);
    });
  }
});

Deno.test("a request sent one byte at a time is answered", async () => {
  await using srv = await startTestServer();
  const c = await RawClient.connect(srv.port);
  try {
    const bytes = new TextEncoder().encode(
      "DESCRIBE rtsp://127.0.0.1/test RTSP/1.0\r\nCSeq: 42\r\nAccept: application/sdp\r\n\r\n",
    );
    for (const b of bytes) await c.send(new Uint8Array([b]));
    const [r] = await c.read(1);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("cseq"), "42");
    assert.match(r.body, /^v=0\r\n/);
  } finally {
    c.close();
  }
  await assertServerHealthy(srv.port);
});

Deno.test("a TCP-interleaved session ends when its connection closes", async () => {
  await using srv = await startTestServer();
  const c = await RawClient.connect(srv.port);
  const r = await c.request(
    "SETUP rtsp://127.0.0.1/test/trackID=0 RTSP/1.0\r\nCSeq: 1\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\r\n",
  );
  assert.equal(r.status, 200);
  assert.equal(srv.responder.sessions.size, 1);
  c.close();
  for (let i = 0; i < 100 && srv.responder.sessions.size > 0; i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(srv.responder.sessions.size, 0);
});

await toolTest("ffprobe sees OPTIONS and DESCRIBE answered", ["ffprobe"], async () => {
  await using srv = await startTestServer();
  const url = `rtsp://127.0.0.1:${srv.port}/test`;
  const args = ["-rtsp_transport", "tcp", "-analyzeduration", "500000", "-timeout", "3000000", url];
  const debug = await run("ffprobe", ["-v", "debug", ...args], { timeoutMs: 20_000 });
  // At debug level ffprobe prints the SDP it got from DESCRIBE and the streams in it.
  assert.match(debug.stderr, /SDP:\s*v=0[\s\S]*m=video 0 RTP\/AVP 96[\s\S]*a=control:trackID=1/);
  assert.match(debug.stderr, /Stream #0:0.*Video: h264/);
  assert.match(debug.stderr, /Stream #0:1.*Audio: pcm_mulaw, 8000 Hz/);
  // At trace level it prints every reply line as line='...'.
  const out = await run("ffprobe", ["-v", "trace", ...args], { timeoutMs: 20_000 });
  assert.match(
    out.stderr,
    /line='RTSP\/1.0 200 OK'[\s\S]*line='Public: OPTIONS, DESCRIBE, ANNOUNCE, SETUP, PLAY, PAUSE, RECORD/,
  );
  assert.match(out.stderr, /line='Content-Type: application\/sdp'/);
  assert.match(out.stderr, /Stream #0:0.*Video: h264/);
  assert.match(out.stderr, /Stream #0:1.*Audio: pcm_mulaw, 8000 Hz/);
});

Deno.test("rtsp.ts can be imported by URL and answers a request", async () => {
  const root = new URL("./", import.meta.url);
  await using http = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const path = new URL(req.url).pathname;
    if (path.includes("..")) return new Response("no", { status: 403 });
    try {
      return new Response(await Deno.readFile(new URL(`.${path}`, root)), {
        headers: { "content-type": "application/typescript" },
      });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  const host = `127.0.0.1:${http.addr.port}`;
  const script = `
    import { MessageFramer, RtspResponder, StaticCatalogue } from "http://${host}/rtsp.ts";
    const framer = new MessageFramer();
    framer.push(new TextEncoder().encode("OPTIONS * RTSP/1.0\\r\\nCSeq: 3\\r\\n\\r\\n"));
    const frame = framer.next();
    const responder = new RtspResponder({ catalogue: new StaticCatalogue([]), now: () => 0 });
    const reply = await responder.respond(frame.request, { id: 1, remoteAddress: "x", localAddress: "y" });
    console.log(new TextDecoder().decode(responder.serialize(reply.response)));
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-config", "--no-lock", `--allow-import=${host}`, "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { DENO_DIR: await Deno.makeTempDir() },
  }).spawn();
  const w = out.stdin.getWriter();
  await w.write(new TextEncoder().encode(script));
  await w.close();
  const result = await out.output();
  const stdout = new TextDecoder().decode(result.stdout);
  assert.equal(result.code, 0, new TextDecoder().decode(result.stderr));
  assert.match(
    stdout,
    /^RTSP\/1.0 200 OK\r\nCSeq: 3\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\nServer: rtsp.ts\/0.1\r\nPublic: OPTIONS/,
  );
});
