/**
 * File descriptors: the server keeps serving when it runs out of them (accept
 * pauses and resumes), fits its connection limit to RLIMIT_NOFILE, and really
 * closes RTSPS sockets whose TLS handshake never ends.
 */

import assert from "node:assert/strict";
import {
  ACCEPT_FAILURE_LOG_INTERVAL_MS,
  AcceptBackoff,
  isOutOfDescriptors,
} from "./_server/accept_backoff.ts";
import { fitConnectionsToDescriptors, RESERVED_DESCRIPTORS } from "./_server/descriptor_budget.ts";
import { parseOpenFilesLimit, readDescriptorLimit } from "./_server/descriptor_limit.ts";
import { makeTestCertificate, rtspsFlags } from "./_testing/certificate.ts";
import { type MainProcess, startMain, startTaskArgs } from "./_testing/main_process.ts";
import { RawClient } from "./_testing/raw_client.ts";
import { toolTest } from "./_testing/tools.ts";

const OPTIONS = (cseq: number) => `OPTIONS * RTSP/1.0\r\nCSeq: ${cseq}\r\n\r\n`;
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The first 5 bytes of a TLS ClientHello: a handshake record header, no body. */
const CLIENT_HELLO_START = new Uint8Array([0x16, 0x03, 0x01, 0x02, 0x00]);
/** The descriptor limit the spawned servers run under. */
const SMALL_DESCRIPTOR_LIMIT = 100;

function linesMatching(text: string, pattern: RegExp): number {
  return text.split("\n").filter((line) => pattern.test(line)).length;
}

function openDescriptors(pid: number): number {
  return [...Deno.readDirSync(`/proc/${pid}/fd`)].length;
}

/** Whether the process is still running (its status has not settled). */
async function alive(server: MainProcess): Promise<boolean> {
  const exited = await Promise.race([server.child.status.then(() => true), wait(50)]);
  return exited !== true;
}

/** Polls `check` every 100 ms for at most `ms`; returns whether it became true. */
async function eventually(check: () => boolean, ms: number): Promise<boolean> {
  for (let waited = 0; waited < ms; waited += 100) {
    if (check()) return true;
    await wait(100);
  }
  return check();
}

/** Connects, sends OPTIONS and returns the status (0 when nothing came within `ms`). */
async function optionsStatus(port: number, ms = 3000): Promise<number> {
  const c = await RawClient.connect(port);
  try {
    const answer = await Promise.race([c.request(OPTIONS(1)), wait(ms).then(() => undefined)]);
    return answer?.status ?? 0;
  } catch {
    return 0;
  } finally {
    c.close();
  }
}

/** An RTSPS client: TLS handshake, OPTIONS, and the status line's code. */
async function rtspsOptionsStatus(port: number, cert: string): Promise<number> {
  const conn = await Deno.connectTls({ hostname: "127.0.0.1", port, caCerts: [cert] });
  try {
    await conn.write(new TextEncoder().encode(OPTIONS(7)));
    let text = "";
    const buf = new Uint8Array(4096);
    while (!text.includes("\r\n\r\n")) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    return Number(/^RTSP\/1\.0 (\d{3})/.exec(text)?.[1] ?? 0);
  } finally {
    conn.close();
  }
}

Deno.test("fitConnectionsToDescriptors lowers a default that does not fit and keeps an explicit one with a warning", () => {
  const fits = RESERVED_DESCRIPTORS + 100;
  assert.deepEqual(
    fitConnectionsToDescriptors({
      maxConnections: 4096,
      explicit: false,
      descriptorLimit: undefined,
      descriptorsPerConnection: 1,
    }),
    { maxConnections: 4096 },
    "no known limit: defaults kept, nothing logged",
  );
  assert.deepEqual(
    fitConnectionsToDescriptors({
      maxConnections: 100,
      explicit: false,
      descriptorLimit: fits,
      descriptorsPerConnection: 1,
    }),
    { maxConnections: 100 },
    "fits: unchanged",
  );
  const lowered = fitConnectionsToDescriptors({
    maxConnections: 4096,
    explicit: false,
    descriptorLimit: 1024,
    descriptorsPerConnection: 1,
  });
  assert.equal(lowered.maxConnections, 1024 - RESERVED_DESCRIPTORS);
  assert.match(lowered.message ?? "", /lowered from 4096 to 960.*RLIMIT_NOFILE 1024/);
  const files = fitConnectionsToDescriptors({
    maxConnections: 4096,
    explicit: false,
    descriptorLimit: 1024,
    descriptorsPerConnection: 2,
  });
  assert.equal(files.maxConnections, (1024 - RESERVED_DESCRIPTORS) / 2, "a file per reader");
  const kept = fitConnectionsToDescriptors({
    maxConnections: 4096,
    explicit: true,
    descriptorLimit: 1024,
    descriptorsPerConnection: 1,
  });
  assert.equal(kept.maxConnections, 4096);
  assert.match(kept.message ?? "", /4096 kept as given.*fits 960 connections/);
  const none = fitConnectionsToDescriptors({
    maxConnections: 0,
    explicit: false,
    descriptorLimit: 1024,
    descriptorsPerConnection: 1,
  });
  assert.equal(none.maxConnections, 960, "no limit from a config default is bounded too");
  const tiny = fitConnectionsToDescriptors({
    maxConnections: 4096,
    explicit: false,
    descriptorLimit: 10,
    descriptorsPerConnection: 1,
  });
  assert.equal(tiny.maxConnections, 1, "never 0, which would mean no limit");
});

