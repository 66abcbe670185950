/**
 * Playback in the browser (issue 12): `/ws/<path>` sends fragmented MP4 over
 * a WebSocket (RFC 6455) for Media Source Extensions, and `/play/<path>` is a
 * page that plays it. Deno's own WebSocket client checks the protocol and
 * ffprobe reads what it got; headless Chromium plays `/test` and a stream
 * ffmpeg publishes, and the run saves `docs/player.png` for the README.
 */

import assert from "node:assert/strict";
import { startTestServer } from "./_testing/server.ts";
import { authConfig, basicCredentials } from "./_testing/auth.ts";
import { rawHttp } from "./_testing/http.ts";
import { run, toolTest } from "./_testing/tools.ts";
import { HeadlessPage } from "./_testing/chromium.ts";
import { MEDIA_NEEDS, testMedia } from "./_testing/media.ts";
import { ffmpegPublish, waitForStream } from "./_testing/publisher.ts";
import { concatBytes } from "./_rtsp/bytes.ts";
import { boxType, readWebSocket } from "./_testing/websocket.ts";
import { NO_BROWSER_TRACK, UNPLAYABLE_FILE } from "./_server/http/browser_stream.ts";
import { DEFAULT_ABUSE_LIMITS } from "./_server/abuse_limits.ts";

const SCREENSHOT = new URL("./docs/player.png", import.meta.url);

Deno.test("/ws/test sends the codecs, then an ftyp init segment, then moof fragments from a keyframe at once", async () => {
  await using srv = await startTestServer({ http: true });
  const url = srv.httpUrl("/ws/test").replace("http:", "ws:");
  const { messages } = await readWebSocket(url, 1500);
  const [first, init, ...fragments] = messages;
  assert.equal(typeof first.data, "string");
  const type = JSON.parse(first.data as string);
  // /test is H.264 Constrained Baseline and its G.711 tone, muxed as FLAC.
  assert.match(type.codecs, /^avc1\.42c0[0-9a-f]{2},flac$/);
  assert.equal(type.mime, `video/mp4; codecs="${type.codecs}"`);
  assert.ok(init.data instanceof Uint8Array);
  assert.equal(boxType(init.data), "ftyp");
  assert.ok(fragments.length >= 25, `${fragments.length} fragments in 1.5 s`);
  for (const f of fragments) {
    assert.ok(f.data instanceof Uint8Array);
    assert.equal(boxType(f.data), "moof");
  }
  // The first fragment is a keyframe (Fmp4Stream starts each subscriber at one).
  console.log(`first keyframe fragment after ${fragments[0].atMs.toFixed(1)} ms`);
  assert.ok(fragments[0].atMs < 300, `first keyframe fragment after ${fragments[0].atMs} ms`);
});

