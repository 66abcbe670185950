/**
 * The fuzz loop shared by `main.ts` and `fuzz_test.ts`: round-robins the
 * targets in time slices, feeds each one its seeds and then mutants, and
 * stops at the first failure: an exception, a broken property, an input that
 * is consistently slow (a potential hang), or a heap that keeps growing.
 *
 * Each target draws from its own generator seeded by (run seed, target name),
 * so the n-th input of a target is the same whatever the other targets do.
 * @module
 */

import { type FuzzTarget, PropertyViolation } from "./check.ts";
import { knownFailure } from "./known_failures.ts";
import { mutate } from "./mutate.ts";
import { fnv1a, Prng } from "./prng.ts";

/** A single input slower than this (plus {@linkcode SLOW_MS_PER_KIB} per KiB) is a potential hang. */
export const SLOW_INPUT_MS = 50;
/**
 * Time allowed per KiB of input on top of {@linkcode SLOW_INPUT_MS}: work that
 * grows linearly with the input (2000 pipelined DESCRIBEs in 160 KiB) is not a
 * hang; quadratic work still shows up, since it outgrows any linear allowance.
 */
export const SLOW_MS_PER_KIB = 0.5;

/** The time limit for one input of `bytes` bytes. */
export function slowLimitMs(bytes: number): number {
  return SLOW_INPUT_MS + (SLOW_MS_PER_KIB * bytes) / 1024;
}
/** A slow input is re-run this many times; it is reported only if every run is slow. */
const SLOW_RETRIES = 2;
/** An input this many times slower than the limit is not re-run: no pause explains that. */
const NO_RETRY_FACTOR = 10;
/** Each target runs this long before the next one takes over. */
const SLICE_MS = 100;
/** The heap is sampled every this many inputs. */
const MEMORY_SAMPLE_INPUTS = 2_000;
/** The lowest of this many samples is the heap floor (garbage not yet collected is above it). */
const MEMORY_WINDOW_SAMPLES = 8;
/** The floor may rise this much above the first floor before it counts as a leak. */
export const MEMORY_GROWTH_LIMIT_BYTES = 256 * 1024 * 1024;
/** Recent mutants kept as bases for further mutation (deeper edits than one round allows). */
const POOL_SIZE = 32;
/** How often a mutant starts from a recent mutant rather than a seed. */
const POOL_CHANCE = 0.3;

/** Why a run stopped early. */
export type FailureKind = "exception" | "property" | "slow" | "memory";

/** The input that failed and what happened. */
export interface Failure {
  readonly kind: FailureKind;
  readonly target: string;
  /** 1-based number of the input within its target's sequence. */
  readonly inputNumber: number;
  readonly input: Uint8Array;
  readonly error: unknown;
}

/** Counts of one target. */
export interface TargetStats {
  readonly name: string;
  inputs: number;
  /** Time spent in the target alone, ms. */
  ms: number;
  /** Slowest single input, ms. */
  slowestMs: number;
  /** Inputs that hit a known failure (see `known_failures.ts`): counted, not stopped on. */
  known: number;
  /** The first input of each known failure hit, by description. */
  readonly knownInputs: Map<string, Uint8Array>;
}

/** What {@linkcode fuzz} runs and for how long. */
export interface FuzzOptions {
  readonly targets: readonly FuzzTarget[];
  readonly seed: number;
  /** Stop after this long (ms of wall time). */
  readonly durationMs?: number;
  /** Stop after this many inputs in total. */
  readonly maxInputs?: number;
  /** Called about once per round of targets, e.g. to print progress. */
  readonly onRound?: (stats: readonly TargetStats[], elapsedMs: number) => void;
}

/** What a run did. */
export interface FuzzResult {
  readonly stats: readonly TargetStats[];
  readonly elapsedMs: number;
  readonly failure?: Failure;
  /** Heap floor growth seen, bytes. */
  readonly heapGrowthBytes: number;
}

/** One target's generator state. */
class TargetState {
  readonly stats: TargetStats;
  readonly #seeds: Uint8Array[];
  readonly #rng: Prng;
  readonly #pool: Uint8Array[] = [];
  #kept = 0;
  #next = 0;

