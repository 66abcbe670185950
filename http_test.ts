/**
 * The HTTP listener against a real server: metrics that match what a reader
 * did, the JSON API, authentication and the admin right, kicks, transcripts,
 * hostile requests, and the same endpoints through curl.
 */

import assert from "node:assert/strict";
import { startTestServer } from "./_testing/server.ts";
import { authConfig, basicCredentials } from "./_testing/auth.ts";
import { eventually, playOverTcp, rawHttp, scrape, teardown } from "./_testing/http.ts";
import { run, toolTest } from "./_testing/tools.ts";
import { ADMIN_NEEDS_USERS } from "./_server/http/access.ts";
import { interleavedFrame } from "./_rtsp/interleaved.ts";
import { buildReceiverReport } from "./_rtsp/rtp/rtcp.ts";

const USERS = authConfig({
  users: [{ name: "alice", password: "wonderland" }, { name: "bob", password: "builder" }],
  schemes: ["basic", "digest-sha256", "digest-md5"],
  admin: ["alice"],
});
const ALICE = { authorization: basicCredentials("alice", "wonderland") };
const BOB = { authorization: basicCredentials("bob", "builder") };
/** Over RTSP, alice with Basic (offered by USERS). */
const ALICE_RTSP = `Authorization: ${ALICE.authorization}\r\n`;

Deno.test("/metrics counts a TCP reader of /test, and its TEARDOWN", async () => {
  await using srv = await startTestServer({ http: true });
  const before = await scrape(srv.httpUrl("/metrics"));
  assert.equal(before.value("rtsp_paths", { kind: "test" }), 1);
  assert.equal(before.value("rtsp_readers", { path: "/test", transport: "tcp" }), 0);
  assert.equal(before.value("rtsp_sessions_opened_total"), 0);
  for (const family of ["rtsp_bytes_sent_total", "rtsp_sessions_closed_total"]) {
    assert.equal(before.types.get(family), "counter");
  }
  assert.ok(before.value("process_resident_memory_bytes")! > 0);

  const reader = await playOverTcp(srv.port, "/test");
  const frames = await reader.client.collect(20, 5000);
  assert.ok(frames.length >= 20, `only ${frames.length} packets`);
  const playing = await scrape(srv.httpUrl("/metrics"));
  assert.equal(playing.value("rtsp_readers", { path: "/test", transport: "tcp" }), 1);
  assert.equal(playing.value("rtsp_readers", { path: "/test", transport: "udp" }), 0);
  assert.ok(playing.value("rtsp_packets_sent_total", { path: "/test" })! >= 20);
  assert.ok(playing.value("rtsp_bytes_sent_total", { path: "/test" })! > 0);
  assert.equal(playing.value("rtsp_sessions_opened_total"), 1);

  assert.equal(await teardown(srv.port, reader), 200);
  const after = await scrape(srv.httpUrl("/metrics"));
  assert.equal(after.value("rtsp_readers", { path: "/test", transport: "tcp" }), 0);
  assert.equal(after.value("rtsp_sessions_closed_total", { reason: "teardown" }), 1);
  // What the reader got stays counted once it is gone.
  assert.ok(
    after.value("rtsp_bytes_sent_total", { path: "/test" })! >=
      playing.value("rtsp_bytes_sent_total", { path: "/test" })!,
  );
  reader.client.close();
});

Deno.test("GET /v1/paths lists /test with its codecs, picture size and readers", async () => {
  await using srv = await startTestServer({ http: true });
  const reader = await playOverTcp(srv.port, "/test");
  try {
    await reader.client.collect(5, 3000);
    const response = await fetch(srv.httpUrl("/v1/paths"));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "application/json; charset=utf-8");
    const { paths } = await response.json();
    assert.equal(paths.length, 1);
    const [test] = paths;
    assert.equal(test.name, "/test");
    assert.equal(test.kind, "test");
    assert.deepEqual(test.tracks, [
      { media: "video", codec: "H264", clockRate: 90000, width: 320, height: 240 },
      { media: "audio", codec: "PCMU", clockRate: 8000 },
    ]);
    assert.deepEqual(test.readers, { tcp: 1, udp: 0, multicast: 0, websocket: 0, hls: 0 });
    assert.ok(test.bytesSent > 0);
    assert.equal(typeof test.bitrateOut, "number");
    assert.equal(typeof test.uptimeSeconds, "number");
  } finally {
    reader.client.close();
  }
});

