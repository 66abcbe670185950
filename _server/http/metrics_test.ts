import assert from "node:assert/strict";
import { parsePrometheusText } from "../../_testing/prometheus.ts";
import { escapeLabelValue, formatMetrics } from "./metrics.ts";
import type { PathSummary } from "./snapshot.ts";

function path(name: string, fields: Partial<PathSummary> = {}): PathSummary {
  return {
    name,
    kind: "published",
    tracks: [],
    readers: { tcp: 1, udp: 2, multicast: 0, websocket: 5, hls: 6 },
    browsers: {
      bytesSent: { websocket: 7, hls: 8 },
      hlsRequests: { playlist: 9, init: 1, segment: 0, part: 11 },
    },
    bytesSent: 10,
    packetsSent: 1,
    bytesReceived: 20,
    packetsReceived: 2,
    packetsLost: 3,
    framesDropped: 4,
    bitrateIn: 0,
    bitrateOut: 0,
    uptimeSeconds: 0,
    ...fields,
  };
}

Deno.test("escapeLabelValue() escapes backslash, double quote and line feed (format 0.0.4)", () => {
  assert.equal(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
});

Deno.test("formatMetrics() writes every family with HELP and TYPE, and path labels that parse back", () => {
  const hostile = '/cam"1\\x\ny';
  const text = formatMetrics({
    paths: [path("/test", { kind: "test" }), path(hostile)],
    sessionCount: 2,
    sessionsEnded: new Map([["teardown", 3], ["kicked", 1]]),
    authFailures: 5,
    refusals: (reason) => reason === "max-connections" ? 6 : 0,
    residentMemoryBytes: 1234,
  });
  const parsed = parsePrometheusText(text);
  assert.equal(parsed.value("rtsp_paths", { kind: "test" }), 1);
  assert.equal(parsed.value("rtsp_paths", { kind: "published" }), 1);
  assert.equal(parsed.value("rtsp_paths", { kind: "pulled" }), 0);
  assert.equal(parsed.value("rtsp_readers", { path: hostile, transport: "udp" }), 2);
  assert.equal(parsed.value("rtsp_readers", { path: hostile, transport: "websocket" }), 5);
  assert.equal(parsed.value("rtsp_readers", { path: "/test", transport: "hls" }), 6);
  assert.equal(
    parsed.value("rtsp_browser_bytes_sent_total", { path: "/test", transport: "websocket" }),
    7,
  );
  assert.equal(
    parsed.value("rtsp_browser_bytes_sent_total", { path: hostile, transport: "hls" }),
    8,
  );
  assert.equal(parsed.value("rtsp_hls_requests_total", { path: "/test", file: "playlist" }), 9);
  assert.equal(parsed.value("rtsp_hls_requests_total", { path: hostile, file: "segment" }), 0);
  assert.equal(parsed.value("rtsp_hls_requests_total", { path: hostile, file: "part" }), 11);
  assert.equal(parsed.types.get("rtsp_browser_bytes_sent_total"), "counter");
  assert.equal(parsed.types.get("rtsp_hls_requests_total"), "counter");
  assert.equal(parsed.value("rtsp_bytes_received_total", { path: hostile }), 20);
  assert.equal(parsed.value("rtsp_rtp_packets_lost_total", { path: "/test" }), 3);
  assert.equal(parsed.value("rtsp_frames_dropped_total", { path: "/test" }), 4);
  assert.equal(parsed.value("rtsp_sessions_opened_total"), 6);
  assert.equal(parsed.value("rtsp_sessions_closed_total", { reason: "teardown" }), 3);
  assert.equal(parsed.value("rtsp_sessions_closed_total", { reason: "timeout" }), 0);
  assert.equal(parsed.value("rtsp_auth_failures_total"), 5);
  assert.equal(parsed.value("rtsp_connections_refused_total", { reason: "max-connections" }), 6);
  assert.equal(parsed.value("process_resident_memory_bytes"), 1234);
  // One line per sample: the newline in the path never starts a line of its own.
  assert.ok(text.split("\n").every((line) => line === "" || /^(# |[a-z_]+[{ ])/.test(line)));
  for (const family of parsed.types.keys()) assert.ok(parsed.help.has(family), family);
});