  constructor(readonly target: FuzzTarget, seed: number) {
    this.#seeds = target.seeds();
    if (this.#seeds.length === 0) this.#seeds.push(new Uint8Array(0));
    this.#rng = new Prng(seed ^ fnv1a(new TextEncoder().encode(target.name)));
    this.stats = {
      name: target.name,
      inputs: 0,
      ms: 0,
      slowestMs: 0,
      known: 0,
      knownInputs: new Map(),
    };
  }

  /** The next input: the seeds as they are, then mutants. */
  nextInput(): Uint8Array {
    const n = this.#next++;
    if (n < this.#seeds.length) return this.#seeds[n];
    const rng = this.#rng;
    const base = this.#pool.length > 0 && rng.chance(POOL_CHANCE)
      ? rng.pick(this.#pool)
      : rng.pick(this.#seeds);
    return mutate(base, { rng, corpus: this.#seeds });
  }

  /**
   * Keeps an input that ran cleanly as a base for later mutants. Inputs that
   * hit a known failure are not kept: mutants of a known slow input would
   * spend the whole budget on the known bug.
   */
  keep(input: Uint8Array): void {
    // Round-robin replacement draws nothing from the generator, so a timing-dependent
    // slow input changes at most which bases are kept, not the random sequence.
    this.#pool[this.#kept++ % POOL_SIZE] = input;
  }
}

/** Runs one input; the time it took, or the error. */
async function runOnce(
  target: FuzzTarget,
  input: Uint8Array,
): Promise<{ ms: number; error?: unknown; threw: boolean }> {
  const start = performance.now();
  try {
    const pending = target.run(input);
    if (pending instanceof Promise) await pending;
    return { ms: performance.now() - start, threw: false };
  } catch (error) {
    return { ms: performance.now() - start, error, threw: true };
  }
}

/** How one input went: its time (the fastest run, if re-run) and the failure, if any. */
export interface InputOutcome {
  readonly ms: number;
  readonly failure?: { readonly kind: FailureKind; readonly error: unknown };
}

/**
 * Runs one input through a target: an exception is a failure ("property" when
 * a property check threw), and so is an input slower than
 * {@linkcode SLOW_INPUT_MS} on every one of a few runs (a potential hang).
 */
export async function runInput(target: FuzzTarget, input: Uint8Array): Promise<InputOutcome> {
  let run = await runOnce(target, input);
  if (run.threw) {
    const kind = run.error instanceof PropertyViolation ? "property" : "exception";
    return { ms: run.ms, failure: { kind, error: run.error } };
  }
  let fastest = run.ms;
  const limit = slowLimitMs(input.length);
  const retries = fastest > NO_RETRY_FACTOR * limit ? 0 : SLOW_RETRIES;
  for (let retry = 0; retry < retries && fastest > limit; retry++) {
    run = await runOnce(target, input);
    fastest = Math.min(fastest, run.ms);
  }
  if (fastest <= limit) return { ms: fastest };
  const error = new Error(`took ${fastest.toFixed(1)} ms (> ${limit.toFixed(0)} ms)`);
  return { ms: fastest, failure: { kind: "slow", error } };
}

/** Tracks the heap floor over a sliding window of samples. */
class HeapWatch {
  #samples: number[] = [];
  #baseline: number | undefined;
  growth = 0;

  /** Takes a sample; true when the floor rose past the limit. */
  sample(): boolean {
    this.#samples.push(Deno.memoryUsage().heapUsed);
    if (this.#samples.length > MEMORY_WINDOW_SAMPLES) this.#samples.shift();
    if (this.#samples.length < MEMORY_WINDOW_SAMPLES) return false;
    const floor = Math.min(...this.#samples);
    this.#baseline ??= floor;
    this.growth = Math.max(this.growth, floor - this.#baseline);
    return floor - this.#baseline > MEMORY_GROWTH_LIMIT_BYTES;
  }
}

/** Whether the run has used its budget. */
function done(options: FuzzOptions, totalInputs: number, elapsedMs: number): boolean {
  if (options.maxInputs !== undefined && totalInputs >= options.maxInputs) return true;
  if (options.durationMs !== undefined && elapsedMs >= options.durationMs) return true;
  return options.maxInputs === undefined && options.durationMs === undefined;
}

/** Fuzzes `options.targets` round-robin until the budget is used or something fails. */
export async function fuzz(options: FuzzOptions): Promise<FuzzResult> {
  const states = options.targets.map((t) => new TargetState(t, options.seed));
  const heap = new HeapWatch();
  const start = performance.now();
  let total = 0;
  const result = (failure?: Failure): FuzzResult => ({
    stats: states.map((s) => s.stats),
    elapsedMs: performance.now() - start,
    heapGrowthBytes: heap.growth,
    ...(failure ? { failure } : {}),
  });
  while (!done(options, total, performance.now() - start)) {
    for (const state of states) {
      const sliceEnd = performance.now() + SLICE_MS;
      do {
        const input = state.nextInput();
        const { stats, target } = state;
        stats.inputs++;
        total++;
        const fail = (kind: FailureKind, error: unknown) =>
          result({ kind, target: target.name, inputNumber: stats.inputs, input, error });
        const outcome = await runInput(target, input);
        stats.ms += outcome.ms;
        stats.slowestMs = Math.max(stats.slowestMs, outcome.ms);
        if (outcome.failure) {
          const known = knownFailure(target.name, outcome.failure.error);
          if (!known) return fail(outcome.failure.kind, outcome.failure.error);
          stats.known++;
          if (!stats.knownInputs.has(known.description)) {
            stats.knownInputs.set(known.description, input);
          }
        } else {
          state.keep(input);
        }
        if (total % MEMORY_SAMPLE_INPUTS === 0 && heap.sample()) {
          return fail("memory", new Error(`heap floor grew by ${heap.growth} bytes`));
        }
        if (done(options, total, performance.now() - start)) return result();
      } while (performance.now() < sliceEnd);
    }
    options.onRound?.(states.map((s) => s.stats), performance.now() - start);
  }
  return result();
}
