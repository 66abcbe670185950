/**
 * Server nonces that need no table (RFC 7616, 3.3 and 5.4):
 *
 *     nonce = base64url( issuedAt (8 bytes, ms, big-endian) || random (8)
 *                        || HMAC-SHA-256(secret, issuedAt || random || realm)[0..16] )
 *
 * The MAC proves a nonce was issued here, for this realm, and when; its age is
 * read back from it. The only state is the highest nonce-count seen per nonce
 * (RFC 7616, 3.4: replay protection), kept in a bounded LRU map.
 * @module
 */

import { timingSafeEqual } from "./constant_time.ts";
import { fromBase64Url, toBase64Url, utf8 } from "./encoding.ts";
import { LruMap } from "./lru.ts";
import { HmacSha256 } from "./sha256.ts";

/** RFC 7616, 3.3 leaves nonce lifetime to the server; five minutes spans a normal RTSP setup. */
export const DEFAULT_NONCE_LIFETIME_MS = 5 * 60_000;
/** Nonces whose nonce-count is remembered; past this, the least recently used are forgotten. */
export const DEFAULT_TRACKED_NONCES = 10_000;
/** Bytes of the secret MAC key drawn from the random source. */
export const NONCE_SECRET_BYTES = 32;
/** Tolerated clock step backwards before a nonce from "the future" is refused. */
export const NONCE_CLOCK_SKEW_MS = 60_000;

const TIME_BYTES = 8;
const RANDOM_BYTES = 8;
const MAC_BYTES = 16;
const NONCE_BYTES = TIME_BYTES + RANDOM_BYTES + MAC_BYTES;

/** What a received nonce is worth. */
export type NonceStatus =
  /** Issued here, for this realm, and young enough. */
  | { readonly status: "valid"; readonly issuedAt: number }
  /** Issued here but too old (or forgotten): answer with `stale=true`. */
  | { readonly status: "expired"; readonly issuedAt: number }
  /** Not issued here (forged, tampered, from an earlier run, or not a nonce at all). */
  | { readonly status: "invalid" };

/** The result of {@linkcode NonceIssuer.acceptCount}. */
export type CountVerdict =
  | "ok"
  /** The nonce-count is not higher than one already accepted: a replay. */
  | "replay"
  /** The nonce's counter was forgotten (LRU full): ask for a fresh nonce. */
  | "forgotten";

/** Options of {@linkcode NonceIssuer}. */
export interface NonceOptions {
  /** The realm nonces are bound to. */
  readonly realm: string;
  /** Milliseconds since the epoch (injected clock). */
  readonly now: () => number;
  /** `n` random bytes (injected); the secret is drawn from it at construction. */
  readonly random: (n: number) => Uint8Array;
  /** @default {DEFAULT_NONCE_LIFETIME_MS} */
  readonly lifetimeMs?: number;
  /** @default {DEFAULT_TRACKED_NONCES} */
  readonly trackedNonces?: number;
}

/** Issues and checks nonces. */
export class NonceIssuer {
  readonly #hmac: HmacSha256;
  readonly #realm: Uint8Array;
  readonly #now: () => number;
  readonly #random: (n: number) => Uint8Array;
  readonly #lifetimeMs: number;
  /** nonce → highest nc accepted, and when the nonce was issued. */
  readonly #counts: LruMap<string, { nc: number; issuedAt: number }>;
  /**
   * The latest issue time among forgotten nonces: a nonce issued at or before it
   * that is not tracked may have been used already, so it is treated as expired.
   */
  #forgottenUpTo = -Infinity;

  /** @throws RangeError when the random source returns the wrong number of bytes */
  constructor(options: NonceOptions) {
    this.#random = options.random;
    this.#hmac = new HmacSha256(this.#randomBytes(NONCE_SECRET_BYTES));
    this.#realm = utf8(options.realm);
    this.#now = options.now;
    this.#lifetimeMs = options.lifetimeMs ?? DEFAULT_NONCE_LIFETIME_MS;
    this.#counts = new LruMap(options.trackedNonces ?? DEFAULT_TRACKED_NONCES, (_, v) => {
      if (v.issuedAt > this.#forgottenUpTo) this.#forgottenUpTo = v.issuedAt;
    });
  }

  #randomBytes(n: number): Uint8Array {
    const bytes = this.#random(n);
    if (bytes.length !== n) {
      throw new RangeError(`random source gave ${bytes.length} of ${n} bytes`);
    }
    return bytes;
  }

  #mac(head: Uint8Array): Uint8Array {
    const input = new Uint8Array(head.length + this.#realm.length);
    input.set(head);
    input.set(this.#realm, head.length);
    return this.#hmac.mac(input).subarray(0, MAC_BYTES);
  }

  /** A fresh nonce: 43 characters of Base64url, safe in a quoted-string. */
  issue(): string {
    const now = Math.max(0, Math.floor(this.#now()));
    const bytes = new Uint8Array(NONCE_BYTES);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, Math.floor(now / 0x100000000));
    view.setUint32(4, now >>> 0);
    bytes.set(this.#randomBytes(RANDOM_BYTES), TIME_BYTES);
    const head = bytes.subarray(0, TIME_BYTES + RANDOM_BYTES);
    bytes.set(this.#mac(head), TIME_BYTES + RANDOM_BYTES);
    return toBase64Url(bytes);
  }

  /** Checks a nonce's MAC (in constant time) and age. Never throws. */
  verify(nonce: string): NonceStatus {
    if (nonce.length > 64) return { status: "invalid" };
    const bytes = fromBase64Url(nonce);
    if (bytes === undefined || bytes.length !== NONCE_BYTES) return { status: "invalid" };
    const head = bytes.subarray(0, TIME_BYTES + RANDOM_BYTES);
    if (!timingSafeEqual(this.#mac(head), bytes.subarray(TIME_BYTES + RANDOM_BYTES))) {
      return { status: "invalid" };
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const issuedAt = view.getUint32(0) * 0x100000000 + view.getUint32(4);
    const age = this.#now() - issuedAt;
    // A nonce from the future can only come from a clock stepped backwards: renew it.
    if (age > this.#lifetimeMs || age < -NONCE_CLOCK_SKEW_MS) {
      return { status: "expired", issuedAt };
    }
    return { status: "valid", issuedAt };
  }

  /**
   * Records nonce-count `nc` for a valid nonce, after its digest was verified
   * (so a wrong guess cannot advance a real client's counter).
   * RFC 7616, 3.4: the server should reject a nc it has already seen; here any
   * nc not above the highest accepted one is a replay, since clients count up.
   */
  acceptCount(nonce: string, issuedAt: number, nc: number): CountVerdict {
    const seen = this.#counts.get(nonce);
    if (seen === undefined) {
      if (issuedAt <= this.#forgottenUpTo) return "forgotten";
      if (nc < 1) return "replay";
      this.#counts.set(nonce, { nc, issuedAt });
      return "ok";
    }
    if (nc <= seen.nc) return "replay";
    seen.nc = nc;
    return "ok";
  }
}
