/**
 * The fuzzer in the test suite: every target for a bounded time with a fixed
 * seed and with a random one (printed, so a CI failure is reproducible; set
 * `FUZZ_SEED` to choose it), and a replay of every saved input in
 * `fuzz/crashes/`. Saved inputs of known, unfixed failures must still fail
 * the same way (see `known_failures.ts`); all others must pass.
 * @module
 */

import assert from "node:assert/strict";
import { KNOWN_FAILURES } from "./known_failures.ts";
import { crashTarget, parseFuzzArgs } from "./main.ts";
import { mutate } from "./mutate.ts";
import { Prng } from "./prng.ts";
import { type Failure, fuzz, runInput } from "./runner.ts";
import { targetByName, TARGETS } from "./targets.ts";

/** Time per target and seed: two seeds x 14 targets x 0.35 s is about 10 s. */
const MS_PER_TARGET_AND_SEED = 350;
/** The fixed seed: the same inputs on every run. */
const FIXED_SEED = 20261124;
const CRASH_DIR = new URL("./crashes/", import.meta.url);

const envSeed = Deno.env.get("FUZZ_SEED");
const randomSeed = envSeed !== undefined
  ? Number(envSeed)
  : crypto.getRandomValues(new Uint32Array(1))[0];
console.log(`fuzz_test: random seed ${randomSeed} (FUZZ_SEED=${randomSeed} to repeat it)`);

/** A failure as an assertion message that says how to reproduce it. */
function explain(failure: Failure, seed: number): string {
  const error = failure.error instanceof Error ? failure.error.message : String(failure.error);
  return `${failure.kind} in ${failure.target} (input #${failure.inputNumber}, seed ${seed}): ` +
    `${error}\nreproduce: deno run -A fuzz/main.ts --seed ${seed} --target ${failure.target} ` +
    `--inputs ${failure.inputNumber}`;
}

for (const target of TARGETS) {
  for (const seed of [FIXED_SEED, randomSeed]) {
    Deno.test(`fuzz ${target.name} for ${MS_PER_TARGET_AND_SEED} ms, seed ${seed}`, async () => {
      const result = await fuzz({ targets: [target], seed, durationMs: MS_PER_TARGET_AND_SEED });
      assert.ok(result.failure === undefined, result.failure && explain(result.failure, seed));
      assert.ok(result.stats[0].inputs > 0, "no input was run");
    });
  }
}

const crashFiles = [...Deno.readDirSync(CRASH_DIR)]
  .filter((e) => e.isFile && e.name.endsWith(".bin"))
  .map((e) => e.name)
  .sort();

/** The message of an error, or the value as text. */
function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

for (const file of crashFiles) {
  Deno.test(`replay fuzz/crashes/${file}`, async () => {
    const target = targetByName(crashTarget(file));
    assert.ok(target, `no target for ${file}`);
    const input = await Deno.readFile(new URL(file, CRASH_DIR));
    const { failure } = await runInput(target, input);
    const expected = KNOWN_FAILURES.find((k) => k.vectors.includes(file));
    if (expected === undefined) {
      assert.ok(
        !failure,
        failure && `${file} fails (${failure.kind}): ${messageOf(failure.error)}`,
      );
      return;
    }
    // A strict expected failure: when the bug is fixed, this says to retire the entry.
    assert.ok(
      failure,
      `${file} passes now: if "${expected.description}" is fixed, remove its entry from ` +
        "fuzz/known_failures.ts",
    );
    assert.match(messageOf(failure.error), expected.message, `${file} fails another way`);
  });
}

Deno.test("every known failure's vectors exist", () => {
  for (const known of KNOWN_FAILURES) {
    for (const vector of known.vectors) assert.ok(crashFiles.includes(vector), vector);
  }
});

Deno.test("mutate() is deterministic per seed and bounded", () => {
  const corpus = [new TextEncoder().encode("OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n")];
  const run = (seed: number) => {
    const rng = new Prng(seed);
    let input: Uint8Array = corpus[0];
    const out: string[] = [];
    for (let i = 0; i < 200; i++) {
      input = mutate(input, { rng, corpus });
      assert.ok(input.length <= 160 * 1024);
      out.push(Array.from(input.subarray(0, 64)).join(","));
    }
    return out;
  };
  assert.deepEqual(run(7), run(7));
  assert.notDeepEqual(run(7), run(8));
});

Deno.test("parseFuzzArgs() reads the command line", () => {
  assert.deepEqual(parseFuzzArgs(["--seconds", "5", "--target=rtp", "--list"]), {
    seconds: "5",
    target: "rtp",
    list: true,
  });
  assert.throws(() => parseFuzzArgs(["--bogus"]));
  assert.throws(() => parseFuzzArgs(["--seed"]));
});
