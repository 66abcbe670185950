/**
 * Runs `main.ts` as a real process for tests of the shell: flags, signals, memory.
 */

/** A running server process. */
export interface MainProcess extends AsyncDisposable {
  readonly child: Deno.ChildProcess;
  readonly port: number;
  /** The RTSPS port, when the server was started with TLS. */
  readonly tlsPort?: number;
  /** The HTTP listener's port, unless started with `--http-port off`. */
  readonly httpPort?: number;
  readonly pid: number;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
  /** Resident set size in bytes, from /proc. */
  rssBytes(): Promise<number>;
}

const MAIN = new URL("../main.ts", import.meta.url).pathname;

/** The Deno arguments before `main.ts` in `deno task start` (deno.json), main.ts's path made absolute. */
export async function startTaskArgs(): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  const words = String(config.tasks.start).split(/\s+/);
  if (words[0] !== "deno" || words.at(-1) !== "main.ts") {
    throw new Error(`unexpected start task: ${config.tasks.start}`);
  }
  return words.slice(1, -1);
}

/**
 * Spawns `deno run main.ts ARGS` and waits for its "listening on" line.
 * @param denoArgs what comes before main.ts (default: run with --allow-net and --allow-read)
 * @param options.descriptorLimit run under `ulimit -n` of this (soft and hard)
 */
export async function startMain(
  args: string[] = [],
  timeoutMs = 15_000,
  denoArgs: string[] = ["run", "--allow-net", "--allow-read"],
  options: { descriptorLimit?: number } = {},
): Promise<MainProcess> {
  // The HTTP listener's default port (8888) may be taken, or shared by tests running at once.
  const http = args.includes("--http-port") ? [] : ["--http-port", "0"];
  const command = [Deno.execPath(), ...denoArgs, MAIN, "--port", "0", ...http, ...args];
  // bash sets the limit and exec's deno, so the pid is the server's.
  if (options.descriptorLimit !== undefined) {
    command.unshift("bash", "-c", `ulimit -n ${options.descriptorLimit} && exec "$0" "$@"`);
  }
  const child = new Deno.Command(command[0], {
    args: command.slice(1),
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  child.stdout.pipeTo(new WritableStream()).catch(() => {});
  let text = "";
  const port = Promise.withResolvers<number>();
  (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stderr) {
      text += decoder.decode(chunk, { stream: true });
      const m = /listening on rtsp:\/\/[^:]+:(\d+)\//.exec(text);
      if (m) port.resolve(Number(m[1]));
    }
    port.reject(new Error(`main.ts exited before listening:\n${text}`));
  })().catch(() => {});
  const timer = setTimeout(
    () => port.reject(new Error(`main.ts did not listen in time:\n${text}`)),
    timeoutMs,
  );
  try {
    const p = await port.promise;
    // With TLS the rtsps line follows at once.
    for (let i = 0; i < 50 && args.includes("--tls-cert") && !/rtsps:\/\//.test(text); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    // So does the HTTP line.
    const httpOff = args.join(" ").includes("--http-port off");
    for (let i = 0; i < 50 && !httpOff && !/listening on https?:\/\//.test(text); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const http = /listening on https?:\/\/[^/]+:(\d+)\//.exec(text);
    const tls = /listening on rtsps:\/\/[^:]+:(\d+)\//.exec(text);
    return {
      child,
      port: p,
      tlsPort: tls ? Number(tls[1]) : undefined,
      httpPort: http ? Number(http[1]) : undefined,
      pid: child.pid,
      stderr: () => text,
      async rssBytes() {
        const status = await Deno.readTextFile(`/proc/${child.pid}/status`);
        return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) * 1024;
      },
      async [Symbol.asyncDispose]() {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
        await child.status;
      },
    };
  } catch (e) {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
    await child.status;
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

/** Runs main.ts to completion with `args`; returns its exit code and output. */
export async function runMain(
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", "--allow-read", MAIN, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}