Deno.test("without users, reading is open and the admin endpoints say how to get the right", async () => {
  await using srv = await startTestServer({ http: true });
  assert.equal((await fetch(srv.httpUrl("/v1/paths"))).status, 200);
  for (
    const [method, path] of [
      ["GET", "/v1/sessions"],
      ["DELETE", "/v1/sessions/ABCDEF0123456789"],
      ["GET", "/v1/sessions/ABCDEF0123456789/transcript"],
    ]
  ) {
    const response = await fetch(srv.httpUrl(path), { method });
    assert.equal(response.status, 403, `${method} ${path}`);
    assert.deepEqual(await response.json(), { error: ADMIN_NEEDS_USERS });
  }
});

Deno.test("HTTP Basic: 401 without or with wrong credentials (counted), 403 for a reader, admin kicks", async () => {
  await using srv = await startTestServer({ http: true, auth: USERS });
  const none = await fetch(srv.httpUrl("/v1/paths"));
  assert.equal(none.status, 401);
  assert.equal(none.headers.get("www-authenticate"), 'Basic realm="rtsp.ts", charset="UTF-8"');
  assert.ok((await none.json()).error);

  const wrong = await fetch(srv.httpUrl("/v1/paths"), {
    headers: { authorization: basicCredentials("alice", "nope") },
  });
  assert.equal(wrong.status, 401);
  await wrong.body?.cancel();
  const metrics = await scrape(srv.httpUrl("/metrics"), ALICE);
  assert.equal(metrics.value("rtsp_auth_failures_total"), 1);

  assert.equal(
    (await (await fetch(srv.httpUrl("/v1/paths"), { headers: BOB })).json()).paths[0].name,
    "/test",
  );
  const reader = await playOverTcp(srv.port, "/test", ALICE_RTSP);
  try {
    await reader.client.collect(5, 3000);
    const listedForBob = await fetch(srv.httpUrl("/v1/sessions"), { headers: BOB });
    assert.equal(listedForBob.status, 403);
    await listedForBob.body?.cancel();
    const kickByBob = await fetch(srv.httpUrl(`/v1/sessions/${reader.sessionId}`), {
      method: "DELETE",
      headers: BOB,
    });
    assert.equal(kickByBob.status, 403);
    assert.deepEqual(await kickByBob.json(), { error: "this user does not have the admin right" });
    assert.equal(srv.responder.sessions.size, 1);

    const { sessions } = await (await fetch(srv.httpUrl("/v1/sessions"), { headers: ALICE }))
      .json();
    assert.equal(sessions.length, 1);
    assert.equal(sessions[0].id, reader.sessionId);
    assert.equal(sessions[0].transport, "tcp");
    assert.equal(sessions[0].mode, "play");
    assert.equal(sessions[0].clientAddress, "127.0.0.1");
    assert.ok(sessions[0].bytesSent > 0);

    const kick = await fetch(srv.httpUrl(`/v1/sessions/${reader.sessionId}`), {
      method: "DELETE",
      headers: ALICE,
    });
    assert.equal(kick.status, 200);
    assert.deepEqual(await kick.json(), { kicked: reader.sessionId });
    assert.equal(srv.responder.sessions.size, 0);
    assert.ok(
      await reader.client.closedByServer(3000),
      "the kicked reader's connection stays open",
    );
    const again = await fetch(srv.httpUrl(`/v1/sessions/${reader.sessionId}`), {
      method: "DELETE",
      headers: ALICE,
    });
    assert.equal(again.status, 404);
    await again.body?.cancel();
    const after = await scrape(srv.httpUrl("/metrics"), ALICE);
    assert.equal(after.value("rtsp_sessions_closed_total", { reason: "kicked" }), 1);
  } finally {
    reader.client.close();
  }
});

