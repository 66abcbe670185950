/**
 * Pull sources added and removed at run time through the JSON API (admin):
 * a real upstream (this server's /test) and a real proxy on port 0.
 */

import assert from "node:assert/strict";
import { startTestServer } from "./_testing/server.ts";
import { authConfig, basicCredentials } from "./_testing/auth.ts";
import { eventually, playOverTcp } from "./_testing/http.ts";
import { RawClient } from "./_testing/raw_client.ts";
import { pullSourceSpec } from "./_engine/pull/pull_sources.ts";
import { MAX_PROXY_BODY_BYTES } from "./_server/http/proxies_api.ts";
import { toolTest } from "./_testing/tools.ts";

const USERS = authConfig({
  users: [{ name: "alice", password: "wonderland" }, { name: "bob", password: "builder" }],
  schemes: ["basic"],
  admin: ["alice"],
});
const ALICE = { authorization: basicCredentials("alice", "wonderland") };
const BOB = { authorization: basicCredentials("bob", "builder") };
const ALICE_RTSP = `Authorization: ${ALICE.authorization}\r\n`;

async function describeStatus(port: number, path: string): Promise<number> {
  const c = await RawClient.connect(port);
  try {
    const url = `rtsp://127.0.0.1:${port}${path}`;
    return (await c.request(`DESCRIBE ${url} RTSP/1.0\r\nCSeq: 1\r\n${ALICE_RTSP}\r\n`)).status;
  } finally {
    c.close();
  }
}

function post(url: string, body: string, headers: HeadersInit = ALICE): Promise<Response> {
  return fetch(url, {
    method: "POST",
    body,
    headers: { ...headers, "content-type": "application/json" },
  });
}

Deno.test("an admin adds a proxied path at run time, readers play it, and removing it ends them", async () => {
  await using upstream = await startTestServer();
  await using proxy = await startTestServer({ http: true, auth: USERS });
  const api = proxy.httpUrl("/v1/proxies");
  const source = `rtsp://cam:secret@127.0.0.1:${upstream.port}/test`;

  assert.equal((await fetch(api)).status, 401, "anonymous");
  assert.equal((await fetch(api, { headers: BOB })).status, 403, "a user without the admin right");
  assert.deepEqual(await (await fetch(api, { headers: ALICE })).json(), { proxies: [] });
  assert.equal(await describeStatus(proxy.port, "/cam"), 404);

  const added = await post(api, JSON.stringify({ path: "/cam", source, closeAfter: 30 }));
  assert.equal(added.status, 201);
  const shown = await added.json();
  assert.equal(shown.source, `rtsp://cam:***@127.0.0.1:${upstream.port}/test`, "password hidden");
  assert.equal(shown.closeAfter, 30);
  assert.equal(shown.definedAt, "api");
  assert.equal((await post(api, JSON.stringify({ path: "/cam", source }))).status, 409);

  const reader = await playOverTcp(proxy.port, "/cam", ALICE_RTSP);
  try {
    assert.ok((await reader.client.collect(20, 3000)).length >= 20, "media flows");
    assert.equal(upstream.responder.sessions.size, 1, "one upstream session");
    const listed = await (await fetch(api, { headers: ALICE })).json();
    assert.deepEqual(listed.proxies[0].pulled, [{ path: "/cam", state: "playing", readers: 1 }]);
    assert.ok(!JSON.stringify(listed).includes("secret"));

    const removed = await fetch(`${api}/cam`, { method: "DELETE", headers: ALICE });
    assert.deepEqual(await removed.json(), { removed: "/cam", definedAt: "api" });
    assert.ok(
      await eventually(() => proxy.responder.sessions.size === 0),
      "the reader's session ended",
    );
    assert.ok(await eventually(() => upstream.responder.sessions.size === 0), "upstream torn down");
    assert.equal(await describeStatus(proxy.port, "/cam"), 404);
    const again = await fetch(`${api}/cam`, { method: "DELETE", headers: ALICE });
    assert.equal(again.status, 404);
    await again.body?.cancel();
  } finally {
    reader.client.close();
  }
});

