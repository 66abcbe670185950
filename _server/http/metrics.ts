/**
 * `/metrics` in the Prometheus text exposition format, version 0.0.4: one
 * `# HELP` and one `# TYPE` line per metric family, then one line per series,
 * `name{label="value",...} number`. Counters end in `_total`. Label values
 * escape backslash, double quote and line feed (`\\`, `\"`, `\n`); HELP text
 * escapes backslash and line feed. The only label with many values is `path`,
 * and it names only paths that exist now (and that the caller may read);
 * the others (`kind`, `transport`, `file`, `reason`) have fixed value sets.
 * A path's bytes sent and frames dropped cover every reader, RTSP and browser;
 * `rtsp_browser_bytes_sent_total` says how much of it went to browsers.
 * @module
 */

import type { SessionEndReason } from "../../_rtsp/media_port.ts";
import { REFUSAL_REASONS, type RefusalReason } from "../operator_counters.ts";
import {
  BROWSER_TRANSPORTS,
  PATH_KINDS,
  type PathSummary,
  READER_TRANSPORTS,
  type TrafficTotals,
} from "./snapshot.ts";
import { HLS_REQUEST_KINDS } from "./browser_traffic.ts";

/** The content type of format 0.0.4. */
export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Every session end reason, so each series exists from the start (a compile error if one is added). */
const SESSION_END_REASONS = Object.keys(
  {
    "teardown": true,
    "timeout": true,
    "connection-closed": true,
    "shutdown": true,
    "source-ended": true,
    "replaced": true,
    "kicked": true,
  } satisfies Record<SessionEndReason, true>,
) as SessionEndReason[];

/** The counters kept per path: name, HELP text, and the summary field counted. */
const PER_PATH_COUNTERS: ReadonlyArray<readonly [string, string, keyof TrafficTotals]> = [
  [
    "rtsp_bytes_received_total",
    "RTP and RTCP bytes received from a path's publishers.",
    "bytesReceived",
  ],
  [
    "rtsp_bytes_sent_total",
    "Bytes sent to a path's readers: RTP over RTSP, fMP4 over WebSocket, HLS response bodies.",
    "bytesSent",
  ],
  [
    "rtsp_packets_received_total",
    "RTP and RTCP packets received from a path's publishers.",
    "packetsReceived",
  ],
  ["rtsp_packets_sent_total", "RTP packets sent to a path's RTSP readers.", "packetsSent"],
  [
    "rtsp_rtp_packets_lost_total",
    "RTP packets a path's readers reported lost in RTCP receiver reports.",
    "packetsLost",
  ],
  [
    "rtsp_frames_dropped_total",
    "Frames dropped because a path's reader (RTSP or WebSocket) was too slow.",
    "framesDropped",
  ],
];

/** What the exposition is made of. */
export interface MetricsInput {
  /** The paths to show (already filtered by what the caller may read). */
  readonly paths: readonly PathSummary[];
  /** Sessions now. */
  readonly sessionCount: number;
  readonly sessionsEnded: ReadonlyMap<SessionEndReason, number>;
  readonly authFailures: number;
  readonly refusals: (reason: RefusalReason) => number;
  readonly residentMemoryBytes: number;
}

/** A label value as format 0.0.4 writes it. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** HELP text as format 0.0.4 writes it. */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

type Labels = Readonly<Record<string, string>>;

/** Lines of one metric family. */
class Exposition {
  #lines: string[] = [];

  family(
    name: string,
    type: "counter" | "gauge",
    help: string,
    series: Iterable<readonly [Labels, number]>,
  ): void {
    this.#lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of series) {
      const pairs = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
      this.#lines.push(`${name}${pairs.length ? `{${pairs.join(",")}}` : ""} ${value}`);
    }
  }

  text(): string {
    return this.#lines.join("\n") + "\n";
  }
}

/** The exposition text. */
export function formatMetrics(input: MetricsInput): string {
  const out = new Exposition();
  const { paths } = input;
  out.family(
    "rtsp_paths",
    "gauge",
    "Paths served now, by where their media comes from.",
    PATH_KINDS.map((kind) => [{ kind }, paths.filter((p) => p.kind === kind).length]),
  );
  out.family(
    "rtsp_readers",
    "gauge",
    "Readers of a path now, by transport: RTSP sessions playing, open WebSockets, " +
      "HLS client addresses that fetched a part or segment in the last 10 s.",
    paths.flatMap((p) =>
      READER_TRANSPORTS.map((transport) => [{ path: p.name, transport }, p.readers[transport]])
    ),
  );
  for (const [name, help, field] of PER_PATH_COUNTERS) {
    out.family(name, "counter", help, paths.map((p) => [{ path: p.name }, p[field]] as const));
  }
  out.family(
    "rtsp_browser_bytes_sent_total",
    "counter",
    "Bytes sent to a path's browser readers, by transport (part of rtsp_bytes_sent_total).",
    paths.flatMap((p) =>
      BROWSER_TRANSPORTS.map((transport) => [
        { path: p.name, transport },
        p.browsers.bytesSent[transport],
      ])
    ),
  );
  out.family(
    "rtsp_hls_requests_total",
    "counter",
    "HLS requests of a path answered with the file (200 or 206), by the file fetched.",
    paths.flatMap((p) =>
      HLS_REQUEST_KINDS.map((file) => [{ path: p.name, file }, p.browsers.hlsRequests[file]])
    ),
  );
  let ended = 0;
  for (const count of input.sessionsEnded.values()) ended += count;
  out.family("rtsp_sessions_opened_total", "counter", "RTSP sessions created.", [
    // Every session that ended was opened, and the rest are open now.
    [{}, ended + input.sessionCount],
  ]);
  out.family(
    "rtsp_sessions_closed_total",
    "counter",
    "RTSP sessions ended, by reason.",
    SESSION_END_REASONS.map((reason) => [{ reason }, input.sessionsEnded.get(reason) ?? 0]),
  );
  out.family(
    "rtsp_auth_failures_total",
    "counter",
    "Credentials checked and found wrong, over RTSP and HTTP.",
    [[{}, input.authFailures]],
  );
  out.family(
    "rtsp_connections_refused_total",
    "counter",
    "Connections (RTSP) and requests (HTTP) refused by a connection limit.",
    REFUSAL_REASONS.map((reason) => [{ reason }, input.refusals(reason)]),
  );
  out.family(
    "process_resident_memory_bytes",
    "gauge",
    "Resident memory size in bytes.",
    [[{}, input.residentMemoryBytes]],
  );
  return out.text();
}