Deno.test("HTTP logins share the RTSP lockout: past the limit the right password gets 403", async () => {
  await using srv = await startTestServer({
    http: true,
    auth: USERS,
    abuse: {
      ...(await import("./_server/abuse_limits.ts")).DEFAULT_ABUSE_LIMITS,
      authFailuresBeforeLockout: 2,
    },
  });
  for (let i = 0; i < 2; i++) {
    const wrong = await fetch(srv.httpUrl("/v1/paths"), {
      headers: { authorization: basicCredentials("bob", `guess${i}`) },
    });
    assert.equal(wrong.status, 401);
    await wrong.body?.cancel();
  }
  const locked = await fetch(srv.httpUrl("/v1/paths"), { headers: BOB });
  assert.equal(locked.status, 403);
  await locked.body?.cancel();
  // Another user at the same address is not locked out.
  const alice = await fetch(srv.httpUrl("/v1/paths"), { headers: ALICE });
  assert.equal(alice.status, 200);
  await alice.body?.cancel();
});

Deno.test("GET /v1/sessions/<id>/transcript shows the last heads with credentials masked", async () => {
  await using srv = await startTestServer({ http: true, auth: USERS });
  const reader = await playOverTcp(srv.port, "/test", ALICE_RTSP);
  try {
    const response = await fetch(srv.httpUrl(`/v1/sessions/${reader.sessionId}/transcript`), {
      headers: ALICE,
    });
    assert.equal(response.status, 200);
    const body = await response.json();
    assert.equal(body.session, reader.sessionId);
    assert.equal(body.connectionOpen, true);
    const text = JSON.stringify(body);
    assert.ok(!text.includes(ALICE.authorization.slice("Basic ".length)), "credentials leaked");
    assert.deepEqual(
      body.exchanges.map((e: { request: string }) => e.request.split(" ")[0]),
      ["DESCRIBE", "SETUP", "PLAY"],
    );
    assert.match(body.exchanges[0].request, /\r\nAuthorization: Basic <masked>\r\n/);
    assert.match(body.exchanges[2].response, /^RTSP\/1.0 200 OK\r\nCSeq: 3\r\n/);
  } finally {
    reader.client.close();
  }
});

