/**
 * Loads /test's LL-HLS playlist N times in headless Chromium's native <video>
 * player, each against a fresh server (fresh muxer), and counts the loads
 * that did not play 2 s; logs Chromium's requests and media messages of each.
 *
 *   deno run --allow-all --unstable-net bench/native_hls_loads.ts [N=20] [--seconds=2] [--same-server] [--verbose]
 *
 * --same-server loads one server's playlist N times (a warm muxer after the
 * first); --verbose prints every load's requests and playlists, not only the
 * failed ones'.
 */
import { startTestServer, type TestServer } from "../_testing/server.ts";
import { HeadlessPage, nativeVideoScript } from "../_testing/chromium.ts";

const n = Number(Deno.args.find((a) => /^\d+$/.test(a)) ?? 20);
const sameServer = Deno.args.includes("--same-server");
const verbose = Deno.args.includes("--verbose");
const seconds = Number(Deno.args.find((a) => a.startsWith("--seconds="))?.slice(10) ?? 2);

await using page = await HeadlessPage.launch();
await page.send("Media.enable");
let t0 = 0;
let log: string[] = [];
let playlistRequests = 0;
const requests = new Map<string, { url: string; start: number; status?: number }>();
page.onEvent = (method, params) => {
  const t = (performance.now() - t0).toFixed(0).padStart(6);
  // DevTools event parameters, as much of them as is read here.
  const p = params as {
    requestId: string;
    request: { url: string };
    response: { status: number };
    encodedDataLength?: number;
    errorText?: string;
    properties: { name: string; value: string }[];
  };
  if (method === "Network.requestWillBeSent") {
    requests.set(p.requestId, { url: p.request.url, start: performance.now() });
    if (p.request.url.includes(".m3u8")) playlistRequests++;
  } else if (method === "Network.responseReceived") {
    const r = requests.get(p.requestId);
    if (r) r.status = p.response.status;
  } else if (method === "Network.loadingFinished" || method === "Network.loadingFailed") {
    const r = requests.get(p.requestId);
    if (!r || !/\.(m3u8|mp4)/.test(r.url)) return;
    const u = new URL(r.url);
    log.push(
      `${t} ${(performance.now() - r.start).toFixed(0).padStart(5)}ms ${r.status ?? "-"} ${
        p.encodedDataLength ?? p.errorText
      } ${u.pathname.split("/").pop()}${u.search}`,
    );
    if (verbose && u.pathname.endsWith(".m3u8")) {
      page.send("Network.getResponseBody", { requestId: p.requestId }).then(
        (b) =>
          log.push(`--- body of ${u.search}:\n${b.base64Encoded ? atob(String(b.body)) : b.body}`),
        () => {},
      );
    }
  } else if (method.startsWith("Media.")) {
    if (method === "Media.playerEventsAdded") return;
    if (method === "Media.playerPropertiesChanged") {
      log.push(`${t} props ${JSON.stringify(p.properties.map((x) => [x.name, x.value]))}`);
      return;
    }
    log.push(`${t} ${method} ${JSON.stringify(p).slice(0, 600)}`);
  }
};

let failures = 0;
let srv: TestServer | undefined;
for (let i = 0; i < n; i++) {
  if (!srv || !sameServer) {
    await srv?.[Symbol.asyncDispose]();
    srv = await startTestServer({ http: true });
  }
  log = [];
  playlistRequests = 0;
  requests.clear();
  await page.goto(srv.httpUrl(`/v1/paths?load=${i}`));
  await page.waitFor("document.readyState === 'complete'");
  t0 = performance.now();
  await page.evaluate(nativeVideoScript("/test/index.m3u8"));
  await page.waitFor(
    `document.getElementById('v').currentTime > ${seconds} || document.getElementById('v').error`,
    (seconds + 8) * 1000,
  );
  const state = await page.evaluate<{ time: number; error: string | null }>(
    `({ time: document.getElementById('v').currentTime, error: document.getElementById('v').error?.message ?? null })`,
  );
  const ok = state.error === null && state.time > seconds;
  if (!ok) failures++;
  if (!ok) await new Promise((r) => setTimeout(r, 1500)); // the media log comes in batches
  console.log(
    `load ${i}: ${ok ? "played" : "FAILED"} ${
      JSON.stringify(state)
    }, ${playlistRequests} playlist requests`,
  );
  if (!ok || verbose) console.log(log.join("\n"));
  await page.goto("about:blank");
}
await srv?.[Symbol.asyncDispose]();
console.log(`${failures} of ${n} loads failed`);
