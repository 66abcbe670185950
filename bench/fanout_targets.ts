/**
 * What `fanout.ts` measures: the benchmark clip, the two servers (ours and
 * the C copy-only relay floor.c) and the ffmpeg stream sources feeding them.
 * @module
 */

import { type Child, exists, freeTcpPort, runToEnd, spawnChild } from "./fanout_proc.ts";

/** Length of the clip; sources loop it, so it only needs a few GOPs. */
const CLIP_SECONDS = 30;
/** Video bit rate, CBR: with 128 kbit/s AAC and RTP overhead about 2 Mbit/s on the wire. */
const CLIP_VIDEO_KBPS = 1870;
/** Keyframe every 2 s at 25 fps, as ../shared/perf/make_media.sh (the reference figures' clip). */
const CLIP_GOP_FRAMES = 50;
/** Bound on encoding the clip (2 cores, veryfast preset: ~10-20 s). */
const CLIP_ENCODE_TIMEOUT_MS = 180_000;
/** Time a server gets to print its listening line. */
const SERVER_START_TIMEOUT_MS = 15_000;
/** Time a stream source gets until its stream answers DESCRIBE. */
const STREAM_READY_TIMEOUT_MS = 20_000;
/** Time between DESCRIBE probes while waiting for a stream. */
const PROBE_INTERVAL_MS = 300;
/** Bound on one rtspload probe. */
const PROBE_TIMEOUT_MS = 5_000;
/** floor.c has no readiness signal for its RTP input: give ffmpeg this long to start sending. */
const FLOOR_FEED_SETTLE_MS = 1_500;
/** Attempts at finding free ports for floor.c (it picks nothing itself). */
const FLOOR_PORT_ATTEMPTS = 3;

/**
 * Makes the ~2 Mbit/s H.264 + AAC clip (same recipe as the reference clip:
 * 960x540 25 fps with noise so the encoder stays at its CBR target, Main
 * profile without B-frames, AAC-LC 48 kHz stereo 128 kbit/s). Kept once made.
 * @returns an error message, or undefined when `path` is ready
 */
export async function makeClip(path: string): Promise<string | undefined> {
  if (exists(path)) return undefined;
  const tmp = `${path}.tmp.mp4`;
  const s = CLIP_SECONDS;
  const kbps = `${CLIP_VIDEO_KBPS}k`;
  const ff = await runToEnd("ffmpeg", [
    ...["-hide_banner", "-loglevel", "error", "-nostdin", "-y"],
    ...["-f", "lavfi", "-i", `testsrc2=size=960x540:rate=25:duration=${s},noise=alls=12:allf=t`],
    ...["-f", "lavfi", "-i", `aevalsrc=0.25*sin(2*PI*440*t)|0.25*sin(2*PI*660*t):s=48000:d=${s}`],
    ...["-c:v", "libx264", "-preset", "veryfast", "-profile:v", "main", "-bf", "0"],
    ...["-g", `${CLIP_GOP_FRAMES}`, "-keyint_min", `${CLIP_GOP_FRAMES}`, "-sc_threshold", "0"],
    ...["-b:v", kbps, "-minrate", kbps, "-maxrate", kbps, "-bufsize", kbps],
    ...["-x264-params", "nal-hrd=cbr", "-pix_fmt", "yuv420p"],
    ...["-c:a", "aac", "-b:a", "128k", "-ar", "48000", "-ac", "2"],
    ...["-movflags", "+faststart", "-shortest", tmp],
  ], CLIP_ENCODE_TIMEOUT_MS);
  if (!ff.ok) return `ffmpeg could not make the clip: ${ff.output.trim()}`;
  Deno.renameSync(tmp, path);
  return undefined;
}

/** A running server under test. */
export interface Server {
  readonly child: Child;
  readonly port: number;
}

/**
 * Starts `cmd` and resolves once a line matches `ready` (its first group is
 * the port, or `port` is used). Rejects with the server's output if it exits first.
 */
