/**
 * Fan-out cost: marginal server CPU per added reader per Mbit/s of stream,
 * ours (`main.ts`) against the C copy-only relay `floor.c` (the floor of
 * copying packets to N sockets), measured in the same run, for TCP
 * interleaved and for UDP readers, and for WebSocket readers of fMP4.
 *
 *     deno run -A bench/fanout.ts [--publish] [--proxy] [--edge] [--ws] [--only floor,file,test,publish,proxy,edge,ws] [--transports tcp,udp]
 *
 * For each server × stream × transport (a "series"): start the server and its
 * source, then for each reader count N run `rtspload readers` and take the
 * server's CPU (utime+stime of it and its children) and RSS from /proc over
 * rtspload's own measurement window. The slope of a least-squares line of
 * CPU vs N, divided by the stream's Mbit/s, is the figure.
 *
 * Our streams, labelled apart because they take different code paths:
 * - `file`: the clip served with `--root --loop`. Each reader gets its own
 *   timeline (packetized per reader), so this is NOT the shared fan-out path.
 * - `test`: the built-in live `/test` (~1.4 Mbit/s), the shared fan-out path.
 * - `publish` (with `--publish`, instead of `file`): ffmpeg publishes the
 *   clip with ANNOUNCE/RECORD and readers share it; fails clearly on 405.
 * - `edge` (with `--edge`): ffmpeg publishes the clip to another instance of
 *   ours (the origin), and ours pulls it (`--proxy /bench=...`): the same
 *   packets as `publish`, through the pull path.
 * - `proxy` (with `--proxy`): gst-rtsp-server (shared media factory,
 *   ../shared/perf/anchors/gst_server.py) serves the clip, and ours pulls it
 *   once (`--proxy /bench=...`) for all its readers. Its
 *   N = 0 step is the ingest cost of the upstream connection.
 * - `ws` (with `--ws`): the clip published as for `publish`, read as
 *   fragmented MP4 over WebSocket (`/ws/bench` on the HTTP port) by
 *   `ws_readers.ts`, a Deno process standing in for browsers. Its transport
 *   is `ws` whatever `--transports` says. One more reader, pinned for the
 *   whole series, keeps the path's muxer running, so N = 0 already pays the
 *   muxing (done once per path). The figure is divided by floor.c's TCP
 *   figure and set against the `publish` TCP readers of the same run (the
 *   path is muxed once, so each reader should cost a write, as a TCP one).
 *
 * Tools: rtspload.c and floor.c from ../shared/perf (or $RTSPLOAD_SRC,
 * $FLOOR_SRC) built into bench/.cache/fanout/; the clip is made there with ffmpeg.
 * Environment: FANOUT_SECONDS (measured window per step, default 8),
 * FANOUT_PULL_TRANSPORT (tcp or udp: how `proxy` and `edge` pull; default auto),
 * FANOUT_STEPS (reader counts, default 0,50,100,200), FANOUT_RESULTS (where
 * the JSON goes instead of bench/results/fanout_latest.json).
 * Output: a markdown table on stdout, bench/results/fanout_latest.json.
 * @module
 */

import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { cpuMsBetween, CpuSampler, readCpuMs, readMachineBusyMs } from "./proc_stat.ts";
import {
  buildC,
  type Child,
  monotonicToPerfMs,
  readTreeCpuMs,
  readTreeRssMiB,
  spawnChild,
} from "./fanout_proc.ts";
import {
  makeClip,
  startFloor,
  startGstUpstream,
  startOurs,
  startPinnedWsReader,
  startPublisher,
  waitForStream,
} from "./fanout_targets.ts";
import { fitLine, fmt, median, round } from "./fanout_stats.ts";

