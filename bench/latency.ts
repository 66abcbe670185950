/**
 * Added latency of the relay: a publisher made here sends RTP packets carrying
 * their send time; a reader made here measures when each arrives. Run with 0
 * and with N other readers (rtspload, built from ../shared/perf) in one run:
 * the difference is what the fan-out adds.
 *
 *     deno run -A bench/latency.ts [--readers 200] [--seconds 8]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { RawClient } from "../_testing/raw_client.ts";
import { startTaskArgs } from "../_testing/main_process.ts";
import { writeInterleavedHeader } from "../_rtsp/interleaved.ts";
import { writeRtpHeader } from "../_rtsp/rtp/rtp_packet.ts";

/** RTP packets per second sent, each its own frame (marker set), about 2 Mbit/s. */
const PACKETS_PER_SECOND = 200;
const PAYLOAD_BYTES = 1250;
const RTSPLOAD_SRC = new URL("../../shared/perf/rtspload.c", import.meta.url).pathname;
const CACHE = new URL("./.cache/", import.meta.url).pathname;

const { values } = parseArgs({
  options: {
    readers: { type: "string", default: "200" },
    seconds: { type: "string", default: "8" },
  },
});
const readers = Number(values.readers);
const seconds = Number(values.seconds);

async function buildRtspload(): Promise<string> {
  await Deno.mkdir(CACHE, { recursive: true });
  const out = `${CACHE}rtspload`;
  const cc = await new Deno.Command("gcc", { args: ["-O2", "-o", out, RTSPLOAD_SRC] }).output();
  if (!cc.success) throw new Error(`cannot build rtspload: ${new TextDecoder().decode(cc.stderr)}`);
  return out;
}

async function startServer(): Promise<{ child: Deno.ChildProcess; port: number }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      // The flags of `deno task start` (deno.json).
      ...(await startTaskArgs()),
      new URL("../main.ts", import.meta.url).pathname,
      "--port",
      "0",
      "--hostname",
      "127.0.0.1",
      "--rtp-ports",
      "0",
    ],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reader = child.stderr.getReader();
  let text = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`server exited: ${text}`);
    text += new TextDecoder().decode(value);
    const m = /listening on rtsp:\/\/[^:]+:(\d+)\//.exec(text);
    if (m) {
      reader.releaseLock();
      child.stderr.cancel().catch(() => {});
      return { child, port: Number(m[1]) };
    }
  }
}

/** Publishes one H.264-labelled track whose packets carry performance.now() at send. */
async function publish(port: number, path: string): Promise<{ stop: () => void }> {
  const c = await RawClient.connect(port);
  const url = `rtsp://127.0.0.1:${port}${path}`;
  const sdp =
    "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=latency\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=control:trackID=0\r\n";
  await c.request(
    `ANNOUNCE ${url} RTSP/1.0\r\nCSeq: 1\r\nContent-Type: application/sdp\r\nContent-Length: ${sdp.length}\r\n\r\n${sdp}`,
  );
  const s = await c.request(
    `SETUP ${url}/trackID=0 RTSP/1.0\r\nCSeq: 2\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1;mode=record\r\n\r\n`,
  );
  const session = s.headers.get("session")!.split(";")[0];
  await c.request(`RECORD ${url} RTSP/1.0\r\nCSeq: 3\r\nSession: ${session}\r\n\r\n`);
  let seq = 0;
  const timer = setInterval(() => {
    const frame = new Uint8Array(4 + 12 + PAYLOAD_BYTES);
    const view = new DataView(frame.buffer);
    const rtpAt = writeInterleavedHeader(frame, 0, 0, 12 + PAYLOAD_BYTES);
    const sequenceNumber = seq++;
    writeRtpHeader(frame, rtpAt, {
      payloadType: 96,
      marker: true, // each packet is a whole frame
      sequenceNumber,
      timestamp: seq * 450,
      ssrc: 0x1234,
    });
    frame[16] = 0x65; // an IDR NAL unit header, so every frame is a keyframe
    view.setFloat64(17, performance.now());
    c.send(frame).catch(() => {});
  }, 1000 / PACKETS_PER_SECOND);
  return { stop: () => (clearInterval(timer), c.close()) };
}

/** Reads for `ms` and returns each packet's latency in ms. */
async function measure(port: number, path: string, ms: number): Promise<number[]> {
  const c = await RawClient.connect(port);
  const url = `rtsp://127.0.0.1:${port}${path}`;
  const s = await c.request(
    `SETUP ${url}/trackID=0 RTSP/1.0\r\nCSeq: 1\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\r\n`,
  );
  const session = s.headers.get("session")!.split(";")[0];
  await c.request(`PLAY ${url} RTSP/1.0\r\nCSeq: 2\r\nSession: ${session}\r\n\r\n`);
  c.frames.length = 0;
  const latencies: number[] = [];
  const end = performance.now() + ms;
  while (performance.now() < end) {
    await c.collect(c.frames.length + 1, end - performance.now());
    const now = performance.now();
    for (const f of c.frames.splice(0)) {
      if (f.channel !== 0 || f.payload.length < 21) continue;
      latencies.push(now - new DataView(f.payload.buffer, f.payload.byteOffset).getFloat64(13));
    }
  }
  c.close();
  return latencies.slice(PACKETS_PER_SECOND / 2); // skip the cached GOP and the first half second
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

function summary(latencies: number[]): string {
  const s = [...latencies].sort((a, b) => a - b);
  return `${s.length} packets: p50 ${percentile(s, 0.5).toFixed(2)} ms, p99 ${
    percentile(s, 0.99).toFixed(2)
  } ms, max ${s.at(-1)!.toFixed(2)} ms`;
}

if (import.meta.main) {
  const rtspload = await buildRtspload();
  const { child, port } = await startServer();
  try {
    const pub = await publish(port, "/latency");
    await new Promise((r) => setTimeout(r, 1000));
    const alone = await measure(port, "/latency", seconds * 1000);
    console.log(`0 other readers:   ${summary(alone)}`);
    const load = new Deno.Command(rtspload, {
      args: [
        "readers",
        "--url",
        `rtsp://127.0.0.1:${port}/latency`,
        "-n",
        String(readers),
        "-t",
        String(seconds + 4),
        "--warmup",
        "1",
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
    await new Promise((r) => setTimeout(r, 3000));
    const loaded = await measure(port, "/latency", seconds * 1000);
    console.log(`${readers} other readers: ${summary(loaded)}`);
    const p50 = (x: number[]) => percentile([...x].sort((a, b) => a - b), 0.5);
    const p99 = (x: number[]) => percentile([...x].sort((a, b) => a - b), 0.99);
    console.log(
      `added by ${readers} readers: p50 ${(p50(loaded) - p50(alone)).toFixed(2)} ms, p99 ${
        (p99(loaded) - p99(alone)).toFixed(2)
      } ms`,
    );
    await load.status;
    pub.stop();
  } finally {
    child.kill("SIGTERM");
    await child.status;
  }
}
