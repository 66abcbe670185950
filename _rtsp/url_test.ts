import assert from "node:assert/strict";
import { canonicalPath, hasControlCharacter, parseRequestTarget, splitLastSegment } from "./url.ts";

Deno.test("parseRequestTarget() finds the path of a Request-URI", () => {
  const cases: ReadonlyArray<[string, string | undefined, string | undefined]> = [
    ["*", "*", "*"],
    ["rtsp://127.0.0.1:554/test", "/test", "rtsp://127.0.0.1:554/test"],
    ["rtsp://127.0.0.1:554/test/", "/test", "rtsp://127.0.0.1:554/test"],
    ["RTSP://host/a/b/trackID=1?x=1", "/a/b/trackID=1", "rtsp://host/a/b/trackID=1"],
    ["rtsps://host:8322/cam%201", "/cam 1", "rtsps://host:8322/cam%201"],
    ["rtsp://host", "/", "rtsp://host"],
    ["rtsp://user:pw@[::1]:554/x", "/x", "rtsp://user:pw@[::1]:554/x"],
    ["http://host/test", undefined, undefined],
    ["/test", undefined, undefined],
    ["rtsp://host/%zz", undefined, undefined],
    ["rtsp://host/a%00b", undefined, undefined],
    // One canonical path for every spelling (RFC 3986, 5.2.4), the URL echoed as sent.
    ["rtsp://host//test", "/test", "rtsp://host//test"],
    ["rtsp://host/public//live/", "/public/live", "rtsp://host/public//live"],
    ["rtsp://host/a/./b/../c", "/a/c", "rtsp://host/a/./b/../c"],
    ["rtsp://host/%2e%2e/%2E%2E/etc", "/etc", "rtsp://host/%2e%2e/%2E%2E/etc"],
    ["rtsp://host/a%2Fb", "/a/b", "rtsp://host/a%2Fb"],
    // Control characters never get past the parser (400).
    ["rtsp://host/live%0D%0Aa=control:x", undefined, undefined],
    ["rtsp://host/a%1Bb", undefined, undefined],
    ["rtsp://host/a%7F", undefined, undefined],
    ["rtsp://host/a%C2%85", undefined, undefined],
    ["rtsp://host/a%E2%80%A8", undefined, undefined],
  ];
  for (const [uri, path, base] of cases) {
    const t = parseRequestTarget(uri);
    assert.equal(t?.path, path, uri);
    assert.equal(t?.base, base, uri);
  }
});

Deno.test("splitLastSegment() splits a track URL from its stream", () => {
  assert.deepEqual(splitLastSegment("/test/trackID=0"), ["/test", "trackID=0"]);
  assert.deepEqual(splitLastSegment("/test"), ["/", "test"]);
  assert.equal(splitLastSegment("/"), undefined);
});

Deno.test("canonicalPath() resolves empty and dot segments, never above the root", () => {
  const cases: ReadonlyArray<[string, string]> = [
    ["/", "/"],
    ["", "/"],
    ["//", "/"],
    ["/a//b///c/", "/a/b/c"],
    ["/./a/.", "/a"],
    ["/../../a", "/a"],
    ["/a/b/../../../c", "/c"],
    ["/a/..b/c..", "/a/..b/c.."],
  ];
  for (const [input, expected] of cases) assert.equal(canonicalPath(input), expected, input);
  // Idempotent: a canonical path is its own canonical form.
  for (const [, expected] of cases) assert.equal(canonicalPath(expected), expected);
});

Deno.test("hasControlCharacter() finds what could start a line or steer a terminal", () => {
  for (const c of ["\0", "\t", "\n", "\r", "\x1b", "\x7f", "\x85", "\u2028", "\u2029"]) {
    assert.equal(hasControlCharacter(`a${c}b`), true, JSON.stringify(c));
  }
  for (const text of ["", "/cam 1", "/caméra/été", "/日本", "/a=b;c"]) {
    assert.equal(hasControlCharacter(text), false, text);
  }
});