/** Seconds of rtspload's measurement window per step. */
const WINDOW_SECONDS = Number(Deno.env.get("FANOUT_SECONDS") ?? 8);
/** Reader counts per series; 0 measures the server with its source alone. */
const READER_STEPS = (Deno.env.get("FANOUT_STEPS") ?? "0,50,100,200").split(",").map(Number);
/** Seconds rtspload waits after all readers play before measuring (JIT, buffers settle). */
const WARMUP_SECONDS = 2;
/** rtspload's bound on all handshakes of a step. */
const SETUP_TIMEOUT_SECONDS = 20;
/** Bound on one rtspload run beyond its own (it stops itself at setup+warmup+window+30 s). */
const LOAD_GRACE_MS = 40_000;
/** /proc sampling period; the kernel counts CPU in 10 ms ticks anyway. */
const SAMPLE_INTERVAL_MS = 200;
/** First UDP port rtspload tries for readers (it skips busy ones). */
const READER_UDP_BASE = 44_000;
/** A reader below this share of the stream's rate fell behind. */
const SLOW_READER_SHARE = 0.9;
/** Longest a server or source may live: a backstop far beyond one series. */
const CHILD_MAX_MS = 15 * 60_000;
/** Exit code when a tool or its source is missing: no fake numbers. */
const EXIT_MISSING_TOOL = 2;
/** Exit code when a series could not run. */
const EXIT_FAILED = 1;
/** Server log lines worth reporting (the Logger prints the level after the time). */
const SERVER_PROBLEM_LINE = / (WARN|ERROR) /;
/** The reference figures of ../shared/README.md, ms-core per reader per Mbit/s. */
const REFERENCES = {
  "floor.c": { tcp: "0.33–0.39", udp: "0.22" },
  "gst-rtsp-server 1.22": { tcp: "0.58–0.67", udp: "0.30–0.36" },
  "live555 proxy": { tcp: "0.78–0.82", udp: "0.71–0.83" },
} as const;

const benchDir = fileURLToPath(new URL(".", import.meta.url));
const repoDir = fileURLToPath(new URL("..", import.meta.url));
const cacheDir = `${benchDir}.cache/fanout`;
/** Where the JSON goes; `FANOUT_RESULTS` moves it (`ws_vs_tcp.ts` keeps each run's). */
const resultsFile = Deno.env.get("FANOUT_RESULTS") ?? `${benchDir}results/fanout_latest.json`;
const CLIP_NAME = "bench2m.mp4";
/** Where ffmpeg publishes with --publish. */
const PUBLISH_PATH = "/bench";

type Transport = "tcp" | "udp" | "ws";
type StreamKind = "floor" | "file" | "test" | "publish" | "proxy" | "edge" | "ws";

/** gst-rtsp-server with a shared factory: the upstream camera of the `proxy` series. */
const GST_SERVER_SCRIPT = Deno.env.get("GST_SERVER_SRC") ??
  fileURLToPath(new URL("../../shared/perf/anchors/gst_server.py", import.meta.url));

/** Human labels of the streams: the table must say which code path each row took. */
const STREAM_LABELS: Record<StreamKind, string> = {
  floor: "clip, copy relay",
  file: "clip file, per-reader timeline",
  test: "/test live, shared",
  publish: "clip published, shared",
  proxy: "clip pulled from gst-rtsp-server, shared",
  edge: "clip published to our origin, pulled by us, shared",
  ws: "clip published, shared, fMP4 over WebSocket",
};
/** The WebSocket readers' script (a Deno process of its own). */
const WS_READERS_SCRIPT = `${benchDir}ws_readers.ts`;

/** One reader count's measurement. */
interface Step {
  n: number;
  windowS: number;
  serverCores: number;
  serverRssMiB: number;
  loadCores: number;
  sourceCores: number;
  /** Cores busy with anything else: other work competing with the run. */
  otherCores: number;
  /** rtspload's JSON (absent for N = 0). */
  load?: Record<string, number | string | boolean | object>;
  verdict: string;
  /**
   * Whether every reader got the whole stream (all set up, no loss, none
   * behind). Only such steps enter the fit: past that point the server is
   * saturated and its CPU no longer grows with N. Reordering alone keeps a
   * step complete (every packet was sent) but shows in the verdict.
   */
  complete: boolean;
}

/** One server × stream × transport. */
interface Series {
  server: "floor.c" | "ours";
  stream: StreamKind;
  transport: Transport;
  url?: string;
  steps: Step[];
  /** Per-reader Mbit/s as rtspload counted it (RTP with its framing), best over steps. */
  streamMbps?: number;
  /** Marginal server CPU per added reader, ms-core/s. */
  msCorePerReader?: number;
  /** The figure: {@linkcode msCorePerReader} per Mbit/s of stream. */
  msCorePerReaderMbps?: number;
  r2?: number;
  /** The reader counts the line was fitted through (the complete steps). */
  fittedReaders?: number[];
  rssKiBPerReader?: number;
  /** Our figure over floor.c's, same transport (TCP for WebSocket). */
  ratioToFloor?: number;
  /** WebSocket only: its figure over the published TCP readers' of the same run. */
  ratioToPublishTcp?: number;
  serverProblems: string[];
  error?: string;
}