Deno.test("parseOpenFilesLimit reads the soft limit from /proc/self/limits", () => {
  const text = "Limit                     Soft Limit           Hard Limit           Units     \n" +
    "Max processes             63367                63367                processes \n" +
    "Max open files            1024                 524288               files     \n";
  assert.equal(parseOpenFilesLimit(text), 1024);
  assert.equal(
    parseOpenFilesLimit(
      "Max open files            unlimited            unlimited            files",
    ),
    undefined,
  );
  assert.equal(parseOpenFilesLimit(""), undefined);
  // The test runs with --allow-all: getrlimit through FFI works.
  if (Deno.build.os === "linux") assert.ok((readDescriptorLimit() ?? 0) > 0);
});

Deno.test("AcceptBackoff waits 100 ms doubling to 1 s, logs once per episode (and per interval), and says when it recovers", () => {
  const emfile = new Error("Too many open files (os error 24)");
  assert.ok(isOutOfDescriptors(emfile));
  assert.ok(!isOutOfDescriptors(new Error("Connection aborted")));
  const backoff = new AcceptBackoff();
  assert.equal(backoff.succeeded(0), undefined, "nothing to say without failures");
  let now = 1000;
  const first = backoff.failed(emfile, now);
  assert.equal(first.delayMs, 100);
  assert.match(first.message ?? "", /accept failed: Too many open files.*out of file descriptors/);
  const delays = [];
  let logged = 0;
  for (let i = 0; i < 1000; i++) {
    const next = backoff.failed(emfile, now += 50);
    delays.push(next.delayMs);
    if (next.message) logged++;
  }
  assert.deepEqual(delays.slice(0, 5), [200, 400, 800, 1000, 1000]);
  assert.equal(logged, Math.floor((1000 * 50) / ACCEPT_FAILURE_LOG_INTERVAL_MS), "reminders only");
  assert.match(backoff.succeeded(now) ?? "", /accepting again after 1001 failed accepts/);
  assert.equal(backoff.failed(emfile, now).delayMs, 100, "a new episode starts over");
});

Deno.test({
  name:
    "out of file descriptors (ulimit -n 100, explicit --max-connections 4096): the process lives, logs once, and answers again when connections close",
  // The spawned server's descriptors come from /proc.
  ignore: Deno.build.os !== "linux",
  async fn() {
    await using server = await startMain(
      ["--hostname", "127.0.0.1", "--rtp-ports", "0", "--max-connections", "4096"],
      15_000,
      // The flags of `deno task start`: --allow-ffi lets it read RLIMIT_NOFILE.
      await startTaskArgs(),
      { descriptorLimit: SMALL_DESCRIPTOR_LIMIT },
    );
    const held: Deno.TcpConn[] = [];
    try {
      // More than fit: the server accepts until EMFILE, the rest wait in the backlog.
      for (let i = 0; i < SMALL_DESCRIPTOR_LIMIT + 20; i++) {
        held.push(await Deno.connect({ hostname: "127.0.0.1", port: server.port }));
      }
      assert.ok(
        await eventually(() => /accept failed/.test(server.stderr()), 5000),
        `no accept failure logged:\n${server.stderr()}`,
      );
      // Let it retry a few times (100, 200, 400, 800 ms...).
      await wait(2000);
      assert.ok(await alive(server), `the server died:\n${server.stderr()}`);
      console.log(`server descriptors while out of them: ${openDescriptors(server.pid)}`);
      for (const c of held.splice(0)) c.close();
      let status = 0;
      for (let i = 0; i < 10 && status !== 200; i++) status = await optionsStatus(server.port);
      assert.equal(status, 200, server.stderr());
      const log = server.stderr();
      assert.equal(linesMatching(log, /accept failed/), 1, log);
      assert.equal(linesMatching(log, /accept still failing/), 0, log);
      assert.equal(linesMatching(log, /accepting again after \d+ failed accepts/), 1, log);
      assert.match(log, /max-connections 4096 kept as given/);
      assert.ok(await alive(server));
    } finally {
      for (const c of held) c.close();
    }
  },
});

