/**
 * The fuzzer's command line (`deno task fuzz`):
 *
 * ```sh
 * deno run -A fuzz/main.ts [--seconds N | --inputs N] [--target NAME] [--seed S]
 * deno run -A fuzz/main.ts --replay fuzz/crashes/<target>-<hash>.bin
 * deno run -A fuzz/main.ts --list
 * ```
 *
 * Round-robins the targets (or the one named), prints inputs/s per target and
 * totals, and on a failure writes the input to `fuzz/crashes/` and exits 1
 * with the seed and how to reproduce it. Without a budget it runs 60 seconds.
 * @module
 */

import type { FuzzTarget } from "./check.ts";
import { knownFailure } from "./known_failures.ts";
import { type Failure, fuzz, runInput, type TargetStats } from "./runner.ts";
import { targetByName, TARGETS } from "./targets.ts";

/** Where failing inputs are written. */
export const CRASH_DIR = new URL("./crashes/", import.meta.url);
/** Default budget when neither --seconds nor --inputs is given. */
const DEFAULT_SECONDS = 60;
/** Progress is printed at most this often. */
const PROGRESS_EVERY_MS = 10_000;
/** Hex digits of SHA-256 in crash file names. */
const HASH_HEX_DIGITS = 16;

/** File name of a failing input: `<target>-<first 16 hex of SHA-256>.bin`. */
export async function crashFileName(target: string, input: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", input.slice()));
  const hex = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${target}-${hex.slice(0, HASH_HEX_DIGITS)}.bin`;
}

/** The target a crash file belongs to: its name up to the last `-`. */
export function crashTarget(fileName: string): string {
  return fileName.slice(0, fileName.lastIndexOf("-"));
}

function rate(inputs: number, ms: number): string {
  return ms > 0 ? Math.round((inputs * 1000) / ms).toLocaleString("en-US") : "-";
}

/** A table of per-target counts and rates, plus totals. */
function report(stats: readonly TargetStats[], elapsedMs: number): string {
  const width = Math.max(...stats.map((s) => s.name.length), 6);
  const lines = stats.map((s) =>
    `  ${s.name.padEnd(width)} ${String(s.inputs).padStart(10)} inputs ` +
    `${rate(s.inputs, s.ms).padStart(9)} inputs/s  slowest ${s.slowestMs.toFixed(1)} ms` +
    (s.known > 0 ? `  known failures hit ${s.known}` : "")
  );
  const total = stats.reduce((n, s) => n + s.inputs, 0);
  lines.push(
    `  ${"total".padEnd(width)} ${String(total).padStart(10)} inputs ` +
      `${rate(total, elapsedMs).padStart(9)} inputs/s  in ${(elapsedMs / 1000).toFixed(1)} s`,
  );
  return lines.join("\n");
}

/** Writes the failing input and explains how to reproduce it. */
async function reportFailure(failure: Failure, seed: number): Promise<void> {
  await Deno.mkdir(CRASH_DIR, { recursive: true });
  const name = await crashFileName(failure.target, failure.input);
  await Deno.writeFile(new URL(name, CRASH_DIR), failure.input);
  const error = failure.error instanceof Error
    ? (failure.error.stack ?? failure.error.message)
    : String(failure.error);
  console.error(
    [
      ``,
      `FAILURE (${failure.kind}) in target "${failure.target}", input #${failure.inputNumber}, ` +
      `seed ${seed}`,
      error,
      `input (${failure.input.length} bytes) written to fuzz/crashes/${name}`,
      `reproduce: deno run -A fuzz/main.ts --replay fuzz/crashes/${name}`,
      `      or: deno run -A fuzz/main.ts --seed ${seed} --target ${failure.target} ` +
      `--inputs ${failure.inputNumber}`,
      failure.kind === "memory"
        ? "(a heap that keeps growing is not necessarily this input's doing)"
        : "",
    ].join("\n"),
  );
}