await toolTest("what /ws/test sends is an fMP4 file ffprobe reads without an error", [
  "ffprobe",
], async () => {
  await using srv = await startTestServer({ http: true });
  const url = srv.httpUrl("/ws/test").replace("http:", "ws:");
  const { messages } = await readWebSocket(url, 2000);
  const binary = messages.flatMap((m) => (typeof m.data === "string" ? [] : [m.data]));
  const file = await Deno.makeTempFile({ suffix: ".mp4" });
  try {
    await Deno.writeFile(file, concatBytes(...binary));
    const probe = await run("ffprobe", [
      "-v",
      "error",
      "-show_entries",
      "stream=codec_name,width,height,sample_rate,channels:format=duration",
      "-of",
      "json",
      file,
    ]);
    assert.equal(probe.code, 0, probe.stderr);
    assert.equal(probe.stderr, "", "ffprobe reported errors");
    const { streams, format } = JSON.parse(new TextDecoder().decode(probe.stdout));
    assert.deepEqual(streams.map((s: { codec_name: string }) => s.codec_name), ["h264", "flac"]);
    assert.equal(streams[0].width, 320);
    assert.equal(streams[0].height, 240);
    assert.equal(streams[1].sample_rate, "8000");
    assert.equal(streams[1].channels, 1);
    console.log(`${binary.length - 1} fragments, ${Number(format.duration).toFixed(2)} s`);
    assert.ok(Number(format.duration) > 1.5, `duration ${format.duration}`);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("/ws/<path> checks the path's read rule before the upgrade: 401 without credentials, 403 for a user without the right", async () => {
  await using srv = await startTestServer({
    http: true,
    auth: authConfig({
      users: [{ name: "alice", password: "wonderland" }, { name: "bob", password: "builder" }],
      schemes: ["basic"],
      paths: [{ pattern: "/test", read: ["alice"] }],
    }),
  });
  const port = srv.http!.addr.port;
  const handshake = (extra: string) =>
    `GET /ws/test HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade, close\r\n` +
    `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`;
  const anonymous = await rawHttp(port, handshake(""));
  assert.equal(anonymous.status, 401);
  assert.match(anonymous.head, /www-authenticate: Basic realm=/i);
  const bob = await rawHttp(
    port,
    handshake(`Authorization: ${basicCredentials("bob", "builder")}\r\n`),
  );
  assert.equal(bob.status, 403);
  // A path that does not exist answers the same: refusals do not tell what exists.
  const missing = await rawHttp(port, handshake("").replace("/ws/test", "/ws/nothing"));
  assert.equal(missing.status, 401);
  // alice gets the stream.
  const url = srv.httpUrl("/ws/test").replace("http:", "ws:");
  const { messages } = await readWebSocket(url, 500, {
    authorization: basicCredentials("alice", "wonderland"),
  });
  assert.match(JSON.parse(messages[0].data as string).codecs, /^avc1\./);
});

Deno.test("/ws/<path> and /play/<path>: 426 without an upgrade, 404 for nothing, escaped paths", async () => {
  await using srv = await startTestServer({ http: true });
  const plain = await fetch(srv.httpUrl("/ws/test"));
  assert.equal(plain.status, 426);
  assert.equal(plain.headers.get("upgrade"), "websocket");
  await plain.body?.cancel();
  const none = await rawHttp(
    srv.http!.addr.port,
    `GET /ws/nothing HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade, close\r\n` +
      `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  assert.equal(none.status, 404);
  const page = await fetch(srv.httpUrl("/play/%3Cscript%3Ealert(1)%3C%2Fscript%3E%22'"));
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.ok(!html.includes("<script>alert"), html);
  assert.ok(html.includes("&#60;script&#62;alert(1)&#60;/script&#62;&#34;&#39;"), html);
  assert.match(page.headers.get("content-security-policy") ?? "", /script-src 'self'/);
  const script = await fetch(srv.httpUrl("/player.js"));
  assert.equal(script.headers.get("content-type"), "text/javascript; charset=utf-8");
  assert.match(await script.text(), /isTypeSupported/);
});

Deno.test("a file under --root that is not media the server plays: 404 saying so, for the page and the socket", async () => {
  const root = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${root}/clip.264`, new Uint8Array([0, 0, 0, 1, 0x67]));
    await using srv = await startTestServer({ http: true, root });
    const page = await fetch(srv.httpUrl("/play/clip.264"));
    assert.equal(page.status, 404);
    assert.equal((await page.json()).error, UNPLAYABLE_FILE);
    const socket = await rawHttp(
      srv.http!.addr.port,
      `GET /ws/clip.264 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade, close\r\n` +
        `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    assert.equal(socket.status, 404);
    assert.equal(JSON.parse(socket.body).error, UNPLAYABLE_FILE);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("open WebSocket readers count against --max-connections-per-ip: past it 503 before the upgrade", async () => {
  await using srv = await startTestServer({
    http: true,
    abuse: { ...DEFAULT_ABUSE_LIMITS, maxConnectionsPerAddress: 2 },
  });
  const url = srv.httpUrl("/ws/test").replace("http:", "ws:");
  const sockets = [new WebSocket(url), new WebSocket(url)];
  try {
    await Promise.all(sockets.map((s) => new Promise((r) => s.onmessage = r)));
    const refused = await rawHttp(
      srv.http!.addr.port,
      `GET /ws/test HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade, close\r\n` +
        `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    assert.equal(refused.status, 503);
    assert.match(refused.head, /retry-after: /i);
  } finally {
    await Promise.all(sockets.map((s) => {
      const closed = new Promise((r) => s.onclose = r);
      s.close();
      return closed;
    }));
  }
  // Closed sockets give their places back.
  const { messages } = await readWebSocket(url, 300);
  assert.ok(messages.length > 1);
});

await toolTest(
  "/ws/live relays a publisher's H.264 + AAC, and closes with 1000 when the publisher goes",
  MEDIA_NEEDS,
  async () => {
    const media = await testMedia();
    await using srv = await startTestServer({ http: true, graceMs: 0 });
    await using publisher = ffmpegPublish(srv.url("/live"), `${media}/clip.mp4`, "tcp");
    await waitForStream(srv.port, "/live");
    const socket = new WebSocket(srv.httpUrl("/ws/live").replace("http:", "ws:"));
    socket.binaryType = "arraybuffer";
    const messages: (string | ArrayBuffer)[] = [];
    const closed = Promise.withResolvers<CloseEvent>();
    socket.onmessage = (e) => {
      messages.push(e.data);
      if (messages.length === 5) publisher.kill();
    };
    socket.onclose = (e) => closed.resolve(e);
    const timer = setTimeout(() => socket.close(), 15_000);
    const close = await closed.promise;
    clearTimeout(timer);
    assert.match(JSON.parse(messages[0] as string).codecs, /^avc1\.42c0[0-9a-f]{2},mp4a\.40\.2$/);
    assert.equal(close.code, 1000, `closed ${close.code} ${close.reason}`);
    assert.equal(close.reason, "the stream ended");
  },
);

/** Page script lines that draw the `#video` picture shown onto a canvas `context`. */
const DRAW_VIDEO = `
    const video = document.getElementById("video");
    const canvas = document.createElement("canvas");
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    const context = canvas.getContext("2d");
    context.drawImage(video, 0, 0);
`;

/** The picture's RGB at (x, y) in video pixels, drawn through a canvas. */
function pixelAt(x: number, y: number): string {
  return `(() => {${DRAW_VIDEO}
    return [...context.getImageData(${x}, ${y}, 1, 1).data.slice(0, 3)];
  })()`;
}

/** Whether two RGB colours are within `tolerance` on every component. */
function near(actual: readonly number[], expected: readonly number[], tolerance = 40): boolean {
  return actual.every((c, i) => Math.abs(c - expected[i]) <= tolerance);
}

/** How far `video.currentTime` moves in `ms` of wall time. */
async function advance(page: HeadlessPage, ms: number): Promise<number> {
  const before = await page.evaluate<number>(`document.getElementById("video").currentTime`);
  await new Promise((r) => setTimeout(r, ms));
  const after = await page.evaluate<number>(`document.getElementById("video").currentTime`);
  return after - before;
}

await toolTest(
  "Chromium plays /play/test (colour bars on a canvas) and a stream ffmpeg publishes",
  ["chromium", ...MEDIA_NEEDS],
  async () => {
    const media = await testMedia();
    // No grace period: the path ends as soon as the publisher goes.
    await using srv = await startTestServer({ http: true, graceMs: 0 });
    await using page = await HeadlessPage.launch({ width: 900, height: 560 });
    await page.goto(srv.httpUrl("/play/test"));
    const video = `document.getElementById("video")`;
    assert.ok(
      await page.waitFor(`${video} && ${video}.currentTime > 0.5`, 10_000),
      `not playing: ${await page.evaluate<string>(
        `document.getElementById("player-status").textContent`,
      )}`,
    );
    const moved = await advance(page, 2000);
    console.log(`/test: currentTime advanced ${moved.toFixed(2)} s in 2 s`);
    assert.ok(moved > 1.5 && moved < 2.5, `currentTime moved ${moved} s in 2 s`);
    assert.equal(await page.evaluate<number>(`${video}.videoWidth`), 320);
    // The G.711 tone comes as FLAC, which Chromium's MSE takes and decodes.
    assert.equal(
      await page.evaluate<string>(`${video}.dataset.codecs`).then((c) => c.split(",")[1]),
      "flac",
    );
    assert.ok(
      await page.evaluate<boolean>(`MediaSource.isTypeSupported('audio/mp4; codecs="flac"')`),
    );
    const audioBytes = await page.evaluate<number>(`${video}.webkitAudioDecodedByteCount`);
    console.log(`/test: ${audioBytes} bytes of audio decoded`);
    // 16-bit mono at 8 kHz is 16000 bytes a second, and more than 2.5 s have played.
    assert.ok(audioBytes > 16_000, `${audioBytes} bytes of audio decoded`);
    // 75% bars, eight across the top (`_rtsp/media/test_pattern.ts`): sample the middle of a few.
    const bar = (i: number) => pixelAt(Math.round((i + 0.5) * 40), 40);
    const yellow = await page.evaluate<number[]>(bar(1));
    const cyan = await page.evaluate<number[]>(bar(2));
    const red = await page.evaluate<number[]>(bar(5));
    const blue = await page.evaluate<number[]>(bar(6));
    console.log(`bars: yellow ${yellow}, cyan ${cyan}, red ${red}, blue ${blue}`);
    assert.ok(near(yellow, [191, 191, 0]), `yellow bar ${yellow}`);
    assert.ok(near(cyan, [0, 191, 191]), `cyan bar ${cyan}`);
    assert.ok(near(red, [191, 0, 0]), `red bar ${red}`);
    assert.ok(near(blue, [0, 0, 191]), `blue bar ${blue}`);
    const lag = await page.evaluate<number>(
      `${video}.buffered.end(${video}.buffered.length - 1) - ${video}.currentTime`,
    );
    console.log(`/test: ${lag.toFixed(2)} s behind the buffered end`);
    assert.ok(lag < 2, `${lag} s behind the live edge`);
    await Deno.writeFile(SCREENSHOT, await page.screenshot());

    await using publisher = ffmpegPublish(srv.url("/live"), `${media}/clip.mp4`, "tcp");
    await waitForStream(srv.port, "/live");
    await page.goto(srv.httpUrl("/play/live"));
    assert.ok(
      await page.waitFor(
        `${video} && ${video}.currentTime > 0.5 && ${video}.dataset.codecs`,
        10_000,
      ),
      `not playing /live: ${await page.evaluate<string>(
        `document.getElementById("player-status").textContent`,
      )}`,
    );
    assert.match(
      await page.evaluate<string>(`${video}.dataset.codecs`),
      /^avc1\.42c0[0-9a-f]{2},mp4a\.40\.2$/,
    );
    const movedLive = await advance(page, 2000);
    console.log(`/live: currentTime advanced ${movedLive.toFixed(2)} s in 2 s`);
    assert.ok(movedLive > 1.5 && movedLive < 2.5, `currentTime moved ${movedLive} s in 2 s`);

    // The publisher goes: the page says so, and plays again by itself when a
    // new one comes, here with Opus instead of AAC (RFC 7587 over RTSP, `Opus`
    // + `dOps` in the init segment), which Chromium's MSE plays too.
    const opus = await h264OpusClip(media);
    await publisher.kill();
    const status = `document.getElementById("player-status").textContent`;
    assert.ok(await page.waitFor(`${video}.dataset.closed === "1000 the stream ended"`, 10_000));
    await using again = ffmpegPublish(srv.url("/live"), opus, "tcp");
    await waitForStream(srv.port, "/live");
    const reconnected = Date.now();
    assert.ok(
      await page.waitFor(
        `Number(${video}.dataset.connections) >= 2 && ${video}.currentTime > 0.5`,
        20_000,
      ),
      `did not play again: ${await page.evaluate<string>(status)}`,
    );
    console.log(`/live: playing again ${Date.now() - reconnected} ms after the new publisher`);
    assert.match(
      await page.evaluate<string>(`${video}.dataset.codecs`),
      /^avc1\.42c0[0-9a-f]{2},opus$/,
    );
    const audioBefore = await page.evaluate<number>(`${video}.webkitAudioDecodedByteCount`);
    const movedAgain = await advance(page, 1000);
    assert.ok(movedAgain > 0.5, `currentTime moved ${movedAgain} s in 1 s after reconnecting`);
    const opusDecoded = await page.evaluate<number>(`${video}.webkitAudioDecodedByteCount`) -
      audioBefore;
    console.log(`/live with Opus: ${opusDecoded} bytes of audio decoded in 1 s`);
    // The count is of coded bytes the audio decoder took: libopus's default
    // stereo rate is ~96-128 kbit/s, so well over 5 kB in a second.
    assert.ok(opusDecoded > 5_000, `${opusDecoded} bytes of Opus decoded in 1 s`);
    await again.kill();
  },
);

/** `clip.mp4`'s H.264 with a 440 Hz tone as Opus (48 kHz stereo) instead of its AAC, in a directory of its own. */
async function h264OpusClip(media: string): Promise<string> {
  const out = `${await Deno.makeTempDir({ prefix: "rtsp_ts_opus_" })}/h264_opus.mp4`;
  const made = await run("ffmpeg", [
    ...["-v", "error", "-y", "-i", `${media}/clip.mp4`],
    ...["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-map", "0:v", "-map", "1:a"],
    ...["-c:v", "copy", "-c:a", "libopus", "-ac", "2", "-t", "10", out],
  ]);
  assert.equal(made.code, 0, made.stderr);
  return out;
}

/** Every `step`-th pixel's RGB of the picture shown, row by row, drawn through a canvas. */
function pictureGrid(step: number): string {
  return `(() => {${DRAW_VIDEO}
    const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
    const grid = [];
    for (let y = ${step / 2}; y < canvas.height; y += ${step}) {
      for (let x = ${step / 2}; x < canvas.width; x += ${step}) {
        const i = (y * canvas.width + x) * 4;
        grid.push(data[i], data[i + 1], data[i + 2]);
      }
    }
    return { time: video.currentTime, grid };
  })()`;
}

/** The same grid of picture `n` of a file as ffmpeg decodes it (RGB, `width` x `height`). */
async function ffmpegGrid(
  file: string,
  n: number,
  width: number,
  height: number,
  step: number,
): Promise<number[]> {
  const out = await run("ffmpeg", [
    ...["-v", "error", "-i", file, "-vf", `select=eq(n\\,${n})`, "-vsync", "0"],
    ...["-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
  ]);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stdout.length, width * height * 3, `picture ${n}`);
  const grid: number[] = [];
  for (let y = step / 2; y < height; y += step) {
    for (let x = step / 2; x < width; x += step) {
      const i = (y * width + x) * 3;
      grid.push(out.stdout[i], out.stdout[i + 1], out.stdout[i + 2]);
    }
  }
  return grid;
}

/** Mean absolute difference of two grids, in levels; of the pixel rows `from` to `to` only, if given. */
function meanDifference(
  a: readonly number[],
  b: readonly number[],
  rows?: { step: number; width: number; from: number; to: number },
): number {
  let sum = 0;
  let count = 0;
  a.forEach((v, i) => {
    if (rows) {
      const y = Math.floor(i / ((rows.width / rows.step) * 3)) * rows.step + rows.step / 2;
      if (y < rows.from || y > rows.to) return;
    }
    sum += Math.abs(v - b[i]);
    count++;
  });
  return sum / count;
}

await toolTest(
  "Chromium plays /play/clip.mp4 (a file) from its start: the pictures are the file's, and the video ends with it",
  ["chromium", ...MEDIA_NEEDS],
  async () => {
    const media = await testMedia();
    await using srv = await startTestServer({ http: true, root: media });
    await using page = await HeadlessPage.launch({ width: 900, height: 560 });
    const started = Date.now();
    await page.goto(srv.httpUrl("/play/clip.mp4"));
    const video = `document.getElementById("video")`;
    const status = `document.getElementById("player-status").textContent`;
    assert.ok(
      await page.waitFor(`${video} && ${video}.currentTime > 0.5`, 10_000),
      `not playing: ${await page.evaluate<string>(status)}`,
    );
    console.log(`clip.mp4: playing ${Date.now() - started} ms after loading the page`);
    assert.match(
      await page.evaluate<string>(`${video}.dataset.codecs`),
      /^avc1\.42c0[0-9a-f]{2},mp4a\.40\.2$/,
    );
    assert.equal(await page.evaluate<string>(`${video}.dataset.timeline`), "file");
    // Played from the start: the buffer begins at the file's start.
    assert.ok(await page.evaluate<number>(`${video}.buffered.start(0)`) < 0.1);
    const moved = await advance(page, 2000);
    console.log(`clip.mp4: currentTime advanced ${moved.toFixed(2)} s in 2 s`);
    assert.ok(moved > 1.5 && moved < 2.5, `currentTime moved ${moved} s in 2 s`);

    // Paused, the picture shown is the one at currentTime: compare it with ffmpeg's
    // decoding of the file's pictures around that time (the file is ffmpeg's testsrc:
    // its colour bars stand still, its gradient strip scrolls a little every picture).
    await page.evaluate(`${video}.pause()`);
    await new Promise((r) => setTimeout(r, 300));
    const STEP = 8;
    const shown = await page.evaluate<{ time: number; grid: number[] }>(pictureGrid(STEP));
    const mean = shown.grid.reduce((a, b) => a + b, 0) / shown.grid.length;
    const spread = Math.sqrt(
      shown.grid.reduce((a, b) => a + (b - mean) ** 2, 0) / shown.grid.length,
    );
    assert.ok(spread > 50, `a uniform picture (spread ${spread.toFixed(1)})`);
    // The video starts 1024 AAC samples (21.3 ms) after the file's first (priming) sample.
    const at = Math.floor((shown.time - 1024 / 48_000) * 25);
    const candidates = [];
    for (let n = Math.max(0, at - 2); n <= at + 2; n++) {
      candidates.push({
        n,
        difference: meanDifference(
          shown.grid,
          await ffmpegGrid(`${media}/clip.mp4`, n, 320, 240, STEP),
        ),
      });
    }
    const best = candidates.reduce((a, b) => (b.difference < a.difference ? b : a));
    // The gradient strip (rows 180-210) tells pictures apart: it scrolls with time.
    const strip = { step: STEP, width: 320, from: 180, to: 210 };
    const bestGrid = await ffmpegGrid(`${media}/clip.mp4`, best.n, 320, 240, STEP);
    const laterGrid = await ffmpegGrid(`${media}/clip.mp4`, best.n + 12, 320, 240, STEP);
    const bestStrip = meanDifference(shown.grid, bestGrid, strip);
    const laterStrip = meanDifference(shown.grid, laterGrid, strip);
    console.log(
      `clip.mp4 at ${shown.time.toFixed(3)} s: picture ${best.n} (${at} by the clock) differs by ` +
        `${best.difference.toFixed(1)} levels (its strip ${bestStrip.toFixed(1)}, ` +
        `picture ${best.n + 12}'s strip ${laterStrip.toFixed(1)}); candidates ` +
        candidates.map((c) => `${c.n}: ${c.difference.toFixed(1)}`).join(", "),
    );
    assert.ok(
      best.difference < 12,
      `the picture shown is none of the file's: ${JSON.stringify(candidates)}`,
    );
    assert.ok(laterStrip > bestStrip + 20, "half a second later the strip is elsewhere");

    // On to the file's end: the video ends too, and the page does not start it again.
    await page.evaluate(`${video}.play()`);
    assert.ok(
      await page.waitFor(`${video}.ended`, 15_000),
      `did not end: ${await page.evaluate<string>(status)}`,
    );
    assert.equal(await page.evaluate<string>(`${video}.dataset.closed`), "1000 the file ended");
    assert.equal(await page.evaluate<string>(status), "The file ended.");
    const duration = await page.evaluate<number>(`${video}.duration`);
    console.log(`clip.mp4: ended at ${duration.toFixed(2)} s`);
    assert.ok(Math.abs(duration - 10) < 0.2, `duration ${duration}`);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(await page.evaluate<string>(`${video}.dataset.connections`), "1");
  },
);

await toolTest(
  "Chromium plays H.265 + Opus through MSE, or says plainly that it cannot",
  ["chromium", ...MEDIA_NEEDS],
  async () => {
    const media = await testMedia();
    await using srv = await startTestServer({ http: true });
    await using publisher = ffmpegPublish(srv.url("/hevc"), `${media}/hevc_opus.mp4`, "tcp");
    await waitForStream(srv.port, "/hevc");
    await using page = await HeadlessPage.launch({ width: 900, height: 560 });
    await page.goto(srv.httpUrl("/play/hevc"));
    const video = `document.getElementById("video")`;
    assert.ok(
      await page.waitFor(
        `${video} && (${video}.dataset.unsupported || ${video}.currentTime > 0.5)`,
        15_000,
      ),
    );
    const unsupported = await page.evaluate<string | undefined>(`${video}.dataset.unsupported`);
    const status = await page.evaluate<string>(
      `document.getElementById("player-status").textContent`,
    );
    console.log(
      `H.265 + Opus: ${unsupported ? `unsupported (${unsupported})` : "plays"}: ${status}`,
    );
    if (unsupported) {
      assert.match(unsupported, /^hvc1\./);
      assert.match(status, /cannot play hvc1\..*Play the stream over RTSP/);
    }
    await publisher.kill();
  },
);

/** 10 s of a tone with noise (no two stretches alike) as a µ-law WAV in `dir`, made by ffmpeg. */
async function mulawWav(dir: string): Promise<string> {
  const wav = `${dir}/phone.wav`;
  const made = await run("ffmpeg", [
    ...["-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=8000:duration=10"],
    ...["-f", "lavfi", "-i", "anoisesrc=color=pink:sample_rate=8000:duration=10:amplitude=0.2"],
    ...["-filter_complex", "amix=inputs=2", "-ac", "1", "-c:a", "pcm_mulaw", wav],
  ]);
  assert.equal(made.code, 0, made.stderr);
  return wav;
}

await toolTest(
  "/ws/<path> of a G.711-only publisher sends FLAC that ffmpeg decodes to the published samples",
  ["ffmpeg", "ffprobe"],
  async () => {
    const dir = await Deno.makeTempDir();
    try {
      const wav = await mulawWav(dir);
      // What ffmpeg's pcm_mulaw decoder makes of the file, the publisher's loop of it.
      const reference = await run("ffmpeg", ["-v", "error", "-i", wav, "-f", "s16le", "-"]);
      assert.equal(reference.code, 0, reference.stderr);
      const expected = new Int16Array(reference.stdout.buffer, 0, reference.stdout.length / 2);
      await using srv = await startTestServer({ http: true });
      await using _publisher = ffmpegPublish(srv.url("/phone"), wav, "tcp");
      await waitForStream(srv.port, "/phone");
      const url = srv.httpUrl("/ws/phone").replace("http:", "ws:");
      const { messages } = await readWebSocket(url, 2000);
      assert.equal(JSON.parse(messages[0].data as string).codecs, "flac");
      const binary = messages.flatMap((m) => (typeof m.data === "string" ? [] : [m.data]));
      const mp4 = concatBytes(...binary);
      const probe = await run("ffprobe", [
        ...["-v", "error", "-show_entries", "stream=codec_name,sample_rate,channels"],
        ...["-of", "compact=p=0:nk=1", "-"],
      ], { stdin: mp4 });
      assert.equal(probe.stderr, "");
      assert.equal(new TextDecoder().decode(probe.stdout).trim(), "flac|8000|1");
      const decoded = await run("ffmpeg", [
        ...["-v", "error", "-err_detect", "crccheck+explode", "-i", "-"],
        ...["-f", "s16le", "-"],
      ], { stdin: mp4 });
      assert.equal(decoded.code, 0, decoded.stderr);
      assert.equal(decoded.stderr, "");
      const got = new Int16Array(decoded.stdout.buffer, 0, decoded.stdout.length / 2);
      assert.ok(got.length > 8000, `${got.length} samples in 2 s`);
      // A stretch of the looped file, bit for bit: found by its first 160 samples.
      const n = expected.length;
      const start = [...Array(n).keys()].find((s) =>
        got.every((v, k) => v === expected[(s + k) % n])
      );
      console.log(`/phone: ${got.length} samples decoded, from sample ${start} of the file`);
      assert.ok(start !== undefined, "the decoded PCM is ffmpeg's own decoding of the µ-law");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

await toolTest(
  "/ws/<path> of an L16-only publisher answers 404 before the upgrade: nothing a browser plays",
  ["ffmpeg"],
  async () => {
    const dir = await Deno.makeTempDir();
    try {
      const wav = `${dir}/tone.wav`;
      const made = await run("ffmpeg", [
        ...["-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=8000"],
        ...["-t", "10", wav],
      ]);
      assert.equal(made.code, 0, made.stderr);
      await using srv = await startTestServer({ http: true });
      // RFC 3551 §4.5.11 L16: big-endian 16-bit PCM, which no fMP4 track here carries.
      await using _publisher = ffmpegPublish(srv.url("/raw"), wav, "tcp", ["-c:a", "pcm_s16be"]);
      await waitForStream(srv.port, "/raw");
      const reply = await rawHttp(
        srv.http!.addr.port,
        `GET /ws/raw HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade, close\r\n` +
          `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
      assert.equal(reply.status, 404);
      assert.equal(JSON.parse(reply.body).error, NO_BROWSER_TRACK);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

await toolTest(
  "Chromium plays /play/<path> of a G.711-only publisher: audio only, as FLAC",
  ["chromium", "ffmpeg"],
  async () => {
    const dir = await Deno.makeTempDir();
    try {
      const wav = await mulawWav(dir);
      await using srv = await startTestServer({ http: true });
      await using _publisher = ffmpegPublish(srv.url("/phone"), wav, "tcp");
      await waitForStream(srv.port, "/phone");
      await using page = await HeadlessPage.launch({ width: 900, height: 560 });
      await page.goto(srv.httpUrl("/play/phone"));
      const video = `document.getElementById("video")`;
      assert.ok(
        await page.waitFor(`${video} && ${video}.currentTime > 1.5`, 10_000),
        `not playing: ${await page.evaluate<string>(
          `document.getElementById("player-status").textContent`,
        )}`,
      );
      const state = await page.evaluate<{ codecs: string; audio: number; width: number }>(`({
        codecs: ${video}.dataset.codecs,
        audio: ${video}.webkitAudioDecodedByteCount,
        width: ${video}.videoWidth,
      })`);
      console.log(`/phone: ${JSON.stringify(state)}`);
      assert.equal(state.codecs, "flac");
      assert.equal(state.width, 0);
      // 16-bit mono at 8 kHz: 16000 bytes a second, and 1.5 s have played.
      assert.ok(state.audio > 16_000, `${state.audio} bytes of audio decoded`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);
