/**
 * Glass-to-glass latency in a browser, read off the picture: `/test` draws an
 * HH:MM:SS:FF clock counted from when the server started its live source
 * (frame i is due at start + i × 40 ms). Headless Chromium plays the stream,
 * and on every frame it presents (`requestVideoFrameCallback`) draws the video
 * to a canvas and reads the clock's pixels; this script decodes the digits
 * with the server's own font and subtracts the frame's due time from the wall
 * time the browser presented it. Both clocks are this machine's.
 *
 *     deno run -A bench/browser_latency.ts [--seconds 10]
 *
 * Modes: MSE over WebSocket (`/play/test`, the player page); LL-HLS played by
 * hls.js 1.x in `lowLatencyMode` (the player most sites use for HLS; fetched
 * from npm into bench/.cache by `npm pack`, for this benchmark only: the
 * server serves no third-party code); and Chromium's native HLS on
 * `/test/index.m3u8`, which ignores the low-latency tags and starts three
 * target durations from the end. Reference in the same run:
 * an RTSP reader over TCP on the same machine (`RtspClient`), whose frames'
 * arrival is compared with their due time the same way (it has no picture to
 * read, so it uses the phase of arrival within a frame period: valid while
 * that latency is under 40 ms, which the table shows).
 *
 * The server runs in this process (so the live source's start time is known
 * exactly: the first reading of the clock it is given); Chromium is its own
 * process. Output: a table on stdout and bench/results/browser_latency_latest.json.
 * @module
 */

import { parseArgs } from "node:util";
import { startTestServer } from "../_testing/server.ts";
import { HeadlessPage, nativeVideoScript } from "../_testing/chromium.ts";
import { SYSTEM_SCHEDULER } from "../_server/system_scheduler.ts";
import type { Scheduler } from "../_rtsp/scheduler.ts";
import { FONT_GAP_COLUMNS, H264TestPattern } from "../_rtsp/media/test_pattern.ts";
import { FONT_HEIGHT, FONT_WIDTH, glyph } from "../_rtsp/media/font.ts";
import { RtspClient } from "../client.ts";
import { Logger } from "../_server/log.ts";

const { values } = parseArgs({ options: { seconds: { type: "string", default: "10" } } });
const SECONDS = Number(values.seconds);
const TIMECODE_CHARS = "00:00:00:00".length;
/** A character whose sampled cells differ from every glyph in more cells than this is unreadable. */
const MAX_CELL_ERRORS = 2;

/** The clock the server is given, which remembers its first reading: frame 0's due time. */
let sourceStartMs: number | undefined;
const recordingScheduler: Scheduler = {
  now() {
    const t = SYSTEM_SCHEDULER.now();
    sourceStartMs ??= t;
    return t;
  },
  after: (ms, fn) => SYSTEM_SCHEDULER.after(ms, fn),
};

// The layout of the default pattern (320×240, 25 fps), as the server draws it.
const pattern = new H264TestPattern();
const { clock, fontScale } = pattern.layout;
const FRAME_MS = 1000 / pattern.fps;
const advance = (FONT_WIDTH + FONT_GAP_COLUMNS) * fontScale;
/** Centres of every font cell of every character, in picture pixels: [x0, y0, x1, y1, ...]. */
const points: number[] = [];
for (let c = 0; c < TIMECODE_CHARS; c++) {
  for (let gy = 0; gy < FONT_HEIGHT; gy++) {
    for (let gx = 0; gx < FONT_WIDTH; gx++) {
      points.push(
        clock.x + c * advance + gx * fontScale + fontScale / 2,
        clock.y + gy * fontScale + fontScale / 2,
      );
    }
  }
}
const CELLS = FONT_WIDTH * FONT_HEIGHT;
const DIGITS = [..."0123456789"].map((d) => ({ d, cells: glyph(d) }));

/** The digit drawn in `bits` (one 0/1 per cell), or undefined when none is close enough. */
function readDigit(bits: string): string | undefined {
  let best: { d: string; errors: number } | undefined;
  for (const { d, cells } of DIGITS) {
    let errors = 0;
    for (let i = 0; i < CELLS; i++) if (Number(bits[i]) !== cells[i]) errors++;
    if (!best || errors < best.errors) best = { d, errors };
  }
  return best && best.errors <= MAX_CELL_ERRORS ? best.d : undefined;
}

