/**
 * Added latency of the relay: a publisher made here sends RTP packets carrying
 * their send time; a reader made here measures when each arrives. Run with 0
 * and with N other readers (rtspload, built from ../shared/perf) in one run:
 * the difference is what the fan-out adds.
 *
 *     deno run -A bench/latency.ts [--readers 200] [--seconds 8] [--audio]
 *
 * With `--audio` the stream is shaped like an IP camera's instead: 25 video
 * frames a second (8 packets each, about 2 Mbit/s) and an AAC-labelled audio
 * track of 47 packets a second, one frame each (as gst-rtsp-server sends it),
 * and the latency of each track is reported apart: TCP readers get audio with
 * the next picture (see `_engine/broadcast.ts`), which this measures.
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
/** With --audio: pictures per second, packets per picture, audio packets per second (AAC at 48 kHz). */
const CAMERA_FPS = 25;
const PACKETS_PER_PICTURE = 8;
const AUDIO_PACKETS_PER_SECOND = 47;
const AUDIO_PAYLOAD_BYTES = 300;
const RTSPLOAD_SRC = new URL("../../shared/perf/rtspload.c", import.meta.url).pathname;
const CACHE = new URL("./.cache/", import.meta.url).pathname;

const { values } = parseArgs({
  options: {
    readers: { type: "string", default: "200" },
    seconds: { type: "string", default: "8" },
    audio: { type: "boolean", default: false },
  },
});
const withAudio = values.audio;
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

/** An interleaved RTP packet on `channel` whose payload carries performance.now() at send. */
function stampedPacket(
  channel: number,
  payloadType: number,
  marker: boolean,
  sequenceNumber: number,
  timestamp: number,
  ssrc: number,
  payloadBytes: number,
): Uint8Array {
  const frame = new Uint8Array(4 + 12 + payloadBytes);
  const rtpAt = writeInterleavedHeader(frame, 0, channel, 12 + payloadBytes);
  writeRtpHeader(frame, rtpAt, { payloadType, marker, sequenceNumber, timestamp, ssrc });
  frame[16] = 0x65; // an IDR NAL unit header, so every video frame is a keyframe
  new DataView(frame.buffer).setFloat64(17, performance.now());
  return frame;
}

/**
 * Publishes one H.264-labelled track whose packets carry performance.now() at
 * send (each packet a frame, 200 a second); with --audio, pictures of 8
 * packets at 25 fps and an audio track (see the module doc).
 */
async function publish(port: number, path: string): Promise<{ stop: () => void }> {
  const c = await RawClient.connect(port);
  const url = `rtsp://127.0.0.1:${port}${path}`;
  const sdp =
    "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=latency\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=control:trackID=0\r\n" +
    (withAudio
      ? "m=audio 0 RTP/AVP 97\r\na=rtpmap:97 MPEG4-GENERIC/48000/2\r\n" +
        "a=fmtp:97 streamtype=5;mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3\r\n" +
        "a=control:trackID=1\r\n"
      : "");
  await c.request(
    `ANNOUNCE ${url} RTSP/1.0\r\nCSeq: 1\r\nContent-Type: application/sdp\r\nContent-Length: ${sdp.length}\r\n\r\n${sdp}`,
  );
  const s = await c.request(
    `SETUP ${url}/trackID=0 RTSP/1.0\r\nCSeq: 2\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1;mode=record\r\n\r\n`,
  );
  const session = s.headers.get("session")!.split(";")[0];
  if (withAudio) {
    await c.request(
      `SETUP ${url}/trackID=1 RTSP/1.0\r\nCSeq: 3\r\nSession: ${session}\r\nTransport: RTP/AVP/TCP;unicast;interleaved=2-3;mode=record\r\n\r\n`,
    );
  }
  await c.request(`RECORD ${url} RTSP/1.0\r\nCSeq: 4\r\nSession: ${session}\r\n\r\n`);
  let seq = 0;
  if (!withAudio) {
    const timer = setInterval(() => {
      const sequenceNumber = seq++;
      c.send(stampedPacket(0, 96, true, sequenceNumber, seq * 450, 0x1234, PAYLOAD_BYTES))
        .catch(() => {});
    }, 1000 / PACKETS_PER_SECOND);
    return { stop: () => (clearInterval(timer), c.close()) };
  }
  let picture = 0;
  const video = setInterval(() => {
    const timestamp = picture++ * (90_000 / CAMERA_FPS);
    const packets = Array.from(
      { length: PACKETS_PER_PICTURE },
      (_, i) =>
        stampedPacket(
          0,
          96,
          i === PACKETS_PER_PICTURE - 1,
          seq++ & 0xffff,
          timestamp,
          0x1234,
          PAYLOAD_BYTES,
        ),
    );
    for (const p of packets) c.send(p).catch(() => {});
  }, 1000 / CAMERA_FPS);
  let audioSeq = 0;
  const audio = setInterval(() => {
    const sequenceNumber = audioSeq++ & 0xffff;
    c.send(
      stampedPacket(
        2,
        97,
        true,
        sequenceNumber,
        sequenceNumber * 1024,
        0x5678,
        AUDIO_PAYLOAD_BYTES,
      ),
    )
      .catch(() => {});
  }, 1000 / AUDIO_PACKETS_PER_SECOND);
  return { stop: () => (clearInterval(video), clearInterval(audio), c.close()) };
}

