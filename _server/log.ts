/**
 * A small levelled logger for the server shell (the pure core never logs).
 * @module
 */

/** Log levels, most severe first. */
export const LOG_LEVELS = ["error", "warn", "info", "debug"] as const;
/** One of {@linkcode LOG_LEVELS}. */
export type LogLevel = typeof LOG_LEVELS[number];

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
    this.#sink(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${message}`);
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
