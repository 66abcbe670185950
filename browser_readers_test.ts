/**
 * Browser readers in the operator's view, against a real server: WebSocket
 * readers of /test counted by path, listed and kicked as sessions, their
 * bytes in the path's bytes and bit rate out and in /metrics; an HLS client
 * counted as a reader of the path, with the exact bytes it was served.
 */

import assert from "node:assert/strict";
import { startTestServer } from "./_testing/server.ts";
import { authConfig, basicCredentials } from "./_testing/auth.ts";
import { eventually, scrape } from "./_testing/http.ts";
import type { PathSummary, SessionSummary } from "./_server/http/snapshot.ts";

const USERS = authConfig({
  users: [{ name: "alice", password: "wonderland" }],
  schemes: ["basic"],
  admin: ["alice"],
});
const ALICE = { authorization: basicCredentials("alice", "wonderland") };

/** A WebSocket reader: messages counted as they come, and how it closed. */
class Viewer {
  readonly socket: WebSocket;
  messages = 0;
  readonly closed = Promise.withResolvers<CloseEvent>();

  constructor(url: string, headers: Record<string, string>) {
    // Deno's WebSocket takes request headers as a second-argument option.
    this.socket = new WebSocket(url, { headers } as unknown as string[]);
    this.socket.binaryType = "arraybuffer";
    this.socket.onmessage = () => this.messages++;
    this.socket.onclose = (e) => this.closed.resolve(e);
    this.socket.onerror = () => {};
  }

  close(): void {
    if (this.socket.readyState !== WebSocket.CLOSED) this.socket.close();
  }
}

async function getJson<T>(url: string, headers: Record<string, string> = {}): Promise<T> {
  const response = await fetch(url, { headers });
  assert.equal(response.status, 200, url);
  return await response.json();
}

Deno.test("WebSocket readers: counted by path, listed and kicked as sessions, their bytes in the path's and in /metrics", async () => {
  await using srv = await startTestServer({ http: true, auth: USERS });
  const path = async () =>
    (await getJson<{ paths: PathSummary[] }>(srv.httpUrl("/v1/paths"), ALICE)).paths
      .find((p) => p.name === "/test")!;
  const sessions = async () =>
    (await getJson<{ sessions: SessionSummary[] }>(srv.httpUrl("/v1/sessions"), ALICE)).sessions;

  const before = await path();
  assert.equal(before.readers.websocket, 0);
  const url = srv.httpUrl("/ws/test").replace("http:", "ws:");
  const viewers = [new Viewer(url, ALICE), new Viewer(url, ALICE)];
  try {
    // The type message, the init segment and a few fragments each.
    assert.ok(await eventually(() => viewers.every((v) => v.messages >= 5)), "no fragments");
    const first = await path();
    assert.equal(first.readers.websocket, 2);
    assert.equal(first.readers.tcp, 0);
    assert.ok(first.browsers.bytesSent.websocket > 0);
    assert.equal(first.bytesSent, first.browsers.bytesSent.websocket, "no RTSP reader here");
    assert.ok(
      await eventually(async () => (await path()).bytesSent > first.bytesSent),
      "bytesSent does not grow",
    );
    // Sampled once a second: two samples give the rate, all of it the browsers'.
    assert.ok(await eventually(async () => (await path()).bitrateOut > 0), "no bit rate out");

    const listed = await sessions();
    assert.equal(listed.length, 2);
    for (const s of listed) {
      assert.match(s.id, /^ws-\d+$/);
      assert.equal(s.path, "/test");
      assert.equal(s.transport, "websocket");
      assert.equal(s.clientAddress, "127.0.0.1");
      assert.equal(s.mode, "play");
      assert.equal(s.state, "playing");
      assert.ok(s.bytesSent > 0);
      assert.ok(s.packetsSent >= 5, `${s.packetsSent} messages`);
      assert.equal(s.framesDropped, 0);
      assert.equal(typeof s.ageSeconds, "number");
    }
    assert.notEqual(listed[0].id, listed[1].id);

    const metrics = await scrape(srv.httpUrl("/metrics"), ALICE);
    assert.equal(metrics.value("rtsp_readers", { path: "/test", transport: "websocket" }), 2);
    assert.equal(metrics.value("rtsp_readers", { path: "/test", transport: "hls" }), 0);
    const wsBytes = metrics.value("rtsp_browser_bytes_sent_total", {
      path: "/test",
      transport: "websocket",
    })!;
    assert.ok(wsBytes > 0);
    assert.ok(metrics.value("rtsp_bytes_sent_total", { path: "/test" })! >= wsBytes);

    // Kicking one closes its socket with 1008; the other plays on.
    const victim = listed[0].id;
    const kick = await fetch(srv.httpUrl(`/v1/sessions/${victim}`), {
      method: "DELETE",
      headers: ALICE,
    });
    assert.equal(kick.status, 200);
    assert.deepEqual(await kick.json(), { kicked: victim });
    const closes = await Promise.race([
      Promise.any(viewers.map((v) => v.closed.promise)),
      new Promise<undefined>((r) => setTimeout(() => r(undefined), 3000)),
    ]);
    assert.equal(closes?.code, 1008, "the kicked socket did not close with 1008");
    assert.equal(viewers.filter((v) => v.socket.readyState === WebSocket.OPEN).length, 1);
    const after = await path();
    assert.equal(after.readers.websocket, 1);
    assert.deepEqual((await sessions()).map((s) => s.id), [listed[1].id]);
    // What the kicked reader got stays counted.
    assert.ok(after.browsers.bytesSent.websocket >= wsBytes);
    const again = await fetch(srv.httpUrl(`/v1/sessions/${victim}`), {
      method: "DELETE",
      headers: ALICE,
    });
    assert.equal(again.status, 404);
    await again.body?.cancel();

    viewers[1].close();
    assert.ok(await eventually(async () => (await path()).readers.websocket === 0));
    const gone = await scrape(srv.httpUrl("/metrics"), ALICE);
    assert.equal(gone.value("rtsp_readers", { path: "/test", transport: "websocket" }), 0);
    assert.ok(
      gone.value("rtsp_browser_bytes_sent_total", { path: "/test", transport: "websocket" })! >=
        after.browsers.bytesSent.websocket,
      "the closed readers' bytes went missing",
    );
  } finally {
    for (const viewer of viewers) viewer.close();
  }
});

