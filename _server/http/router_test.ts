import assert from "node:assert/strict";
import { MAX_HTTP_TARGET_LENGTH, type Route, routeRequest, streamPathOf } from "./router.ts";

const TABLE: ReadonlyArray<readonly [string, string, string, Route | number]> = [
  ["status page", "GET", "/", { kind: "status-page" }],
  ["status page, HEAD", "HEAD", "/", { kind: "status-page" }],
  ["script", "GET", "/status.js", { kind: "asset", name: "status.js" }],
  ["style", "GET", "/status.css", { kind: "asset", name: "status.css" }],
  ["paths", "GET", "/v1/paths", { kind: "paths" }],
  ["sessions", "GET", "/v1/sessions", { kind: "sessions" }],
  ["proxies", "GET", "/v1/proxies", { kind: "proxies" }],
  ["proxy add", "POST", "/v1/proxies", { kind: "proxy-add" }],
  ["proxy removal", "DELETE", "/v1/proxies/cam1", { kind: "proxy-remove", pattern: "/cam1" }],
  ["wildcard proxy removal", "DELETE", "/v1/proxies/cams/%2A", {
    kind: "proxy-remove",
    pattern: "/cams/*",
  }],
  ["kick", "DELETE", "/v1/sessions/0A1B2C3D4E5F6071", {
    kind: "session-kick",
    sessionId: "0A1B2C3D4E5F6071",
  }],
  ["transcript", "GET", "/v1/sessions/0A1B/transcript", {
    kind: "session-transcript",
    sessionId: "0A1B",
  }],
  ["metrics", "GET", "/metrics", { kind: "metrics" }],
  ["websocket of a nested path", "GET", "/ws/cam/1", { kind: "websocket", path: "/cam/1" }],
  ["websocket, encoded space", "GET", "/ws/my%20cam", { kind: "websocket", path: "/my cam" }],
  ["websocket, doubled slash made canonical", "GET", "/ws//test", {
    kind: "websocket",
    path: "/test",
  }],
  ["LL-HLS playlist", "GET", "/cam/1/index.m3u8", { kind: "hls-playlist", path: "/cam/1" }],
  ["LL-HLS part", "GET", "/cam/1/part3.1.mp4", {
    kind: "hls-file",
    path: "/cam/1",
    file: { kind: "part", msn: 3, index: 1 },
  }],
  ["LL-HLS init", "GET", "/test/init0.mp4", {
    kind: "hls-file",
    path: "/test",
    file: { kind: "init", id: 0 },
  }],
  ["player page", "GET", "/play/test", { kind: "player", path: "/test" }],
  ["unknown page", "GET", "/nope", 404],
  ["unknown API resource", "GET", "/v1/nope", 404],
  ["unversioned API", "GET", "/paths", 404],
  ["POST to paths", "POST", "/v1/paths", 405],
  ["DELETE of the list", "DELETE", "/v1/sessions", 405],
  ["PUT of the proxies", "PUT", "/v1/proxies", 405],
  ["GET of one proxy", "GET", "/v1/proxies/cam1", 405],
  ["a proxy pattern with a control character", "DELETE", "/v1/proxies/a%0Ab", 400],
  ["a proxy pattern badly encoded", "DELETE", "/v1/proxies/%E0%A4%A", 400],
  ["GET of one session", "GET", "/v1/sessions/AB", 405],
  ["made-up method", "BREW", "/", 405],
  ["DELETE of the transcript", "DELETE", "/v1/sessions/AB/transcript", 405],
  ["bad session id", "DELETE", "/v1/sessions/%3Cscript%3E", 400],
  ["too long session id", "DELETE", `/v1/sessions/${"A".repeat(65)}`, 400],
  ["more below a session", "GET", "/v1/sessions/AB/transcript/x", 404],
  ["websocket without a path", "GET", "/ws/", 404],
  ["encoded dot-dot", "GET", "/ws/a/%2e%2e%2Fb", 400],
  ["encoded slash and dot-dot", "GET", "/ws/a%2F..%2Fetc", 400],
  ["control character", "GET", "/ws/a%0D%0Ab", 400],
  ["NUL", "GET", "/play/a%00", 400],
  ["bad percent-encoding", "GET", "/ws/%E0%A4%A", 400],
  ["huge URL", "GET", `/${"a".repeat(MAX_HTTP_TARGET_LENGTH)}`, 414],
];

Deno.test("routeRequest() routes the table", () => {
  for (const [name, method, path, expected] of TABLE) {
    const route = routeRequest(method, path);
    if (typeof expected === "number") {
      assert.equal(route.kind, "error", name);
      assert.equal(route.kind === "error" && route.status, expected, name);
    } else assert.deepEqual(route, expected, name);
  }
});

Deno.test("routeRequest() names the allowed methods of a 405", () => {
  const route = routeRequest("PUT", "/metrics");
  assert.ok(route.kind === "error" && route.status === 405);
  assert.deepEqual(route.allow, ["GET", "HEAD"]);
  const kick = routeRequest("GET", "/v1/sessions/AB");
  assert.ok(kick.kind === "error" && kick.status === 405);
  assert.deepEqual(kick.allow, ["DELETE"]);
});

Deno.test("routeRequest() quotes a hostile method, cut short, in its message", () => {
  const route = routeRequest(`X"\n${"y".repeat(100)}`, "/");
  assert.ok(route.kind === "error");
  assert.ok(route.message.includes(`"X\\"\\nyyy`));
  assert.ok(route.message.length < 120);
});

Deno.test("streamPathOf() gives the canonical path RTSP rules see", () => {
  assert.equal(streamPathOf("/a/b/"), "/a/b");
  assert.equal(streamPathOf("/a//b"), "/a/b");
  assert.deepEqual(streamPathOf("/a/../b"), {
    kind: "error",
    status: 400,
    message: "the path holds a . or .. segment",
  });
});