/** A running server with its optional source, as one series needs it. */
interface Target {
  serverPid: number;
  url: string;
  raw: boolean;
  source?: Child;
  /** WebSocket series: the reader that keeps the fMP4 muxer running through N = 0. */
  pinned?: Child;
  serverLog: string[];
  stop(): Promise<void>;
}

interface Tools {
  rtspload: string;
  floor: string;
  clip: string;
  toPerfMs: (monotonicSeconds: number) => number;
}

/** Max of the samples inside [from, to] (or the nearest one when none is inside). */
function maxBetween(samples: { atMs: number; cpuMs: number }[], from: number, to: number): number {
  const inside = samples.filter((s) => s.atMs >= from && s.atMs <= to).map((s) => s.cpuMs);
  return inside.length ? Math.max(...inside) : samples.at(-1)?.cpuMs ?? NaN;
}

/** Starts what a series measures and waits until its stream is readable. */
/**
 * The `edge` series' upstream: our own server with ffmpeg publishing the clip,
 * so the edge's readers get exactly the packets the `publish` series' readers
 * get (gst-rtsp-server re-packetizes the clip: 253 against 211 packets/s
 * measured per reader), and the two series differ only by the pull path.
 */
async function startOurOrigin(tools: Tools): Promise<{ child: Child; feed: Child; url: string }> {
  const origin = await startOurs(repoDir, cacheDir, CHILD_MAX_MS);
  const url = `rtsp://127.0.0.1:${origin.port}${PUBLISH_PATH}`;
  try {
    const feed = await startPublisher(tools.rtspload, tools.clip, url, CHILD_MAX_MS);
    return { child: origin.child, feed, url };
  } catch (e) {
    await origin.child.stop();
    throw e;
  }
}

/**
 * How ours is told to pull the upstream: `--proxy`, or with
 * FANOUT_PULL_TRANSPORT=tcp|udp a config file that fixes the transport.
 */
function upstreamArgs(url: string): string[] {
  const transport = Deno.env.get("FANOUT_PULL_TRANSPORT");
  if (!transport) return ["--proxy", `${PUBLISH_PATH}=${url}`];
  const file = `${cacheDir}/pull_${transport}.json`;
  Deno.writeTextFileSync(
    file,
    JSON.stringify({ proxy: { [PUBLISH_PATH]: { source: url, transport } } }),
  );
  return ["--config", file];
}

async function startTarget(tools: Tools, stream: StreamKind): Promise<Target> {
  if (stream === "floor") {
    const floor = await startFloor(tools.floor, tools.clip, CHILD_MAX_MS);
    return {
      serverPid: floor.child.pid,
      url: `rtsp://127.0.0.1:${floor.port}/`,
      raw: true,
      source: floor.feed,
      serverLog: floor.child.log,
      stop: async () => {
        await floor.feed.stop("SIGINT");
        await floor.child.stop();
      },
    };
  }
  const upstream = stream === "proxy"
    ? await startGstUpstream(GST_SERVER_SCRIPT, tools.clip, cacheDir, CHILD_MAX_MS)
    : stream === "edge"
    ? await startOurOrigin(tools)
    : undefined;
  let ours;
  try {
    ours = await startOurs(
      repoDir,
      cacheDir,
      CHILD_MAX_MS,
      upstream ? upstreamArgs(upstream.url) : [],
    );
  } catch (e) {
    await upstream?.feed.stop("SIGINT");
    await upstream?.child.stop();
    throw e;
  }
  const base = `rtsp://127.0.0.1:${ours.port}`;
  const url = stream === "file"
    ? `${base}/${CLIP_NAME}`
    : stream === "test"
    ? `${base}/test`
    : `${base}${PUBLISH_PATH}`;
  const readerUrl = stream === "ws" ? `ws://127.0.0.1:${ours.httpPort}/ws${PUBLISH_PATH}` : url;
  let source: Child | undefined;
  let pinned: Child | undefined;
  try {
    if (stream === "publish" || stream === "ws") {
      source = await startPublisher(tools.rtspload, tools.clip, url, CHILD_MAX_MS);
    } else if (!await waitForStream(tools.rtspload, url)) {
      throw new Error(`${url} never answered DESCRIBE`);
    }
    if (stream === "ws") {
      pinned = await startPinnedWsReader(WS_READERS_SCRIPT, readerUrl, CHILD_MAX_MS);
    }
  } catch (e) {
    await source?.stop("SIGINT");
    await ours.child.stop();
    await upstream?.feed.stop("SIGINT");
    await upstream?.child.stop();
    throw e;
  }
  return {
    serverPid: ours.child.pid,
    url: readerUrl,
    raw: false,
    // The upstream's CPU is its own process's: not counted as the server's.
    source: source ?? upstream?.child,
    pinned,
    serverLog: ours.child.log,
    stop: async () => {
      await pinned?.stop();
      await source?.stop("SIGINT");
      await ours.child.stop();
      await upstream?.feed.stop("SIGINT");
      await upstream?.child.stop();
    },
  };
}

