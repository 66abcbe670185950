/**
 * SHA-256 (FIPS 180-4, 6.2) and HMAC-SHA-256 (RFC 2104), synchronous.
 * WebCrypto would do this asynchronously, but the responder answers
 * synchronously, so the authentication code carries its own.
 * @module
 */

import { toHex, utf8 } from "./encoding.ts";

/** The block size of SHA-256 in bytes (FIPS 180-4, 1). */
export const SHA256_BLOCK_BYTES = 64;
/** The digest size of SHA-256 in bytes. */
export const SHA256_BYTES = 32;

/** The first 32 bits of the fractional parts of the cube roots of the first 64 primes (FIPS 180-4, 4.2.2). */
const K = new Int32Array([
  0x428a2f98,
  0x71374491,
  0xb5c0fbcf,
  0xe9b5dba5,
  0x3956c25b,
  0x59f111f1,
  0x923f82a4,
  0xab1c5ed5,
  0xd807aa98,
  0x12835b01,
  0x243185be,
  0x550c7dc3,
  0x72be5d74,
  0x80deb1fe,
  0x9bdc06a7,
  0xc19bf174,
  0xe49b69c1,
  0xefbe4786,
  0x0fc19dc6,
  0x240ca1cc,
  0x2de92c6f,
  0x4a7484aa,
  0x5cb0a9dc,
  0x76f988da,
  0x983e5152,
  0xa831c66d,
  0xb00327c8,
  0xbf597fc7,
  0xc6e00bf3,
  0xd5a79147,
  0x06ca6351,
  0x14292967,
  0x27b70a85,
  0x2e1b2138,
  0x4d2c6dfc,
  0x53380d13,
  0x650a7354,
  0x766a0abb,
  0x81c2c92e,
  0x92722c85,
  0xa2bfe8a1,
  0xa81a664b,
  0xc24b8b70,
  0xc76c51a3,
  0xd192e819,
  0xd6990624,
  0xf40e3585,
  0x106aa070,
  0x19a4c116,
  0x1e376c08,
  0x2748774c,
  0x34b0bcb5,
  0x391c0cb3,
  0x4ed8aa4a,
  0x5b9cca4f,
  0x682e6ff3,
  0x748f82ee,
  0x78a5636f,
  0x84c87814,
  0x8cc70208,
  0x90befffa,
  0xa4506ceb,
  0xbef9a3f7,
  0xc67178f2,
]);

/** The initial hash value (FIPS 180-4, 5.3.3). */
const H0 = new Int32Array([
  0x6a09e667,
  0xbb67ae85,
  0x3c6ef372,
  0xa54ff53a,
  0x510e527f,
  0x9b05688c,
  0x1f83d9ab,
  0x5be0cd19,
]);

/** The message schedule; reused (the code is synchronous). */
const W = new Int32Array(64);

/**
 * Low-level: compresses the 64-byte block at `offset` into `state` (FIPS 180-4, 6.2.2).
 * For PBKDF2, which hashes millions of fixed-size blocks and must not allocate.
 */
export function sha256Compress(state: Int32Array, block: Uint8Array, offset: number): void {
  compress(state, block, offset);
}

/** Low-level: a copy of the initial hash value H(0) (FIPS 180-4, 5.3.3). */
export function sha256InitialState(): Int32Array {
  return H0.slice();
}

