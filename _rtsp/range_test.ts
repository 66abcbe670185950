import assert from "node:assert/strict";
import { formatRange, parseRange } from "./range.ts";

Deno.test("parseRange() reads NPT ranges (RFC 2326, 3.6) and formatRange() writes them", () => {
  const cases: ReadonlyArray<[string, string]> = [
    ["npt=0.000-", "npt=0.000-"],
    ["npt=0-", "npt=0.000-"],
    ["npt=5-", "npt=5.000-"],
    ["npt=5.25-10", "npt=5.250-10.000"],
    ["npt=now-", "npt=now-"],
    ["npt=-20", "npt=0.000-20.000"],
    ["npt=0:01:02.5-", "npt=62.500-"],
    ["npt = 3-", "npt=3.000-"],
    ["npt=1-;time=19970123T143720Z", "npt=1.000-"],
  ];
  for (const [input, canonical] of cases) {
    const range = parseRange(input);
    assert.ok(range, input);
    assert.equal(formatRange(range), canonical, input);
  }
});

Deno.test("parseRange() refuses other units and malformed ranges", () => {
  for (
    const input of [
      "smpte=0:10:20-",
      "clock=19961108T142300Z-",
      "npt=abc-",
      "npt=10-5",
      "npt=",
      "npt=1-now",
    ]
  ) {
    assert.equal(parseRange(input), undefined, input);
  }
});
