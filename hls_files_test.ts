/**
 * Files under `--root` over HLS, as VOD: `/<file>/index.m3u8` lists the whole
 * file (RFC 8216 VOD tags), ffmpeg decodes it to the same pictures as the file
 * itself, a playlist starting at a middle segment (what a player's seek
 * fetches) decodes on the file's timeline, hostile names get 4xx, requests
 * are counted, and Chromium plays and seeks it natively.
 */

import assert from "node:assert/strict";
import { startTestServer } from "./_testing/server.ts";
import { run, toolTest } from "./_testing/tools.ts";
import { MEDIA_NEEDS, testMedia } from "./_testing/media.ts";
import { authConfig, basicCredentials } from "./_testing/auth.ts";
import { scrape } from "./_testing/http.ts";
import { HeadlessPage, nativeVideoScript } from "./_testing/chromium.ts";
import { UNPLAYABLE_FILE } from "./_server/http/browser_stream.ts";

const NEEDS = [...MEDIA_NEEDS, "ffprobe"];

/** What ffmpeg decoded, per stream (`framecrc`). */
interface Decoded {
  readonly code: number;
  readonly errors: string;
  readonly streams: Map<number, { crcs: string[]; start: number; end: number }>;
}

/** Decodes `input` (after `before`, e.g. `-ss`) to frame checksums, with times in seconds. */
async function decode(input: string, before: string[] = []): Promise<Decoded> {
  const out = await run("ffmpeg", [
    ...["-hide_banner", "-nostdin", "-v", "error", ...before, "-i", input],
    ...["-f", "framecrc", "-"],
  ], { timeoutMs: 60_000 });
  const timeBases = new Map<number, number>();
  const streams: Decoded["streams"] = new Map();
  for (const line of new TextDecoder().decode(out.stdout).split("\n")) {
    const tb = /^#tb (\d+): (\d+)\/(\d+)/.exec(line);
    if (tb) timeBases.set(Number(tb[1]), Number(tb[2]) / Number(tb[3]));
    const m = /^(\d+),\s*-?\d+,\s*(-?\d+),\s*(\d+),\s*\d+,\s*(0x[0-9a-f]+)/.exec(line);
    if (!m) continue;
    const index = Number(m[1]);
    const tbs = timeBases.get(index)!;
    const pts = Number(m[2]) * tbs;
    const end = pts + Number(m[3]) * tbs;
    const stream = streams.get(index) ?? { crcs: [], start: pts, end };
    stream.crcs.push(m[4]);
    stream.start = Math.min(stream.start, pts);
    stream.end = Math.max(stream.end, end);
    streams.set(index, stream);
  }
  return { code: out.code, errors: out.stderr.trim(), streams };
}

/** ffprobe's `format=duration` of `input`, seconds. */
async function probedDuration(input: string): Promise<number> {
  const out = await run("ffprobe", [
    ...["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", input],
  ]);
  assert.equal(out.code, 0, out.stderr);
  return Number(new TextDecoder().decode(out.stdout).trim());
}

