/**
 * Failures found by the fuzzer in code this harness does not own, reported and
 * not fixed yet. Each has a vector in `fuzz/crashes/`; `fuzz_test.ts` replays
 * it and requires that it still fails this way (a strict "expected failure"),
 * and the fuzz loop counts matching failures instead of stopping on them.
 *
 * When a bug is fixed, its replay test fails with "fixed": delete its entry
 * here, and the vector becomes an ordinary regression test.
 * @module
 */

/** A failure that is known and reported. */
export interface KnownFailure {
  /** The target it shows up in. */
  readonly target: string;
  /** Matches the failure's message. */
  readonly message: RegExp;
  /** What is wrong, for whoever fixes it. */
  readonly description: string;
  /** Its saved inputs in `fuzz/crashes/`, which must keep failing this way until it is fixed. */
  readonly vectors: readonly string[];
}

/** The known failures. */
export const KNOWN_FAILURES: readonly KnownFailure[] = [];

/** The known failure `message` of `target` matches, if any. */
export function knownFailure(target: string, error: unknown): KnownFailure | undefined {
  const message = error instanceof Error ? error.message : String(error);
  return KNOWN_FAILURES.find((f) => f.target === target && f.message.test(message));
}