Deno.test("an always-on source added at run time starts without a reader; one from the config can be removed", async () => {
  await using upstream = await startTestServer();
  await using proxy = await startTestServer({
    http: true,
    auth: USERS,
    pullSources: [pullSourceSpec({
      pattern: "/configured",
      source: `rtsp://127.0.0.1:${upstream.port}/test`,
      onDemand: false,
    })],
  });
  const api = proxy.httpUrl("/v1/proxies");
  assert.ok(await eventually(() => upstream.responder.sessions.size === 1), "configured one runs");
  const added = await post(
    api,
    JSON.stringify({
      path: "/always",
      source: `rtsp://127.0.0.1:${upstream.port}/test`,
      sourceOnDemand: false,
    }),
  );
  assert.equal(added.status, 201);
  await added.body?.cancel();
  assert.ok(await eventually(() => upstream.responder.sessions.size === 2), "started at once");
  const listed = await (await fetch(api, { headers: ALICE })).json();
  assert.deepEqual(
    listed.proxies.map((p: { path: string; definedAt: string }) => `${p.path} ${p.definedAt}`),
    ["/configured start", "/always api"],
  );
  const removed = await fetch(`${api}/configured`, { method: "DELETE", headers: ALICE });
  assert.deepEqual(await removed.json(), { removed: "/configured", definedAt: "start" });
  assert.ok(await eventually(() => upstream.responder.sessions.size === 1));
  assert.equal(await describeStatus(proxy.port, "/configured"), 404);
  assert.equal(await describeStatus(proxy.port, "/always"), 200);
});

Deno.test("adding a proxied path: each mistake gets a 4xx naming it", async () => {
  await using proxy = await startTestServer({ http: true, auth: USERS });
  const api = proxy.httpUrl("/v1/proxies");
  const cases: Array<[string, string, number, RegExp]> = [
    ["not JSON", "{", 400, /not JSON/],
    ["an array", "[]", 400, /JSON object/],
    ["no path", '{"source":"rtsp://h/x"}', 400, /path/],
    ["a path that is not a pattern", '{"path":"cam","source":"rtsp://h/x"}', 400, /path/],
    ["an http source", '{"path":"/x","source":"http://h/x"}', 400, /rtsp:\/\//],
    [
      "an unknown transport",
      '{"path":"/x","source":"rtsp://h/x","transport":"pigeon"}',
      400,
      /transport/,
    ],
    ["an unknown field", '{"path":"/x","source":"rtsp://h/x","colour":"red"}', 400, /colour/],
    [
      "a wildcard always on",
      '{"path":"/x/*","source":"rtsp://h/$path","sourceOnDemand":false}',
      400,
      /on demand/,
    ],
    ["the test source's path", '{"path":"/test","source":"rtsp://h/x"}', 409, /served/],
    [
      "too big",
      JSON.stringify({ path: "/x", source: "rtsp://h/x", pad: "a".repeat(MAX_PROXY_BODY_BYTES) }),
      413,
      /larger/,
    ],
  ];
  for (const [what, body, status, message] of cases) {
    const response = await post(api, body);
    assert.equal(response.status, status, what);
    assert.match(JSON.stringify(await response.json()), message, what);
  }
  assert.deepEqual(await (await fetch(api, { headers: ALICE })).json(), { proxies: [] });
  const byBob = await post(api, '{"path":"/x","source":"rtsp://h/x"}', BOB);
  assert.equal(byBob.status, 403);
  await byBob.body?.cancel();
});

await toolTest(
  "curl adds, lists and removes a proxied path as the README shows",
  ["curl"],
  async () => {
    await using upstream = await startTestServer();
    await using proxy = await startTestServer({ http: true, auth: USERS });
    const api = proxy.httpUrl("/v1/proxies");
    const curl = async (...args: string[]) => {
      const out = await new Deno.Command("curl", {
        args: ["-sS", "-u", "alice:wonderland", "-w", "\\n%{http_code}", ...args],
      }).output();
      const [body, code] = new TextDecoder().decode(out.stdout).trimEnd().split(/\n(?=\d+$)/);
      return { code: Number(code), json: JSON.parse(body) };
    };
    const source = `rtsp://127.0.0.1:${upstream.port}/test`;
    const added = await curl("-d", JSON.stringify({ path: "/cam3", source, closeAfter: 30 }), api);
    assert.equal(added.code, 201);
    assert.equal(added.json.path, "/cam3");
    assert.equal(await describeStatus(proxy.port, "/cam3"), 200);
    const listed = await curl(api);
    assert.equal(listed.json.proxies[0].pulled[0].state, "playing");
    const removed = await curl("-X", "DELETE", `${api}/cam3`);
    assert.deepEqual([removed.code, removed.json], [200, { removed: "/cam3", definedAt: "api" }]);
    assert.equal(await describeStatus(proxy.port, "/cam3"), 404);
  },
);
