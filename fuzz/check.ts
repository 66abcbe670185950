/**
 * What a fuzz target is, and how it reports a broken property.
 * @module
 */

/** A property of the code under test does not hold for an input. */
export class PropertyViolation extends Error {
  override name = "PropertyViolation";
}

/** Throws a {@linkcode PropertyViolation} with `message` unless `condition` holds. */
export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new PropertyViolation(message);
}

/**
 * One parser (or stateful consumer) under test. `run` takes any bytes and
 * throws only when a property is violated; an exception from the code under
 * test is a failure too. It must depend on its input alone (randomness it
 * needs is seeded from the input), so a saved input replays exactly.
 */
export interface FuzzTarget {
  /** Short name, used on the command line and in crash file names. */
  readonly name: string;
  /** Inputs mutations start from. */
  readonly seeds: () => Uint8Array[];
  /** Runs one input. Async only where the code under test is (the responder). */
  readonly run: (input: Uint8Array) => void | Promise<void>;
}

/** Text of bytes; invalid UTF-8 becomes U+FFFD, as the parsers' callers decode it. */
export function text(input: Uint8Array): string {
  return decoder.decode(input);
}

const decoder = new TextDecoder();
