/**
 * What the accept loop does when `accept` fails (EMFILE when the process is
 * out of file descriptors, ENFILE, ENOBUFS...): wait, doubling the wait, and
 * try again, logging once per episode (and a reminder per interval), not once
 * per failure. The pending connections wait in the kernel's backlog meanwhile.
 * @module
 */

/** The first wait after a failed accept. */
export const ACCEPT_RETRY_FIRST_MS = 100;
/** The longest wait between tries: how late a freed descriptor is noticed at worst. */
export const ACCEPT_RETRY_MAX_MS = 1000;
/** While accepts keep failing, a reminder is logged this often. */
export const ACCEPT_FAILURE_LOG_INTERVAL_MS = 60_000;

/** Whether `e` says the process (or system) is out of file descriptors. */
export function isOutOfDescriptors(e: unknown): boolean {
  const text = e instanceof Error ? e.message : String(e);
  return /EMFILE|ENFILE|Too many open files|os error 2[34]\b/.test(text);
}

/** Failed accepts on one listener: the next wait and what to log. */
export class AcceptBackoff {
  #failures = 0;
  #since = 0;
  #lastLogged = 0;
  #delayMs = 0;

  /**
   * Records a failure at `now` (ms); returns how long to wait before the next
   * accept and, at the first failure and then once per interval, a line to log.
   */
  failed(error: unknown, now: number): { delayMs: number; message?: string } {
    const why = error instanceof Error ? error.message : String(error);
    const hint = isOutOfDescriptors(error)
      ? " (out of file descriptors: raise ulimit -n or lower --max-connections)"
      : "";
    this.#failures++;
    if (this.#failures === 1) {
      this.#since = now;
      this.#lastLogged = now;
      this.#delayMs = ACCEPT_RETRY_FIRST_MS;
      return {
        delayMs: this.#delayMs,
        message: `accept failed: ${why}${hint}; retrying every ${ACCEPT_RETRY_FIRST_MS}-` +
          `${ACCEPT_RETRY_MAX_MS} ms, connections wait meanwhile`,
      };
    }
    this.#delayMs = Math.min(ACCEPT_RETRY_MAX_MS, this.#delayMs * 2);
    if (now - this.#lastLogged < ACCEPT_FAILURE_LOG_INTERVAL_MS) return { delayMs: this.#delayMs };
    this.#lastLogged = now;
    return {
      delayMs: this.#delayMs,
      message: `accept still failing: ${why}${hint}; ${this.#failures} failures in ${
        Math.round((now - this.#since) / 1000)
      } s`,
    };
  }

  /** Records a successful accept; returns a line to log when it ends a run of failures. */
  succeeded(now: number): string | undefined {
    if (this.#failures === 0) return undefined;
    const message = `accepting again after ${this.#failures} failed accepts over ${
      now - this.#since
    } ms`;
    this.#failures = 0;
    return message;
  }
}
