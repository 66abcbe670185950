/**
 * A small levelled logger for the server shell (the pure core never logs).
 * @module
 */

/** Log levels, most severe first. */
export const LOG_LEVELS = ["error", "warn", "info", "debug"] as const;
/** One of {@linkcode LOG_LEVELS}. */
export type LogLevel = typeof LOG_LEVELS[number];

/**
 * Characters that could end a log line or steer a terminal: C0 controls, DEL,
 * C1 controls and the Unicode line and paragraph separators.
 */
// deno-lint-ignore no-control-regex -- finding control characters is the point
const UNSAFE_IN_LOG = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/**
 * `text` with every character that could forge a log line or steer a
 * terminal written as a `\xNN` / `\uNNNN` escape, so one log line is one line
 * whatever a client put in a path, header or SDP.
 */
export function escapeForLog(text: string): string {
  return text.replace(UNSAFE_IN_LOG, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, "0")}`
      : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

/** Writes lines to stderr at or above a level. */
export class Logger {
  #rank: number;
  #sink: (line: string) => void;

  /**
   * @param level the least severe level written
   * @param sink where lines go @default console.error
   */
  constructor(level: LogLevel, sink: (line: string) => void = (line) => console.error(line)) {
    this.#rank = LOG_LEVELS.indexOf(level);
    this.#sink = sink;
  }

  /** Whether `level` is written. */
  enabled(level: LogLevel): boolean {
    return LOG_LEVELS.indexOf(level) <= this.#rank;
  }

  #write(level: LogLevel, message: string): void {
    if (!this.enabled(level)) return;
    const line = `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${message}`;
    this.#sink(escapeForLog(line));
  }

  /** Something failed for the server or a client. */
  error(message: string): void {
    this.#write("error", message);
  }
  /** Something a client did wrong or a limit was hit. */
  warn(message: string): void {
    this.#write("warn", message);
  }
  /** Life-cycle events: listening, sessions started and ended. */
  info(message: string): void {
    this.#write("info", message);
  }
  /** Per-request detail. */
  debug(message: string): void {
    this.#write("debug", message);
  }
}
