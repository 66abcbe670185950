/**
 * G.711 expansion against the values of ITU-T G.711 Tables 2a/2b scaled to
 * 16 bits (those of the reference `g711.c` and ffmpeg's decoders), and
 * against this repository's independent µ-law encoder.
 */

import assert from "node:assert/strict";
import { alawToLinear, expandG711, ulawToLinear } from "./g711.ts";
import { linearToPcmu } from "./pcmu_tone.ts";

Deno.test("ulawToLinear: known G.711 µ-law values", () => {
  const cases: [number, number][] = [
    [0xff, 0], // positive zero
    [0x7f, 0], // negative zero
    [0x00, -32124], // negative full scale
    [0x80, 32124], // positive full scale
    [0xfe, 8], // first step of segment 0
    [0x7e, -8],
    [0xf0, 120], // top of segment 0
    [0xef, 132], // bottom of segment 1
    [0xce, 988],
    [0x4e, -988],
    [0x8f, 16764], // bottom of segment 7
  ];
  for (const [code, value] of cases) {
    assert.equal(ulawToLinear(code), value, `µ-law 0x${code.toString(16)}`);
    assert.ok(!Object.is(ulawToLinear(code), -0));
  }
});

Deno.test("alawToLinear: known G.711 A-law values", () => {
  const cases: [number, number][] = [
    [0xd5, 8], // smallest positive (even bits inverted on the line)
    [0x55, -8],
    [0xd4, 24],
    [0xaa, 32256], // positive full scale
    [0x2a, -32256],
    [0x80, 5504],
    [0x00, -5504],
    [0xc5, 264], // bottom of segment 1
    [0xf5, 528], // bottom of segment 2
    [0xe5, 1056], // bottom of segment 3
  ];
  for (const [code, value] of cases) {
    assert.equal(alawToLinear(code), value, `A-law 0x${code.toString(16)}`);
  }
});

Deno.test("G.711 expansion: every µ-law code re-encodes to itself, both laws are odd-symmetric", () => {
  for (let code = 0; code < 256; code++) {
    // 0x7F is negative zero: it decodes to 0, which encodes as positive zero.
    const back = linearToPcmu(ulawToLinear(code));
    assert.equal(back, code === 0x7f ? 0xff : code, `µ-law 0x${code.toString(16)}`);
    // Flipping the sign bit negates the value.
    assert.equal(ulawToLinear(code ^ 0x80), -ulawToLinear(code) || 0);
    assert.equal(alawToLinear(code ^ 0x80), -alawToLinear(code));
  }
});

Deno.test("expandG711 maps a payload byte by byte", () => {
  assert.deepEqual(
    [...expandG711("ulaw", Uint8Array.of(0xff, 0x00, 0x80))],
    [0, -32124, 32124],
  );
  assert.deepEqual([...expandG711("alaw", Uint8Array.of(0xd5, 0x55, 0xaa))], [8, -8, 32256]);
  assert.equal(expandG711("alaw", new Uint8Array(0)).length, 0);
});