/** The playlist's lines, after checking the VOD tags (RFC 8216). */
function checkVodPlaylist(text: string, what: string): { durations: number[]; lines: string[] } {
  const lines = text.trimEnd().split("\n");
  assert.equal(lines[0], "#EXTM3U", what);
  assert.ok(lines.includes("#EXT-X-PLAYLIST-TYPE:VOD"), what);
  // H.265 keyframes may be CRA pictures of open GOPs (vod_playlist.ts).
  const h265 = /\.265$|hevc/.test(what);
  assert.equal(lines.includes("#EXT-X-INDEPENDENT-SEGMENTS"), !h265, `${what}: independent`);
  assert.ok(lines.includes('#EXT-X-MAP:URI="init0.mp4"'), what);
  assert.ok(Number(/^#EXT-X-VERSION:(\d+)$/m.exec(text)?.[1]) >= 6, `${what}: version 6 for MAP`);
  assert.equal(lines.at(-1), "#EXT-X-ENDLIST", what);
  const target = Number(/^#EXT-X-TARGETDURATION:(\d+)$/m.exec(text)?.[1]);
  const durations = [...text.matchAll(/^#EXTINF:(\d+\.\d{3}),$/gm)].map((m) => Number(m[1]));
  assert.ok(durations.length > 0, what);
  // RFC 8216, 4.3.3.1
  for (const d of durations) assert.ok(Math.round(d) <= target, `${what}: ${d} > target ${target}`);
  assert.deepEqual(
    lines.filter((l) => l.endsWith(".mp4") && !l.startsWith("#")),
    durations.map((_, i) => `seg${i}.mp4`),
    what,
  );
  return { durations, lines };
}

/** Files of `_testing/media.ts`: H.264 + AAC, B-frames, raw H.264 / H.265, ADTS, H.265 + Opus. */
const FILES = ["clip.mp4", "bframes.mp4", "clip.264", "bframes.265", "tone.aac", "hevc_opus.mp4"];

await toolTest(
  "ffmpeg reads files over HLS VOD: every picture as the file gives it, the same duration",
  NEEDS,
  async () => {
    const root = await testMedia();
    await using srv = await startTestServer({ http: true, root });
    for (const name of FILES) {
      const url = srv.httpUrl(`/${name}/index.m3u8`);
      const response = await fetch(url);
      assert.equal(response.status, 200, name);
      assert.equal(response.headers.get("content-type"), "application/vnd.apple.mpegurl");
      const { durations } = checkVodPlaylist(await response.text(), name);
      const [hls, file] = [await decode(url), await decode(`${root}/${name}`)];
      // The file's duration as decoded (ffprobe finds none in a raw stream).
      const fileDuration = Math.max(...[...file.streams.values()].map((s) => s.end - s.start));
      const listed = durations.reduce((a, b) => a + b, 0);
      assert.ok(
        Math.abs(listed - fileDuration) < 0.1,
        `${name}: listed ${listed}, file ${fileDuration}`,
      );
      const probed = await probedDuration(url);
      assert.ok(Math.abs(probed - fileDuration) < 0.1, `${name}: ffprobe ${probed}`);

      assert.equal(hls.code, 0, `${name}: ${hls.errors}`);
      assert.equal(hls.errors, "", name);
      assert.equal(hls.streams.size, file.streams.size, name);
      for (const [index, original] of file.streams) {
        const got = hls.streams.get(index)!;
        const span = (s: typeof got) => s.end - s.start;
        console.log(
          `${name} stream ${index}: ${got.crcs.length} frames (file ${original.crcs.length}), ` +
            `${span(got).toFixed(3)} s (file ${span(original).toFixed(3)} s)`,
        );
        assert.ok(Math.abs(span(got) - span(original)) < 0.1, `${name} stream ${index} duration`);
        if (index === 0 && !name.endsWith(".aac")) {
          // Video: the very same pictures, in order.
          assert.deepEqual(got.crcs, original.crcs, `${name}: pictures`);
        } else {
          // Audio: an MP4's priming frame (cut by its edit list) may decode once more.
          assert.ok(Math.abs(got.crcs.length - original.crcs.length) <= 1, `${name} audio`);
        }
      }
    }
  },
);

await toolTest(
  "a playlist from a middle segment of a file (a player's seek) decodes on the file's timeline",
  NEEDS,
  async () => {
    const root = await testMedia();
    await using srv = await startTestServer({ http: true, root });
    // ffmpeg 5.1 cannot seek (-ss) in any fMP4 HLS, its own output included:
    // after the seek its mov demuxer reads samples at the wrong offsets. So the
    // seek is made as players (hls.js, Safari) make it: fetch from the segment
    // holding the time, with the init segment.
    const base = srv.httpUrl("/clip.mp4/");
    const text = await (await fetch(`${base}index.m3u8`)).text();
    const { lines } = checkVodPlaylist(text, "clip.mp4");
    const header = lines.slice(0, lines.findIndex((l) => l.startsWith("#EXTINF")));
    const from = lines.indexOf("seg1.mp4") - 1;
    assert.ok(from > header.length);
    const middle = [
      ...header.map((l) => l.replace('URI="init0.mp4"', `URI="${base}init0.mp4"`)),
      ...lines.slice(from).map((l) => (l.startsWith("seg") ? `${base}${l}` : l)),
    ].join("\n");
    const playlist = await Deno.makeTempFile({ suffix: ".m3u8" });
    try {
      await Deno.writeTextFile(playlist, middle);
      const seeked = await decode(playlist, [
        ...["-protocol_whitelist", "file,http,tcp", "-copyts"],
      ]);
      assert.equal(seeked.code, 0, seeked.errors);
      assert.equal(seeked.errors, "");
      const whole = await decode(`${root}/clip.mp4`);
      const video = seeked.streams.get(0)!;
      // Segment 1 starts at the keyframe at 4 s: the last 6 s, the file's pictures.
      assert.deepEqual(video.crcs, whole.streams.get(0)!.crcs.slice(100));
      // On the file's timeline (plus the 21 ms by which AAC priming moves it).
      // (framecrc rounds to its 1/25 s time base.)
      assert.ok(Math.abs(video.start - 4.021) < 0.025, `first picture at ${video.start}`);
      console.log(`from segment 1: ${video.crcs.length} pictures from ${video.start.toFixed(3)} s`);
    } finally {
      await Deno.remove(playlist);
    }
  },
);

await toolTest(
  "files over HLS: 4xx for names and numbers outside the playlist, the read rule, ranges, metrics",
  MEDIA_NEEDS,
  async () => {
    const root = await testMedia();
    await using srv = await startTestServer({
      http: true,
      root,
      auth: authConfig({
        users: [{ name: "alice", password: "wonderland" }],
        schemes: ["basic"],
        anonymous: { read: true },
        paths: [{ pattern: "/gop2s.mp4", read: ["alice"] }],
      }),
    });
    const status = async (path: string, init: RequestInit = {}) => {
      const response = await fetch(srv.httpUrl(path), init);
      const body = await response.arrayBuffer();
      return { status: response.status, body: new Uint8Array(body), headers: response.headers };
    };
    const table: Array<[string, number]> = [
      ["/clip.mp4/seg2.mp4", 200],
      ["/clip.mp4/seg3.mp4", 404],
      ["/clip.mp4/seg999999999999999.mp4", 404],
      ["/clip.mp4/seg9999999999999999.mp4", 404],
      ["/clip.mp4/init0.mp4", 200],
      ["/clip.mp4/init1.mp4", 404],
      ["/clip.mp4/part0.0.mp4", 404],
      ["/clip.mp4/seg-1.mp4", 404],
      ["/nothing.mp4/index.m3u8", 404],
      ["/escape.264/index.m3u8", 404],
      ["/notes.txt/index.m3u8", 404],
      ["/broken.mp4/seg0.mp4", 404],
      ["/gop2s.mp4/index.m3u8", 401],
      ["/gop2s.mp4/seg0.mp4", 401],
    ];
    for (const [path, expected] of table) {
      assert.equal((await status(path)).status, expected, path);
    }
    const unplayable = await fetch(srv.httpUrl("/notes.txt/index.m3u8"));
    assert.equal((await unplayable.json()).error, UNPLAYABLE_FILE);
    const alice = { authorization: basicCredentials("alice", "wonderland") };
    assert.equal((await status("/gop2s.mp4/index.m3u8", { headers: alice })).status, 200);
    assert.equal((await status("/gop2s.mp4/index.m3u8", { method: "POST" })).status, 405);

    // Ranges, as native players ask.
    const whole = await status("/clip.mp4/seg0.mp4");
    const part = await status("/clip.mp4/seg0.mp4", { headers: { range: "bytes=100-199" } });
    assert.equal(part.status, 206);
    assert.deepEqual(part.body, whole.body.slice(100, 200));
    assert.equal(part.headers.get("content-range"), `bytes 100-199/${whole.body.length}`);
    // The same bytes each time: segments are made again, never differently.
    assert.deepEqual((await status("/clip.mp4/seg0.mp4")).body, whole.body);

    // Many at once: each is made in turn, or told to come back (never a 500).
    const many = await Promise.all(
      Array.from({ length: 40 }, (_, i) => status(`/clip.mp4/seg${i % 3}.mp4`)),
    );
    const statuses = new Set(many.map((r) => r.status));
    assert.ok([...statuses].every((s) => s === 200 || s === 503), [...statuses].join());

    const metrics = await scrape(srv.httpUrl("/metrics"));
    const counted = (file: string) =>
      metrics.value("rtsp_hls_requests_total", { path: "/clip.mp4", file }) ?? 0;
    assert.ok(counted("segment") >= 4, `segments counted: ${counted("segment")}`);
    assert.ok(counted("init") >= 1);
  },
);

await toolTest(
  "Chromium plays a file's VOD playlist natively and seeks in it",
  [...MEDIA_NEEDS, "chromium"],
  async () => {
    const root = await testMedia();
    await using srv = await startTestServer({ http: true, root });
    await using page = await HeadlessPage.launch();
    await page.goto(srv.httpUrl("/v1/paths"));
    assert.ok(await page.waitFor("document.readyState === 'complete'"));
    await page.evaluate(nativeVideoScript("/clip.mp4/index.m3u8"));
    const video = "document.getElementById('v')";
    assert.ok(
      await page.waitFor(`${video}.currentTime > 1 || ${video}.error`, 10_000),
      "it plays",
    );
    const playing = await page.evaluate<{ duration: number; error: string | null }>(
      `({ duration: ${video}.duration, error: ${video}.error?.message ?? null })`,
    );
    assert.equal(playing.error, null);
    // VOD: the whole file's length is known at once.
    assert.ok(Math.abs(playing.duration - 10) < 0.1, `duration ${playing.duration}`);
    await page.evaluate(`${video}.currentTime = 7, true`);
    assert.ok(
      await page.waitFor(`${video}.currentTime > 7.5 || ${video}.error`, 10_000),
      "it plays on after the seek",
    );
    assert.ok(await page.waitFor(`${video}.ended || ${video}.error`, 10_000), "it ends");
    const after = await page.evaluate<{ time: number; error: string | null }>(
      `({ time: ${video}.currentTime, error: ${video}.error?.message ?? null })`,
    );
    assert.equal(after.error, null);
    console.log(
      `Chromium: duration ${playing.duration} s, ended at ${after.time} s after a seek to 7 s`,
    );
  },
);
