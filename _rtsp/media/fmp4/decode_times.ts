/**
 * Decode times for access units that arrive in decode order carrying only
 * presentation times, as RTP gives them (RFC 6184 §5.1, RFC 7798 §4.1: the
 * timestamp is the presentation time). With B-frames a picture is presented
 * after pictures decoded later, so its decode time is not its timestamp.
 *
 * A reorder window: decode times are the presentation times sorted. The
 * access unit decoded i-th gets the i-th smallest presentation time, which is
 * known once `lookahead` more units have arrived (a stream reorders by at most
 * that many pictures; H.264/H.265 allow 16, encoders use 0 to 3). Composition
 * offsets (presentation minus decode) are then small and may be negative, by
 * at most the window: the muxer presents the stream that much later
 * (`mux_track.ts`), and a fragmented MP4 carries them signed anyway (`trun`
 * version 1).
 *
 * Whatever the input (timestamps repeated, going back, deeper reordering than
 * the window), the decode times given out strictly increase and start at or
 * after `minimum`: each is at least one tick after the one before. So no
 * sample duration is zero or negative.
 *
 * @module
 */

/** One unit given its decode time. */
export interface Decoded<T> {
  readonly item: T;
  readonly presentation: number;
  readonly decode: number;
}

/** Assigns decode times with a reorder window of `lookahead` units. */
export class DecodeTimes<T> {
  readonly #lookahead: number;
  #minimum: number;
  /** Units waiting, in decode order. */
  #queue: Array<{ item: T; presentation: number }> = [];
  /** Presentation times of arrived units not yet used as a decode time, ascending. */
  #pool: number[] = [];
  #last: number | undefined;
  #clamped = 0;

  /**
   * @param lookahead units of reordering allowed for (0: decode time = presentation time)
   * @param minimum the smallest decode time to give out
   */
  constructor(lookahead: number, minimum = 0) {
    this.#lookahead = Math.max(0, Math.floor(lookahead));
    this.#minimum = minimum;
  }

  /** Units whose decode time had to be moved up to keep times increasing. */
  get clamped(): number {
    return this.#clamped;
  }

  /** The last decode time given out, if any. */
  get lastDecode(): number | undefined {
    return this.#last;
  }

  /** Units waiting for their decode time. */
  get waiting(): number {
    return this.#queue.length;
  }

  /** Adds the next unit in decode order; returns those whose decode time is now known. */
  push(item: T, presentation: number): Decoded<T>[] {
    this.#queue.push({ item, presentation });
    insertSorted(this.#pool, presentation);
    const out: Decoded<T>[] = [];
    while (this.#queue.length > this.#lookahead) out.push(this.#next());
    return out;
  }

  /** Gives out every waiting unit (the stream ended or changed). */
  flush(): Decoded<T>[] {
    const out: Decoded<T>[] = [];
    while (this.#queue.length > 0) out.push(this.#next());
    return out;
  }

  #next(): Decoded<T> {
    const { item, presentation } = this.#queue.shift()!;
    const candidate = this.#pool.shift()!;
    const floor = this.#last === undefined ? this.#minimum : this.#last + 1;
    if (candidate < floor) this.#clamped++;
    const decode = Math.max(candidate, floor);
    this.#last = decode;
    return { item, presentation, decode };
  }
}

/** Inserts into an ascending array (short: at most the window plus one). */
function insertSorted(values: number[], value: number): void {
  let i = values.length;
  while (i > 0 && values[i - 1] > value) i--;
  values.splice(i, 0, value);
}
