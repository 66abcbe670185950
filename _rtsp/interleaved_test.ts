import assert from "node:assert/strict";
import { interleavedFrame, interleavedLength, writeInterleavedHeader } from "./interleaved.ts";

Deno.test("writeInterleavedHeader writes `$`, the channel and the big-endian length", () => {
  const out = new Uint8Array(6).fill(0xee);
  assert.equal(writeInterleavedHeader(out, 1, 3, 0x1234), 5);
  assert.deepEqual([...out], [0xee, 0x24, 3, 0x12, 0x34, 0xee]);
  assert.equal(interleavedLength(out, 1), 0x1234);
});

Deno.test("interleavedFrame copies the payload behind its header", () => {
  const payload = Uint8Array.of(1, 2, 3);
  const framed = interleavedFrame(7, payload);
  assert.deepEqual([...framed], [0x24, 7, 0, 3, 1, 2, 3]);
  payload[0] = 9;
  assert.equal(framed[4], 1);
  assert.deepEqual([...interleavedFrame(0, new Uint8Array(0xffff)).subarray(0, 4)], [
    0x24,
    0,
    0xff,
    0xff,
  ]);
});