Deno.test({
  name:
    "under ulimit -n 100 the default --max-connections is lowered with a log line, and extra connections get 503",
  ignore: Deno.build.os !== "linux",
  async fn() {
    await using server = await startMain(
      ["--hostname", "127.0.0.1", "--rtp-ports", "0"],
      15_000,
      // The flags of `deno task start`: --allow-ffi lets it read RLIMIT_NOFILE.
      await startTaskArgs(),
      { descriptorLimit: SMALL_DESCRIPTOR_LIMIT },
    );
    const fitting = SMALL_DESCRIPTOR_LIMIT - RESERVED_DESCRIPTORS;
    assert.match(server.stderr(), new RegExp(`max-connections lowered from 4096 to ${fitting}`));
    const held: RawClient[] = [];
    try {
      for (let i = 0; i < fitting; i++) {
        const c = await RawClient.connect(server.port);
        held.push(c);
        assert.equal((await c.request(OPTIONS(i + 1))).status, 200);
      }
      assert.equal(await optionsStatus(server.port), 503);
      held.pop()!.close();
      let status = 0;
      for (let i = 0; i < 10 && status !== 200; i++) {
        status = await optionsStatus(server.port);
        if (status !== 200) await wait(100);
      }
      assert.equal(status, 200);
      assert.doesNotMatch(server.stderr(), /accept failed/);
    } finally {
      for (const c of held) c.close();
    }
  },
});

await toolTest(
  "RTSPS: half TLS handshakes are really closed at the handshake deadline (descriptors back to baseline); real clients are served meanwhile",
  ["openssl"],
  async () => {
    const tls = await makeTestCertificate();
    await using server = await startMain([...rtspsFlags(tls), "--head-timeout", "0.5"]);
    assert.ok(server.tlsPort, server.stderr());
    assert.equal(await rtspsOptionsStatus(server.tlsPort, tls.cert), 200);
    await wait(100);
    const baseline = openDescriptors(server.pid);
    const half: Deno.TcpConn[] = [];
    try {
      for (let i = 0; i < 50; i++) {
        const c = await Deno.connect({ hostname: "127.0.0.1", port: server.tlsPort });
        await c.write(CLIENT_HELLO_START);
        half.push(c);
      }
      assert.ok(
        await eventually(() => openDescriptors(server.pid) >= baseline + 50, 2000),
        "the server accepted them",
      );
      const during = openDescriptors(server.pid);
      // A real client is served while they hang.
      assert.equal(await rtspsOptionsStatus(server.tlsPort, tls.cert), 200);
      const freed = await eventually(() => openDescriptors(server.pid) <= baseline + 5, 5000);
      const after = openDescriptors(server.pid);
      console.log(
        `server descriptors: ${baseline} before, ${during} with 50 half handshakes, ${after} after`,
      );
      assert.ok(freed, `descriptors: ${baseline} before, ${after} after the deadline`);
      // The clients see the close.
      const closed = await Promise.all(half.map((c) =>
        Promise.race([
          c.read(new Uint8Array(64)).then((n) => n === null, () => true),
          wait(2000).then(() => false),
        ])
      ));
      assert.equal(closed.filter((x) => x).length, 50);
      assert.match(server.stderr(), /TLS handshake not complete within 500 ms/);
      assert.equal(await rtspsOptionsStatus(server.tlsPort, tls.cert), 200);
      assert.equal(await optionsStatus(server.port), 200);
    } finally {
      for (const c of half) c.close();
    }
  },
  { ignore: Deno.build.os !== "linux" },
);

Deno.test({
  name: "without --allow-ffi the descriptor limit is unknown: the server starts with its defaults",
  ignore: Deno.build.os !== "linux",
  async fn() {
    await using server = await startMain(
      ["--hostname", "127.0.0.1", "--rtp-ports", "0", "--log-level", "debug"],
      15_000,
      ["run", "--allow-net", "--allow-read"],
      { descriptorLimit: SMALL_DESCRIPTOR_LIMIT },
    );
    assert.match(server.stderr(), /open file limit unknown/);
    assert.doesNotMatch(server.stderr(), /max-connections/);
    assert.equal(await optionsStatus(server.port), 200);
  },
});
