/**
 * A budget of slow hashes (PBKDF2 for Basic, 9 ms of CPU each at the default
 * 10,000 iterations) per client: a token bucket per client address, so one
 * address sending many wrong Basic headers cannot take the CPU from everyone
 * else. Pure: the clock is injected.
 * @module
 */

import { TokenBucket } from "../token_bucket.ts";

/** Default slow hashes per client per second; the burst is twice this. */
export const DEFAULT_SLOW_HASHES_PER_SECOND = 5;
/** A client may spend this many seconds' worth of hashes at once. */
export const SLOW_HASH_BURST_SECONDS = 2;
/** Clients tracked at most; the least recently seen is forgotten (and gets a full budget back). */
export const MAX_BUDGET_CLIENTS = 10_000;

/** Slow-hash budgets per client. */
export class SlowHashBudget {
  readonly #perSecond: number;
  readonly #burst: number;
  readonly #now: () => number;
  /** Map order is insertion order: the first entry is the least recently seen. */
  readonly #buckets = new Map<string, TokenBucket>();

  /**
   * @param perSecond hashes each client may run per second (burst {@linkcode SLOW_HASH_BURST_SECONDS} times that); 0: no limit
   * @param now milliseconds clock
   */
  constructor(perSecond: number, now: () => number) {
    this.#perSecond = Math.max(0, perSecond);
    this.#burst = this.#perSecond * SLOW_HASH_BURST_SECONDS;
    this.#now = now;
  }

  /** Takes one hash from `client`'s budget; false when it is spent. */
  take(client: string): boolean {
    if (this.#perSecond === 0) return true;
    const bucket = this.#buckets.get(client) ??
      new TokenBucket(this.#perSecond, this.#burst, this.#now);
    this.#buckets.delete(client);
    this.#buckets.set(client, bucket);
    if (this.#buckets.size > MAX_BUDGET_CLIENTS) {
      this.#buckets.delete(this.#buckets.keys().next().value!);
    }
    return bucket.take();
  }
}
