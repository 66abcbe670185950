/**
 * Test helpers for tests that spawn real programs (ffmpeg, ffprobe, gst-launch-1.0, openssl).
 *
 * Register such a test with {@linkcode toolTest}: what it needs is looked up when
 * the test module loads, and a test whose tool is missing is reported by Deno as
 * ignored, the missing tool named in the test's name. Under CI (`CI=true`) it is
 * never ignored for that reason: it runs and fails, naming the tool.
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

let encoders: Promise<Set<string>> | undefined;

/** The encoders this ffmpeg was built with (`ffmpeg -encoders`); empty without ffmpeg. */
function ffmpegEncoders(): Promise<Set<string>> {
  encoders ??= (async () => {
    if (!(await hasTool("ffmpeg"))) return new Set<string>();
    const out = await run("ffmpeg", ["-hide_banner", "-encoders"], { timeoutMs: 20_000 });
    if (out.code !== 0) throw new Error(`ffmpeg -encoders failed: ${out.stderr}`);
    // Lines like " V....D libx264   libx264 H.264 / AVC ..." after a "------" line.
    const names = new TextDecoder().decode(out.stdout).split("\n")
      .map((line) => /^\s*[VASFXBD.]{6}\s+(\S+)/.exec(line)?.[1])
      .filter((name): name is string => name !== undefined && name !== "=");
    return new Set(names);
  })();
  return encoders;
}

/**
 * What a test needs: a program on PATH (`"ffprobe"`), or an ffmpeg built with an
 * encoder (`"ffmpeg:libx265"`; libx265 and libopus are optional in ffmpeg builds).
 */
export type Requirement = string;

/**
 * gst-rtsp-server through Python (Debian `python3-gi python3-gst-1.0
 * gir1.2-gst-rtsp-server-1.0`): a requirement of its own, as it is no program on PATH.
 */
export const GST_RTSP_SERVER = "gst-rtsp-server";

let gstRtspServer: Promise<boolean> | undefined;

function hasGstRtspServer(): Promise<boolean> {
  gstRtspServer ??= (async () => {
    try {
      const out = await new Deno.Command("/usr/bin/python3", {
        args: [
          "-c",
          'import gi; gi.require_version("GstRtspServer", "1.0"); from gi.repository import GstRtspServer',
        ],
        stdout: "null",
        stderr: "null",
      }).output();
      return out.success;
    } catch {
      return false;
    }
  })();
  return gstRtspServer;
}

/** The requirements of `needs` that this machine does not meet, in order. */
export async function missingTools(needs: readonly Requirement[]): Promise<Requirement[]> {
  const missing: Requirement[] = [];
  for (const need of needs) {
    if (need === GST_RTSP_SERVER) {
      if (!(await hasGstRtspServer())) missing.push(need);
      continue;
    }
    const [tool, encoder] = need.split(":");
    if (!(await hasTool(tool))) {
      // Without the program its encoders are not worth naming: the program is.
      if (!missing.includes(tool)) missing.push(tool);
    } else if (encoder !== undefined) {
      const built = tool === "ffmpeg" && (await ffmpegEncoders()).has(encoder);
      if (!built && !missing.includes(need)) missing.push(need);
    }
  }
  return missing;
}

/** How a missing requirement reads in a test name or an error. */
function describeMissing(missing: readonly Requirement[]): string {
  return missing.map((need) => {
    const [tool, encoder] = need.split(":");
    return encoder === undefined ? `${tool} not installed` : `${tool} lacks encoder ${encoder}`;
  }).join(", ");
}

/** True when running under CI, where a missing tool is a failure, not a skip. */
export function inCi(): boolean {
  return Deno.env.get("CI") === "true";
}

/** Everything `Deno.test` takes besides the name and the body (`ignore`, sanitizers...). */
export type ToolTestOptions = Omit<Deno.TestDefinition, "name" | "fn">;

/**
 * Registers a test that needs real programs. Call it at the top level of a test
 * module (`await toolTest(...)`): the requirements are checked now, at load.
 *
 * When one is missing, the test is registered as ignored and its name says which
 * one ("... [ignored: ffmpeg not installed]"), so Deno's summary counts it as
 * ignored, not passed. Under CI (`CI=true`) it is registered as usual and fails
 * at once, naming what is missing: CI must install it.
 */
export async function toolTest(
  name: string,
  needs: readonly Requirement[],
  fn: (t: Deno.TestContext) => void | Promise<void>,
  options: ToolTestOptions = {},
): Promise<void> {
  const missing = await missingTools(needs);
  const skip = missing.length > 0 && !inCi();
  Deno.test({
    ...options,
    name: skip ? `${name} [ignored: ${describeMissing(missing)}]` : name,
    ignore: (options.ignore ?? false) || skip,
    fn: async (t) => {
      if (missing.length > 0) {
        throw new Error(`${describeMissing(missing)} (CI=true: .ci/run must install it)`);
      }
      await fn(t);
    },
  });
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
