/**
 * Tests of the server shell as users run it: flags, signals, many clients, memory.
 */

import assert from "node:assert/strict";
import { runMain, startMain, startTaskArgs } from "./_testing/main_process.ts";
import { RawClient } from "./_testing/raw_client.ts";

Deno.test("main.ts --help prints usage and exits 0", async () => {
  const out = await runMain(["--help"]);
  assert.equal(out.code, 0);
  assert.match(out.stdout, /^Usage: deno run --allow-net main.ts/);
  assert.match(out.stdout, /--port N/);
});

Deno.test("main.ts refuses a bad flag with a message and exit code 64", async (t) => {
  for (
    const [args, message] of [
      [["--port", "http"], /Invalid --port "http"/],
      [["--port", "70000"], /Invalid --port "70000"/],
      [["--log-level", "loud"], /Invalid --log-level "loud"/],
      [["--frobnicate"], /Unknown option '--frobnicate'/],
      [["--udp-api", "fast"], /Invalid --udp-api "fast"/],
      [["--replace-publisher", "cam"], /Invalid --replace-publisher "cam": must start with \//],
      // runMain grants --allow-net and --allow-read only.
      [["--udp-api", "mmsg"], /--udp-api mmsg needs --allow-ffi/],
      [["--udp-api", "deno"], /--udp-api deno needs --unstable-net/],
    ] as const
  ) {
    await t.step(args.join(" "), async () => {
      const out = await runMain([...args]);
      assert.equal(out.code, 64);
      assert.match(out.stderr, message);
    });
  }
});

Deno.test("main.ts reports a port in use and exits 1", async () => {
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const out = await runMain(["--hostname", "127.0.0.1", "--port", String(taken.addr.port)]);
  assert.equal(out.code, 1);
  assert.match(out.stderr, new RegExp(`port ${taken.addr.port} is already in use`));
});

Deno.test("main.ts shuts down on SIGTERM and SIGINT: closes clients, exits 0", async (t) => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    await t.step(signal, async () => {
      await using server = await startMain(["--hostname", "127.0.0.1"]);
      const c = await RawClient.connect(server.port);
      assert.equal((await c.request("OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n")).status, 200);
      server.child.kill(signal);
      const status = await server.child.status;
      assert.equal(status.code, 0);
      assert.equal(await c.closedByServer(), true);
      c.close();
      assert.match(server.stderr(), /shutting down/);
    });
  }
});

Deno.test("the flags of `deno task start` run the server with libc UDP batches and a small young generation", async () => {
  const denoArgs = await startTaskArgs();
  assert.ok(denoArgs.includes("--v8-flags=--max-semi-space-size=4"), denoArgs.join(" "));
  await using server = await startMain(
    ["--hostname", "127.0.0.1", "--rtp-ports", "0"],
    15_000,
    denoArgs,
  );
  assert.match(server.stderr(), /RTP\/RTCP over UDP on ports \d+-\d+ \(sendmmsg \(FFI\)\)/);
  const c = await RawClient.connect(server.port);
  try {
    assert.equal((await c.request("OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n")).status, 200);
  } finally {
    c.close();
  }
});

Deno.test("200 idle connections and a 10 MiB flood keep RSS under 100 MB; others are answered", async () => {
  await using server = await startMain(["--hostname", "127.0.0.1"]);
  const idle: RawClient[] = [];
  try {
    for (let i = 0; i < 200; i++) idle.push(await RawClient.connect(server.port));
    const flood = await RawClient.connect(server.port);
    const chunk = new TextEncoder().encode("X-Flood: " + "z".repeat(64 * 1024 - 12) + "\r\n");
    const flooding = (async () => {
      await flood.send("OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n");
      for (let sent = 0; sent < 10 * 1024 * 1024; sent += chunk.length) await flood.send(chunk);
    })().catch(() => "closed by server");
    let peak = 0;
    for (let i = 0; i < 20; i++) {
      const probe = await RawClient.connect(server.port);
      const r = await probe.request(`OPTIONS * RTSP/1.0\r\nCSeq: ${i}\r\n\r\n`);
      assert.equal(r.status, 200);
      probe.close();
      peak = Math.max(peak, await server.rssBytes());
    }
    await flooding;
    peak = Math.max(peak, await server.rssBytes());
    flood.close();
    // The idle connections are still served too.
    assert.equal((await idle[199].request("OPTIONS * RTSP/1.0\r\nCSeq: 7\r\n\r\n")).status, 200);
    console.log(`peak RSS with 200 idle connections and a flood: ${(peak / 1e6).toFixed(1)} MB`);
    assert.ok(peak < 100e6, `RSS ${peak} bytes`);
  } finally {
    for (const c of idle) c.close();
  }
});

Deno.test("main.ts checks --config at start and names the bad fields", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rtsp_ts_config_" });
  await Deno.writeTextFile(
    `${dir}/bad.json`,
    JSON.stringify({
      users: [{ name: "a:b", password: "x" }, { password: "y" }],
      limits: { maxSessons: 3 },
    }),
  );
  const out = await runMain(["--config", `${dir}/bad.json`]);
  assert.equal(out.code, 64);
  assert.match(out.stderr, /invalid configuration/);
  assert.match(out.stderr, /limits\.maxSessons: unknown limit/);
  await Deno.writeTextFile(`${dir}/broken.json`, "{ not json");
  const broken = await runMain(["--config", `${dir}/broken.json`]);
  assert.equal(broken.code, 64);
  assert.match(broken.stderr, /broken\.json/);
  const users = await runMain(["--config", `${dir}/ok.json`]);
  assert.equal(users.code, 64, "a missing file is an error too");
});

Deno.test("main.ts --user: reading needs credentials, and the start-up log says so", async () => {
  await using server = await startMain([
    "--hostname",
    "127.0.0.1",
    "--rtp-ports",
    "0",
    "--user",
    "alice:wonderland",
  ]);
  assert.match(server.stderr(), /authentication on: 1 user/);
  const c = await RawClient.connect(server.port);
  try {
    const r = await c.request(
      `DESCRIBE rtsp://127.0.0.1:${server.port}/test RTSP/1.0\r\nCSeq: 1\r\n\r\n`,
    );
    assert.equal(r.status, 401);
    assert.match(r.headers.get("www-authenticate") ?? "", /^Digest realm="rtsp.ts"/);
  } finally {
    c.close();
  }
  await using open = await startMain(["--hostname", "127.0.0.1", "--rtp-ports", "0"]);
  assert.match(open.stderr(), /no users configured: anyone may read and publish/);
});
