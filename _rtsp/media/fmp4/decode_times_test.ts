import assert from "node:assert/strict";
import { DecodeTimes } from "./decode_times.ts";

/** [presentation, decode] of each unit, in decode order, after a flush. */
function run(lookahead: number, presentation: readonly number[]): Array<[number, number]> {
  const times = new DecodeTimes<number>(lookahead);
  const out = presentation.flatMap((p, i) => times.push(i, p));
  out.push(...times.flush());
  assert.deepEqual(out.map((d) => d.item), presentation.map((_, i) => i), "decode order kept");
  return out.map((d) => [d.presentation, d.decode]);
}

Deno.test("DecodeTimes without a window: decode time is presentation time", () => {
  assert.deepEqual(run(0, [0, 10, 20]), [[0, 0], [10, 10], [20, 20]]);
});

Deno.test("DecodeTimes: the i-th unit decodes at the i-th smallest presentation time", () => {
  // I0 P30 B10 B20 P60 B40 B50
  assert.deepEqual(run(2, [0, 30, 10, 20, 60, 40, 50]), [
    [0, 0],
    [30, 10],
    [10, 20],
    [20, 30],
    [60, 40],
    [40, 50],
    [50, 60],
  ]);
});

Deno.test("DecodeTimes: a unit waits for `lookahead` more before its decode time is known", () => {
  const times = new DecodeTimes<string>(2);
  assert.deepEqual(times.push("a", 0), []);
  assert.deepEqual(times.push("b", 30), []);
  assert.deepEqual(times.push("c", 10).map((d) => [d.item, d.decode]), [["a", 0]]);
  assert.equal(times.waiting, 2);
});

Deno.test("DecodeTimes: repeated or shallower-than-needed times are moved up one tick", () => {
  assert.deepEqual(run(0, [5, 5, 5, 4]), [[5, 5], [5, 6], [5, 7], [4, 8]]);
  const times = new DecodeTimes<number>(0, 100);
  assert.equal(times.push(0, 50)[0].decode, 100, "never below the minimum");
  assert.equal(times.clamped, 1);
});
