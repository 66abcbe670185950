/**
 * A token bucket: `rate` tokens a second, at most `burst` held. The one rate
 * limit of the server (requests per connection, PBKDF2 checks per address).
 * Pure: the clock is injected.
 * @module
 */

/** Takes a token per event; refuses when none is left. */
export class TokenBucket {
  #rate: number;
  #burst: number;
  #tokens: number;
  #last: number;
  #now: () => number;

  /**
   * @param ratePerSecond tokens added per second
   * @param burst most tokens held (the bucket starts full)
   * @param now milliseconds clock
   */
  constructor(ratePerSecond: number, burst: number, now: () => number) {
    this.#rate = ratePerSecond;
    this.#burst = burst;
    this.#tokens = burst;
    this.#now = now;
    this.#last = now();
  }

  /** Takes a token; false when none is left. */
  take(): boolean {
    const now = this.#now();
    // A clock stepped backwards adds nothing until it is past the last reading again.
    if (now > this.#last) {
      this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) * this.#rate) / 1000);
      this.#last = now;
    }
    if (this.#tokens < 1) return false;
    this.#tokens--;
    return true;
  }
}