/**
 * Measures one reader count: `n` rtspload readers (or, for 0, the server idle
 * with its source) with the server's CPU and RSS over rtspload's window.
 */
async function measureStep(
  tools: Tools,
  target: Target,
  transport: Transport,
  n: number,
): Promise<Step> {
  const server = new CpuSampler(() => readTreeCpuMs(target.serverPid), SAMPLE_INTERVAL_MS);
  // CpuSampler is a generic timed reader: here its "cpuMs" holds MiB.
  const rss = new CpuSampler(() => readTreeRssMiB(target.serverPid), SAMPLE_INTERVAL_MS);
  const machine = new CpuSampler(readMachineBusyMs, SAMPLE_INTERVAL_MS);
  const sourcePid = target.source?.pid;
  const source = sourcePid ? new CpuSampler(() => readCpuMs(sourcePid), SAMPLE_INTERVAL_MS) : null;
  let fromMs = performance.now();
  let toMs = fromMs;
  let loadSamples: { atMs: number; cpuMs: number }[] = [];
  let load: Step["load"];
  let failure: string | undefined;
  if (n === 0) {
    await new Promise((r) => setTimeout(r, WINDOW_SECONDS * 1000));
    toMs = performance.now();
  } else {
    const common = [
      ...["--url", target.url, "-n", `${n}`, "-t", `${WINDOW_SECONDS}`],
      ...["--warmup", `${WARMUP_SECONDS}`, "--setup-timeout", `${SETUP_TIMEOUT_SECONDS}`],
    ];
    const [cmd, args] = transport === "ws"
      ? [Deno.execPath(), ["run", "-A", WS_READERS_SCRIPT, ...common]]
      : [tools.rtspload, [
        ...["readers", ...common, "--udp-base", `${READER_UDP_BASE}`],
        ...(transport === "udp" ? ["--udp"] : []),
        ...(target.raw ? ["--raw"] : []),
      ]];
    const maxMs = (SETUP_TIMEOUT_SECONDS + WARMUP_SECONDS + WINDOW_SECONDS) * 1000 + LOAD_GRACE_MS;
    const child = spawnChild(cmd, args, maxMs);
    const loadSampler = new CpuSampler(() => readCpuMs(child.pid), SAMPLE_INTERVAL_MS);
    const code = await child.exited;
    loadSamples = loadSampler.stop();
    const json = child.log.find((line) => line.startsWith('{"mode"'));
    if (json) {
      load = JSON.parse(json);
      fromMs = tools.toPerfMs(load!.t_start as number);
      toMs = tools.toPerfMs(load!.t_end as number);
    } else {
      failure = `${
        transport === "ws" ? "ws_readers" : "rtspload"
      } exited ${code} without a result: ${child.log.slice(-5).join(" | ")}`;
      toMs = performance.now();
    }
  }
  const windowMs = toMs - fromMs;
  const cores = (samples: { atMs: number; cpuMs: number }[]) =>
    cpuMsBetween(samples, fromMs, toMs) / windowMs;
  const serverCores = cores(server.stop());
  const loadCores = loadSamples.length ? cores(loadSamples) : 0;
  const sourceCores = source ? cores(source.stop()) : 0;
  return {
    n,
    windowS: windowMs / 1000,
    serverCores,
    serverRssMiB: maxBetween(rss.stop(), fromMs, toMs),
    loadCores,
    sourceCores,
    otherCores: Math.max(0, cores(machine.stop()) - serverCores - loadCores - sourceCores),
    load,
    verdict: failure ?? "",
    complete: failure === undefined,
  };
}

