/**
 * A small seeded pseudo-random generator (xoshiro128**, seeded through
 * splitmix32), so every fuzz run is reproducible from its seed. Nothing in the
 * fuzzer uses `Math.random`.
 * @module
 */

/** 2^32, to turn a 32-bit word into a fraction. */
const UINT32_RANGE = 0x1_0000_0000;
/** splitmix32 increment (the golden ratio in 32 bits). */
const SPLITMIX_GAMMA = 0x9e3779b9;

/** One splitmix32 step: a well-mixed word from a counter. */
function splitmix32(state: number): number {
  let z = (state + SPLITMIX_GAMMA) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/** Rotates a 32-bit word left. */
function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** A deterministic random source: the same seed always gives the same sequence. */
export class Prng {
  #s0: number;
  #s1: number;
  #s2: number;
  #s3: number;

  /** @param seed any number; only its low 32 bits (and the fraction's bits) matter. */
  constructor(seed: number) {
    let state = (seed >>> 0) ^ Math.floor(seed / UINT32_RANGE);
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      state = (state + SPLITMIX_GAMMA) >>> 0;
      words.push(splitmix32(state));
    }
    [this.#s0, this.#s1, this.#s2, this.#s3] = words;
    if ((this.#s0 | this.#s1 | this.#s2 | this.#s3) === 0) this.#s0 = 1;
  }

  /** A uniform unsigned 32-bit integer. */
  next32(): number {
    const result = Math.imul(rotl(Math.imul(this.#s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.#s1 << 9) >>> 0;
    this.#s2 ^= this.#s0;
    this.#s3 ^= this.#s1;
    this.#s1 ^= this.#s2;
    this.#s0 ^= this.#s3;
    this.#s2 ^= t;
    this.#s3 = rotl(this.#s3 >>> 0, 11);
    this.#s0 >>>= 0;
    this.#s1 >>>= 0;
    this.#s2 >>>= 0;
    return result;
  }

  /** A uniform integer in [0, n); 0 when n <= 0. */
  below(n: number): number {
    if (n <= 1) return 0;
    return Math.floor((this.next32() / UINT32_RANGE) * n);
  }

  /** An integer in [min, max], both included. */
  between(min: number, max: number): number {
    return min + this.below(max - min + 1);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next32() / UINT32_RANGE < p;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)];
  }

  /**
   * A size skewed towards small values (most mutations should be local):
   * 1..max with roughly log-uniform distribution.
   */
  smallSize(max: number): number {
    if (max <= 1) return 1;
    const bits = Math.ceil(Math.log2(max));
    return Math.min(max, 1 + this.below(2 ** this.below(bits + 1)));
  }
}

/** FNV-1a over bytes: a cheap 32-bit fingerprint (seeding per-input randomness, naming). */
export function fnv1a(bytes: Uint8Array): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    hash ^= bytes[i];
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