/** The frame index shown by a sample's bits, or undefined when unreadable. */
export function frameIndexOf(bits: string): number | undefined {
  const fields: number[] = [];
  for (let field = 0; field < 4; field++) {
    let text = "";
    for (const c of [field * 3, field * 3 + 1]) {
      const digit = readDigit(bits.slice(c * CELLS, (c + 1) * CELLS));
      if (digit === undefined) return undefined;
      text += digit;
    }
    fields.push(Number(text));
  }
  const [h, m, s, ff] = fields;
  return ((h * 60 + m) * 60 + s) * pattern.fps + ff;
}

/** Installs the per-frame sampler on the page's first <video>. */
function samplerScript(selector: string): string {
  return `(() => {
    const video = document.querySelector(${JSON.stringify(selector)});
    if (!video) return false;
    const points = ${JSON.stringify(points)};
    const canvas = document.createElement("canvas");
    const context = canvas.getContext("2d", { willReadFrequently: true });
    window.__samples = [];
    const step = (now) => {
      if (video.videoWidth > 0) {
        canvas.width = video.videoWidth;
        canvas.height = video.videoHeight;
        context.drawImage(video, 0, 0);
        const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
        let bits = "";
        for (let i = 0; i < points.length; i += 2) {
          const o = (Math.floor(points[i + 1]) * canvas.width + Math.floor(points[i])) * 4;
          bits += (data[o] + data[o + 1] + data[o + 2]) / 3 > 128 ? "1" : "0";
        }
        window.__samples.push({ wall: performance.timeOrigin + now, bits });
      }
      video.requestVideoFrameCallback(step);
    };
    video.requestVideoFrameCallback(step);
    return true;
  })()`;
}