Deno.test("hostile HTTP requests get 4xx JSON errors", async () => {
  await using srv = await startTestServer({ http: true });
  const port = srv.http!.addr.port;
  const cases: Array<[string, string, number]> = [
    ["huge URL", `GET /${"a".repeat(3000)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, 414],
    ["made-up method", "BREW / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 405],
    [
      "control character",
      "GET /ws/a%0d%0aSet-Cookie:x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      400,
    ],
    ["dot-dot", "GET /ws/..%2Fetc%2Fpasswd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 400],
    [
      "bad session id",
      "DELETE /v1/sessions/%3Cscript%3E HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      400,
    ],
    ["unknown path", "GET /etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 404],
  ];
  for (const [name, request, status] of cases) {
    const reply = await rawHttp(port, request);
    assert.equal(reply.status, status, name);
    assert.match(reply.head, /content-type: application\/json/i, name);
    assert.match(reply.head, /x-content-type-options: nosniff/i, name);
    const error = JSON.parse(reply.body).error;
    assert.equal(typeof error, "string", name);
    assert.ok(!reply.body.includes("<script>"), name);
  }
  // The page itself carries no data and only our own script.
  const page = await fetch(srv.httpUrl("/"));
  assert.match(page.headers.get("content-security-policy")!, /script-src 'self'/);
  assert.match(await page.text(), /<meta name="viewport"/);
});

await toolTest("curl reads the API and metrics, and an admin kicks with -u", ["curl"], async () => {
  await using srv = await startTestServer({ http: true, auth: USERS });
  const reader = await playOverTcp(srv.port, "/test", ALICE_RTSP);
  try {
    const paths = await run("curl", ["-sS", "-f", "-u", "bob:builder", srv.httpUrl("/v1/paths")]);
    assert.equal(paths.code, 0, paths.stderr);
    assert.equal(JSON.parse(new TextDecoder().decode(paths.stdout)).paths[0].name, "/test");
    const metrics = await run("curl", ["-sS", "-f", "-u", "bob:builder", srv.httpUrl("/metrics")]);
    assert.match(
      new TextDecoder().decode(metrics.stdout),
      /^rtsp_readers\{path="\/test",transport="tcp"\} 1$/m,
    );
    const denied = await run("curl", [
      "-sS",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      "-X",
      "DELETE",
      "-u",
      "bob:builder",
      srv.httpUrl(`/v1/sessions/${reader.sessionId}`),
    ]);
    assert.equal(new TextDecoder().decode(denied.stdout), "403");
    const kick = await run("curl", [
      "-sS",
      "-f",
      "-X",
      "DELETE",
      "-u",
      "alice:wonderland",
      srv.httpUrl(`/v1/sessions/${reader.sessionId}`),
    ]);
    assert.equal(kick.code, 0, kick.stderr);
    assert.deepEqual(JSON.parse(new TextDecoder().decode(kick.stdout)), {
      kicked: reader.sessionId,
    });
    assert.ok(await eventually(() => srv.responder.sessions.size === 0));
    assert.ok(await reader.client.closedByServer(3000));
    // --path-as-is keeps the dot segments that curl would otherwise resolve itself.
    const climb = await run("curl", [
      "-sS",
      "--path-as-is",
      "-w",
      " %{http_code}",
      srv.httpUrl("/ws/a/%2e%2e/%2e%2e/etc"),
    ]);
    assert.match(new TextDecoder().decode(climb.stdout), / 40[04]$/);
  } finally {
    reader.client.close();
  }
});

Deno.test("a reader's receiver report shows as its loss and jitter, and in the path's lost packets", async () => {
  await using srv = await startTestServer({ http: true, auth: USERS });
  const reader = await playOverTcp(srv.port, "/test", ALICE_RTSP);
  try {
    await reader.client.collect(5, 3000);
    // The video SSRC this reader is sent (the SETUP answer's ssrc=).
    const videoSsrc = srv.app.library.shared("/test")!.ssrc(0)!;
    const report = {
      ssrc: videoSsrc,
      fractionLost: 64, // 64/256: a quarter lost since the last report
      cumulativeLost: 17,
      highestSequence: 0,
      jitter: 900, // 900 ticks of the 90 kHz clock: 10 ms
      lastSr: 0,
      delaySinceLastSr: 0,
    };
    await reader.client.send(
      interleavedFrame(1, buildReceiverReport({ ssrc: 0x5eed, reports: [report] })),
    );
    assert.ok(
      await eventually(() =>
        srv.app.hub.readerOf(srv.app.responder.sessions.byId(reader.sessionId)!)?.reception.get(
          videoSsrc,
        ) !== undefined
      ),
    );
    const { sessions } = await (await fetch(srv.httpUrl("/v1/sessions"), { headers: ALICE }))
      .json();
    assert.equal(sessions[0].lossFraction, 0.25);
    assert.equal(sessions[0].packetsLost, 17);
    assert.equal(sessions[0].jitterMs, 10);
    assert.ok(sessions[0].bytesReceived > 0, "the RTCP the reader sent is counted as received");
    const metrics = await scrape(srv.httpUrl("/metrics"), ALICE);
    assert.equal(metrics.value("rtsp_rtp_packets_lost_total", { path: "/test" }), 17);
  } finally {
    reader.client.close();
  }
});
