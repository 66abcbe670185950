/**
 * The HTTP listener with real programs and the real shell: ffmpeg publishing
 * and reading while the API and metrics watch, `main.ts`'s `--http-port`
 * flag, and HTTPS with the RTSPS certificate.
 */

import assert from "node:assert/strict";
import { startTestServer } from "./_testing/server.ts";
import { eventually, playOverTcp, scrape } from "./_testing/http.ts";
import { ffmpegDecode } from "./_testing/clients.ts";
import { MEDIA_NEEDS, testMedia } from "./_testing/media.ts";
import { ffmpegPublish, waitForStream } from "./_testing/publisher.ts";
import { runMain, startMain } from "./_testing/main_process.ts";
import { makeTestCertificate, rtspsFlags } from "./_testing/certificate.ts";
import { toolTest } from "./_testing/tools.ts";

interface PathJson {
  name: string;
  kind: string;
  tracks: Array<{ codec: string; width?: number }>;
  readers: Record<string, number>;
  bytesReceived: number;
  bitrateIn: number;
  bitrateOut: number;
}

await toolTest(
  "the API and metrics follow ffmpeg publishing /live over TCP and reading /test over UDP",
  MEDIA_NEEDS,
  async () => {
    const dir = await testMedia();
    await using srv = await startTestServer({ http: true });
    await using _pub = ffmpegPublish(srv.url("/live"), `${dir}/clip.mp4`, "tcp");
    await waitForStream(srv.port, "/live");
    const reading = ffmpegDecode(srv.url("/test"), 4, ["-rtsp_transport", "udp"]);
    const paths = async () =>
      (await (await fetch(srv.httpUrl("/v1/paths"))).json()).paths as PathJson[];
    let seen: PathJson[] = [];
    // Bit rates need two samples a second apart.
    const watched = await eventually(async () => {
      seen = await paths();
      const live = seen.find((p) => p.name === "/live");
      const test = seen.find((p) => p.name === "/test");
      return live !== undefined && live.bitrateIn > 0 && test?.readers.udp === 1 &&
        test.bitrateOut > 0;
    }, 8000);
    assert.ok(watched, JSON.stringify(seen));
    const live = seen.find((p) => p.name === "/live")!;
    assert.equal(live.kind, "published");
    assert.equal(live.tracks[0].codec, "H264");
    assert.ok(live.tracks[0].width! > 0);
    assert.ok(live.bytesReceived > 0);
    const metrics = await scrape(srv.httpUrl("/metrics"));
    assert.equal(metrics.value("rtsp_paths", { kind: "published" }), 1);
    assert.equal(metrics.value("rtsp_readers", { path: "/test", transport: "udp" }), 1);
    assert.ok(metrics.value("rtsp_bytes_received_total", { path: "/live" })! > 0);
    const read = await reading;
    assert.equal(read.code, 0, read.errors);
    assert.ok(
      await eventually(async () =>
        (await scrape(srv.httpUrl("/metrics"))).value("rtsp_readers", {
          path: "/test",
          transport: "udp",
        }) === 0
      ),
    );
  },
);

await toolTest(
  "a file under --root is listed while a reader plays it, and not after",
  MEDIA_NEEDS,
  async () => {
    await using srv = await startTestServer({ http: true, root: await testMedia() });
    const listed = async () =>
      ((await (await fetch(srv.httpUrl("/v1/paths"))).json()).paths as PathJson[])
        .map((p) => `${p.name} ${p.kind}`);
    assert.deepEqual(await listed(), ["/test test"]);
    const reader = await playOverTcp(srv.port, "/clip.mp4");
    try {
      await reader.client.collect(10, 5000);
      assert.deepEqual(await listed(), ["/clip.mp4 file", "/test test"]);
      const { paths } = await (await fetch(srv.httpUrl("/v1/paths"))).json();
      const clip = paths.find((p: PathJson) => p.name === "/clip.mp4");
      assert.equal(clip.tracks[0].codec, "H264");
      assert.ok(clip.tracks[0].width > 0);
      assert.ok(clip.bytesSent > 0);
    } finally {
      reader.client.close();
    }
    assert.ok(await eventually(async () => (await listed()).length === 1));
  },
);

Deno.test("main.ts --http-port: 0 picks a port and logs it, off disables it, junk exits 64", async () => {
  {
    await using server = await startMain(["--hostname", "127.0.0.1", "--rtp-ports", "off"]);
    assert.ok(server.httpPort! > 0, server.stderr());
    assert.match(server.stderr(), /listening on http:\/\/127\.0\.0\.1:\d+\/ \(status page/);
    const response = await fetch(`http://127.0.0.1:${server.httpPort}/v1/paths`);
    assert.equal((await response.json()).paths[0].name, "/test");
  }
  {
    await using server = await startMain([
      "--hostname",
      "127.0.0.1",
      "--rtp-ports",
      "off",
      "--http-port",
      "off",
    ]);
    assert.equal(server.httpPort, undefined);
    assert.doesNotMatch(server.stderr(), /listening on http/);
  }
  const junk = await runMain(["--http-port", "web"]);
  assert.equal(junk.code, 64);
  assert.match(junk.stderr, /Invalid --http-port "web": expected 0 to 65535 or off/);
  const admin = await runMain(["--admin", "alice"]);
  assert.equal(admin.code, 64);
  assert.match(admin.stderr, /admin: needs users/);
});

Deno.test("main.ts exits 1 when the HTTP port is taken", async () => {
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const out = await runMain([
    "--hostname",
    "127.0.0.1",
    "--port",
    "0",
    "--rtp-ports",
    "off",
    "--http-port",
    String(taken.addr.port),
  ]);
  assert.equal(out.code, 1);
  assert.match(out.stderr, new RegExp(`port ${taken.addr.port} is already in use`));
});

await toolTest("with RTSPS on, the HTTP listener serves HTTPS with its certificate", [
  "openssl",
], async () => {
  const tls = await makeTestCertificate();
  await using server = await startMain(rtspsFlags(tls));
  assert.match(server.stderr(), /listening on https:\/\/127\.0\.0\.1:\d+\//);
  using client = Deno.createHttpClient({ caCerts: [tls.cert] });
  const response = await fetch(`https://127.0.0.1:${server.httpPort}/v1/paths`, { client });
  assert.equal(response.status, 200);
  assert.equal((await response.json()).paths[0].name, "/test");
});
