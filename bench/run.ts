/**
 * `deno task bench`: OPTIONS throughput, latency and CPU of our server
 * (`main.ts`) next to a bare Deno TCP loop (`bare_options_server.ts`, the
 * ceiling) and, when it can run, gst-rtsp-server (a C reference), all in one
 * run so the ratios compare like with like. Then session churn (CPU per
 * DESCRIBE/SETUP/PLAY/TEARDOWN session, ours vs gst-rtsp-server, see
 * `churn.ts`), then the `deno bench` files.
 *
 * The load comes from `rtspload` (../shared/perf/rtspload.c, or $RTSPLOAD_SRC),
 * built with gcc into bench/.cache/. Results: a markdown table on stdout and
 * bench/results/latest.json.
 *
 * Environment: RTSPLOAD_SRC, BENCH_SECONDS (per measurement), BENCH_REPEATS,
 * BENCH_CHURN_SECONDS (per churn measurement).
 * @module
 */

import { fileURLToPath } from "node:url";
import { cpuMsBetween, CpuSampler, readCpuMs, readMachineBusyMs } from "./proc_stat.ts";
import { eachLine } from "./fanout_proc.ts";
import {
  CHURN_RATE,
  type ChurnMeasurement,
  churnRounds,
  type ChurnTarget,
  startRtpFeed,
  waitDescribable,
} from "./churn.ts";

/** Seconds of load per measurement (rtspload adds ~0.5 s of ramp-up before it). */
const LOAD_SECONDS = Number(Deno.env.get("BENCH_SECONDS") ?? 4);
/** Measurements per server and case; the table shows their median. */
const REPEATS = Number(Deno.env.get("BENCH_REPEATS") ?? 3);
/** Seconds of churn per measurement. */
const CHURN_SECONDS = Number(Deno.env.get("BENCH_CHURN_SECONDS") ?? 6);
/** `deno task start`'s permissions and flags (deno.json): churn measures the server as run. */
const START_TASK_FLAGS = [
  "--allow-net",
  "--allow-read",
  "--allow-ffi",
  "--unstable-net",
  "--v8-flags=--max-semi-space-size=4",
] as const;
/** Time gst-rtsp-server's live pipeline gets to become DESCRIBE-able. */
const STREAM_READY_TIMEOUT_MS = 25_000;
/** Seconds of untimed load per server first, so V8 has compiled the hot paths. */
const WARMUP_SECONDS = 1;
/** Connections × pipelined requests: one request in flight, and many. */
const CASES = [{ k: 1, d: 1 }, { k: 32, d: 8 }] as const;
/** Server CPU sampling period; /proc counts in 10 ms ticks anyway. */
const CPU_SAMPLE_INTERVAL_MS = 50;
/** Time a server gets to print its listening line. */
const SERVER_START_TIMEOUT_MS = 15_000;
/** Time a child gets beyond its expected run before it is killed. */
const CHILD_GRACE_MS = 15_000;
/** Bound on `deno bench` over all bench files. */
const DENO_BENCH_TIMEOUT_MS = 60_000;
/** Other processes using more than this many cores during a row's runs mark it as contended. */
const CONTENDED_OTHER_CORES = 0.25;
/** Exit code when a required tool (rtspload.c, gcc) is missing: no fake numbers. */
const EXIT_MISSING_TOOL = 2;
/** Exit code when a measurement itself failed. */
const EXIT_FAILED = 1;
/** The published live555 figures from ../shared/README.md, req/s. */
const LIVE555_PUBLISHED = { "1x1": "22k–30k", "32x8": "90k–160k" } as const;

const repoDir = fileURLToPath(new URL("..", import.meta.url));
const benchDir = fileURLToPath(new URL(".", import.meta.url));
const cacheDir = `${benchDir}.cache`;
const resultsFile = `${benchDir}results/latest.json`;

