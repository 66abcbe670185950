import assert from "node:assert/strict";
import { parseRequestTarget, splitLastSegment } from "./url.ts";

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