/**
 * The server's warning and error lines without their timestamps, each once
 * with its count: a problem hit by every reader should read as one line.
 */
function problemSummary(log: readonly string[]): string[] {
  const counts = new Map<string, number>();
  for (const line of log) {
    const m = line.match(SERVER_PROBLEM_LINE);
    if (!m) continue;
    const text = line.slice(m.index! + 1);
    counts.set(text, (counts.get(text) ?? 0) + 1);
  }
  return [...counts].map(([text, n]) => (n > 1 ? `${text} (×${n})` : text));
}

/** Judges whether a step's readers got the whole stream; says why not. */
function judge(step: Step, streamMbps: number): Pick<Step, "verdict" | "complete"> {
  const r = step.load;
  if (step.verdict) return { verdict: step.verdict, complete: false };
  if (!r) return { verdict: "ok (no readers)", complete: true };
  if (r.mode === "ws") return judgeWebSocket(step, streamMbps);
  const problems = [];
  if ((r.setup_ok as number) < step.n) problems.push(`setup ${r.setup_ok}/${step.n}`);
  // rtspload counts a gap per skipped sequence number and a reorder per late
  // packet, so a late packet also left a gap: true loss is about gaps less reorders.
  const late = r.reorder as number;
  const lost = Math.max(0, (r.loss as number) - late);
  const packets = (r.pkts as number) + lost;
  if (lost > 0) problems.push(`loss ${lost} (${fmt(100 * lost / packets, 3)}%)`);
  if ((r.disconnects as number) > 0) problems.push(`disconnects ${r.disconnects}`);
  if ((r.ssrc_changes as number) > 0) problems.push(`ssrc changes ${r.ssrc_changes}`);
  if ((r.min_reader_mbps as number) < SLOW_READER_SHARE * streamMbps) {
    problems.push(`slowest reader ${fmt(r.min_reader_mbps as number, 3)} Mbit/s`);
  }
  const complete = problems.length === 0;
  if (late > 0) problems.push(`reordered ${late} (${fmt(100 * late / packets, 2)}%)`);
  return { verdict: problems.length ? problems.join(", ") : "ok", complete };
}

/**
 * The same for WebSocket readers: a fragment the server dropped for a slow
 * reader (up to the next keyframe) shows as a gap in the fragments' sequence.
 */
function judgeWebSocket(step: Step, streamMbps: number): Pick<Step, "verdict" | "complete"> {
  const r = step.load!;
  const problems = [];
  if ((r.setup_ok as number) < step.n) problems.push(`setup ${r.setup_ok}/${step.n}`);
  if ((r.skipped_fragments as number) > 0) {
    problems.push(
      `dropped to keyframe: ${r.skipped_fragments} fragments missed by ` +
        `${r.readers_skipping} readers`,
    );
  }
  if ((r.disconnects as number) > 0) problems.push(`disconnects ${r.disconnects}`);
  if ((r.min_reader_mbps as number) < SLOW_READER_SHARE * streamMbps) {
    problems.push(`slowest reader ${fmt(r.min_reader_mbps as number, 3)} Mbit/s`);
  }
  return { verdict: problems.length ? problems.join(", ") : "ok", complete: !problems.length };
}