async function startServer(
  cmd: string,
  args: string[],
  ready: RegExp,
  maxMs: number,
  cwd?: string,
  port?: number,
): Promise<Server> {
  const seen = Promise.withResolvers<number>();
  const child = spawnChild(cmd, args, maxMs, (line) => {
    const m = line.match(ready);
    if (m) seen.resolve(port ?? Number(m[1]));
  }, cwd);
  child.exited.then((code) =>
    seen.reject(new Error(`${cmd} exited (${code}):\n${child.log.slice(-20).join("\n")}`))
  );
  const timer = setTimeout(
    () => seen.reject(new Error(`${cmd} printed no ready line in ${SERVER_START_TIMEOUT_MS} ms`)),
    SERVER_START_TIMEOUT_MS,
  );
  try {
    return { child, port: await seen.promise };
  } catch (e) {
    await child.stop();
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

/** Our server: its RTSP port, and the HTTP port of `/ws/<path>`. */
export interface OurServer extends Server {
  readonly httpPort: number;
}

/**
 * Starts our server (`main.ts`) on free ports of 127.0.0.1, serving the
 * files of `root` in a loop. UDP and HTTP use OS-chosen ports so parallel
 * runs on the machine cannot collide (HTTP's default, 8888, may be taken).
 */
export async function startOurs(
  repoDir: string,
  root: string,
  maxMs: number,
  extraArgs: string[] = [],
): Promise<OurServer> {
  const server = await startServer(
    Deno.execPath(),
    [
      // The flags of `deno task start`.
      ...["run", "--allow-net", "--allow-read", "--allow-ffi", "--unstable-net"],
      ...["--v8-flags=--max-semi-space-size=4", "main.ts"],
      ...["--port", "0", "--hostname", "127.0.0.1", "--rtp-ports", "0", "--http-port", "0"],
      // "listening on" is an info line; per-session info lines are few (one per TEARDOWN).
      ...["--root", root, "--loop", "--log-level", "info"],
      ...extraArgs,
    ],
    // main.ts logs the HTTP listener's line after the RTSP one, both on stderr.
    /listening on http:\/\/[^/]+:(\d+)\//,
    maxMs,
    repoDir,
  );
  const rtsp = server.child.log.map((line) => line.match(/listening on rtsp:\/\/[^/]+:(\d+)\//))
    .find((m) => m);
  if (!rtsp) {
    await server.child.stop();
    throw new Error(`our server logged no RTSP port:\n${server.child.log.join("\n")}`);
  }
  return { child: server.child, port: Number(rtsp[1]), httpPort: server.port };
}

/** floor.c plus the ffmpeg feed sending it the clip as plain RTP. */
export interface Floor extends Server {
  readonly feed: Child;
}

/**
 * Starts floor.c and feeds it the clip the way its header describes: ffmpeg
 * `-f rtp`, video to PORT and audio to PORT+2 (RTCP on +1/+3).
 */
export async function startFloor(floorBin: string, clip: string, maxMs: number): Promise<Floor> {
  let lastError: unknown;
  for (let attempt = 0; attempt < FLOOR_PORT_ATTEMPTS; attempt++) {
    const port = freeTcpPort();
    // floor.c binds rtp-in..rtp-in+3; an even base keeps RTP/RTCP pairs conventional.
    const rtpIn = freeTcpPort() & ~1;
    let server: Server;
    try {
      server = await startServer(
        floorBin,
        [
          "--listen",
          `${port}`,
          "--rtp-in",
          `${rtpIn}`,
          "--max-seconds",
          `${Math.ceil(maxMs / 1000)}`,
        ],
        /floor: listening/,
        maxMs,
        undefined,
        port,
      );
    } catch (e) {
      lastError = e; // most likely a port taken between the probe and the bind
      continue;
    }
    const rtp = (p: number) => `rtp://127.0.0.1:${p}`;
    const feed = spawnChild("ffmpeg", [
      ...[
        "-hide_banner",
        "-loglevel",
        "error",
        "-nostdin",
        "-re",
        "-stream_loop",
        "-1",
        "-i",
        clip,
      ],
      ...["-map", "0:v", "-c", "copy", "-f", "rtp", rtp(rtpIn)],
      ...["-map", "0:a", "-c", "copy", "-f", "rtp", rtp(rtpIn + 2)],
    ], maxMs);
    await new Promise((r) => setTimeout(r, FLOOR_FEED_SETTLE_MS));
    if (!feed.running()) {
      await server.child.stop();
      throw new Error(`ffmpeg RTP feed exited: ${feed.log.join("\n")}`);
    }
    return { ...server, feed };
  }
  throw lastError;
}

/**
 * Waits until `url` answers DESCRIBE with at least one track (rtspload probe).
 * @returns false on timeout or when `source` (if given) exits first
 */
export async function waitForStream(
  rtspload: string,
  url: string,
  source?: Child,
): Promise<boolean> {
  const deadline = performance.now() + STREAM_READY_TIMEOUT_MS;
  while (performance.now() < deadline) {
    if (source && !source.running()) return false;
    if ((await runToEnd(rtspload, ["probe", "--url", url], PROBE_TIMEOUT_MS)).ok) return true;
    await new Promise((r) => setTimeout(r, PROBE_INTERVAL_MS));
  }
  return false;
}

/**
 * Publishes the clip to `url` with ANNOUNCE/RECORD over TCP (ffmpeg `-f rtsp`)
 * and waits until readers can DESCRIBE it.
 * @throws with a clear message when the server refuses publishing (405) or never serves it
 */
export async function startPublisher(
  rtspload: string,
  clip: string,
  url: string,
  maxMs: number,
): Promise<Child> {
  const publisher = spawnChild("ffmpeg", [
    ...["-hide_banner", "-loglevel", "error", "-nostdin", "-re", "-stream_loop", "-1", "-i", clip],
    ...["-c", "copy", "-f", "rtsp", "-rtsp_transport", "tcp", url],
  ], maxMs);
  if (await waitForStream(rtspload, url, publisher)) return publisher;
  await publisher.stop("SIGINT");
  const said = publisher.log.join("\n").trim();
  if (/\b405\b|Method Not Allowed/i.test(said)) {
    throw new Error(
      `the server refused ANNOUNCE/RECORD (405 Method Not Allowed): publishing is not ` +
        `implemented yet; run without --publish.\nffmpeg said: ${said}`,
    );
  }
  throw new Error(`publishing to ${url} did not give a readable stream; ffmpeg said: ${said}`);
}

/** gst-rtsp-server serving the clip from one shared pipeline, and the ffmpeg feed it relays. */
export interface GstUpstream extends Server {
  readonly feed: Child;
  readonly url: string;
}

/** Time ffmpeg gets to write the SDP of its RTP feed. */
const SDP_WAIT_MS = 10_000;

/**
 * Starts gst-rtsp-server with a shared media factory (`../shared/perf/anchors/gst_server.py`)
 * as the upstream camera of a proxied path: ffmpeg sends the clip to it as plain RTP
 * (video to PORT, audio to PORT+2) and writes the SDP it reads its caps from.
 */
export async function startGstUpstream(
  gstScript: string,
  clip: string,
  workDir: string,
  maxMs: number,
): Promise<GstUpstream> {
  const port = freeTcpPort();
  const rtpIn = freeTcpPort() & ~1;
  const sdp = `${workDir}/gst_feed_${rtpIn}.sdp`;
  try {
    Deno.removeSync(sdp);
  } catch { /* not there */ }
  const rtp = (p: number) => `rtp://127.0.0.1:${p}`;
  const feed = spawnChild("ffmpeg", [
    ...["-hide_banner", "-loglevel", "error", "-nostdin", "-re", "-stream_loop", "-1", "-i", clip],
    ...["-map", "0:v", "-c", "copy", "-f", "rtp", rtp(rtpIn)],
    ...["-map", "0:a", "-c", "copy", "-f", "rtp", rtp(rtpIn + 2)],
    ...["-sdp_file", sdp],
  ], maxMs);
  const deadline = performance.now() + SDP_WAIT_MS;
  while (!exists(sdp) || Deno.readTextFileSync(sdp).split("m=").length < 3) {
    if (performance.now() > deadline || !feed.running()) {
      await feed.stop("SIGINT");
      throw new Error(`ffmpeg wrote no SDP for the gst feed: ${feed.log.join("\n")}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  let gst: Server;
  try {
    gst = await startServer(
      "/usr/bin/python3",
      [gstScript, "--port", `${port}`, "--path", "/bench", "--sdp", sdp, "--rtp-in", `${rtpIn}`],
      /gst-rtsp-server on rtsp:/,
      maxMs,
      undefined,
      port,
    );
  } catch (e) {
    await feed.stop("SIGINT");
    throw e;
  }
  return { ...gst, feed, url: `rtsp://127.0.0.1:${port}/bench` };
}

/** Time a pinned WebSocket reader gets to receive its init segment and a fragment. */
const WS_READY_TIMEOUT_MS = 20_000;

/**
 * Starts one `ws_readers.ts` reader of `url` that reads until stopped, and
 * waits until it has its init segment and a fragment. It keeps the path's
 * fMP4 muxer attached between steps (the muxer runs while a reader holds it),
 * so a series' N = 0 step already pays the shared muxing and the slope is
 * the cost of each added reader alone.
 */
export async function startPinnedWsReader(
  script: string,
  url: string,
  maxMs: number,
): Promise<Child> {
  const ready = Promise.withResolvers<void>();
  const child = spawnChild(
    Deno.execPath(),
    ["run", "-A", script, "--url", url, "-n", "1", "-t", `${Math.ceil(maxMs / 1000)}`],
    maxMs,
    (line) => {
      if (/^ready: 1\/1 /.test(line)) ready.resolve();
    },
  );
  child.exited.then((code) =>
    ready.reject(new Error(`pinned WebSocket reader exited (${code}): ${child.log.join(" | ")}`))
  );
  const timer = setTimeout(
    () => ready.reject(new Error(`pinned WebSocket reader not ready in ${WS_READY_TIMEOUT_MS} ms`)),
    WS_READY_TIMEOUT_MS,
  );
  try {
    await ready.promise;
    return child;
  } catch (e) {
    await child.stop();
    throw e;
  } finally {
    clearTimeout(timer);
  }
}