/** Reads for `ms` and returns each packet's latency in ms, per track (audio empty without --audio). */
async function measure(
  port: number,
  path: string,
  ms: number,
): Promise<{ video: number[]; audio: number[] }> {
  const c = await RawClient.connect(port);
  const url = `rtsp://127.0.0.1:${port}${path}`;
  const s = await c.request(
    `SETUP ${url}/trackID=0 RTSP/1.0\r\nCSeq: 1\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\r\n`,
  );
  const session = s.headers.get("session")!.split(";")[0];
  if (withAudio) {
    await c.request(
      `SETUP ${url}/trackID=1 RTSP/1.0\r\nCSeq: 2\r\nSession: ${session}\r\nTransport: RTP/AVP/TCP;unicast;interleaved=2-3\r\n\r\n`,
    );
  }
  await c.request(`PLAY ${url} RTSP/1.0\r\nCSeq: 3\r\nSession: ${session}\r\n\r\n`);
  c.frames.length = 0;
  const video: number[] = [];
  const audio: number[] = [];
  const start = performance.now();
  const end = start + ms;
  while (performance.now() < end) {
    await c.collect(c.frames.length + 1, end - performance.now());
    const now = performance.now();
    for (const f of c.frames.splice(0)) {
      if ((f.channel !== 0 && f.channel !== 2) || f.payload.length < 21) continue;
      // Skip the cached GOP and the first half second.
      if (now - start < 500) continue;
      const sent = new DataView(f.payload.buffer, f.payload.byteOffset).getFloat64(13);
      (f.channel === 0 ? video : audio).push(now - sent);
    }
  }
  c.close();
  return { video, audio };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

/** Each track's summary (the video track's alone without --audio). */
function report(latencies: { video: number[]; audio: number[] }): string {
  if (!withAudio) return summary(latencies.video);
  return `video ${summary(latencies.video)}; audio ${summary(latencies.audio)}`;
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
    console.log(`0 other readers:   ${report(alone)}`);
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
    console.log(`${readers} other readers: ${report(loaded)}`);
    const p50 = (x: number[]) => percentile([...x].sort((a, b) => a - b), 0.5);
    const p99 = (x: number[]) => percentile([...x].sort((a, b) => a - b), 0.99);
    for (const track of withAudio ? ["video", "audio"] as const : ["video"] as const) {
      console.log(
        `${withAudio ? `${track}: ` : ""}added by ${readers} readers: p50 ${
          (p50(loaded[track]) - p50(alone[track])).toFixed(2)
        } ms, p99 ${(p99(loaded[track]) - p99(alone[track])).toFixed(2)} ms`,
      );
    }
    await load.status;
    pub.stop();
  } finally {
    child.kill("SIGTERM");
    await child.status;
  }
}