/** Runs every step of one series and fits its line. */
async function runSeries(
  tools: Tools,
  server: Series["server"],
  stream: StreamKind,
  transport: Transport,
): Promise<Series> {
  const series: Series = { server, stream, transport, steps: [], serverProblems: [] };
  let target: Target;
  try {
    target = await startTarget(tools, stream);
  } catch (e) {
    // --publish, --proxy and --ws asked for these paths: no silent fallback.
    if (stream === "publish" || stream === "proxy" || stream === "edge" || stream === "ws") {
      throw e;
    }
    series.error = e instanceof Error ? e.message : String(e);
    return series;
  }
  series.url = target.url;
  try {
    for (const n of READER_STEPS) {
      if (target.source && !target.source.running()) {
        series.error = `stream source exited: ${target.source.log.slice(-5).join(" | ")}`;
        break;
      }
      if (target.pinned && !target.pinned.running()) {
        series.error = `pinned WebSocket reader exited: ${target.pinned.log.slice(-5).join(" | ")}`;
        break;
      }
      const step = await measureStep(tools, target, transport, n);
      series.steps.push(step);
      console.error(
        `  ${server} ${stream} ${transport} N=${n}: server ${fmt(step.serverCores, 3)} cores, ` +
          `RSS ${fmt(step.serverRssMiB, 1)} MiB, ` +
          (step.load
            ? `${fmt(step.load.mbps as number)} Mbit/s, ` +
              (step.load.mode === "ws"
                ? `fragments skipped ${step.load.skipped_fragments}, ` +
                  `slowest reader ${fmt(step.load.min_reader_mbps as number, 3)} Mbit/s, `
                : `gaps ${step.load.loss}, reordered ${step.load.reorder}, `) +
              `setup ${step.load.setup_ok}/${n}`
            : step.verdict || "no readers") +
          `; readers ${fmt(step.loadCores, 2)}, other ${fmt(step.otherCores, 2)} cores`,
      );
    }
  } finally {
    await target.stop();
    series.serverProblems = problemSummary(target.serverLog);
  }
  // A reader cannot receive more than the stream, while saturated steps get
  // less: the best per-reader rate of any step is the stream's rate. Not so
  // for WebSocket readers: a fragment holds a whole picture, so a window
  // catching one keyframe more reads several % high; their median is taken
  // (a reader that fell behind shows as fragments skipped, not a low rate).
  const perReader = series.steps.filter((s) => s.load && (s.load.setup_ok as number) > 0)
    .map((s) => (s.load!.mbps as number) / (s.load!.setup_ok as number));
  series.streamMbps = transport === "ws" ? median(perReader) : Math.max(...perReader);
  for (const s of series.steps) Object.assign(s, judge(s, series.streamMbps));
  const fitted = series.steps.filter((s) => s.complete);
  const cpu = fitLine(fitted.map((s) => [s.n, s.serverCores * 1000] as const));
  series.msCorePerReader = cpu.slope;
  series.msCorePerReaderMbps = cpu.slope / series.streamMbps;
  series.r2 = cpu.r2;
  series.fittedReaders = fitted.map((s) => s.n);
  series.rssKiBPerReader = fitLine(fitted.map((s) => [s.n, s.serverRssMiB * 1024] as const)).slope;
  return series;
}

/** The markdown summary: one row per series. */
function table(all: Series[]): string {
  const steps = READER_STEPS.join("/");
  const lines = [
    `| server | stream | transport | Mbit/s | server cores at N=${steps} | RSS MiB at N=${steps} ` +
    `| fit over N | ms-core/s per reader | **ms-core per reader per Mbit/s** | × floor.c | R² ` +
    `| RSS KiB/reader | other load, cores | delivery |`,
    "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|",
  ];
  for (const s of all) {
    const flagged = s.steps.filter((st) => st.verdict !== "ok" && st.load);
    const delivery = s.error ??
      (flagged.length
        ? flagged.map((st) => `N=${st.n}: ${st.verdict}`).join("; ")
        : s.transport === "ws"
        ? "all readers got every fragment"
        : "all readers got every packet, in order");
    lines.push(
      `| ${s.server} | ${STREAM_LABELS[s.stream]} | ${s.transport} | ${fmt(s.streamMbps)} ` +
        `| ${s.steps.map((st) => fmt(st.serverCores, 3)).join(" / ")} ` +
        `| ${s.steps.map((st) => fmt(st.serverRssMiB, 0)).join(" / ")} ` +
        `| ${s.fittedReaders?.join(",") ?? "—"} ` +
        `| ${fmt(s.msCorePerReader, 3)} | **${fmt(s.msCorePerReaderMbps)}** ` +
        `| ${s.ratioToFloor === undefined ? "—" : `${fmt(s.ratioToFloor)}×`} | ${fmt(s.r2, 3)} ` +
        `| ${fmt(s.rssKiBPerReader, 0)} | ${
          fmt(Math.max(...s.steps.map((st) => st.otherCores)))
        } ` +
        `| ${delivery} |`,
    );
  }
  const refs = Object.entries(REFERENCES).map(([name, r]) => `${name} ${r.tcp} TCP / ${r.udp} UDP`);
  lines.push(
    "",
    "Other load: the most CPU anything else on the machine used during a step (other " +
      "work competing with the run; the readers' process and the source are not counted).",
    ...webSocketNotes(all),
    "Fit: least squares of server CPU vs N over the steps where every reader got the whole " +
      "stream (a saturated server stops growing with N).",
    `Reference figures (ms-core per reader per Mbit/s): ${refs.join("; ")}.`,
  );
  return lines.join("\n");
}

