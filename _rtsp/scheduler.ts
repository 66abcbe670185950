/**
 * Time for code that must not touch the platform's clock or timers: the clock
 * and "run this later" come in as a {@linkcode Scheduler}, so tests drive
 * grace periods, pacing, reader lag and expiry with a manual one, without sleeping.
 * @module
 */

/** Cancels a scheduled call; calling it again, or after the call ran, does nothing. */
export type Cancel = () => void;

/** A clock and one-shot timers. */
export interface Scheduler {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Calls `fn` once, `ms` from now (at the earliest). */
  after(ms: number, fn: () => void): Cancel;
}

/** Calls `fn` every `ms` until the returned cancel is called (a repeating {@linkcode Scheduler.after}). */
export function every(scheduler: Scheduler, ms: number, fn: () => void): Cancel {
  let cancel: Cancel | undefined;
  let stopped = false;
  const arm = () => {
    cancel = scheduler.after(ms, () => {
      if (stopped) return;
      arm();
      fn();
    });
  };
  arm();
  return () => {
    stopped = true;
    cancel?.();
  };
}
