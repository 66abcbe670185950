/**
 * Real RTSP clients driven from tests: ffmpeg, ffprobe and gst-launch-1.0.
 */

import { run } from "./tools.ts";

/** What ffmpeg decoded from a URL. */
export interface FfmpegResult {
  readonly code: number;
  /** Output video frames (from `-progress`). */
  readonly frames: number;
  /** Seconds of output (from `-progress`). */
  readonly seconds: number;
  /** What ffmpeg printed at `-v error`: empty when nothing went wrong. */
  readonly errors: string;
}

/**
 * Decodes `seconds` of a URL with `ffmpeg -v error -i URL -t S -f null -`.
 * @param inputArgs e.g. ["-rtsp_transport", "tcp"]
 */
export async function ffmpegDecode(
  url: string,
  seconds: number,
  inputArgs: string[] = [],
): Promise<FfmpegResult> {
  const out = await run("ffmpeg", [
    "-hide_banner",
    "-nostdin",
    "-v",
    "error",
    ...inputArgs,
    "-i",
    url,
    "-t",
    String(seconds),
    "-f",
    "null",
    "-",
    "-progress",
    "pipe:1",
  ], { timeoutMs: (seconds + 20) * 1000 });
  const progress = new TextDecoder().decode(out.stdout);
  const frames = [...progress.matchAll(/^frame=(\d+)/gm)].map((m) => Number(m[1]));
  const times = [...progress.matchAll(/^out_time_us=(\d+)/gm)].map((m) => Number(m[1]));
  return {
    code: out.code,
    frames: frames.at(-1) ?? 0,
    seconds: (times.at(-1) ?? 0) / 1e6,
    errors: out.stderr.trim(),
  };
}

/** What ffprobe reports of a URL's streams. */
export interface ProbedStream {
  readonly codec_name: string;
  readonly codec_type: string;
  readonly width?: number;
  readonly height?: number;
  readonly sample_rate?: string;
  readonly r_frame_rate?: string;
}

/** `ffprobe -show_streams -of json URL`. */
export async function ffprobeStreams(
  url: string,
  inputArgs: string[] = [],
): Promise<ProbedStream[]> {
  const out = await run("ffprobe", [
    "-v",
    "error",
    ...inputArgs,
    "-show_streams",
    "-of",
    "json",
    url,
  ], { timeoutMs: 30_000 });
  if (out.code !== 0) throw new Error(`ffprobe failed: ${out.stderr}`);
  return JSON.parse(new TextDecoder().decode(out.stdout)).streams;
}

/** What a GStreamer pipeline did. */
export interface GstResult {
  readonly code: number;
  /** Buffers that reached the fakesink (`chain` messages). */
  readonly buffers: number;
  /** Lines mentioning ERROR or WARNING. */
  readonly problems: string[];
}

/** How a GStreamer reader asks rtspsrc to carry the media. */
export interface GstPlayOptions {
  readonly protocol: "tcp" | "udp";
  readonly user?: string;
  readonly password?: string;
}

/**
 * gst-launch arguments that play every track of an RTSP URL into fakesinks
 * through `playbin` (which drives rtspsrc). Linking rtspsrc's pads in the
 * gst-launch syntax (`src. ! caps ! decodebin`) races: rtspsrc adds its pads
 * from one streaming thread per track, gst-launch's delayed linking is not
 * safe against that, and about one run in ten ends with "Delayed linking
 * failed" whatever the server sent (seen with GST_DEBUG=GST_PIPELINE:6: two
 * threads trying the same link at once). playbin links its pads itself.
 * The transport goes in the URL scheme: rtspsrc reads `rtspt://` as TCP
 * only and `rtspu://` as UDP only; credentials go in the URL's user part.
 */
export function gstPlayPipeline(location: string, options: GstPlayOptions): string[] {
  const url = new URL(location);
  const scheme = options.protocol === "tcp" ? "rtspt:" : "rtspu:";
  const user = options.user === undefined
    ? ""
    : `${encodeURIComponent(options.user)}:${encodeURIComponent(options.password ?? "")}@`;
  const uri = `${scheme}//${user}${url.host}${url.pathname}${url.search}`;
  const sink = "fakesink silent=false";
  return ["playbin", `uri=${uri}`, `video-sink=${sink}`, `audio-sink=${sink}`];
}

/**
 * Runs `gst-launch-1.0 -e -v PIPELINE` for `seconds`, then interrupts it (EOS)
 * and counts the buffers its fakesink saw.
 */
export async function gstRun(
  pipeline: string | readonly string[],
  seconds: number,
): Promise<GstResult> {
  const words = typeof pipeline === "string" ? pipeline.split(" ") : pipeline;
  const child = new Deno.Command("gst-launch-1.0", {
    args: ["-e", "-v", ...words],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output = child.output();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  try {
    child.kill("SIGINT");
  } catch { /* ended by itself */ }
  const killer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, 5000);
  const out = await output;
  clearTimeout(killer);
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  return {
    code: out.code,
    buffers: [...text.matchAll(/last-message = chain/g)].length,
    problems: text.split("\n").filter((l) => /ERROR|WARNING/.test(l)),
  };
}
