/**
 * Process plumbing for `fanout.ts`: the CLOCK_MONOTONIC clock rtspload stamps
 * its window with, CPU and RSS of a process tree from `/proc`, child processes
 * with bounded lifetimes, and building the C tools.
 * @module
 */

import { CLOCK_TICKS_PER_SECOND } from "./proc_stat.ts";

const MS_PER_TICK = 1000 / CLOCK_TICKS_PER_SECOND;
/** Linux `CLOCK_MONOTONIC`, the clock of rtspload's `t_start`/`t_end`. */
const CLOCK_MONOTONIC = 1;
/** Time a child gets after SIGTERM/SIGINT before SIGKILL. */
const STOP_GRACE_MS = 5_000;
/** Bound on one gcc run. */
const BUILD_TIMEOUT_MS = 60_000;
/** Lines of a child's output kept for error reports (the rest is drained and dropped). */
const KEPT_LOG_LINES = 400;

/**
 * Converts CLOCK_MONOTONIC seconds (rtspload's JSON) to `performance.now()`
 * milliseconds. Deno's clock is CLOCK_MONOTONIC too, with another origin, so
 * one libc `clock_gettime` call gives the offset. Needs `--allow-ffi` (or -A).
 */
export function monotonicToPerfMs(): (monotonicSeconds: number) => number {
  const libc = Deno.dlopen("libc.so.6", {
    clock_gettime: { parameters: ["i32", "buffer"], result: "i32" },
  });
  const timespec = new BigInt64Array(2); // tv_sec, tv_nsec on 64-bit Linux
  const before = performance.now();
  libc.symbols.clock_gettime(CLOCK_MONOTONIC, timespec);
  const after = performance.now();
  libc.close();
  const monotonicMs = Number(timespec[0]) * 1000 + Number(timespec[1]) / 1e6;
  const offsetMs = monotonicMs - (before + after) / 2;
  return (seconds) => seconds * 1000 - offsetMs;
}

/** PIDs of `root` and all its live descendants (children such as ffmpeg or workers). */
function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry.name)]);
    } catch { /* exited while listing */ }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]) ?? []));
  return tree;
}

/**
 * CPU ms (utime + stime, all threads) of `pid`, its live descendants and its
 * reaped children (cutime + cstime), so a child that exits mid-window still
 * counts. Throws once `pid` has exited.
 */
export function readTreeCpuMs(pid: number): number {
  let ticks = 0;
  for (const p of processTree(pid)) {
    let stat: string;
    try {
      stat = Deno.readTextFileSync(`/proc/${p}/stat`);
    } catch (e) {
      if (p === pid) throw e;
      continue;
    }
    // After "comm)": field 3 is index 0, so utime/stime/cutime/cstime are 11..14.
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    ticks += Number(f[11]) + Number(f[12]) + (p === pid ? Number(f[13]) + Number(f[14]) : 0);
  }
  return ticks * MS_PER_TICK;
}

/** Resident set size of `pid` and its live descendants, in MiB (`VmRSS` needs no page size). */
export function readTreeRssMiB(pid: number): number {
  let kib = 0;
  for (const p of processTree(pid)) {
    try {
      const m = Deno.readTextFileSync(`/proc/${p}/status`).match(/^VmRSS:\s+(\d+) kB/m);
      if (m) kib += Number(m[1]);
    } catch { /* exited */ }
  }
  return kib / 1024;
}

/** A child process whose output is drained into a bounded log. */
export interface Child {
  readonly pid: number;
  /** The last lines it printed (stdout and stderr interleaved). */
  readonly log: string[];
  /** Resolves with the exit code when it ends. */
  readonly exited: Promise<number>;
  /** Whether it is still running. */
  running(): boolean;
  /** Sends `signal`, then SIGKILL after a grace period; resolves once it has exited. */
  stop(signal?: Deno.Signal): Promise<void>;
}

/** Feeds each line of `stream` to `onLine`. */
export async function eachLine(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void) {
  let rest = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    const lines = (rest + chunk).split("\n");
    rest = lines.pop()!;
    lines.forEach(onLine);
  }
  if (rest) onLine(rest);
}

/**
 * Spawns `cmd`; `onLine` sees every output line. The child is killed after
 * `maxMs` whatever happens, so no run can hang the benchmark.
 */
export function spawnChild(
  cmd: string,
  args: string[],
  maxMs: number,
  onLine: (line: string) => void = () => {},
  cwd?: string,
): Child {
  const proc = new Deno.Command(cmd, {
    args,
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const log: string[] = [];
  const keep = (line: string) => {
    log.push(line);
    if (log.length > KEPT_LOG_LINES) log.shift();
    onLine(line);
  };
  const drained = Promise.all([eachLine(proc.stdout, keep), eachLine(proc.stderr, keep)]);
  let done = false;
  const hardStop = setTimeout(() => kill(proc, "SIGKILL"), maxMs);
  const exited = proc.status.then(async (s) => {
    done = true;
    clearTimeout(hardStop);
    await drained;
    return s.code;
  });
  return {
    pid: proc.pid,
    log,
    exited,
    running: () => !done,
    async stop(signal: Deno.Signal = "SIGTERM") {
      if (!done) kill(proc, signal);
      const killer = setTimeout(() => kill(proc, "SIGKILL"), STOP_GRACE_MS);
      await exited;
      clearTimeout(killer);
    },
  };
}

function kill(proc: Deno.ChildProcess, signal: Deno.Signal) {
  try {
    proc.kill(signal);
  } catch { /* already gone */ }
}

/** Runs a command to completion within `maxMs`; never throws. `output` is stdout and stderr. */
export async function runToEnd(
  cmd: string,
  args: string[],
  maxMs: number,
): Promise<{ ok: boolean; output: string }> {
  try {
    const child = spawnChild(cmd, args, maxMs);
    const code = await child.exited;
    return { ok: code === 0, output: child.log.join("\n") };
  } catch (e) {
    return { ok: false, output: e instanceof Error ? e.message : String(e) };
  }
}

/** Whether `path` exists. */
export function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Builds the C file `src` into `bin` with gcc unless `bin` is newer.
 * @returns an error message, or undefined on success
 */
export async function buildC(src: string, bin: string): Promise<string | undefined> {
  if (!exists(src)) return `source not found: ${src}`;
  if (exists(bin) && Deno.statSync(bin).mtime! >= Deno.statSync(src).mtime!) return undefined;
  Deno.mkdirSync(bin.slice(0, bin.lastIndexOf("/")), { recursive: true });
  const gcc = await runToEnd("gcc", ["-O2", "-o", bin, src], BUILD_TIMEOUT_MS);
  return gcc.ok ? undefined : `gcc failed on ${src}: ${gcc.output.trim()}`;
}

/** A free TCP port on 127.0.0.1 (a small race, fine on loopback). */
export function freeTcpPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}
