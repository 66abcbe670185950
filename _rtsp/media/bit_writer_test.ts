import { deepStrictEqual as assertEquals, throws as assertThrows } from "node:assert/strict";
import { BitWriter, rbspToNal } from "./bit_writer.ts";

function bytes(w: BitWriter): number[] {
  return [...w.finish()];
}

Deno.test("BitWriter.u writes MSB first across byte boundaries", () => {
  const w = new BitWriter().u(3, 0b101).u(8, 0xff).u(5, 0b00001);
  assertEquals(w.bitLength, 16);
  assertEquals(bytes(w), [0b1011_1111, 0b1110_0001]);
});

Deno.test("BitWriter.u handles 32-bit fields at an odd bit offset", () => {
  const w = new BitWriter().u(4, 0).u(32, 0xdeadbeef).u(4, 0);
  assertEquals(bytes(w), [0x0d, 0xea, 0xdb, 0xee, 0xf0]);
});

Deno.test("BitWriter.u(0) writes nothing and u rejects values that do not fit", () => {
  assertEquals(new BitWriter().u(0, 0).bitLength, 0);
  assertThrows(() => new BitWriter().u(3, 8), RangeError);
  assertThrows(() => new BitWriter().u(4, -1), RangeError);
  assertThrows(() => new BitWriter().u(33, 0), RangeError);
});

Deno.test("ue(v) codewords match H.264 Table 9-2", () => {
  const cases: [number, string][] = [
    [0, "1"],
    [1, "010"],
    [2, "011"],
    [3, "00100"],
    [6, "00111"],
    [7, "0001000"],
    [25, "000011010"], // mb_type I_PCM in an I slice
    [30, "000011111"], // mb_type I_PCM in a P slice
  ];
  for (const [v, code] of cases) {
    const w = new BitWriter().ue(v);
    assertEquals(w.bitLength, code.length, `ue(${v}) length`);
    w.alignZero();
    const padded = code.padEnd(Math.ceil(code.length / 8) * 8, "0");
    const expected = padded.match(/.{8}/g)!.map((b) => parseInt(b, 2));
    assertEquals(bytes(w), expected, `ue(${v})`);
  }
});

Deno.test("ue(0..8) followed by rbsp_trailing_bits gives exact bytes", () => {
  const w = new BitWriter();
  for (let v = 0; v <= 8; v++) w.ue(v);
  w.trailingBits();
  // 1 010 011 00100 00101 00110 00111 0001000 0001001 | 1 000000
  assertEquals(bytes(w), [0xa6, 0x42, 0x98, 0xe2, 0x04, 0xc0]);
});

Deno.test("se(v) maps 0, 1, -1, 2, -2, 3, -3 to codeNum 0..6 (Table 9-3)", () => {
  const w = new BitWriter();
  for (const k of [0, 1, -1, 2, -2, 3, -3]) w.se(k);
  w.trailingBits();
  assertEquals(bytes(w), [0xa6, 0x42, 0x98, 0xf0]);
});

Deno.test("ue accepts the largest 32-bit codeNum and rejects bad input", () => {
  const w = new BitWriter().ue(2 ** 32 - 2);
  assertEquals(w.bitLength, 63); // 31 zeros + 32 ones
  assertThrows(() => new BitWriter().ue(-1), RangeError);
  assertThrows(() => new BitWriter().ue(1.5), RangeError);
  assertThrows(() => new BitWriter().se(0.5), RangeError);
});

Deno.test("alignZero, trailingBits and bytes keep byte alignment rules", () => {
  const w = new BitWriter().u(1, 1);
  assertEquals(w.byteAligned, false);
  assertThrows(() => w.bytes(new Uint8Array([1])));
  assertThrows(() => w.finish());
  w.alignZero();
  assertEquals(w.byteAligned, true);
  w.alignZero(); // already aligned: no extra byte
  w.bytes(new Uint8Array([0x12, 0x34])).trailingBits();
  assertEquals(bytes(w), [0x80, 0x12, 0x34, 0x80]);
  assertEquals(bytes(w.reset().u(8, 7)), [7]);
});

Deno.test("bytes() grows the buffer for large payloads", () => {
  const big = new Uint8Array(100_000).map((_, i) => i & 0xff);
  const out = new BitWriter().u(8, 0xaa).bytes(big).finish();
  assertEquals(out.length, 100_001);
  assertEquals(out[0], 0xaa);
  assertEquals(out.subarray(1), big);
});

Deno.test("rbspToNal inserts emulation prevention bytes (§7.4.1)", () => {
  const cases: [number[], number[]][] = [
    [[0x00, 0x00, 0x00, 0x80], [0x00, 0x00, 0x03, 0x00, 0x80]],
    [[0x00, 0x00, 0x01], [0x00, 0x00, 0x03, 0x01]],
    [[0x00, 0x00, 0x02], [0x00, 0x00, 0x03, 0x02]],
    [[0x00, 0x00, 0x03], [0x00, 0x00, 0x03, 0x03]],
    [[0x00, 0x00, 0x04], [0x00, 0x00, 0x04]],
    [[0x00, 0x01, 0x00, 0x01], [0x00, 0x01, 0x00, 0x01]],
    // The inserted 0x03 restarts the zero count.
    [[0x00, 0x00, 0x00, 0x00, 0x00, 0x80], [0x00, 0x00, 0x03, 0x00, 0x00, 0x03, 0x00, 0x80]],
    [[0x12, 0x00, 0x00, 0x01, 0x80], [0x12, 0x00, 0x00, 0x03, 0x01, 0x80]],
    // An RBSP ending in 0x00 (cabac_zero_word) gets a final 0x03.
    [[0x80, 0x00], [0x80, 0x00, 0x03]],
    [[0x80, 0x00, 0x00], [0x80, 0x00, 0x00, 0x03]],
    [[], []],
  ];
  for (const [rbsp, payload] of cases) {
    assertEquals([...rbspToNal(0x67, new Uint8Array(rbsp))], [0x67, ...payload], `${rbsp}`);
  }
});

Deno.test("rbspToNal rejects a header byte with forbidden_zero_bit set", () => {
  assertThrows(() => rbspToNal(0x80, new Uint8Array([1])), RangeError);
  assertThrows(() => rbspToNal(256, new Uint8Array([1])), RangeError);
});
