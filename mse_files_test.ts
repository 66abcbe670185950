/**
 * Files under `--root` in the browser: `/ws/<file>` plays the file as
 * fragmented MP4 from its start for each socket, paced in real time, and
 * closes with 1000 at its end (or plays on with `--loop`). Deno's WebSocket
 * client reads it; ffmpeg decodes what came and compares it with the file.
 */

import assert from "node:assert/strict";
import { startTestServer } from "./_testing/server.ts";
import { authConfig } from "./_testing/auth.ts";
import { rawHttp } from "./_testing/http.ts";
import { run, toolTest } from "./_testing/tools.ts";
import { MEDIA_NEEDS, testMedia } from "./_testing/media.ts";
import {
  baseDecodeTimes,
  binaryOf,
  boxType,
  handshake,
  readWebSocket,
  type Received,
} from "./_testing/websocket.ts";
import { concatBytes } from "./_rtsp/bytes.ts";
import { NO_BROWSER_TRACK, UNPLAYABLE_FILE } from "./_server/http/browser_stream.ts";
import { MAX_BUFFERED_BYTES } from "./_engine/fmp4_send_gate.ts";
import { DEFAULT_ABUSE_LIMITS } from "./_server/abuse_limits.ts";
import { Logger } from "./_server/log.ts";

const NEEDS = [...MEDIA_NEEDS, "ffprobe"];
const FPS = 25;

let ownMedia: Promise<string> | undefined;

/**
 * Media only these tests need, in a root of their own: a one-second clip
 * (for `--loop`), four seconds of lossless noise (~9 MB/s, to fill a socket
 * that is never read quickly) and an MP4 whose only track is ALAC.
 */
function ownRoot(): Promise<string> {
  ownMedia ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "rtsp_ts_mse_files_" });
    const jobs = [
      [
        ...["-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-t", "1"],
        ...["-c:v", "libx264", "-profile:v", "baseline", "-g", "25", "-pix_fmt", "yuv420p"],
        `${dir}/short.mp4`,
      ],
      [
        ...["-f", "rawvideo", "-pix_fmt", "gray", "-s", "640x360", "-r", "25"],
        ...["-i", "/dev/urandom", "-t", "4", "-c:v", "libx264", "-preset", "ultrafast"],
        ...["-qp", "0", "-g", "25", "-pix_fmt", "yuv420p", `${dir}/noise.mp4`],
      ],
      [
        ...["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "1"],
        ...["-c:a", "alac", `${dir}/alac.m4a`],
      ],
    ];
    for (const job of jobs) {
      const out = await run("ffmpeg", ["-v", "error", "-y", ...job]);
      if (out.code !== 0) throw new Error(`ffmpeg ${job.at(-1)}: ${out.stderr}`);
    }
    return dir;
  })();
  return ownMedia;
}

function wsUrl(httpUrl: string): string {
  return httpUrl.replace("http:", "ws:");
}

/** Writes what a socket received to a temporary `.mp4`; removed by the caller. */
async function writeReceived(messages: readonly Received[]): Promise<string> {
  const file = await Deno.makeTempFile({ prefix: "rtsp_ts_ws_file_", suffix: ".mp4" });
  await Deno.writeFile(file, concatBytes(...binaryOf(messages)));
  return file;
}

/** Pictures' MD5s as ffmpeg decodes them (`framemd5`): equal pictures, equal sums. */
async function pictureSums(file: string): Promise<string[]> {
  const out = await run("ffmpeg", [
    "-v",
    "error",
    "-i",
    file,
    "-map",
    "0:v",
    "-f",
    "framemd5",
    "-",
  ]);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stderr, "", `ffmpeg reported errors decoding ${file}`);
  return new TextDecoder().decode(out.stdout).split("\n")
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => line.split(",").at(-1)!.trim());
}

