/**
 * Counters of the shell that the operator's view reports (`/metrics`): failed
 * logins and refused connections, over RTSP and HTTP alike.
 * @module
 */

/** Why a connection (or an HTTP request) was refused, as the limit it would break. */
export type RefusalReason = "max-connections" | "max-connections-per-ip";

/** Every refusal reason, for exposition in a fixed order. */
export const REFUSAL_REASONS: readonly RefusalReason[] = [
  "max-connections",
  "max-connections-per-ip",
];

/** Counts that only grow for the life of the server. */
export class OperatorCounters {
  /** Credentials checked and found wrong (RTSP and HTTP). */
  authFailures = 0;
  readonly #refused = new Map<RefusalReason, number>();

  /** A connection or request refused for `reason`. */
  refused(reason: RefusalReason): void {
    this.#refused.set(reason, (this.#refused.get(reason) ?? 0) + 1);
  }

  /** Refusals so far for `reason`. */
  refusals(reason: RefusalReason): number {
    return this.#refused.get(reason) ?? 0;
  }
}

/** The refusal reason of a `ConnectionGuard` verdict. */
export function refusalReason(verdict: "total" | "address"): RefusalReason {
  return verdict === "total" ? "max-connections" : "max-connections-per-ip";
}
