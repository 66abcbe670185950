/**
 * A {@linkcode Scheduler} whose time moves only when a test says so.
 */

import type { Cancel, Scheduler } from "../_rtsp/scheduler.ts";

interface Task {
  readonly at: number;
  readonly order: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/** Time stands still until {@linkcode ManualScheduler.advance}. */
export class ManualScheduler implements Scheduler {
  #now: number;
  #tasks: Task[] = [];
  #order = 0;

  /** @param startMs the clock's first reading */
  constructor(startMs = Date.UTC(2026, 11, 6)) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  after(ms: number, fn: () => void): Cancel {
    const task: Task = {
      at: this.#now + Math.max(0, ms),
      order: this.#order++,
      fn,
      cancelled: false,
    };
    this.#tasks.push(task);
    return () => {
      task.cancelled = true;
    };
  }

  /** Calls waiting, not cancelled. */
  get pending(): number {
    return this.#tasks.filter((t) => !t.cancelled).length;
  }

  /**
   * Moves the clock forward by `ms`, running every call that falls due on the
   * way, in time order (and in the order scheduled for equal times), each
   * with the clock at its own time. Calls scheduled meanwhile run too if due.
   */
  advance(ms: number): void {
    const end = this.#now + ms;
    while (true) {
      this.#tasks = this.#tasks.filter((t) => !t.cancelled);
      let next: Task | undefined;
      for (const t of this.#tasks) {
        if (t.at > end) continue;
        if (!next || t.at < next.at || (t.at === next.at && t.order < next.order)) next = t;
      }
      if (!next) break;
      this.#tasks.splice(this.#tasks.indexOf(next), 1);
      this.#now = next.at;
      next.fn();
    }
    this.#now = end;
  }
}