/** Runs one saved input through its target; exits 1 if it fails. */
async function replay(path: string): Promise<void> {
  const file = path.slice(path.lastIndexOf("/") + 1);
  const target = targetByName(crashTarget(file));
  if (!target) throw new Error(`no target for ${file}`);
  const input = await Deno.readFile(path);
  const { ms, failure } = await runInput(target, input);
  if (failure) {
    const known = knownFailure(target.name, failure.error);
    console.error(`${file}: FAILS (${failure.kind}) in ${target.name}:`, failure.error);
    if (known) console.error(`(a known failure: ${known.description})`);
    Deno.exit(1);
  }
  console.log(`${file}: passes (${ms.toFixed(1)} ms)`);
}

/** Options taking a value. */
const VALUE_OPTIONS = ["seconds", "inputs", "target", "seed", "replay"] as const;
/** Options without a value. */
const FLAG_OPTIONS = ["list", "help"] as const;

type Args =
  & { [K in typeof VALUE_OPTIONS[number]]?: string }
  & { [K in typeof FLAG_OPTIONS[number]]?: boolean };

/** `--name value`, `--name=value` and `--flag`; anything else is an error (no dependencies). */
export function parseFuzzArgs(argv: readonly string[]): Args {
  const args: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z]+)(?:=(.*))?$/.exec(argv[i]);
    const name = m?.[1] ?? "";
    if ((FLAG_OPTIONS as readonly string[]).includes(name) && m?.[2] === undefined) {
      args[name] = true;
    } else if ((VALUE_OPTIONS as readonly string[]).includes(name)) {
      const value = m?.[2] ?? argv[++i];
      if (value === undefined) throw new Error(`--${name} needs a value`);
      args[name] = value;
    } else {
      throw new Error(`unknown argument ${argv[i]}; try --help`);
    }
  }
  return args as Args;
}

async function main(): Promise<void> {
  const args = parseFuzzArgs(Deno.args);
  if (args.help) {
    console.log(
      "deno run -A fuzz/main.ts [--seconds N | --inputs N] [--target NAME] [--seed S]\n" +
        "deno run -A fuzz/main.ts --replay FILE | --list",
    );
    return;
  }
  if (args.list) {
    for (const t of TARGETS) console.log(t.name);
    return;
  }
  if (args.replay) return await replay(args.replay);
  let targets: readonly FuzzTarget[] = TARGETS;
  if (args.target) {
    const target = targetByName(args.target);
    if (!target) throw new Error(`unknown target ${args.target}; --list shows them`);
    targets = [target];
  }
  const seed = args.seed !== undefined
    ? Number(args.seed)
    : crypto.getRandomValues(new Uint32Array(1))[0];
  const maxInputs = args.inputs !== undefined ? Number(args.inputs) : undefined;
  const durationMs = args.seconds !== undefined
    ? Number(args.seconds) * 1000
    : maxInputs === undefined
    ? DEFAULT_SECONDS * 1000
    : undefined;
  console.log(
    `fuzzing ${targets.map((t) => t.name).join(", ")} with seed ${seed}` +
      (maxInputs !== undefined ? ` for ${maxInputs} inputs` : ` for ${durationMs! / 1000} s`),
  );
  let lastProgress = 0;
  const result = await fuzz({
    targets,
    seed,
    ...(maxInputs !== undefined ? { maxInputs } : {}),
    ...(durationMs !== undefined ? { durationMs } : {}),
    onRound(stats, elapsedMs) {
      if (elapsedMs - lastProgress < PROGRESS_EVERY_MS) return;
      lastProgress = elapsedMs;
      const total = stats.reduce((n, s) => n + s.inputs, 0);
      console.log(
        `  ... ${(elapsedMs / 1000).toFixed(0)} s: ${total} inputs, ` +
          `${rate(total, elapsedMs)} inputs/s, heap ${
            (Deno.memoryUsage().heapUsed / 2 ** 20).toFixed(0)
          } MiB`,
      );
    },
  });
  console.log(report(result.stats, result.elapsedMs));
  console.log(`  heap floor growth ${(result.heapGrowthBytes / 2 ** 20).toFixed(1)} MiB`);
  if (result.failure) {
    await reportFailure(result.failure, seed);
    Deno.exit(1);
  }
  console.log(`no failures (seed ${seed})`);
}

if (import.meta.main) await main();
