import assert from "node:assert/strict";
import { byteRange, rangedResponse } from "./byte_range.ts";

Deno.test("byteRange() reads one bytes= range and ignores what it need not honour (RFC 9110, 14)", () => {
  const table: [string | null, unknown][] = [
    [null, { kind: "whole" }],
    ["bytes=0-", { kind: "partial", start: 0, end: 99 }], // what Chromium's HLS player sends
    ["bytes=10-19", { kind: "partial", start: 10, end: 19 }],
    ["bytes=90-500", { kind: "partial", start: 90, end: 99 }],
    ["bytes=-10", { kind: "partial", start: 90, end: 99 }],
    ["bytes=-500", { kind: "partial", start: 0, end: 99 }],
    ["bytes=100-", { kind: "unsatisfiable" }],
    ["bytes=-0", { kind: "unsatisfiable" }],
    ["bytes=0-1,5-6", { kind: "whole" }],
    ["bytes=5-1", { kind: "whole" }],
    ["items=0-1", { kind: "whole" }],
    ["bytes=-", { kind: "whole" }],
  ];
  for (const [header, answer] of table) {
    assert.deepEqual(byteRange(header, 100), answer, `${header}`);
  }
});

Deno.test("rangedResponse: 200 whole, 206 with Content-Range, 416 naming the length", async () => {
  const bytes = Uint8Array.from({ length: 10 }, (_, i) => i);
  const sent: number[] = [];
  const answer = (range: string | null) =>
    rangedResponse(range, bytes, { "content-type": "video/mp4" }, (n) => sent.push(n));
  const whole = answer(null);
  assert.equal(whole.status, 200);
  assert.equal(whole.headers.get("accept-ranges"), "bytes");
  assert.equal(whole.headers.get("content-type"), "video/mp4");
  assert.deepEqual(new Uint8Array(await whole.arrayBuffer()), bytes);
  const part = answer("bytes=2-4");
  assert.equal(part.status, 206);
  assert.equal(part.headers.get("content-range"), "bytes 2-4/10");
  assert.deepEqual([...new Uint8Array(await part.arrayBuffer())], [2, 3, 4]);
  const past = answer("bytes=10-");
  assert.equal(past.status, 416);
  assert.equal(past.headers.get("content-range"), "bytes */10");
  assert.deepEqual(sent, [10, 3], "no body counted for a 416");
});
