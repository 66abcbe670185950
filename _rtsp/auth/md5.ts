/**
 * MD5 (RFC 1321), synchronous, for HTTP/RTSP Digest authentication
 * (RFC 2617, RFC 7616 `algorithm=MD5`). MD5 is broken for collision resistance;
 * it is here only because Digest clients (ffmpeg, VLC/live555, GStreamer) need it.
 * @module
 */

import { toHex, utf8 } from "./encoding.ts";

/** Left-rotation amounts of each round's four steps (RFC 1321, 3.4), repeated four times. */
const ROUND_SHIFTS: readonly (readonly number[])[] = [
  [7, 12, 17, 22],
  [5, 9, 14, 20],
  [4, 11, 16, 23],
  [6, 10, 15, 21],
];
/** Per-step left-rotation amounts. */
const SHIFTS = Uint8Array.from({ length: 64 }, (_, i) => ROUND_SHIFTS[i >> 4][i & 3]);

/** T[i] = floor(2^32 * abs(sin(i + 1))) (RFC 1321, 3.4), computed rather than pasted. */
const T = (() => {
  const t = new Int32Array(64);
  for (let i = 0; i < 64; i++) t[i] = Math.floor(Math.abs(Math.sin(i + 1)) * 0x100000000) | 0;
  return t;
})();

/** Initial state A, B, C, D (RFC 1321, 3.3), as little-endian words. */
const INIT = [0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476];

/** The message words of one block; reused (the code is synchronous). */
const X = new Int32Array(16);

function compress(state: Int32Array, block: Uint8Array, offset: number): void {
  for (let i = 0; i < 16; i++) {
    const o = offset + 4 * i;
    X[i] = block[o] | (block[o + 1] << 8) | (block[o + 2] << 16) | (block[o + 3] << 24);
  }
  let a = state[0], b = state[1], c = state[2], d = state[3];
  for (let i = 0; i < 64; i++) {
    let f: number;
    let g: number;
    if (i < 16) {
      f = (b & c) | (~b & d);
      g = i;
    } else if (i < 32) {
      f = (d & b) | (~d & c);
      g = (5 * i + 1) & 15;
    } else if (i < 48) {
      f = b ^ c ^ d;
      g = (3 * i + 5) & 15;
    } else {
      f = c ^ (b | ~d);
      g = (7 * i) & 15;
    }
    const sum = (a + f + T[i] + X[g]) | 0;
    const s = SHIFTS[i];
    a = d;
    d = c;
    c = b;
    b = (b + ((sum << s) | (sum >>> (32 - s)))) | 0;
  }
  state[0] = (state[0] + a) | 0;
  state[1] = (state[1] + b) | 0;
  state[2] = (state[2] + c) | 0;
  state[3] = (state[3] + d) | 0;
}

/**
 * The MD5 digest of `data` (a string is hashed as UTF-8).
 * @returns 16 bytes
 */
export function md5(data: Uint8Array | string): Uint8Array {
  const bytes = typeof data === "string" ? utf8(data) : data;
  const state = Int32Array.from(INIT);
  const whole = bytes.length - (bytes.length % 64);
  for (let off = 0; off < whole; off += 64) compress(state, bytes, off);
  // Padding (RFC 1321, 3.1-3.2): 0x80, zeros to 56 mod 64, then the bit length
  // as a 64-bit little-endian number.
  const rest = bytes.length - whole;
  const tail = new Uint8Array(rest < 56 ? 64 : 128);
  tail.set(bytes.subarray(whole));
  tail[rest] = 0x80;
  const bitsLow = (bytes.length * 8) >>> 0;
  const bitsHigh = Math.floor(bytes.length / 0x20000000) >>> 0;
  const at = tail.length - 8;
  for (let i = 0; i < 4; i++) {
    tail[at + i] = (bitsLow >>> (8 * i)) & 0xff;
    tail[at + 4 + i] = (bitsHigh >>> (8 * i)) & 0xff;
  }
  for (let off = 0; off < tail.length; off += 64) compress(state, tail, off);
  const out = new Uint8Array(16);
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 4; j++) out[4 * i + j] = (state[i] >>> (8 * j)) & 0xff;
  }
  return out;
}

/** The MD5 digest of `data` as 32 lower-case hex digits. */
export function md5Hex(data: Uint8Array | string): string {
  return toHex(md5(data));
}