interface Figures {
  readonly samples: number;
  readonly unreadable: number;
  readonly p50: number;
  readonly p90: number;
  readonly min: number;
  readonly max: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function figures(latencies: number[], unreadable: number): Figures {
  const sorted = [...latencies].sort((a, b) => a - b);
  const round = (v: number) => Math.round(v);
  return {
    samples: sorted.length,
    unreadable,
    p50: round(percentile(sorted, 50)),
    p90: round(percentile(sorted, 90)),
    min: round(sorted[0]),
    max: round(sorted[sorted.length - 1]),
  };
}

/** Samples a playing page for SECONDS and turns them into latencies. */
async function measurePage(page: HeadlessPage, selector: string): Promise<Figures> {
  if (!(await page.evaluate<boolean>(samplerScript(selector)))) {
    throw new Error(`no ${selector} on the page`);
  }
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const samples = await page.evaluate<Array<{ wall: number; bits: string }>>("window.__samples");
  const latencies: number[] = [];
  let unreadable = 0;
  for (const { wall, bits } of samples) {
    const index = frameIndexOf(bits);
    if (index === undefined) unreadable++;
    else latencies.push(wall - (sourceStartMs! + index * FRAME_MS));
  }
  if (latencies.length === 0) throw new Error(`no readable frame in ${samples.length} samples`);
  return figures(latencies, unreadable);
}

async function measureMse(page: HeadlessPage, base: string): Promise<Figures> {
  await page.goto(`${base}play/test`);
  const playing = await page.waitFor(
    "(document.querySelector('video')?.currentTime ?? 0) > 2",
    15_000,
  );
  if (!playing) throw new Error("MSE: the player did not play 2 s");
  return await measurePage(page, "video");
}

async function measureHls(page: HeadlessPage, base: string): Promise<Figures> {
  // Chromium's native HLS sometimes fails a load (see hls_test.ts): up to 3 tries.
  for (let attempt = 0; attempt < 3; attempt++) {
    await page.goto(`${base}v1/paths?hls=${attempt}`);
    await page.waitFor("document.readyState === 'complete'");
    await page.evaluate(nativeVideoScript("/test/index.m3u8"));
    const playing = await page.waitFor(
      "document.getElementById('v').currentTime > 2 || document.getElementById('v').error",
      20_000,
    );
    const failed = await page.evaluate<boolean>("document.getElementById('v').error !== null");
    if (playing && !failed) return await measurePage(page, "#v");
    console.error(`LL-HLS: load ${attempt + 1} did not play; again`);
  }
  throw new Error("LL-HLS: Chromium did not play in 3 loads");
}

const HLS_JS_VERSION = "1.7.4";
const CACHE = new URL("./.cache/", import.meta.url).pathname;

/** hls.js's browser build, fetched once with `npm pack` into bench/.cache. */
async function hlsJsSource(): Promise<string> {
  const file = `${CACHE}hls.js-${HLS_JS_VERSION}/package/dist/hls.min.js`;
  try {
    return await Deno.readTextFile(file);
  } catch {
    const dir = `${CACHE}hls.js-${HLS_JS_VERSION}`;
    await Deno.mkdir(dir, { recursive: true });
    const pack = await new Deno.Command("npm", {
      args: ["pack", `hls.js@${HLS_JS_VERSION}`, "--pack-destination", dir],
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!pack.success) throw new Error(`npm pack hls.js: ${new TextDecoder().decode(pack.stderr)}`);
    const untar = await new Deno.Command("tar", {
      args: ["xzf", `${dir}/hls.js-${HLS_JS_VERSION}.tgz`, "-C", dir],
    }).output();
    if (!untar.success) throw new Error("cannot unpack hls.js");
    return await Deno.readTextFile(file);
  }
}

async function measureHlsJs(page: HeadlessPage, base: string): Promise<Figures> {
  const source = await hlsJsSource();
  await page.goto(`${base}v1/paths?hlsjs`);
  await page.waitFor("document.readyState === 'complete'");
  await page.evaluate(`${source}\n;true`);
  await page.evaluate(`(() => {
    const video = document.createElement("video");
    video.id = "v";
    video.muted = true;
    video.autoplay = true;
    document.body.append(video);
    const hls = new Hls({ lowLatencyMode: true });
    hls.loadSource("/test/index.m3u8");
    hls.attachMedia(video);
    return true;
  })()`);
  if (!(await page.waitFor("document.getElementById('v').currentTime > 2", 20_000))) {
    throw new Error("hls.js did not play 2 s");
  }
  return await measurePage(page, "#v");
}

/** An RTSP reader over TCP: arrival of each video frame against its due time (phase within a period). */
async function measureRtsp(url: string): Promise<Figures> {
  const client = await RtspClient.connect(url, { transport: "tcp" });
  const latencies: number[] = [];
  client.onFrame = (frame) => {
    if (frame.track !== 0) return;
    const sinceStart = Date.now() - sourceStartMs!;
    latencies.push(sinceStart - Math.floor(sinceStart / FRAME_MS) * FRAME_MS);
  };
  await client.play();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  await client.close();
  return figures(latencies.slice(pattern.fps), 0); // the first second is the GOP cache's burst
}

const log = new Logger("warn", () => {});
await using server = await startTestServer({ http: true, scheduler: recordingScheduler, log });
if (sourceStartMs === undefined) throw new Error("the server never read its clock");
const base = server.httpUrl("/");
const rtsp = await measureRtsp(server.url("/test"));
let mse: Figures;
let hls: Figures;
let hlsJs: Figures;
{
  await using page = await HeadlessPage.launch();
  hlsJs = await measureHlsJs(page, base);
}
{
  await using page = await HeadlessPage.launch();
  mse = await measureMse(page, base);
}
{
  await using page = await HeadlessPage.launch();
  hls = await measureHls(page, base);
}

const rows: Array<[string, Figures]> = [
  ["RTSP over TCP (reference)", rtsp],
  ["MSE over WebSocket (/play/test)", mse],
  ["LL-HLS, hls.js lowLatencyMode", hlsJs],
  ["HLS, Chromium native (ignores the LL tags)", hls],
];
console.log(`Latency from a frame's due time to its presentation, ${SECONDS} s per mode (ms)\n`);
console.log("| reader | p50 | p90 | min | max | frames read | unreadable |");
console.log("|---|---|---|---|---|---|---|");
for (const [name, f] of rows) {
  console.log(
    `| ${name} | ${f.p50} | ${f.p90} | ${f.min} | ${f.max} | ${f.samples} | ${f.unreadable} |`,
  );
}
const result = {
  date: new Date().toISOString(),
  seconds: SECONDS,
  rtsp,
  mse,
  hlsJs,
  hlsNative: hls,
  goals: { mseP50BelowMs: 500, hlsP50BelowMs: 2000 },
};
await Deno.mkdir(new URL("./results/", import.meta.url), { recursive: true });
await Deno.writeTextFile(
  new URL("./results/browser_latency_latest.json", import.meta.url),
  JSON.stringify(result, null, 2) + "\n",
);
