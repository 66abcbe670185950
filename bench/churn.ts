/**
 * The churn scenario of `deno task bench`: sessions that connect, DESCRIBE,
 * SETUP every track, PLAY and TEARDOWN at a steady rate (`rtspload churn`),
 * with one steady reader playing throughout so the stream is live. The figure
 * is the server's CPU per session, ours next to gst-rtsp-server in the same
 * run, rounds going back and forth between them so drift hits both alike.
 *
 * Ours serves its built-in live test stream (`/test`); gst-rtsp-server a
 * shared live pipeline fed by ffmpeg with the shared benchmark clip
 * (../shared/perf/media/bench2m.mp4, made by ../shared/perf/make_media.sh).
 * @module
 */

import { cpuMsBetween, CpuSampler, readCpuMs } from "./proc_stat.ts";

/** New sessions per second (as in ../shared/perf/bench.py `--churn-rates`). */
export const CHURN_RATE = 200;
/** Steady readers kept playing during churn (bench.py's `--churn-background`). */
const BACKGROUND_READERS = 1;
/** Server CPU sampling period; /proc counts in 10 ms ticks anyway. */
const CPU_SAMPLE_INTERVAL_MS = 50;
/** Time a child gets beyond its expected run before it is killed. */
const CHILD_GRACE_MS = 15_000;

/** A server to churn against: its process and the URL of a live stream. */
export interface ChurnTarget {
  readonly name: string;
  readonly pid: number;
  readonly url: string;
}

/** One churn run. */
export interface ChurnMeasurement {
  /** Server CPU per completed session, ms-core. */
  readonly msPerSession: number;
  readonly sessionsPerS: number;
  /** Connect to PLAY answer. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly serverCores: number;
  readonly failed: number;
}

/** The numbers of all rounds, per server. */
export type ChurnRuns = Map<string, ChurnMeasurement[]>;

/** `rtspload churn` at {@linkcode CHURN_RATE} against `target`, with its CPU over the window. */
async function measureChurn(
  rtspload: string,
  target: ChurnTarget,
  seconds: number,
): Promise<ChurnMeasurement> {
  const args = ["churn", "--url", target.url, "-r", `${CHURN_RATE}`, "-t", `${seconds}`];
  const child = new Deno.Command(rtspload, { args, stdout: "piped", stderr: "piped" }).spawn();
  const killer = setTimeout(() => child.kill("SIGKILL"), seconds * 1000 + CHILD_GRACE_MS);
  const sampler = new CpuSampler(() => readCpuMs(target.pid), CPU_SAMPLE_INTERVAL_MS);
  const out = await child.output();
  // rtspload exits right after its window: the window is the last `duration` seconds.
  const endMs = performance.now();
  clearTimeout(killer);
  const dec = new TextDecoder();
  const json = dec.decode(out.stdout).split("\n").find((line) => line.startsWith("{"));
  if (!out.success || !json) {
    throw new Error(`rtspload churn against ${target.name} failed: ${dec.decode(out.stderr)}`);
  }
  const r = JSON.parse(json);
  const windowMs = r.duration * 1000;
  const serverMs = cpuMsBetween(sampler.stop(), endMs - windowMs, endMs);
  return {
    msPerSession: r.completed > 0 ? serverMs / r.completed : NaN,
    sessionsPerS: r.sessions_per_s,
    p50Ms: r.p50_ms,
    p99Ms: r.p99_ms,
    serverCores: serverMs / windowMs,
    failed: r.failed,
  };
}

/**
 * Runs `repeats` rounds over `targets` (each with one steady reader attached)
 * after a short untimed warm-up, and returns every round's numbers.
 */
export async function churnRounds(
  rtspload: string,
  targets: readonly ChurnTarget[],
  seconds: number,
  repeats: number,
  progress: (line: string) => void,
): Promise<ChurnRuns> {
  const readers = targets.map((t) =>
    new Deno.Command(rtspload, {
      args: [
        "readers",
        "--url",
        t.url,
        "-n",
        `${BACKGROUND_READERS}`,
        "-t",
        "3600",
        "--warmup",
        "0",
      ],
      stdout: "null",
      stderr: "null",
    }).spawn()
  );
  const runs: ChurnRuns = new Map(targets.map((t) => [t.name, []]));
  try {
    // Let the steady readers start playing, and V8 compile the session path.
    await new Promise((r) => setTimeout(r, 2000));
    for (const t of targets) await measureChurn(rtspload, t, 2);
    for (let rep = 0; rep < repeats; rep++) {
      for (const t of targets) {
        const m = await measureChurn(rtspload, t, seconds);
        runs.get(t.name)!.push(m);
        progress(
          `${t.name} churn ${CHURN_RATE}/s #${rep + 1}: ${
            m.msPerSession.toFixed(3)
          } ms-core/session, ` +
            `${m.sessionsPerS} sessions/s, PLAY p50 ${m.p50Ms} ms p99 ${m.p99Ms} ms, ` +
            `server ${m.serverCores.toFixed(2)} cores` + (m.failed ? `, ${m.failed} FAILED` : ""),
        );
      }
    }
  } finally {
    for (const reader of readers) {
      try {
        reader.kill("SIGKILL");
      } catch { /* gone */ }
      await reader.status;
    }
  }
  return runs;
}

/** Waits until `url` answers DESCRIBE with a stream (a live pipeline may take a moment). */
export async function waitDescribable(
  rtspload: string,
  url: string,
  timeoutMs: number,
): Promise<boolean> {
  const end = performance.now() + timeoutMs;
  while (performance.now() < end) {
    const probe = await new Deno.Command(rtspload, {
      args: ["probe", "--url", url],
      stdout: "null",
      stderr: "null",
    }).output();
    if (probe.success) return true;
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

/**
 * ffmpeg sending the benchmark clip as plain RTP to `port` (video) and
 * `port + 2` (audio), looping, in real time: gst-rtsp-server's live feed.
 */
export function startRtpFeed(clip: string, port: number): Deno.ChildProcess {
  return new Deno.Command("ffmpeg", {
    args: [
      ...["-hide_banner", "-loglevel", "error", "-nostdin", "-re", "-stream_loop", "-1"],
      ...["-i", clip],
      ...["-map", "0:v", "-c", "copy", "-f", "rtp", `rtp://127.0.0.1:${port}`],
      ...["-map", "0:a", "-c", "copy", "-f", "rtp", `rtp://127.0.0.1:${port + 2}`],
    ],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
}
