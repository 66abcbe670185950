/**
 * Test helpers for tests that spawn real programs (ffmpeg, ffprobe, gst-launch-1.0).
 *
 * A test that needs a missing tool fails loudly in CI (`CI=true`) and is skipped
 * elsewhere with a printed reason.
 */

const found = new Map<string, boolean>();

/** Whether `name` can be run from PATH. Cached per process. */
export async function hasTool(name: string): Promise<boolean> {
  const cached = found.get(name);
  if (cached !== undefined) return cached;
  let ok = false;
  try {
    const out = await new Deno.Command("sh", {
      args: ["-c", `command -v ${name}`],
      stdout: "null",
      stderr: "null",
    }).output();
    ok = out.success;
  } catch {
    ok = false;
  }
  found.set(name, ok);
  return ok;
}

/** True when running under CI, where a missing tool is a failure, not a skip. */
export function inCi(): boolean {
  return Deno.env.get("CI") === "true";
}

/**
 * Returns true when every tool is present. When one is missing: throws under CI,
 * otherwise prints why the test is skipped and returns false.
 */
export async function requireTools(testName: string, ...names: string[]): Promise<boolean> {
  for (const name of names) {
    if (await hasTool(name)) continue;
    const reason = `${testName}: ${name} is not installed`;
    if (inCi()) throw new Error(`${reason} (CI=true: .ci/run must install it)`);
    console.log(`SKIP ${reason}`);
    return false;
  }
  return true;
}

/** Runs a program to completion and returns its exit code and decoded output. */
export async function run(
  cmd: string,
  args: string[],
  options: { stdin?: Uint8Array; timeoutMs?: number } = {},
): Promise<{ code: number; stdout: Uint8Array; stderr: string }> {
  const child = new Deno.Command(cmd, {
    args,
    stdin: options.stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin) {
    const writer = child.stdin.getWriter();
    await writer.write(options.stdin);
    await writer.close();
  }
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  }, options.timeoutMs ?? 60_000);
  try {
    const out = await child.output();
    return {
      code: out.code,
      stdout: out.stdout,
      stderr: new TextDecoder().decode(out.stderr),
    };
  } finally {
    clearTimeout(timer);
  }
}