/** Frames ffprobe decodes per stream, with the codec names. */
async function countFrames(
  file: string,
): Promise<{ codec_name: string; nb_read_frames: string }[]> {
  const probe = await run("ffprobe", [
    ...["-v", "error", "-count_frames", "-show_entries", "stream=codec_name,nb_read_frames"],
    ...["-of", "json", file],
  ]);
  assert.equal(probe.code, 0, probe.stderr);
  assert.equal(probe.stderr, "", "ffprobe reported errors");
  return JSON.parse(new TextDecoder().decode(probe.stdout)).streams;
}

/** The type message, the init segment and the fragments of a reading, checked for their shape. */
function split(messages: readonly Received[]) {
  const [first, init, ...fragments] = messages;
  assert.equal(typeof first?.data, "string", "a text message first");
  assert.ok(init.data instanceof Uint8Array);
  assert.equal(boxType(init.data), "ftyp");
  for (const f of fragments) {
    assert.ok(f.data instanceof Uint8Array);
    assert.equal(boxType(f.data), "moof");
  }
  return {
    type: JSON.parse(first.data as string),
    fragments: fragments as (Received & { data: Uint8Array })[],
  };
}

await toolTest(
  "/ws/clip.mp4 plays the file from its start in real time; ffmpeg decodes what came to the file's own pictures",
  NEEDS,
  async () => {
    const root = await testMedia();
    await using srv = await startTestServer({ root, http: true });
    const { messages, close } = await readWebSocket(wsUrl(srv.httpUrl("/ws/clip.mp4")), 3000);
    assert.notEqual(close?.code, 1000, "the 10 s file did not end in 3 s");
    const { type, fragments } = split(messages);
    assert.match(type.codecs, /^avc1\.42c0[0-9a-f]{2},mp4a\.40\.2$/);
    assert.equal(type.timeline, "file");
    // The first fragment starts the file: its first sample at decode time 0 (the
    // AAC priming frame: the picture follows it by 1024 samples, 1920 ticks at 90 kHz).
    assert.equal(Math.min(...baseDecodeTimes(fragments[0].data).values()), 0);
    const firstMs = fragments[0].atMs;
    const spanS = (fragments.at(-1)!.atMs - firstMs) / 1000;
    console.log(
      `clip.mp4: first fragment ${firstMs.toFixed(1)} ms after connecting; ` +
        `${fragments.length} fragments over ${spanS.toFixed(2)} s`,
    );
    assert.ok(firstMs < 1000, `first fragment after ${firstMs} ms`);
    const file = await writeReceived(messages);
    try {
      const received = await pictureSums(file);
      // Paced in real time: about 25 pictures a second since the first, not the whole file.
      const expected = spanS * FPS + 1;
      assert.ok(
        Math.abs(received.length - expected) <= 4,
        `${received.length} pictures in ${spanS.toFixed(2)} s`,
      );
      // The very pictures the file starts with, every one of them, in order.
      const original = await pictureSums(`${root}/clip.mp4`);
      assert.deepEqual(received, original.slice(0, received.length));
      const streams = await countFrames(file);
      assert.deepEqual(streams.map((s) => s.codec_name), ["h264", "aac"]);
      // AAC at 48 kHz: 46.875 frames a second, as long as the video, give or take a fragment's worth.
      const audioFrames = Number(streams[1].nb_read_frames);
      const audioExpected = (received.length / FPS) * 46.875;
      assert.ok(
        Math.abs(audioFrames - audioExpected) <= 8,
        `${audioFrames} AAC frames with ${received.length} pictures`,
      );
    } finally {
      await Deno.remove(file);
    }
  },
);