/**
 * What the WebSocket rows mean against the published TCP readers: the cost
 * per reader, and the bytes a reader gets (fMP4 and WebSocket framing against
 * RTP and its interleaved framing, for the same clip).
 */
function webSocketNotes(all: Series[]): string[] {
  const tcp = all.find((s) => s.stream === "publish" && s.transport === "tcp");
  return all.filter((s) => s.transport === "ws").map((ws) => {
    const overheads = ws.steps.filter((st) => st.load).map((st) => st.load!.box_overhead as number);
    return `WebSocket: each reader received ${fmt(ws.streamMbps, 3)} Mbit/s of messages ` +
      `(median of the steps; fMP4 boxes ${fmt(100 * median(overheads), 1)}% over the samples)` +
      (tcp
        ? ` against ${fmt(tcp.streamMbps, 3)} Mbit/s of interleaved RTP for the published TCP ` +
          `readers (${fmt(100 * (ws.streamMbps! / tcp.streamMbps! - 1), 1)}%); per reader per ` +
          `Mbit/s it cost ${fmt(ws.ratioToPublishTcp)}× the published TCP readers.`
        : " (no published TCP series in this run to compare with).");
  });
}

/** JSON form of a series, rounded, without NaN. */
function seriesJson(s: Series) {
  return {
    server: s.server,
    stream: s.stream,
    stream_label: STREAM_LABELS[s.stream],
    transport: s.transport,
    url: s.url,
    stream_mbps: round(s.streamMbps, 3),
    ms_core_per_reader: round(s.msCorePerReader),
    ms_core_per_reader_per_mbps: round(s.msCorePerReaderMbps),
    ratio_to_floor: round(s.ratioToFloor, 3),
    ratio_to_publish_tcp: round(s.ratioToPublishTcp, 3),
    r2: round(s.r2, 4),
    fitted_readers: s.fittedReaders,
    rss_kib_per_reader: round(s.rssKiBPerReader, 1),
    error: s.error,
    server_problems: s.serverProblems,
    steps: s.steps.map((st) => ({
      n: st.n,
      window_s: round(st.windowS, 3),
      server_cores: round(st.serverCores),
      server_rss_mib: round(st.serverRssMiB, 1),
      load_generator_cores: round(st.loadCores),
      source_cores: round(st.sourceCores),
      other_cores: round(st.otherCores),
      verdict: st.verdict,
      complete: st.complete,
      rtspload: st.load,
    })),
  };
}

/** Builds the tools and the clip; exits with {@linkcode EXIT_MISSING_TOOL} when one is missing. */
async function prepare(): Promise<Tools> {
  const shared = fileURLToPath(new URL("../../shared/perf/", import.meta.url));
  const sources = {
    rtspload: Deno.env.get("RTSPLOAD_SRC") ?? `${shared}rtspload.c`,
    floor: Deno.env.get("FLOOR_SRC") ?? `${shared}floor.c`,
  };
  const bins = { rtspload: `${cacheDir}/rtspload`, floor: `${cacheDir}/floor` };
  for (const tool of ["rtspload", "floor"] as const) {
    const error = await buildC(sources[tool], bins[tool]);
    if (error) {
      console.error(
        `error: ${error}\nSet RTSPLOAD_SRC / FLOOR_SRC to rtspload.c / floor.c ` +
          "(from the shared perf tools); no numbers without them.",
      );
      Deno.exit(EXIT_MISSING_TOOL);
    }
  }
  const clip = `${cacheDir}/${CLIP_NAME}`;
  const clipError = await makeClip(clip);
  if (clipError) {
    console.error(`error: ${clipError}`);
    Deno.exit(EXIT_MISSING_TOOL);
  }
  let toPerfMs;
  try {
    readCpuMs(Deno.pid);
    toPerfMs = monotonicToPerfMs();
  } catch (e) {
    // Deno grants /proc only with --allow-all; FFI needs --allow-ffi.
    console.error(
      `error: ${e instanceof Error ? e.message : e}\nRun as: deno run -A bench/fanout.ts`,
    );
    Deno.exit(EXIT_MISSING_TOOL);
  }
  return { ...bins, clip, toPerfMs };
}

