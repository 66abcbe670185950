/**
 * Whether the connection limit fits in the process's file descriptor limit
 * (RLIMIT_NOFILE), and what to do when it does not: a pure decision, so it
 * can be tested without changing limits.
 * @module
 */

/**
 * Descriptors kept for the server itself: the runtime (about 20 at start),
 * both listeners, RTP/RTCP and multicast sockets, certificate and config
 * files, stdio, and the brief overlap while a refused connection is answered.
 */
export const RESERVED_DESCRIPTORS = 64;

/** What {@linkcode fitConnectionsToDescriptors} is given. */
export interface DescriptorBudgetInput {
  /** The connection limit in force; 0 = no limit. */
  readonly maxConnections: number;
  /** Whether the user set it (flag or config file) rather than took the default. */
  readonly explicit: boolean;
  /** The soft RLIMIT_NOFILE; undefined when it could not be read or is unlimited. */
  readonly descriptorLimit: number | undefined;
  /** Descriptors one connection may hold: its socket, plus a file when serving files. */
  readonly descriptorsPerConnection: number;
}

/** The decision: the connection limit to use, and a line to log when it matters. */
export interface DescriptorBudget {
  readonly maxConnections: number;
  /** Set when the limit was lowered or does not fit; log it as a warning. */
  readonly message?: string;
}

/**
 * Lowers a default connection limit that does not fit in the descriptor limit
 * (past it `accept` fails with EMFILE), or keeps an explicit one with a warning.
 */
export function fitConnectionsToDescriptors(input: DescriptorBudgetInput): DescriptorBudget {
  const { maxConnections, explicit, descriptorLimit, descriptorsPerConnection } = input;
  if (descriptorLimit === undefined) return { maxConnections };
  const fitting = Math.max(
    1,
    Math.floor((descriptorLimit - RESERVED_DESCRIPTORS) / Math.max(1, descriptorsPerConnection)),
  );
  if (maxConnections > 0 && maxConnections <= fitting) return { maxConnections };
  const why =
    `the file descriptor limit (RLIMIT_NOFILE ${descriptorLimit}, ${RESERVED_DESCRIPTORS} kept ` +
    `for the server, ${descriptorsPerConnection} per connection) fits ${fitting} connections`;
  if (explicit) {
    const shown = maxConnections === 0 ? "0 (no limit)" : String(maxConnections);
    return {
      maxConnections,
      message: `max-connections ${shown} kept as given, but ${why}; past that, accepting ` +
        `pauses until descriptors free up (raise the limit with ulimit -n)`,
    };
  }
  return {
    maxConnections: fitting,
    message: `max-connections lowered from ${maxConnections} to ${fitting}: ${why} ` +
      `(raise the limit with ulimit -n, or set --max-connections)`,
  };
}