await toolTest(
  "each socket of a file has its own timeline: one that comes a second later also starts at decode time 0",
  MEDIA_NEEDS,
  async () => {
    const root = await testMedia();
    await using srv = await startTestServer({ root, http: true });
    const url = wsUrl(srv.httpUrl("/ws/sub/nested.264"));
    const early = readWebSocket(url, 2500);
    await new Promise((r) => setTimeout(r, 1000));
    const late = await readWebSocket(url, 1200);
    const a = split((await early).messages);
    const b = split(late.messages);
    assert.match(a.type.codecs, /^avc1\./);
    assert.equal(b.type.codecs, a.type.codecs);
    for (const { fragments } of [a, b]) {
      assert.equal(baseDecodeTimes(fragments[0].data).get(1), 0);
      assert.ok(fragments[0].atMs < 1000, `first fragment after ${fragments[0].atMs} ms`);
    }
    // Not one shared timeline: the late socket did not get the early one's later pictures.
    assert.ok(a.fragments.length > b.fragments.length + 10);
    console.log(
      `sub/nested.264: first fragments ${a.fragments[0].atMs.toFixed(1)} ms and ` +
        `${b.fragments[0].atMs.toFixed(1)} ms after connecting`,
    );
  },
);

await toolTest(
  "/ws/hevc_opus.mp4 plays to the file's end, its last picture included, then closes with 1000",
  NEEDS,
  async () => {
    const root = await testMedia();
    await using srv = await startTestServer({ root, http: true });
    const started = performance.now();
    const { messages, close } = await readWebSocket(
      wsUrl(srv.httpUrl("/ws/hevc_opus.mp4")),
      15_000,
    );
    const tookS = (performance.now() - started) / 1000;
    assert.equal(close?.code, 1000, `closed ${close?.code} ${close?.reason}`);
    assert.equal(close?.reason, "the file ended");
    console.log(`hevc_opus.mp4 (4 s): closed after ${tookS.toFixed(2)} s`);
    assert.ok(tookS > 3.5 && tookS < 6, `the 4 s file took ${tookS} s`);
    const { type } = split(messages);
    assert.match(type.codecs, /^hvc1\.[^,]+,opus$/);
    const file = await writeReceived(messages);
    try {
      const streams = await countFrames(file);
      assert.deepEqual(streams.map((s) => s.codec_name), ["hevc", "opus"]);
      assert.equal(Number(streams[0].nb_read_frames), 4 * FPS, "every picture of the file");
      const original = await pictureSums(`${root}/hevc_opus.mp4`);
      assert.deepEqual(await pictureSums(file), original);
    } finally {
      await Deno.remove(file);
    }
  },
);

await toolTest(
  "with --loop a file plays on past its end on one timeline, as over RTSP",
  MEDIA_NEEDS,
  async () => {
    const root = await ownRoot();
    await using srv = await startTestServer({ root, http: true, loopFiles: true });
    const { messages, close } = await readWebSocket(wsUrl(srv.httpUrl("/ws/short.mp4")), 2600);
    assert.notEqual(close?.code, 1000, "a looping file does not end");
    const { fragments } = split(messages);
    const times = fragments.map((f) => baseDecodeTimes(f.data).get(1)!);
    for (let i = 1; i < times.length; i++) {
      assert.ok(times[i] > times[i - 1], `decode times go on: ${times[i - 1]} then ${times[i]}`);
    }
    // Track 1 is H.264 on a 90 kHz timescale; the file lasts one second.
    console.log(`short.mp4 looping: last decode time ${(times.at(-1)! / 90_000).toFixed(2)} s`);
    assert.ok(times.at(-1)! / 90_000 > 2, "at least two loops played");
  },
);