async function main(): Promise<number> {
  const t0 = performance.now();
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      publish: { type: "boolean" },
      proxy: { type: "boolean" },
      edge: { type: "boolean" },
      ws: { type: "boolean" },
      only: { type: "string" },
      transports: { type: "string" },
    },
  });
  const tools = await prepare();
  const ourFile: StreamKind = values.publish ? "publish" : "file";
  const streams: StreamKind[] = (values.only?.split(",") as StreamKind[] | undefined) ??
    [
      "floor",
      ourFile,
      "test",
      ...(values.proxy ? ["proxy" as const] : []),
      ...(values.edge ? ["edge" as const] : []),
      ...(values.ws ? ["ws" as const] : []),
    ];
  const transports = (values.transports?.split(",") ?? ["tcp", "udp"]) as Transport[];
  const all: Series[] = [];
  // floor.c first: it is the yardstick the others are divided by.
  for (const stream of streams) {
    // WebSocket readers have one transport; RTSP readers every other asked for.
    for (const transport of stream === "ws" ? ["ws" as const] : transports) {
      console.error(`series: ${stream} ${transport}`);
      try {
        all.push(
          await runSeries(tools, stream === "floor" ? "floor.c" : "ours", stream, transport),
        );
      } catch (e) {
        console.error(`error: ${e instanceof Error ? e.message : e}`);
        return EXIT_FAILED;
      }
    }
  }
  const publishTcp = all.find((p) => p.stream === "publish" && p.transport === "tcp");
  for (const s of all) {
    // A WebSocket is a TCP connection: its floor is floor.c's TCP readers.
    const transport = s.transport === "ws" ? "tcp" : s.transport;
    const floor = all.find((f) => f.server === "floor.c" && f.transport === transport);
    if (s.server === "ours" && floor?.msCorePerReaderMbps) {
      s.ratioToFloor = s.msCorePerReaderMbps! / floor.msCorePerReaderMbps;
    }
    if (s.transport === "ws" && publishTcp?.msCorePerReaderMbps) {
      s.ratioToPublishTcp = s.msCorePerReaderMbps! / publishTcp.msCorePerReaderMbps;
    }
  }
  const runtimeS = (performance.now() - t0) / 1000;
  console.log(table(all));
  console.log(`\nRuntime ${fmt(runtimeS, 0)} s; window ${WINDOW_SECONDS} s per step.`);
  for (const s of all.filter((x) => x.serverProblems.length)) {
    console.log(
      `\n${s.server} ${s.stream} ${s.transport} logged:\n  ${s.serverProblems.join("\n  ")}`,
    );
  }
  Deno.mkdirSync(resultsFile.slice(0, resultsFile.lastIndexOf("/") + 1) || ".", {
    recursive: true,
  });
  Deno.writeTextFileSync(
    resultsFile,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        deno: Deno.version.deno,
        cores: navigator.hardwareConcurrency,
        loadavg: Deno.loadavg(),
        window_seconds: WINDOW_SECONDS,
        warmup_seconds: WARMUP_SECONDS,
        reader_steps: READER_STEPS,
        clip: tools.clip,
        runtime_seconds: round(runtimeS, 1),
        unit: "ms-core per reader per Mbit/s = marginal server CPU (ms of CPU per second) " +
          "per added reader, divided by the per-reader stream rate rtspload counted",
        references: REFERENCES,
        series: all.map(seriesJson),
      },
      null,
      2,
    ) + "\n",
  );
  console.error(`wrote ${resultsFile}`);
  return all.some((s) => s.error) ? EXIT_FAILED : 0;
}

if (import.meta.main) Deno.exit(await main());