/** A server under test, running as a child process. */
interface RunningServer {
  readonly name: string;
  readonly port: number;
  readonly pid: number;
  /** Every line it printed (stdout and stderr), for reporting problems. */
  readonly log: string[];
  stop(): Promise<void>;
}

/** One rtspload run's numbers plus the server's CPU over its window. */
interface Measurement {
  readonly rps: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly requests: number;
  readonly cpuMsPer1k: number;
  /** Cores the server kept busy over the window. */
  readonly serverCores: number;
  /** Cores the load generator kept busy. */
  readonly loadCores: number;
  /** Cores busy with anything else on the machine: other work competing with the run. */
  readonly otherCores: number;
  readonly errors: number;
}

/** The median of each number over repeats of one server and case. */
interface Row extends Omit<Measurement, "requests"> {
  readonly server: string;
  readonly k: number;
  readonly d: number;
  readonly runs: Measurement[];
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Runs a command to completion with a time bound; never throws. */
async function runCommand(
  cmd: string,
  args: string[],
  timeoutMs: number,
  cwd = repoDir,
): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  try {
    const child = new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" }).spawn();
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    const out = await child.output();
    clearTimeout(timer);
    const dec = new TextDecoder();
    return { ok: out.success, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  } catch (e) {
    return { ok: false, stdout: "", stderr: e instanceof Error ? e.message : String(e) };
  }
}

/** Builds rtspload into the cache unless the binary is newer than its source. */
async function buildRtspload(src: string): Promise<string> {
  const bin = `${cacheDir}/rtspload`;
  if (exists(bin) && Deno.statSync(bin).mtime! >= Deno.statSync(src).mtime!) return bin;
  Deno.mkdirSync(cacheDir, { recursive: true });
  const gcc = await runCommand("gcc", ["-O2", "-o", bin, src], 60_000);
  if (!gcc.ok) {
    console.error(`error: cannot build rtspload with gcc: ${gcc.stderr.trim()}`);
    Deno.exit(EXIT_MISSING_TOOL);
  }
  return bin;
}

/**
 * Starts a server and waits for the line matching `ready`, whose first group is
 * the port. Output keeps being drained (and kept) so a chatty server never blocks.
 */
async function startServer(
  name: string,
  cmd: string,
  args: string[],
  ready: RegExp,
): Promise<RunningServer> {
  const child = new Deno.Command(cmd, {
    args,
    cwd: repoDir,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const log: string[] = [];
  const port = Promise.withResolvers<number>();
  const onLine = (line: string) => {
    log.push(line);
    const m = line.match(ready);
    if (m) port.resolve(Number(m[1]));
  };
  const drained = Promise.all([eachLine(child.stdout, onLine), eachLine(child.stderr, onLine)]);
  child.status.then((s) => port.reject(new Error(`${name} exited (${s.code}): ${log.join("\n")}`)));
  const timer = setTimeout(
    () =>
      port.reject(new Error(`${name} printed no listening line in ${SERVER_START_TIMEOUT_MS} ms`)),
    SERVER_START_TIMEOUT_MS,
  );
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
    const killer = setTimeout(() => child.kill("SIGKILL"), CHILD_GRACE_MS);
    await child.status;
    clearTimeout(killer);
    await drained;
  };
  try {
    return { name, port: await port.promise, pid: child.pid, log, stop };
  } catch (e) {
    await stop();
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

/** A free TCP port for servers that cannot take port 0 (a small race, fine on loopback). */
function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = l.addr;
  l.close();
  return port;
}

/** Why gst-rtsp-server cannot run here, or undefined when it can. */
async function gstUnavailable(script: string): Promise<string | undefined> {
  if (!exists(script)) return `${script} not found`;
  if (!exists("/usr/bin/python3")) return "/usr/bin/python3 not found";
  const probe = await runCommand("/usr/bin/python3", [
    "-c",
    "import gi; gi.require_version('Gst', '1.0'); gi.require_version('GstRtspServer', '1.0')",
  ], 30_000);
  if (!probe.ok) {
    return "python GStreamer bindings missing (apt-get install python3-gi python3-gst-1.0 " +
      `gir1.2-gst-rtsp-server-1.0): ${probe.stderr.trim().split("\n").pop()}`;
  }
  return undefined;
}

/**
 * gst_server.py takes its caps from an SDP. OPTIONS never builds the media, so
 * a one-track H.264 description is enough and no RTP feed is needed.
 */
function writeOptionsOnlySdp(): string {
  const path = `${cacheDir}/options_only.sdp`;
  Deno.mkdirSync(cacheDir, { recursive: true });
  Deno.writeTextFileSync(
    path,
    "v=0\no=- 0 0 IN IP4 127.0.0.1\ns=options only\nc=IN IP4 127.0.0.1\nt=0 0\n" +
      "m=video 0 RTP/AVP 96\na=rtpmap:96 H264/90000\na=fmtp:96 packetization-mode=1\n",
  );
  return path;
}

/** One rtspload options run against `server`, with CPU use over its measured window. */
async function measure(
  rtspload: string,
  server: RunningServer,
  k: number,
  d: number,
  seconds: number,
): Promise<Measurement> {
  const url = `rtsp://127.0.0.1:${server.port}/test`;
  const args = ["options", "--url", url, "-k", `${k}`, "-d", `${d}`, "-t", `${seconds}`];
  const child = new Deno.Command(rtspload, { args, stdout: "piped", stderr: "piped" }).spawn();
  const killer = setTimeout(() => child.kill("SIGKILL"), seconds * 1000 + CHILD_GRACE_MS);
  const samplers = [
    new CpuSampler(() => readCpuMs(server.pid), CPU_SAMPLE_INTERVAL_MS),
    new CpuSampler(() => readCpuMs(child.pid), CPU_SAMPLE_INTERVAL_MS),
    new CpuSampler(readMachineBusyMs, CPU_SAMPLE_INTERVAL_MS),
  ];
  const out = await child.output();
  // rtspload exits right after its window (it then only sorts latencies and
  // prints), so the window is the last `duration` seconds before now.
  const endMs = performance.now();
  clearTimeout(killer);
  const dec = new TextDecoder();
  const json = dec.decode(out.stdout).split("\n").find((line) => line.startsWith("{"));
  if (!out.success || !json) {
    throw new Error(`rtspload against ${server.name} failed: ${dec.decode(out.stderr).trim()}`);
  }
  const r = JSON.parse(json);
  const windowMs = r.duration * 1000;
  const [serverMs, loadMs, boxMs] = samplers.map((s) =>
    cpuMsBetween(s.stop(), endMs - windowMs, endMs)
  );
  const failures = Object.values(r.fail_reasons as Record<string, number>)
    .reduce((a, b) => a + b, 0);
  return {
    rps: r.rps,
    p50Us: r.p50_us,
    p99Us: r.p99_us,
    requests: r.requests,
    cpuMsPer1k: r.requests > 0 ? serverMs / (r.requests / 1000) : NaN,
    serverCores: serverMs / windowMs,
    loadCores: loadMs / windowMs,
    otherCores: Math.max(0, boxMs - serverMs - loadMs) / windowMs,
    errors: r.bad_status + r.bad_cseq + failures,
  };
}

/** The median and spread of each server's churn runs, with its ratio to gst-rtsp-server. */
interface ChurnRow {
  readonly server: string;
  readonly msPerSession: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly sessionsPerS: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly failed: number;
  /** Per round: this server's figure / gst-rtsp-server's in the same round. */
  readonly ratiosToGst?: number[];
  readonly runs: ChurnMeasurement[];
}

/** Why gst-rtsp-server cannot be churned here (it needs a live feed), or undefined. */
function churnGstUnavailable(gstSkip: string | undefined, clip: string, sdp: string) {
  if (gstSkip !== undefined) return gstSkip;
  if (!exists(clip) || !exists(sdp)) {
    return `${clip} or its .sdp missing (run ../shared/perf/make_media.sh)`;
  }
  try {
    new Deno.Command("ffmpeg", { args: ["-version"], stdout: "null", stderr: "null" })
      .outputSync();
  } catch {
    return "ffmpeg not found (it feeds gst-rtsp-server's live pipeline)";
  }
  return undefined;
}

/**
 * Session churn: ours (as `deno task start` runs it) and, when it can run,
 * gst-rtsp-server with a live feed, each with one steady reader, in one run.
 */
async function churnScenario(
  rtspload: string,
  gstScript: string,
  gstSkip: string | undefined,
): Promise<{ rows: ChurnRow[]; gstSkip?: string; logs: Record<string, string[]> }> {
  const mediaDir = `${gstScript.slice(0, gstScript.lastIndexOf("/anchors/"))}/media`;
  const clip = `${mediaDir}/bench2m.mp4`;
  const skip = churnGstUnavailable(gstSkip, clip, `${mediaDir}/bench2m.sdp`);
  const listening = /listening on rtsp:\/\/[^/]+:(\d+)\//;
  const servers: RunningServer[] = [];
  const targets: ChurnTarget[] = [];
  let feed: Deno.ChildProcess | undefined;
  try {
    const ours = await startServer("ours (main.ts)", Deno.execPath(), [
      "run",
      ...START_TASK_FLAGS,
      "main.ts",
      "--port",
      "0",
      // Churn runs over TCP; OS-chosen UDP ports keep clear of other servers' ranges.
      "--rtp-ports",
      "0",
      // As `deno task start` runs it: session starts and ends are info lines.
      "--log-level",
      "info",
    ], listening);
    servers.push(ours);
    targets.push({ name: ours.name, pid: ours.pid, url: `rtsp://127.0.0.1:${ours.port}/test` });
    if (skip === undefined) {
      const rtpIn = freeUdpPortPair();
      const gst = await startServer("gst-rtsp-server", "/usr/bin/python3", [
        gstScript,
        ...["--port", `${freePort()}`, "--path", "/bench"],
        ...["--sdp", `${mediaDir}/bench2m.sdp`, "--rtp-in", `${rtpIn}`],
        ...["--max-seconds", "600"],
      ], /gst-rtsp-server on rtsp:\/\/[^/]+:(\d+)\//);
      servers.push(gst);
      feed = startRtpFeed(clip, rtpIn);
      const url = `rtsp://127.0.0.1:${gst.port}/bench`;
      if (!await waitDescribable(rtspload, url, STREAM_READY_TIMEOUT_MS)) {
        throw new Error(`gst-rtsp-server's stream never became DESCRIBE-able at ${url}`);
      }
      targets.push({ name: gst.name, pid: gst.pid, url });
    }
    const runs = await churnRounds(rtspload, targets, CHURN_SECONDS, REPEATS, console.error);
    const gstRuns = skip === undefined ? runs.get("gst-rtsp-server") : undefined;
    const rows = targets.map(({ name }): ChurnRow => {
      const ms = runs.get(name)!;
      const per = ms.map((m) => m.msPerSession);
      return {
        server: name,
        msPerSession: median(per),
        minMs: Math.min(...per),
        maxMs: Math.max(...per),
        sessionsPerS: median(ms.map((m) => m.sessionsPerS)),
        p50Ms: median(ms.map((m) => m.p50Ms)),
        p99Ms: median(ms.map((m) => m.p99Ms)),
        failed: ms.reduce((a, m) => a + m.failed, 0),
        ratiosToGst: gstRuns && name !== "gst-rtsp-server"
          ? per.map((v, i) => v / gstRuns[i].msPerSession)
          : undefined,
        runs: ms,
      };
    });
    const problem = /warn|error|exception|traceback|panic/i;
    const logs = Object.fromEntries(
      servers.map((s) => [s.name, s.log.filter((line) => problem.test(line))]),
    );
    return { rows, gstSkip: skip, logs };
  } finally {
    try {
      feed?.kill("SIGKILL");
      await feed?.status;
    } catch { /* gone */ }
    await Promise.all(servers.map((s) => s.stop()));
  }
}

/**
 * An even port for gst's RTP input (video on it and the next, audio on the two
 * after): one the OS just gave out for TCP, so most likely free for UDP too
 * (a small race, fine on loopback; a clash shows as a stream never ready).
 */
function freeUdpPortPair(): number {
  return freePort() & ~1;
}

/** The parts of `deno bench --json` output used here. */
interface DenoBenchReport {
  benches: { origin: string; name: string; results: { ok?: { avg: number } }[] }[];
}

/** `deno bench --json` over bench/*_bench.ts, as ns/iter and MB/s where names say bytes/iter. */
async function denoBench(): Promise<
  { file: string; name: string; nsPerIter: number; mbPerS?: number }[]
> {
  const files = [...Deno.readDirSync(benchDir)]
    .filter((e) => e.isFile && e.name.endsWith("_bench.ts"))
    .map((e) => `bench/${e.name}`)
    .sort();
  if (files.length === 0) return [];
  const run = await runCommand(
    Deno.execPath(),
    ["bench", "--json", ...files],
    DENO_BENCH_TIMEOUT_MS,
  );
  if (!run.ok) {
    console.error(`warning: deno bench failed:\n${run.stderr.trim()}`);
    return [];
  }
  const report: DenoBenchReport = JSON.parse(run.stdout);
  return report.benches.flatMap((b) => {
    const ok = b.results[0]?.ok;
    if (!ok) return [];
    // Bench names state their size as "(N bytes/iter)"; bytes per ns × 1000 = MB/s.
    const bytes = b.name.match(/\(([\d_,]+) bytes\/iter\)/)?.[1]?.replace(/[_,]/g, "");
    return [{
      file: b.origin.slice(b.origin.lastIndexOf("/") + 1),
      name: b.name,
      nsPerIter: ok.avg,
      mbPerS: bytes ? Number(bytes) / ok.avg * 1000 : undefined,
    }];
  });
}

function fmt(n: number, digits = 0): string {
  return Number.isFinite(n)
    ? n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : "—";
}

function ratio(a: number, b: number | undefined): string {
  return b === undefined ? "—" : `${fmt(a / b, 2)}×`;
}

async function main(): Promise<number> {
  const t0 = performance.now();
  try {
    readCpuMs(Deno.pid);
  } catch (e) {
    // Deno grants /proc only with --allow-all, whatever --allow-read says.
    console.error(
      `error: cannot read /proc (${e instanceof Error ? e.message : e}).\n` +
        "Run as: deno run -A bench/run.ts",
    );
    return EXIT_MISSING_TOOL;
  }
  const src = Deno.env.get("RTSPLOAD_SRC") ??
    fileURLToPath(new URL("../../shared/perf/rtspload.c", import.meta.url));
  if (!exists(src)) {
    console.error(
      `error: load generator source not found at ${src}.\n` +
        "Set RTSPLOAD_SRC to rtspload.c (from the shared perf tools); no numbers without it.",
    );
    return EXIT_MISSING_TOOL;
  }
  const rtspload = await buildRtspload(src);
  const gstScript = `${src.slice(0, src.lastIndexOf("/"))}/anchors/gst_server.py`;
  const gstSkip = await gstUnavailable(gstScript);

  const listening = /listening on rtsp:\/\/[^/]+:(\d+)\//;
  const deno = Deno.execPath();
  const servers: RunningServer[] = [];
  const rows: Row[] = [];
  try {
    servers.push(
      await startServer("ours (main.ts)", deno, [
        "run",
        "--allow-net",
        "main.ts",
        "--port",
        "0",
        // "listening" is an info line; OPTIONS logs nothing at info.
        "--log-level",
        "info",
      ], listening),
      await startServer("bare Deno loop", deno, [
        "run",
        "--allow-net",
        "bench/bare_options_server.ts",
        "--port",
        "0",
      ], listening),
    );
    if (gstSkip === undefined) {
      servers.push(
        await startServer("gst-rtsp-server", "/usr/bin/python3", [
          gstScript,
          "--port",
          `${freePort()}`,
          "--path",
          "/test",
          "--sdp",
          writeOptionsOnlySdp(),
          "--rtp-in",
          `${freePort()}`,
          "--max-seconds",
          "600",
        ], /gst-rtsp-server on rtsp:\/\/[^/]+:(\d+)\//),
      );
    }
    for (const s of servers) await measure(rtspload, s, 32, 8, WARMUP_SECONDS);

    // Repeats go round-robin over servers so drift in the machine hits all alike.
    const runs = new Map<string, Measurement[]>();
    for (let rep = 0; rep < REPEATS; rep++) {
      for (const { k, d } of CASES) {
        for (const s of servers) {
          const m = await measure(rtspload, s, k, d, LOAD_SECONDS);
          const key = `${s.name}|${k}|${d}`;
          runs.set(key, [...(runs.get(key) ?? []), m]);
          console.error(
            `${s.name} ${k}x${d} #${rep + 1}: ${fmt(m.rps)} req/s, p50 ${m.p50Us} µs, ` +
              `p99 ${m.p99Us} µs, ${fmt(m.cpuMsPer1k, 2)} ms-core/1k, cores: server ` +
              `${fmt(m.serverCores, 2)} load ${fmt(m.loadCores, 2)} other ${fmt(m.otherCores, 2)}` +
              (m.errors ? `, ${m.errors} ERRORS` : ""),
          );
        }
      }
    }
    for (const { k, d } of CASES) {
      for (const s of servers) {
        const ms = runs.get(`${s.name}|${k}|${d}`)!;
        rows.push({
          server: s.name,
          k,
          d,
          rps: median(ms.map((m) => m.rps)),
          p50Us: median(ms.map((m) => m.p50Us)),
          p99Us: median(ms.map((m) => m.p99Us)),
          cpuMsPer1k: median(ms.map((m) => m.cpuMsPer1k)),
          serverCores: median(ms.map((m) => m.serverCores)),
          loadCores: median(ms.map((m) => m.loadCores)),
          otherCores: median(ms.map((m) => m.otherCores)),
          errors: ms.reduce((a, m) => a + m.errors, 0),
          runs: ms,
        });
      }
    }
  } catch (e) {
    console.error(`error: ${e instanceof Error ? e.message : e}`);
    return EXIT_FAILED;
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
  // Warnings and errors a server logged are worth a look (start and stop lines are not).
  const problem = /warn|error|exception|traceback|panic/i;
  const serverLogs = Object.fromEntries(
    servers.map((s) => [s.name, s.log.filter((line) => problem.test(line))]),
  );

  let churn: Awaited<ReturnType<typeof churnScenario>>;
  try {
    churn = await churnScenario(rtspload, gstScript, gstSkip);
  } catch (e) {
    console.error(`error: churn: ${e instanceof Error ? e.message : e}`);
    return EXIT_FAILED;
  }
  for (const [name, log] of Object.entries(churn.logs)) {
    if (log.length > 0) serverLogs[`${name}, churn`] = log;
  }

  const benches = await denoBench();

  const [ours, bare, gst] = servers.map((s) => s.name);
  const find = (name: string | undefined, k: number, d: number) =>
    rows.find((r) => r.server === name && r.k === k && r.d === d);
  const columns = [
    "server",
    "K×D",
    "req/s",
    "p50 µs",
    "p99 µs",
    "CPU ms-core /1k req",
    "server cores",
    "load-gen cores",
    "other cores",
    "req/s vs bare",
    "CPU/1k vs bare",
    "req/s vs gst",
  ];
  const lines = [
    `| ${columns.join(" | ")} |`,
    `|---|---|${"--:|".repeat(columns.length - 2)}`,
  ];
  for (const r of rows) {
    const b = find(bare, r.k, r.d);
    const g = find(gst, r.k, r.d);
    const isOurs = r.server === ours;
    const notes = (r.errors ? ` (${r.errors} errors)` : "") +
      (r.otherCores > CONTENDED_OTHER_CORES ? " ⚠ contended" : "");
    lines.push(
      `| ${r.server}${notes} | ${r.k}×${r.d} | ${fmt(r.rps)} | ${fmt(r.p50Us)} | ` +
        `${fmt(r.p99Us)} | ${fmt(r.cpuMsPer1k, 2)} | ${fmt(r.serverCores, 2)} | ` +
        `${fmt(r.loadCores, 2)} | ${fmt(r.otherCores, 2)} | ` +
        `${isOurs ? ratio(r.rps, b?.rps) : "—"} | ` +
        `${isOurs ? ratio(r.cpuMsPer1k, b?.cpuMsPer1k) : "—"} | ` +
        `${isOurs ? ratio(r.rps, g?.rps) : "—"} |`,
    );
  }
  const cores = navigator.hardwareConcurrency;
  console.log(
    `\n## OPTIONS (median of ${REPEATS} × ${LOAD_SECONDS} s, loopback, ${cores} cores)\n`,
  );
  console.log(lines.join("\n"));
  console.log(
    "\nCores: CPU time over the measured window / its length. When server + load-gen + other " +
      `comes near ${cores}, req/s is bounded by the machine, not the server; CPU per 1k requests ` +
      `is the steadier comparison then. ⚠ contended: other processes used > ${CONTENDED_OTHER_CORES} ` +
      "cores (median) during the row's runs." +
      `\ngst-rtsp-server: ${gstSkip === undefined ? "measured" : `skipped (${gstSkip})`}.` +
      `\nlive555 (published in ../shared/README.md): ${LIVE555_PUBLISHED["1x1"]} req/s at 1×1, ` +
      `${
        LIVE555_PUBLISHED["32x8"]
      } at 32×8 — not measured here (live555 is not packaged for Debian).`,
  );
  console.log(
    `\n## Session churn (${CHURN_RATE} sessions/s, one steady reader; median of ${REPEATS} × ` +
      `${CHURN_SECONDS} s)\n`,
  );
  console.log(
    "| server | CPU ms-core /session | min–max | sessions/s | PLAY p50 ms | PLAY p99 ms | " +
      "failed | vs gst (median, min–max of rounds) |\n|---|--:|--:|--:|--:|--:|--:|--:|",
  );
  for (const r of churn.rows) {
    const vsGst = r.ratiosToGst
      ? `${fmt(median(r.ratiosToGst), 2)}× (${fmt(Math.min(...r.ratiosToGst), 2)}–` +
        `${fmt(Math.max(...r.ratiosToGst), 2)})`
      : "—";
    console.log(
      `| ${r.server} | ${fmt(r.msPerSession, 3)} | ${fmt(r.minMs, 3)}–${fmt(r.maxMs, 3)} | ` +
        `${fmt(r.sessionsPerS, 1)} | ${fmt(r.p50Ms, 2)} | ${fmt(r.p99Ms, 2)} | ${r.failed} | ` +
        `${vsGst} |`,
    );
  }
  console.log(
    "\nEach session: connect, DESCRIBE, SETUP of every track, PLAY, TEARDOWN (rtspload churn); " +
      "ours serves /test as `deno task start` runs it, gst-rtsp-server a shared live pipeline " +
      "fed the benchmark clip by ffmpeg. Rounds alternate between the servers; ratios are " +
      "per round." +
      `\ngst-rtsp-server: ${
        churn.gstSkip === undefined ? "measured" : `skipped (${churn.gstSkip})`
      }.`,
  );
  if (benches.length > 0) {
    console.log("\n## deno bench\n\n| file | bench | ns/iter | MB/s |\n|---|---|--:|--:|");
    for (const b of benches) {
      console.log(`| ${b.file} | ${b.name} | ${fmt(b.nsPerIter)} | ${fmt(b.mbPerS ?? NaN, 1)} |`);
    }
  }
  for (const [name, log] of Object.entries(serverLogs)) {
    if (log.length > 0) console.log(`\n${name} logged ${log.length} line(s), first: ${log[0]}`);
  }
  const elapsedS = (performance.now() - t0) / 1000;
  console.log(`\ntotal time ${fmt(elapsedS, 1)} s`);

  Deno.mkdirSync(`${benchDir}results`, { recursive: true });
  const round = (n: number, digits = 3) => Number.isFinite(n) ? Number(n.toFixed(digits)) : null;
  const toJson = (m: Omit<Measurement, "requests"> & { requests?: number }) => ({
    rps: round(m.rps, 1),
    p50_us: m.p50Us,
    p99_us: m.p99Us,
    cpu_ms_core_per_1k: round(m.cpuMsPer1k),
    server_cores: round(m.serverCores),
    load_generator_cores: round(m.loadCores),
    other_cores: round(m.otherCores),
    errors: m.errors,
  });
  const result = {
    date: new Date().toISOString(),
    deno: Deno.version.deno,
    cores: navigator.hardwareConcurrency,
    load_seconds: LOAD_SECONDS,
    repeats: REPEATS,
    options: rows.map((r) => ({
      server: r.server,
      k: r.k,
      d: r.d,
      ...toJson(r),
      runs: r.runs.map(toJson),
    })),
    churn: {
      rate_per_s: CHURN_RATE,
      seconds: CHURN_SECONDS,
      background_readers: 1,
      rows: churn.rows.map((r) => ({
        server: r.server,
        cpu_ms_core_per_session: round(r.msPerSession),
        min_cpu_ms_core_per_session: round(r.minMs),
        max_cpu_ms_core_per_session: round(r.maxMs),
        sessions_per_s: r.sessionsPerS,
        play_p50_ms: r.p50Ms,
        play_p99_ms: r.p99Ms,
        failed: r.failed,
        ratio_to_gst: r.ratiosToGst ? round(median(r.ratiosToGst)) : null,
        ratio_to_gst_per_round: r.ratiosToGst?.map((x) => round(x)) ?? null,
        runs: r.runs.map((m) => ({
          cpu_ms_core_per_session: round(m.msPerSession),
          sessions_per_s: m.sessionsPerS,
          play_p50_ms: m.p50Ms,
          play_p99_ms: m.p99Ms,
          server_cores: round(m.serverCores),
          failed: m.failed,
        })),
      })),
      gst: churn.gstSkip === undefined
        ? { measured: true }
        : { measured: false, reason: churn.gstSkip },
    },
    gst: gstSkip === undefined ? { measured: true } : { measured: false, reason: gstSkip },
    live555_published_rps: {
      ...LIVE555_PUBLISHED,
      note: "not measured here (live555 is not packaged for Debian)",
    },
    deno_bench: benches.map((b) => ({
      file: b.file,
      name: b.name,
      ns_per_iter: round(b.nsPerIter, 1),
      mb_per_s: b.mbPerS === undefined ? null : round(b.mbPerS, 1),
    })),
    server_problem_log_lines: serverLogs,
    total_seconds: round(elapsedS, 1),
  };
  Deno.writeTextFileSync(resultsFile, JSON.stringify(result, null, 2) + "\n");
  console.log(`wrote ${resultsFile.slice(repoDir.length)}`);
  return rows.some((r) => r.errors > 0) || churn.rows.some((r) => r.failed > 0) ? EXIT_FAILED : 0;
}

if (import.meta.main) Deno.exit(await main());
