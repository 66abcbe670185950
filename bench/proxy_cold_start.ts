/**
 * Cold start of a proxied path: the time from a reader's DESCRIBE on an
 * on-demand path nobody reads (so the upstream session is not open) to the
 * first keyframe it receives, median of 10. The upstream's own start-up
 * (DESCRIBE to first keyframe straight from the camera) is measured the same
 * way, in the same run, so the proxy's share can be told apart.
 *
 *     deno run -A bench/proxy_cold_start.ts [--runs 10]
 *
 * The camera is gst-rtsp-server (`_testing/gst_rtsp_camera.py`: live H.264 +
 * AAC, shared media); the proxy is this server in-process with `--proxy`.
 * Output: a markdown table on stdout, bench/results/proxy_cold_start.json.
 * @module
 */

import { parseArgs } from "node:util";
import { startGstCamera } from "../_testing/gst_camera.ts";
import { RawClient } from "../_testing/raw_client.ts";
import { startTestServer } from "../_testing/server.ts";
import { pullSourceSpec } from "../_engine/pull/pull_sources.ts";
import { parseRtpPacket } from "../_rtsp/rtp/rtp_packet.ts";

/** Bound on one run's wait for a keyframe. */
const KEYFRAME_TIMEOUT_MS = 10_000;
/** Idle time of the proxied path: short, so each run starts cold. */
const CLOSE_AFTER_MS = 200;

/** Whether an H.264 RTP payload starts an IDR picture (RFC 6184, 5.4, 5.7.1, 5.8). */
function startsIdr(payload: Uint8Array): boolean {
  const type = payload[0] & 0x1f;
  if (type === 5) return true;
  if (type === 28) return (payload[1] & 0x80) !== 0 && (payload[1] & 0x1f) === 5;
  if (type === 24) {
    for (let at = 1; at + 2 < payload.length;) {
      const size = (payload[at] << 8) | payload[at + 1];
      if ((payload[at + 2] & 0x1f) === 5) return true;
      at += 2 + size;
    }
  }
  return false;
}

/** DESCRIBE, SETUP of every track over TCP, PLAY; ms from DESCRIBE to the first IDR packet. */
async function describeToKeyframe(port: number, url: string): Promise<number> {
  const c = await RawClient.connect(port);
  try {
    const t0 = performance.now();
    const d = await c.request(`DESCRIBE ${url} RTSP/1.0\r\nCSeq: 1\r\n\r\n`);
    if (d.status !== 200) throw new Error(`DESCRIBE ${url}: ${d.status}`);
    // Each server names its tracks its own way (trackID=0, stream=0): SETUP what the SDP says.
    const base = d.headers.get("content-base") ?? `${url}/`;
    const controls = d.body.split(/\r?\nm=/).slice(1).map((section) =>
      /a=control:(\S+)/.exec(section)?.[1] ?? ""
    );
    let session = "";
    for (const [i, control] of controls.entries()) {
      const trackUrl = /^rtsp:/.test(control) ? control : new URL(control, base).href;
      const r = await c.request(
        `SETUP ${trackUrl} RTSP/1.0\r\nCSeq: ${i + 2}\r\n` +
          `Transport: RTP/AVP/TCP;unicast;interleaved=${2 * i}-${2 * i + 1}\r\n` +
          (session ? `Session: ${session}\r\n` : "") + "\r\n",
      );
      if (r.status !== 200) throw new Error(`SETUP ${trackUrl}: ${r.status}`);
      session = r.headers.get("session")!.split(";")[0];
    }
    const play = await c.request(`PLAY ${url} RTSP/1.0\r\nCSeq: 9\r\nSession: ${session}\r\n\r\n`);
    if (play.status !== 200) throw new Error(`PLAY ${url}: ${play.status}`);
    const deadline = t0 + KEYFRAME_TIMEOUT_MS;
    while (performance.now() < deadline) {
      for (const f of c.frames.splice(0)) {
        if (f.channel !== 0) continue;
        const p = parseRtpPacket(f.payload);
        if (p.ok && startsIdr(p.packet.payload)) return performance.now() - t0;
      }
      await c.collect(1, 100);
    }
    throw new Error(`no keyframe within ${KEYFRAME_TIMEOUT_MS} ms`);
  } finally {
    c.close();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ args: Deno.args, options: { runs: { type: "string" } } });
  const runs = Number(values.runs ?? 10);
  await using camera = await startGstCamera();
  await using proxy = await startTestServer({
    pullSources: [pullSourceSpec({ pattern: "/cam", source: camera.url, idleMs: CLOSE_AFTER_MS })],
  });
  const direct: number[] = [];
  const proxied: number[] = [];
  for (let i = 0; i < runs; i++) {
    // Rounds alternate, so drift in the machine's load hits both alike.
    direct.push(await describeToKeyframe(camera.port, camera.url));
    // Wait until the path has gone idle: the next reader starts it cold.
    const pulled = () => proxy.app.pulls?.get("/cam");
    const idleBy = performance.now() + 5000;
    while (pulled() && pulled()!.state !== "idle" && performance.now() < idleBy) {
      await new Promise((r) => setTimeout(r, 50));
    }
    proxied.push(await describeToKeyframe(proxy.port, proxy.url("/cam")));
    await new Promise((r) => setTimeout(r, CLOSE_AFTER_MS * 2));
  }
  const row = (name: string, xs: number[]) =>
    `| ${name} | ${median(xs).toFixed(0)} | ${Math.min(...xs).toFixed(0)} | ${
      Math.max(...xs).toFixed(0)
    } |`;
  console.log(`| DESCRIBE → first keyframe, ${runs} runs | median ms | min | max |`);
  console.log("|---|---|---|---|");
  console.log(row("gst-rtsp-server camera, direct", direct));
  console.log(row("through the proxy, cold on-demand path", proxied));
  console.log(
    `\nProxy's share (median difference): ${(median(proxied) - median(direct)).toFixed(0)} ms`,
  );
  const out = new URL("./results/proxy_cold_start.json", import.meta.url);
  Deno.writeTextFileSync(
    out,
    JSON.stringify(
      { date: new Date().toISOString(), runs, direct_ms: direct, proxied_ms: proxied },
      null,
      2,
    ) + "\n",
  );
}

if (import.meta.main) await main();
