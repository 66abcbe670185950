/**
 * FLAC frames and STREAMINFO (RFC 9639) byte by byte, the CRCs against the
 * catalogued check values, and a stream of frames decoded by ffmpeg.
 */

import assert from "node:assert/strict";
import { codedNumber, crc16, crc8, flacFrame, streamInfoBlock } from "./flac.ts";
import { run, toolTest } from "../../_testing/tools.ts";
import { concatBytes } from "../bytes.ts";

const ASCII_DIGITS = new TextEncoder().encode("123456789");

Deno.test("crc8 and crc16: the check values of CRC-8 (poly 0x07) and CRC-16/BUYPASS (poly 0x8005)", () => {
  assert.equal(crc8(ASCII_DIGITS), 0xf4);
  assert.equal(crc16(ASCII_DIGITS), 0xfee8);
  assert.equal(crc8(new Uint8Array(0)), 0);
  assert.equal(crc16(Uint8Array.of(0x00)), 0);
  assert.equal(crc8(Uint8Array.of(0x01)), 0x07);
  assert.equal(crc16(Uint8Array.of(0x01)), 0x8005);
});

Deno.test("codedNumber: UTF-8's byte pattern, extended to 36 bits (RFC 9639 §9.1.5)", () => {
  const utf8 = new TextEncoder();
  for (const n of [0, 0x7f, 0x80, 0x7ff, 0x800, 0xffff, 0x10000, 0x10ffff]) {
    assert.deepEqual(codedNumber(n), [...utf8.encode(String.fromCodePoint(n))], `${n}`);
  }
  assert.deepEqual(codedNumber(2 ** 36 - 1), [0xfe, 0xbf, 0xbf, 0xbf, 0xbf, 0xbf, 0xbf]);
  assert.deepEqual(codedNumber(2 ** 31), [0xfe, 0x82, 0x80, 0x80, 0x80, 0x80, 0x80]);
  assert.throws(() => codedNumber(2 ** 36), RangeError);
  assert.throws(() => codedNumber(-1), RangeError);
});

Deno.test("flacFrame: header, VERBATIM subframe and CRCs of a 4-sample block", () => {
  const frame = flacFrame(Int16Array.of(0, 1, -1, 32767), 8000, 0);
  assert.deepEqual([...frame], [
    0xff,
    0xf9, // sync code, reserved 0, blocking strategy 1 (variable)
    0x64, // block size code 0b0110 (8-bit size − 1 follows), sample rate 0b0100 (8 kHz)
    0x08, // channels 0b0000 (mono), bit depth 0b100 (16), reserved 0
    0x00, // coded number: first sample 0
    0x03, // block size − 1
    0x88, // CRC-8 of the 6 bytes before
    0x02, // subframe: 0, type 0b000001 VERBATIM, no wasted bits
    0x00,
    0x00,
    0x00,
    0x01,
    0xff,
    0xff,
    0x7f,
    0xff, // the samples, big-endian
    0xda,
    0x27, // CRC-16 of everything before
  ]);
  // A CRC over data and its own CRC leaves 0.
  assert.equal(crc8(frame.subarray(0, 7)), 0);
  assert.equal(crc16(frame), 0);
});

Deno.test("flacFrame: a 16-bit block size and a multi-byte sample number", () => {
  const frame = flacFrame(new Int16Array(300), 8000, 1000);
  // 1000 = 0b1111101000: two bytes 110_01111 10_101000; then 299 as 16 bits.
  assert.deepEqual([...frame.subarray(0, 8)], [0xff, 0xf9, 0x74, 0x08, 0xcf, 0xa8, 0x01, 0x2b]);
  assert.equal(crc8(frame.subarray(0, 9)), 0);
  assert.equal(frame.length, 9 + 1 + 600 + 2);
  assert.equal(crc16(frame), 0);
  assert.throws(() => flacFrame(new Int16Array(0), 8000, 0), RangeError);
  assert.throws(() => flacFrame(new Int16Array(1), 12345, 0), RangeError);
});

Deno.test("streamInfoBlock: the last metadata block, STREAMINFO of 8 kHz 16-bit mono", () => {
  assert.deepEqual([...streamInfoBlock({ sampleRate: 8000, maxBlockSize: 4096 })], [
    0x80,
    0x00,
    0x00,
    0x22, // last block, type 0 (STREAMINFO), 34 bytes
    0x00,
    0x10, // minimum block size 16
    0x10,
    0x00, // maximum block size 4096
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00, // minimum and maximum frame size: unknown
    0x01,
    0xf4,
    0x00, // sample rate 8000 (20 bits) ...
    0xf0, // ... channels − 1 = 0 (3 bits), bits per sample − 1 = 15 (5 bits), ...
    0x00,
    0x00,
    0x00,
    0x00, // ... total samples 0 (36 bits): unknown
    ...new Array(16).fill(0), // MD5: not computed
  ]);
});

await toolTest(
  "a FLAC stream of these frames decodes in ffmpeg to the same samples",
  ["ffmpeg"],
  async () => {
    const samples = new Int16Array(1000);
    for (let i = 0; i < samples.length; i++) samples[i] = Math.round(20000 * Math.sin(i / 7));
    const frames: Uint8Array[] = [];
    // Block sizes vary (variable-block-size strategy): 160, 80, 320, then the rest.
    let at = 0;
    for (const size of [160, 80, 320, 440]) {
      frames.push(flacFrame(samples.subarray(at, at + size), 8000, at));
      at += size;
    }
    const file = concatBytes(
      new TextEncoder().encode("fLaC"),
      streamInfoBlock({ sampleRate: 8000, maxBlockSize: 4096 }),
      ...frames,
    );
    const out = await run("ffmpeg", [
      ...["-v", "error", "-err_detect", "crccheck+bitstream+explode"],
      ...["-f", "flac", "-i", "pipe:0", "-f", "s16le", "pipe:1"],
    ], { stdin: file });
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stderr, "");
    const decoded = new Int16Array(out.stdout.buffer, out.stdout.byteOffset, out.stdout.length / 2);
    assert.deepEqual([...decoded], [...samples]);
  },
);