Deno.test("an HLS client of /test is one HLS reader, with the bytes and requests it was served", async () => {
  await using srv = await startTestServer({ http: true });
  const path = async () =>
    (await getJson<{ paths: PathSummary[] }>(srv.httpUrl("/v1/paths"))).paths
      .find((p) => p.name === "/test")!;
  const playlist = new Uint8Array(
    await (await fetch(srv.httpUrl("/test/index.m3u8"))).arrayBuffer(),
  );
  // A playlist alone is not a reader: probes fetch it too.
  assert.equal((await path()).readers.hls, 0);
  const text = new TextDecoder().decode(playlist);
  const part = /#EXT-X-PART:[^\n]*URI="(part\d+\.\d+\.mp4)"/.exec(text)?.[1];
  const segment = /^(seg\d+\.mp4)$/m.exec(text)?.[1];
  assert.ok(part && segment, text);
  let served = playlist.length;
  for (const file of [part, segment]) {
    const response = await fetch(srv.httpUrl(`/test/${file}`));
    assert.equal(response.status, 200, file);
    served += (await response.arrayBuffer()).byteLength;
  }
  const test = await path();
  assert.equal(test.readers.hls, 1, "one client address fetched a part and a segment");
  assert.equal(test.readers.websocket, 0);
  assert.equal(test.browsers.bytesSent.hls, served);
  assert.deepEqual(test.browsers.hlsRequests, { playlist: 1, init: 0, segment: 1, part: 1 });
  assert.equal(test.bytesSent, served, "no other reader: the path's bytes out are HLS's");

  const metrics = await scrape(srv.httpUrl("/metrics"));
  assert.equal(metrics.value("rtsp_readers", { path: "/test", transport: "hls" }), 1);
  assert.equal(
    metrics.value("rtsp_browser_bytes_sent_total", { path: "/test", transport: "hls" }),
    served,
  );
  assert.equal(metrics.value("rtsp_hls_requests_total", { path: "/test", file: "part" }), 1);
  assert.equal(metrics.value("rtsp_bytes_sent_total", { path: "/test" }), served);
});
