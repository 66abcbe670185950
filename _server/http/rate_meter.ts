/**
 * Bit rates over the last few seconds from growing byte totals sampled once
 * a second: the rate is the growth across the samples kept.
 * @module
 */

/** Samples kept per key: the rate covers the last `RATE_WINDOW_SAMPLES - 1` intervals. */
export const RATE_WINDOW_SAMPLES = 6;

interface Sample {
  readonly atMs: number;
  readonly bytes: number;
}

/** Byte totals per key over time; keys not sampled in a round are forgotten. */
export class RateMeter {
  #samples = new Map<string, Sample[]>();

  /**
   * Records one round: every key's total now. Keys absent from `totals` are
   * dropped, so the meter holds only what exists.
   */
  sampleRound(totals: ReadonlyMap<string, number>, atMs: number): void {
    for (const key of this.#samples.keys()) if (!totals.has(key)) this.#samples.delete(key);
    for (const [key, bytes] of totals) {
      let samples = this.#samples.get(key);
      if (!samples) this.#samples.set(key, samples = []);
      samples.push({ atMs, bytes });
      if (samples.length > RATE_WINDOW_SAMPLES) samples.shift();
    }
  }

  /** Bits per second of `key` across the samples kept; 0 until two samples exist. */
  bitsPerSecond(key: string): number {
    const samples = this.#samples.get(key);
    if (!samples || samples.length < 2) return 0;
    const first = samples[0];
    const last = samples[samples.length - 1];
    const seconds = (last.atMs - first.atMs) / 1000;
    // A total that went down (a path ended and came back) restarts the measure.
    if (seconds <= 0 || last.bytes < first.bytes) return 0;
    return Math.round((last.bytes - first.bytes) * 8 / seconds);
  }
}
