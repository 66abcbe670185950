/**
 * CPU time of a process (`/proc/<pid>/stat`) or of the machine (`/proc/stat`),
 * sampled over time so that the CPU of a window known only after the fact can
 * be interpolated.
 * @module
 */

/**
 * Clock ticks per second of `utime`/`stime` (USER_HZ). Linux fixes it at 100
 * on every architecture Deno runs on, and Deno has no `sysconf`.
 */
export const CLOCK_TICKS_PER_SECOND = 100;
const MS_PER_TICK = 1000 / CLOCK_TICKS_PER_SECOND;

/** `utime` and `stime` are fields 14 and 15; these indexes count from field 3. */
const UTIME_AFTER_COMM = 11;
const STIME_AFTER_COMM = 12;

/** CPU time (user + system, all threads) of `pid` in milliseconds; throws once it has exited. */
export function readCpuMs(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  // Field 2 (comm) is in parentheses and may hold spaces: split after the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[UTIME_AFTER_COMM]) + Number(fields[STIME_AFTER_COMM])) * MS_PER_TICK;
}

/**
 * Busy CPU time of the whole machine in milliseconds, all cores summed: the
 * first line of `/proc/stat` less idle and iowait. Tells whether other work
 * competed with a measurement.
 */
export function readMachineBusyMs(): number {
  const stat = Deno.readTextFileSync("/proc/stat");
  // "cpu  user nice system idle iowait irq softirq steal guest guest_nice"
  const ticks = stat.slice(0, stat.indexOf("\n")).trim().split(/\s+/).slice(1, 9).map(Number);
  const [user, nice, system, _idle, _iowait, irq, softirq, steal] = ticks;
  return (user + nice + system + irq + softirq + steal) * MS_PER_TICK;
}

/** One reading: `performance.now()` and a CPU time then. */
export interface CpuSample {
  readonly atMs: number;
  readonly cpuMs: number;
}

/** Calls a CPU reader (such as {@linkcode readCpuMs}) every `intervalMs` until `stop()`. */
export class CpuSampler {
  #read: () => number;
  #samples: CpuSample[] = [];
  #timer: ReturnType<typeof setInterval>;

  /**
   * @param read returns a CPU time in ms; a throw (the process is gone) skips the sample
   * @param intervalMs time between samples
   */
  constructor(read: () => number, intervalMs: number) {
    this.#read = read;
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), intervalMs);
  }

  #sample(): void {
    try {
      this.#samples.push({ atMs: performance.now(), cpuMs: this.#read() });
    } catch { /* the process exited: its last sample stands */ }
  }

  /** Takes a last sample, stops, and returns every sample in time order. */
  stop(): CpuSample[] {
    clearInterval(this.#timer);
    this.#sample();
    return this.#samples;
  }
}

/** CPU at `atMs`, interpolated linearly between the samples around it. */
function cpuAt(samples: readonly CpuSample[], atMs: number): number {
  if (atMs <= samples[0].atMs) return samples[0].cpuMs;
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1];
    const b = samples[i];
    if (atMs <= b.atMs) {
      return a.cpuMs + (b.cpuMs - a.cpuMs) * (atMs - a.atMs) / (b.atMs - a.atMs);
    }
  }
  return samples[samples.length - 1].cpuMs;
}

/** CPU milliseconds used between two `performance.now()` times; 0 without samples. */
export function cpuMsBetween(samples: readonly CpuSample[], fromMs: number, toMs: number): number {
  if (samples.length === 0) return 0;
  return cpuAt(samples, toMs) - cpuAt(samples, fromMs);
}
