import assert from "node:assert/strict";
import { byteRange } from "./byte_range.ts";

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
