/**
 * Turns for costly work made on request (HLS VOD segments): at most `running`
 * at once, at most `waiting` more in line (first come, first served), and a
 * plain refusal past that, so a burst of requests costs a bounded amount of
 * memory and reading whatever its size.
 *
 * ```ts
 * const turns = new BuildTurns(2, 32);
 * const release = await turns.take();
 * if (!release) return busy(); // 503
 * try { build(); } finally { release(); }
 * ```
 * @module
 */

/** Gives back a turn; calling it again does nothing. */
export type Release = () => void;

/** A bounded number of turns with a bounded line. */
export class BuildTurns {
  readonly #running: number;
  readonly #waiting: number;
  #busy = 0;
  readonly #line: Array<(release: Release) => void> = [];

  /**
   * @param running turns held at once (at least 1)
   * @param waiting requests that may wait for a turn
   */
  constructor(running: number, waiting: number) {
    this.#running = Math.max(1, Math.floor(running));
    this.#waiting = Math.max(0, Math.floor(waiting));
  }

  /** Turns held now. */
  get busy(): number {
    return this.#busy;
  }

  /** Requests waiting for a turn now. */
  get queued(): number {
    return this.#line.length;
  }

  /** A turn, now or when one is given back; undefined at once when the line is full. */
  take(): Promise<Release | undefined> {
    if (this.#busy < this.#running) {
      this.#busy++;
      return Promise.resolve(this.#release());
    }
    if (this.#line.length >= this.#waiting) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#line.push(resolve));
  }

  #release(): Release {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      // The turn passes to the first in line, or is free again.
      const next = this.#line.shift();
      if (next) next(this.#release());
      else this.#busy--;
    };
  }
}
