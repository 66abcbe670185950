/**
 * The platform's {@linkcode Scheduler}: `Date.now` and `setTimeout`.
 * @module
 */

import type { Scheduler } from "../_rtsp/scheduler.ts";

/** The real clock and timers. */
export const SYSTEM_SCHEDULER: Scheduler = {
  now: () => Date.now(),
  after(ms, fn) {
    const timer = setTimeout(fn, ms);
    return () => clearTimeout(timer);
  },
};
