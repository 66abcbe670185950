/**
 * How long to wait before the next attempt to reach an upstream that failed:
 * 1 s, doubling to 30 s, each delay spread by ±20 % so that proxies restarted
 * together do not hammer a camera in step. A success starts again at 1 s.
 * @module
 */

/** First delay after a failure. */
export const FIRST_RETRY_MS = 1000;
/** The delay never grows past this. */
export const MAX_RETRY_MS = 30_000;
/** Each delay is its nominal value times a factor in [1 - JITTER, 1 + JITTER). */
export const RETRY_JITTER = 0.2;

/** Exponential back-off with jitter; `random` returns [0, 1) (injected for tests). */
export class RetryBackoff {
  #nominal = FIRST_RETRY_MS;
  #random: () => number;

  /** @param random the source of jitter, [0, 1) */
  constructor(random: () => number = Math.random) {
    this.#random = random;
  }

  /** The delay before the next attempt; each call doubles the one after it, up to the cap. */
  next(): number {
    const nominal = this.#nominal;
    this.#nominal = Math.min(nominal * 2, MAX_RETRY_MS);
    const factor = 1 - RETRY_JITTER + 2 * RETRY_JITTER * this.#random();
    return Math.round(nominal * factor);
  }

  /** The upstream worked: the next failure waits the first delay again. */
  reset(): void {
    this.#nominal = FIRST_RETRY_MS;
  }
}
