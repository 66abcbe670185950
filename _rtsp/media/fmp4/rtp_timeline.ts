/**
 * One track's RTP timestamps made into a continuous timeline: 32-bit
 * timestamps (RFC 3550, 5.1) extended past their wrap to a count of ticks
 * that only a discontinuity can disturb, and discontinuities smoothed over.
 *
 * A step between consecutive access units is read as a signed 32-bit
 * difference, so a wrap is simply a small forward step. A step forward larger
 * than `maxForwardSeconds`, or backward larger than `maxBackwardSeconds`, is
 * not media time passing but the sender jumping (a publisher restarted its
 * clock, an encoder reset, a camera's NTP correction): the timeline continues
 * one typical step after the latest time seen, so the output has neither a
 * huge gap nor a step back. Backward steps within the bound are kept: with
 * B-frames, presentation times go back by a few frames in decode order.
 *
 * @module
 */

/** Default largest forward step taken as time passing. */
export const DEFAULT_MAX_FORWARD_SECONDS = 5;
/**
 * Default largest backward step taken as reordering. H.264 and H.265 reorder
 * at most 16 pictures: 0.64 s at 25 fps; a second covers slower rates too.
 */
export const DEFAULT_MAX_BACKWARD_SECONDS = 1;
/** The step assumed after a jump when no forward step has been seen: one frame at 25 fps. */
const FALLBACK_STEP_SECONDS = 1 / 25;

/** Options of {@linkcode RtpTimeline}. */
export interface RtpTimelineOptions {
  /** @default {DEFAULT_MAX_FORWARD_SECONDS} */
  readonly maxForwardSeconds?: number;
  /** @default {DEFAULT_MAX_BACKWARD_SECONDS} */
  readonly maxBackwardSeconds?: number;
}

/** Extends one track's RTP timestamps into continuous ticks, starting at 0. */
export class RtpTimeline {
  readonly #maxForward: number;
  readonly #maxBackward: number;
  readonly #fallbackStep: number;
  #lastRtp: number | undefined;
  #last = 0;
  #latest = 0;
  #lastForwardStep = 0;
  #jumps = 0;

  /**
   * @param clockRate the RTP clock rate, ticks per second
   * @param options the bounds of a plausible step
   */
  constructor(clockRate: number, options: RtpTimelineOptions = {}) {
    this.#maxForward = Math.round(
      (options.maxForwardSeconds ?? DEFAULT_MAX_FORWARD_SECONDS) * clockRate,
    );
    this.#maxBackward = Math.round(
      (options.maxBackwardSeconds ?? DEFAULT_MAX_BACKWARD_SECONDS) * clockRate,
    );
    this.#fallbackStep = Math.max(1, Math.round(FALLBACK_STEP_SECONDS * clockRate));
  }

  /** Jumps smoothed over so far. */
  get jumps(): number {
    return this.#jumps;
  }

  /** The ticks of an RTP timestamp (of the next access unit, in arrival order). */
  extend(rtpTimestamp: number): number {
    const rtp = rtpTimestamp >>> 0;
    if (this.#lastRtp === undefined) {
      this.#lastRtp = rtp;
      return 0;
    }
    // RFC 3550, 5.1: timestamps wrap; the signed difference is the step.
    const step = (rtp - this.#lastRtp) | 0;
    this.#lastRtp = rtp;
    let ticks: number;
    if (step <= this.#maxForward && -step <= this.#maxBackward) {
      ticks = this.#last + step;
      if (step > 0) this.#lastForwardStep = step;
    } else {
      this.#jumps++;
      ticks = this.#latest + (this.#lastForwardStep || this.#fallbackStep);
    }
    this.#last = ticks;
    if (ticks > this.#latest) this.#latest = ticks;
    return ticks;
  }
}
