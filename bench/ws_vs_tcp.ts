/**
 * WebSocket readers against RTSP TCP readers of the same published clip,
 * repeated: one `fanout.ts` run (floor.c TCP, published RTSP TCP, published
 * fMP4 over WebSocket, in that order) gives one ratio, and one ratio is
 * noisy (the per-reader cost of either is a few µs per message, so its
 * least-squares slope moves by ±30 % from run to run on this 2-core machine).
 * This runs `fanout.ts` `--runs` times and reports each run's figures and
 * the median of the ratios.
 *
 *     deno run -A bench/ws_vs_tcp.ts [--runs 5]
 *
 * Output: a markdown table on stdout, bench/results/ws_vs_tcp_latest.json
 * (with every run's full fanout JSON).
 * @module
 */

import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { fmt, median, round } from "./fanout_stats.ts";

const benchDir = fileURLToPath(new URL(".", import.meta.url));
const resultsFile = `${benchDir}results/ws_vs_tcp_latest.json`;

/** The fields of a `fanout.ts` series this reads. */
interface SeriesJson {
  readonly server: string;
  readonly stream: string;
  readonly transport: string;
  readonly ms_core_per_reader_per_mbps: number | null;
  readonly r2: number | null;
  readonly error?: string;
  readonly steps: readonly { readonly verdict: string }[];
}

/** One run's three figures, ms-core per reader per Mbit/s. */
interface RunFigures {
  readonly floorTcp: number;
  readonly rtspTcp: number;
  readonly webSocket: number;
  readonly rtspR2: number;
  readonly webSocketR2: number;
  /** WebSocket over RTSP TCP. */
  readonly ratio: number;
  /** Whether every reader got everything at every step of both series. */
  readonly complete: boolean;
}

function figures(series: readonly SeriesJson[]): RunFigures {
  const find = (server: string, stream: string, transport: string) => {
    const s = series.find((x) =>
      x.server === server && x.stream === stream && x.transport === transport
    );
    if (!s || s.ms_core_per_reader_per_mbps === null) {
      throw new Error(`fanout.ts gave no ${server} ${stream} ${transport} figure`);
    }
    return s;
  };
  const floor = find("floor.c", "floor", "tcp");
  const tcp = find("ours", "publish", "tcp");
  const ws = find("ours", "ws", "ws");
  const ok = (s: SeriesJson) => s.steps.every((st) => st.verdict.startsWith("ok"));
  return {
    floorTcp: floor.ms_core_per_reader_per_mbps!,
    rtspTcp: tcp.ms_core_per_reader_per_mbps!,
    webSocket: ws.ms_core_per_reader_per_mbps!,
    rtspR2: tcp.r2 ?? NaN,
    webSocketR2: ws.r2 ?? NaN,
    ratio: ws.ms_core_per_reader_per_mbps! / tcp.ms_core_per_reader_per_mbps!,
    complete: ok(tcp) && ok(ws),
  };
}

async function main(): Promise<number> {
  const { values } = parseArgs({ args: Deno.args, options: { runs: { type: "string" } } });
  const runs = Number(values.runs ?? 5);
  if (!Number.isInteger(runs) || runs < 1) {
    console.error("error: --runs takes a whole number of at least 1");
    return 2;
  }
  const t0 = performance.now();
  const results: { figures: RunFigures; fanout: unknown }[] = [];
  const scratch = await Deno.makeTempDir({ prefix: "ws_vs_tcp" });
  try {
    for (let run = 1; run <= runs; run++) {
      console.error(`run ${run} of ${runs}`);
      const json = `${scratch}/run${run}.json`;
      const child = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          `${benchDir}fanout.ts`,
          ...["--publish", "--ws", "--only", "floor,publish,ws", "--transports", "tcp"],
        ],
        env: { FANOUT_RESULTS: json },
        stdout: "null",
        stderr: "inherit",
      }).output();
      if (!child.success) {
        console.error(`error: fanout.ts failed (exit ${child.code}) in run ${run}`);
        return 1;
      }
      const fanout = JSON.parse(await Deno.readTextFile(json));
      results.push({ figures: figures(fanout.series), fanout });
    }
  } finally {
    await Deno.remove(scratch, { recursive: true });
  }
  const lines = [
    "| run | floor.c TCP | published, RTSP TCP (R²) | published, WebSocket (R²) | WebSocket / RTSP TCP | every reader got everything |",
    "|---|--:|--:|--:|--:|---|",
    ...results.map(({ figures: f }, i) =>
      `| ${i + 1} | ${fmt(f.floorTcp)} | ${fmt(f.rtspTcp)} (${fmt(f.rtspR2)}) ` +
      `| ${fmt(f.webSocket)} (${fmt(f.webSocketR2)}) | ${fmt(f.ratio)}× | ${
        f.complete ? "yes" : "**no**"
      } |`
    ),
  ];
  const ratios = results.map((r) => r.figures.ratio);
  const summary = {
    median_ratio: median(ratios),
    min_ratio: Math.min(...ratios),
    max_ratio: Math.max(...ratios),
    median_rtsp_tcp: median(results.map((r) => r.figures.rtspTcp)),
    median_websocket: median(results.map((r) => r.figures.webSocket)),
    median_floor_tcp: median(results.map((r) => r.figures.floorTcp)),
  };
  const runtimeS = (performance.now() - t0) / 1000;
  console.log(lines.join("\n"));
  console.log(
    `\nMedian of ${runs} runs: WebSocket ${fmt(summary.median_websocket)}, RTSP TCP ` +
      `${fmt(summary.median_rtsp_tcp)}, floor.c TCP ${fmt(summary.median_floor_tcp)} ms-core ` +
      `per reader per Mbit/s; WebSocket / RTSP TCP **${fmt(summary.median_ratio)}×** ` +
      `(runs ${fmt(summary.min_ratio)}–${fmt(summary.max_ratio)}×). Runtime ${fmt(runtimeS, 0)} s.`,
  );
  Deno.mkdirSync(`${benchDir}results`, { recursive: true });
  Deno.writeTextFileSync(
    resultsFile,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        deno: Deno.version.deno,
        runs,
        runtime_seconds: round(runtimeS, 1),
        unit: "ms-core per reader per Mbit/s (fanout.ts)",
        summary: Object.fromEntries(
          Object.entries(summary).map(([k, v]) => [k, round(v, 3)]),
        ),
        per_run: results.map((r) => r.figures),
        fanout_runs: results.map((r) => r.fanout),
      },
      null,
      2,
    ) + "\n",
  );
  console.error(`wrote ${resultsFile}`);
  return results.every((r) => r.figures.complete) ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main());
