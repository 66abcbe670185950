/**
 * PBKDF2 with HMAC-SHA-256 as the PRF (RFC 8018, 5.2), synchronous: the slow,
 * salted hash stored for Basic passwords.
 * @module
 */

import { utf8 } from "./encoding.ts";
import {
  HmacSha256,
  sha256,
  SHA256_BLOCK_BYTES,
  SHA256_BYTES,
  sha256Compress,
  sha256InitialState,
} from "./sha256.ts";

/** Most iterations accepted, so that a config typo cannot stall every login for minutes. */
export const MAX_PBKDF2_ITERATIONS = 10_000_000;

/**
 * Derives `length` bytes from `password` and `salt` (RFC 8018, 5.2).
 * Strings are taken as UTF-8.
 * @throws RangeError when `iterations` is not an integer in 1..{@linkcode MAX_PBKDF2_ITERATIONS}
 *   or `length` not in 1..1024 (a caller bug, not input from the network)
 */
export function pbkdf2Sha256(
  password: Uint8Array | string,
  salt: Uint8Array | string,
  iterations: number,
  length: number,
): Uint8Array {
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > MAX_PBKDF2_ITERATIONS) {
    throw new RangeError(`pbkdf2: iterations must be 1..${MAX_PBKDF2_ITERATIONS}`);
  }
  if (!Number.isInteger(length) || length < 1 || length > 1024) {
    throw new RangeError("pbkdf2: length must be 1..1024");
  }
  const key = typeof password === "string" ? utf8(password) : password;
  const saltBytes = typeof salt === "string" ? utf8(salt) : salt;
  const prf = new HmacSha256(key);
  const iterate = new Iterator(key);
  const out = new Uint8Array(length);
  const blocks = Math.ceil(length / SHA256_BYTES);
  const first = new Uint8Array(saltBytes.length + 4);
  first.set(saltBytes);
  for (let block = 1; block <= blocks; block++) {
    // U1 = PRF(P, S || INT(i)), then U_j = PRF(P, U_{j-1}); T_i = U1 ^ ... ^ Uc.
    new DataView(first.buffer).setUint32(saltBytes.length, block);
    const t = iterate.run(prf.mac(first), iterations - 1);
    const at = (block - 1) * SHA256_BYTES;
    out.set(t.subarray(0, Math.min(SHA256_BYTES, length - at)), at);
  }
  return out;
}

/**
 * The U_2..U_c loop without allocation: every message is one 32-byte digest,
 * so each HMAC is exactly one compression from the keyed inner state and one
 * from the keyed outer state, with padding fixed in advance.
 */
class Iterator {
  readonly #innerState: Int32Array;
  readonly #outerState: Int32Array;
  /** U (32 bytes) + padding for a 96-byte message (64-byte key block + 32). */
  readonly #innerBlock = paddedBlock();
  /** inner digest (32 bytes) + the same padding. */
  readonly #outerBlock = paddedBlock();
  readonly #state = new Int32Array(8);

  constructor(key: Uint8Array) {
    const k = key.length > SHA256_BLOCK_BYTES ? sha256(key) : key;
    const pad = new Uint8Array(SHA256_BLOCK_BYTES);
    pad.set(k);
    // RFC 2104, 2: K XOR ipad (0x36) and K XOR opad (0x5c).
    for (let i = 0; i < pad.length; i++) pad[i] ^= 0x36;
    this.#innerState = sha256InitialState();
    sha256Compress(this.#innerState, pad, 0);
    for (let i = 0; i < pad.length; i++) pad[i] ^= 0x36 ^ 0x5c;
    this.#outerState = sha256InitialState();
    sha256Compress(this.#outerState, pad, 0);
  }

  /** T = u1 ^ U2 ^ ... ^ U(count+1). */
  run(u1: Uint8Array, count: number): Uint8Array {
    const t = u1.slice();
    const inner = this.#innerBlock;
    const outer = this.#outerBlock;
    const state = this.#state;
    inner.set(u1);
    for (let j = 0; j < count; j++) {
      state.set(this.#innerState);
      sha256Compress(state, inner, 0);
      writeDigest(state, outer);
      state.set(this.#outerState);
      sha256Compress(state, outer, 0);
      writeDigest(state, inner);
      for (let k = 0; k < SHA256_BYTES; k++) t[k] ^= inner[k];
    }
    return t;
  }
}

function paddedBlock(): Uint8Array {
  const block = new Uint8Array(SHA256_BLOCK_BYTES);
  block[SHA256_BYTES] = 0x80;
  // Message length in bits: (64 + 32) * 8 = 768, big-endian in the last bytes.
  block[62] = 768 >> 8;
  block[63] = 768 & 0xff;
  return block;
}

function writeDigest(state: Int32Array, out: Uint8Array): void {
  for (let i = 0; i < 8; i++) {
    const v = state[i];
    out[4 * i] = v >>> 24;
    out[4 * i + 1] = (v >>> 16) & 0xff;
    out[4 * i + 2] = (v >>> 8) & 0xff;
    out[4 * i + 3] = v & 0xff;
  }
}