function compress(state: Int32Array, block: Uint8Array, offset: number): void {
  for (let t = 0; t < 16; t++) {
    const o = offset + 4 * t;
    W[t] = (block[o] << 24) | (block[o + 1] << 16) | (block[o + 2] << 8) | block[o + 3];
  }
  for (let t = 16; t < 64; t++) {
    const w15 = W[t - 15];
    const w2 = W[t - 2];
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
    W[t] = (W[t - 16] + s0 + W[t - 7] + s1) | 0;
  }
  let a = state[0], b = state[1], c = state[2], d = state[3];
  let e = state[4], f = state[5], g = state[6], h = state[7];
  for (let t = 0; t < 64; t++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const ch = (e & f) ^ (~e & g);
    const t1 = (h + S1 + ch + K[t] + W[t]) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const maj = (a & b) ^ (a & c) ^ (b & c);
    const t2 = (S0 + maj) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  state[0] = (state[0] + a) | 0;
  state[1] = (state[1] + b) | 0;
  state[2] = (state[2] + c) | 0;
  state[3] = (state[3] + d) | 0;
  state[4] = (state[4] + e) | 0;
  state[5] = (state[5] + f) | 0;
  state[6] = (state[6] + g) | 0;
  state[7] = (state[7] + h) | 0;
}

/**
 * An incremental SHA-256. {@linkcode Sha256.clone} lets HMAC and PBKDF2 hash
 * the padded key once and restart from that state on every message.
 */
export class Sha256 {
  #state = Int32Array.from(H0);
  #buffer = new Uint8Array(SHA256_BLOCK_BYTES);
  #buffered = 0;
  #length = 0;

  /** Adds bytes (a string is added as UTF-8). */
  update(data: Uint8Array | string): this {
    const bytes = typeof data === "string" ? utf8(data) : data;
    let i = 0;
    this.#length += bytes.length;
    if (this.#buffered > 0) {
      const take = Math.min(SHA256_BLOCK_BYTES - this.#buffered, bytes.length);
      this.#buffer.set(bytes.subarray(0, take), this.#buffered);
      this.#buffered += take;
      i = take;
      if (this.#buffered < SHA256_BLOCK_BYTES) return this;
      compress(this.#state, this.#buffer, 0);
      this.#buffered = 0;
    }
    for (; i + SHA256_BLOCK_BYTES <= bytes.length; i += SHA256_BLOCK_BYTES) {
      compress(this.#state, bytes, i);
    }
    if (i < bytes.length) {
      this.#buffer.set(bytes.subarray(i), 0);
      this.#buffered = bytes.length - i;
    }
    return this;
  }

  /** The digest of everything added (FIPS 180-4, 5.1.1 padding). The hasher is spent afterwards. */
  digest(): Uint8Array {
    const bits = this.#length * 8;
    const buffer = this.#buffer;
    buffer[this.#buffered++] = 0x80;
    if (this.#buffered > 56) {
      buffer.fill(0, this.#buffered);
      compress(this.#state, buffer, 0);
      this.#buffered = 0;
    }
    buffer.fill(0, this.#buffered, 56);
    const high = Math.floor(bits / 0x100000000);
    const low = bits >>> 0;
    buffer[56] = high >>> 24;
    buffer[57] = (high >>> 16) & 0xff;
    buffer[58] = (high >>> 8) & 0xff;
    buffer[59] = high & 0xff;
    buffer[60] = low >>> 24;
    buffer[61] = (low >>> 16) & 0xff;
    buffer[62] = (low >>> 8) & 0xff;
    buffer[63] = low & 0xff;
    compress(this.#state, buffer, 0);
    const out = new Uint8Array(SHA256_BYTES);
    for (let i = 0; i < 8; i++) {
      const v = this.#state[i];
      out[4 * i] = v >>> 24;
      out[4 * i + 1] = (v >>> 16) & 0xff;
      out[4 * i + 2] = (v >>> 8) & 0xff;
      out[4 * i + 3] = v & 0xff;
    }
    return out;
  }

  /** An independent copy of the current state. */
  clone(): Sha256 {
    const copy = new Sha256();
    copy.#state.set(this.#state);
    copy.#buffer.set(this.#buffer);
    copy.#buffered = this.#buffered;
    copy.#length = this.#length;
    return copy;
  }
}

/** The SHA-256 digest of `data` (a string is hashed as UTF-8). */
export function sha256(data: Uint8Array | string): Uint8Array {
  return new Sha256().update(data).digest();
}

/** The SHA-256 digest of `data` as 64 lower-case hex digits. */
export function sha256Hex(data: Uint8Array | string): string {
  return toHex(sha256(data));
}

/** RFC 2104, 2: the inner and outer pad bytes. */
const IPAD = 0x36;
const OPAD = 0x5c;

/**
 * HMAC-SHA-256 with the key's pads already hashed, for computing many MACs
 * with one key (PBKDF2, nonces).
 */
export class HmacSha256 {
  #inner: Sha256;
  #outer: Sha256;

  /** @param key any length; longer than a block it is hashed first (RFC 2104, 2). */
  constructor(key: Uint8Array | string) {
    let k = typeof key === "string" ? utf8(key) : key;
    if (k.length > SHA256_BLOCK_BYTES) k = sha256(k);
    const pad = new Uint8Array(SHA256_BLOCK_BYTES);
    pad.set(k);
    for (let i = 0; i < pad.length; i++) pad[i] ^= IPAD;
    this.#inner = new Sha256().update(pad);
    for (let i = 0; i < pad.length; i++) pad[i] ^= IPAD ^ OPAD;
    this.#outer = new Sha256().update(pad);
  }

  /** The MAC of `data` (a string is taken as UTF-8). */
  mac(data: Uint8Array | string): Uint8Array {
    const inner = this.#inner.clone().update(data).digest();
    return this.#outer.clone().update(inner).digest();
  }
}

/** HMAC-SHA-256 (RFC 2104) of `data` under `key`; strings are taken as UTF-8. */
export function hmacSha256(key: Uint8Array | string, data: Uint8Array | string): Uint8Array {
  return new HmacSha256(key).mac(data);
}
