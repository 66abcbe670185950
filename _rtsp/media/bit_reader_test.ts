import { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import {
  BitReader,
  BitstreamError,
  MAX_EXP_GOLOMB_LEADING_ZEROS,
  nalToRbsp,
} from "./bit_reader.ts";

/** Asserts that `fn` throws an instance of `cls` whose message contains `text`. */
function assertThrows(fn: () => unknown, cls: new (...a: never[]) => Error, text = ""): void {
  throws(fn, (e: unknown) => e instanceof cls && e.message.includes(text));
}

/** "1 010 011" → bytes, zero-padded to a byte boundary. Spaces are ignored. */
function bits(s: string): Uint8Array {
  const b = s.replaceAll(" ", "");
  const out = new Uint8Array(Math.ceil(b.length / 8));
  for (let i = 0; i < b.length; i++) if (b[i] === "1") out[i >> 3] |= 0x80 >> (i & 7);
  return out;
}

Deno.test("u(n) reads MSB-first fields across byte boundaries", () => {
  const r = new BitReader(Uint8Array.of(0b1011_0011, 0b1100_0101, 0xff, 0xff, 0xff, 0xff));
  assertEquals(r.u(0), 0);
  assertEquals(r.u(1), 1);
  assertEquals(r.u(3), 0b011);
  assertEquals(r.u(6), 0b0011_11);
  assertEquals(r.position, 10);
  assertEquals(r.bitsLeft, 38);
  assertEquals(r.u(6), 0b00_0101);
  // A full 32-bit field stays unsigned.
  assertEquals(r.u(32), 0xffffffff);
  assertEquals(r.bitsLeft, 0);
});

Deno.test("ue(v) and se(v) decode the code table of H.264 9.1 / Table 9-3", () => {
  const table: [string, number, number][] = [
    // bit string, ue value, se value of the same code
    ["1", 0, 0],
    ["010", 1, 1],
    ["011", 2, -1],
    ["00100", 3, 2],
    ["00101", 4, -2],
    ["00110", 5, 3],
    ["00111", 6, -3],
    ["0001000", 7, 4],
    ["000011111", 30, -15],
  ];
  for (const [code, ue, se] of table) {
    assertEquals(new BitReader(bits(code)).ue(), ue, `ue ${code}`);
    assertEquals(new BitReader(bits(code)).se(), se, `se ${code}`);
  }
  // Consecutive codes share bytes.
  const r = new BitReader(bits("1 010 011 00100 0001000"));
  assertEquals([r.ue(), r.ue(), r.ue(), r.ue(), r.ue()], [0, 1, 2, 3, 7]);
});

Deno.test("ue(v) reaches 2^32 - 2 with 31 leading zeros and rejects 32", () => {
  const max = "0".repeat(31) + "1" + "1".repeat(31);
  assertEquals(new BitReader(bits(max)).ue(), 2 ** 32 - 2);
  const tooLong = "0".repeat(MAX_EXP_GOLOMB_LEADING_ZEROS + 1) + "1" + "0".repeat(40);
  assertThrows(() => new BitReader(bits(tooLong)).ue(), BitstreamError, "leading zeros");
});

Deno.test("reads past the end throw BitstreamError, never loop", () => {
  assertThrows(() => new BitReader(new Uint8Array(0)).u(1), BitstreamError, "passes the end");
  assertThrows(() => new BitReader(Uint8Array.of(0xff)).u(9), BitstreamError);
  assertThrows(() => new BitReader(Uint8Array.of(0xff)).skip(9), BitstreamError);
  // All zeros: the Exp-Golomb prefix never ends.
  assertThrows(() => new BitReader(new Uint8Array(3)).ue(), BitstreamError);
  assertThrows(() => new BitReader(new Uint8Array(64)).ue(), BitstreamError, "leading zeros");
  // Prefix complete, suffix cut off.
  assertThrows(() => new BitReader(bits("00000001")).ue(), BitstreamError);
  assertThrows(() => new BitReader(Uint8Array.of(0)).u(33), BitstreamError, "0..32");
  // A failed read does not move the position.
  const r = new BitReader(Uint8Array.of(0xab));
  assertThrows(() => r.u(16), BitstreamError);
  assertEquals(r.u(8), 0xab);
});

Deno.test("ueMax / seRange enforce the spec ranges", () => {
  assertEquals(new BitReader(bits("00100")).ueMax(3, "x"), 3);
  assertThrows(() => new BitReader(bits("00101")).ueMax(3, "x"), BitstreamError, "x = 4 exceeds 3");
  assertEquals(new BitReader(bits("00101")).seRange(-2, 2, "y"), -2);
  assertThrows(() => new BitReader(bits("00110")).seRange(-2, 2, "y"), BitstreamError, "y = 3");
});

Deno.test("nalToRbsp removes emulation_prevention_three_byte", () => {
  const table: [number[], number[]][] = [
    [[0x67, 0x42], [0x67, 0x42]],
    [[0x67, 0x00, 0x00, 0x03, 0x01], [0x67, 0x00, 0x00, 0x01]],
    [[0x67, 0x00, 0x00, 0x03, 0x00, 0x00, 0x03, 0x02], [0x67, 0x00, 0x00, 0x00, 0x00, 0x02]],
    // The escape resets the zero count: 00 00 03 00 03 keeps the second 03.
    [[0x67, 0x00, 0x00, 0x03, 0x00, 0x03], [0x67, 0x00, 0x00, 0x00, 0x03]],
    // cabac_zero_words: a trailing 00 00 03.
    [[0x65, 0x11, 0x00, 0x00, 0x03], [0x65, 0x11, 0x00, 0x00]],
    [[0x65, 0x00, 0x03, 0x01], [0x65, 0x00, 0x03, 0x01]],
    [[0x00, 0x00, 0x03], [0x00, 0x00]],
    [[], []],
  ];
  for (const [nal, rbsp] of table) {
    assertEquals(Array.from(nalToRbsp(Uint8Array.from(nal))), rbsp, nal.join(","));
  }
  // No escape: the input itself comes back, uncopied.
  const plain = Uint8Array.of(0x67, 1, 2, 3);
  assertEquals(nalToRbsp(plain) === plain, true);
});

Deno.test("BitReader on random bytes only ever throws BitstreamError", () => {
  let seed = 12345;
  const next = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
  for (let trial = 0; trial < 500; trial++) {
    const data = Uint8Array.from({ length: trial % 17 }, next);
    const r = new BitReader(nalToRbsp(data));
    try {
      for (;;) {
        const op = next() % 3;
        if (op === 0) r.ue();
        else if (op === 1) r.se();
        else r.u(next() % 33);
      }
    } catch (e) {
      assertEquals(e instanceof BitstreamError, true);
    }
  }
});