await toolTest(
  "/ws/<file>: the read rule, the connection limits and 404 for a missing or unplayable file, all before the upgrade",
  MEDIA_NEEDS,
  async () => {
    const root = await testMedia();
    const own = await ownRoot();
    await using srv = await startTestServer({
      root,
      http: true,
      auth: authConfig({
        users: [{ name: "alice", password: "wonderland" }],
        schemes: ["basic"],
        anonymous: { read: true },
        paths: [{ pattern: "/clip.mp4", read: ["alice"] }],
      }),
    });
    const port = srv.http!.addr.port;
    const ask = (path: string) => rawHttp(port, handshake(`/ws${path}`));
    assert.equal((await ask("/clip.mp4")).status, 401, "alice's file");
    const missing = await ask("/nothing.mp4");
    assert.equal(missing.status, 404);
    assert.equal(JSON.parse(missing.body).error, "no stream is served at this path");
    // A link out of the root is no file at all.
    assert.equal((await ask("/escape.264")).status, 404);
    const unplayable = async (server: typeof srv, path: string) => {
      const reply = await rawHttp(server.http!.addr.port, handshake(`/ws${path}`));
      assert.equal(reply.status, 404, path);
      assert.equal(JSON.parse(reply.body).error, UNPLAYABLE_FILE, path);
      // The page says so at once rather than retrying for ever.
      const page = await fetch(server.httpUrl(`/play${path}`));
      assert.equal(page.status, 404, path);
      assert.equal((await page.json()).error, UNPLAYABLE_FILE);
    };
    await unplayable(srv, "/notes.txt");
    await unplayable(srv, "/broken.mp4");
    assert.notEqual(UNPLAYABLE_FILE, NO_BROWSER_TRACK);
    const page = await fetch(srv.httpUrl("/play/sub/nested.264"));
    assert.equal(page.status, 200);
    assert.match(await page.text(), /sub\/nested\.264/);

    // A file's sockets count against the limits as a live stream's do.
    await using limited = await startTestServer({
      root: own,
      http: true,
      abuse: { ...DEFAULT_ABUSE_LIMITS, maxConnectionsPerAddress: 1 },
    });
    // An MP4 whose only track is ALAC: the file reader plays none of it (RTSP answers 415).
    await unplayable(limited, "/alac.m4a");
    const open = new WebSocket(wsUrl(limited.httpUrl("/ws/short.mp4")));
    try {
      await new Promise((r) => open.onmessage = r);
      const refused = await rawHttp(limited.http!.addr.port, handshake("/ws/short.mp4"));
      assert.equal(refused.status, 503);
    } finally {
      const closed = new Promise((r) => open.onclose = r);
      open.close();
      await closed;
    }
  },
);

/** Reads from `conn` until the end of an HTTP head, and no further. */
async function readHead(conn: Deno.Conn): Promise<string> {
  let head = "";
  const buf = new Uint8Array(1);
  while (!head.endsWith("\r\n\r\n")) {
    if ((await conn.read(buf)) === null) break;
    head += String.fromCharCode(buf[0]);
  }
  return head;
}

/** Waits up to `ms` for a line matching `pattern`. */
async function waitForLine(lines: string[], pattern: RegExp, ms: number): Promise<RegExpExecArray> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    for (const line of lines) {
      const match = pattern.exec(line);
      if (match) return match;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no line matched ${pattern} in ${ms} ms`);
}

await toolTest(
  "a socket of a file that is never read stays bounded: fragments are dropped past the 4 MiB backlog",
  MEDIA_NEEDS,
  async () => {
    const root = await ownRoot();
    const lines: string[] = [];
    await using srv = await startTestServer({
      root,
      http: true,
      log: new Logger("info", (line) => lines.push(line)),
    });
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: srv.http!.addr.port });
    try {
      await conn.write(new TextEncoder().encode(handshake("/ws/noise.mp4")));
      assert.match(await readHead(conn), /^HTTP\/1\.1 101 /);
      // From here on nothing is read: the kernel's buffers fill, then the server's queue.
      const slow = await waitForLine(lines, /is too slow \((\d+) bytes unsent\)/, 10_000);
      const unsent = Number(slow[1]);
      console.log(`noise.mp4: started dropping with ${unsent} bytes unsent`);
      assert.ok(unsent > MAX_BUFFERED_BYTES, `${unsent} bytes`);
      // One picture of this noise is ~230 kB: the queue passed the bound by one fragment at most.
      assert.ok(unsent < MAX_BUFFERED_BYTES + 1_000_000, `${unsent} bytes`);
      await new Promise((r) => setTimeout(r, 1000));
    } finally {
      conn.close();
    }
    const dropped = await waitForLine(lines, /dropped (\d+) fragments \((\d+) bytes\)/, 5000);
    console.log(`noise.mp4: ${dropped[1]} fragments (${dropped[2]} bytes) dropped`);
    assert.ok(Number(dropped[1]) > 0);
  },
);
