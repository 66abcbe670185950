/**
 * Media-side hardening seen from raw sockets: multicast groups given back when
 * their last session ends (and their addresses reused), receiver reports kept
 * only about the SSRCs we send, and symbolic links under `--root` not followed.
 */

import assert from "node:assert/strict";
import { RawClient, type RawResponse } from "./_testing/raw_client.ts";
import { startTestServer } from "./_testing/server.ts";
import { interleavedFrame } from "./_rtsp/interleaved.ts";
import { buildReceiverReport, type ReportBlock } from "./_rtsp/rtp/rtcp.ts";
import { validateAuthConfig } from "./_rtsp/auth/config.ts";
import { Logger } from "./_server/log.ts";

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** 239.255.42.0, the default `--multicast-range`'s first address. */
const FIRST_GROUP = 0xefff2a00;
/** A /30: four groups at once. */
const SMALL_RANGE = { firstAddress: FIRST_GROUP, addressCount: 4, ttl: 1 };
/** How many AAC frames each test file holds (~0.2 s at 48 kHz). */
const TEST_FILE_FRAMES = 10;
/** Bytes of (meaningless) AAC payload per frame: the server never decodes it. */
const AAC_PAYLOAD_BYTES = 16;

/**
 * One ADTS frame (ISO/IEC 13818-7, 6.2): MPEG-4 AAC LC, 48 kHz, stereo, no
 * CRC, one raw data block of zeros. Enough for the server to describe and play.
 */
function adtsFrame(): Uint8Array {
  const length = 7 + AAC_PAYLOAD_BYTES;
  const frame = new Uint8Array(length);
  const profileLc = 1, sampleRate48k = 3, stereo = 2;
  frame[0] = 0xff; // syncword 0xFFF,
  frame[1] = 0xf1; // MPEG-4, layer 0, protection_absent
  frame[2] = (profileLc << 6) | (sampleRate48k << 2) | (stereo >> 2);
  frame[3] = ((stereo & 3) << 6) | (length >> 11);
  frame[4] = (length >> 3) & 0xff;
  frame[5] = ((length & 7) << 5) | 0x1f; // buffer fullness 0x7FF (variable rate)...
  frame[6] = 0xfc; // ...and one raw data block
  return frame;
}

/** A small ADTS file's bytes. */
function aacFile(): Uint8Array {
  const frame = adtsFrame();
  const out = new Uint8Array(frame.length * TEST_FILE_FRAMES);
  for (let i = 0; i < TEST_FILE_FRAMES; i++) out.set(frame, i * frame.length);
  return out;
}

/** A temporary `--root` with `count` files `/g0000.aac`, `/g0001.aac`, … */
async function rootWithFiles(count: number): Promise<{ root: string; paths: string[] }> {
  const root = await Deno.makeTempDir({ prefix: "rtsp_ts_hardening_" });
  const bytes = aacFile();
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const path = `/g${String(i).padStart(4, "0")}.aac`;
    await Deno.writeFile(`${root}${path}`, bytes);
    paths.push(path);
  }
  return { root, paths };
}

/** A request with CSeq, an optional session and extra header lines. */
function request(
  method: string,
  url: string,
  cseq: number,
  session?: string,
  extra = "",
): string {
  return `${method} ${url} RTSP/1.0\r\nCSeq: ${cseq}\r\n${
    session ? `Session: ${session}\r\n` : ""
  }${extra}\r\n`;
}

/** SETUP of track 0 of `url` for multicast. */
function setupMulticast(c: RawClient, url: string, cseq: number): Promise<RawResponse> {
  return c.request(
    request("SETUP", `${url}/trackID=0`, cseq, undefined, "Transport: RTP/AVP;multicast\r\n"),
  );
}

/** The session id and group address a multicast SETUP was given. */
function groupOf(r: RawResponse): { session: string; address: string } {
  const m = /destination=(239\.255\.42\.(\d+));/.exec(r.headers.get("transport") ?? "");
  assert.ok(m, r.headers.get("transport"));
  assert.ok(Number(m[2]) < SMALL_RANGE.addressCount, `${m[1]} is in the range`);
  return { session: r.headers.get("session")!.split(";")[0], address: m[1] };
}

Deno.test("multicast groups are given back: 1,000 paths in turn on a /30 range, every SETUP 200", async () => {
  const { root, paths } = await rootWithFiles(1000);
  await using srv = await startTestServer({ root, multicast: SMALL_RANGE });
  const c = await RawClient.connect(srv.port);
  try {
    let cseq = 1;
    for (const [i, path] of paths.entries()) {
      const url = srv.url(path);
      const s = await setupMulticast(c, url, cseq++);
      assert.equal(s.status, 200, `SETUP of path ${i} (${path})`);
      const { session } = groupOf(s);
      // Some members play before they leave; most only set up.
      if (i % 50 === 0) {
        assert.equal((await c.request(request("PLAY", url, cseq++, session))).status, 200);
      }
      assert.equal((await c.request(request("TEARDOWN", url, cseq++, session))).status, 200);
    }
    assert.equal(srv.app.hub.multicastGroupCount, 0, "every group given back");
  } finally {
    c.close();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("groups held at once have distinct addresses; a paused member keeps its group; a given-back address is reused", async () => {
  const { root, paths } = await rootWithFiles(6);
  await using srv = await startTestServer({ root, multicast: SMALL_RANGE });
  const c = await RawClient.connect(srv.port);
  try {
    let cseq = 1;
    const held = [];
    for (const path of paths.slice(0, 4)) {
      const s = await setupMulticast(c, srv.url(path), cseq++);
      assert.equal(s.status, 200, path);
      held.push({ path, ...groupOf(s) });
    }
    assert.equal(new Set(held.map((h) => h.address)).size, 4, "four distinct groups");
    assert.equal((await setupMulticast(c, srv.url(paths[4]), cseq++)).status, 461, "range full");

    // A member that plays and pauses may PLAY again: its group stays (RFC 2326, 10.6).
    const first = held[0];
    for (const method of ["PLAY", "PAUSE"]) {
      const r = await c.request(request(method, srv.url(first.path), cseq++, first.session));
      assert.equal(r.status, 200, method);
    }
    assert.equal((await setupMulticast(c, srv.url(paths[4]), cseq++)).status, 461, "still full");

    const second = held[1];
    const down = await c.request(request("TEARDOWN", srv.url(second.path), cseq++, second.session));
    assert.equal(down.status, 200);
    const fifth = await setupMulticast(c, srv.url(paths[4]), cseq++);
    assert.equal(fifth.status, 200, "a group was given back");
    const reused = groupOf(fifth).address;
    assert.equal(reused, second.address, "the address given back is the one reused");
    const others = held.filter((h) => h !== second).map((h) => h.address);
    assert.ok(!others.includes(reused), "no two groups share an address");
    assert.equal((await setupMulticast(c, srv.url(paths[5]), cseq++)).status, 461);
  } finally {
    c.close();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a session that sets up multicast, never plays and expires gives its group back", async () => {
  const { root, paths } = await rootWithFiles(2);
  await using srv = await startTestServer({
    root,
    sessionTimeoutMs: 1000,
    multicast: { ...SMALL_RANGE, addressCount: 1 },
  });
  const c = await RawClient.connect(srv.port);
  try {
    const s = await setupMulticast(c, srv.url(paths[0]), 1);
    assert.equal(s.status, 200);
    const { session } = groupOf(s);
    assert.equal(
      (await setupMulticast(c, srv.url(paths[1]), 2)).status,
      461,
      "the one group is held",
    );
    // Silence: the session times out at the next sweeps (bounded wait, no timing asserted).
    for (let i = 0; i < 100 && srv.responder.sessions.has(session); i++) await wait(100);
    assert.equal(srv.responder.sessions.has(session), false, "the session expired");
    assert.equal((await setupMulticast(c, srv.url(paths[1]), 3)).status, 200, "group given back");
    assert.equal(srv.app.hub.multicastGroupCount, 1, "the new path's group only");
  } finally {
    c.close();
    await Deno.remove(root, { recursive: true });
  }
});

/** A report block about `ssrc`; the figures are what a receiver would send. */
function block(ssrc: number, fractionLost = 0, jitter = 0): ReportBlock {
  return {
    ssrc,
    fractionLost,
    cumulativeLost: 0,
    highestSequence: 0,
    jitter,
    lastSr: 0,
    delaySinceLastSr: 0,
  };
}

Deno.test("receiver reports about SSRCs we do not send are counted and dropped; ours are kept", async () => {
  // The reader never reads media while reports are sent: it must not be cut off as slow.
  await using srv = await startTestServer({ maxReaderLagMs: 600_000 });
  const c = await RawClient.connect(srv.port);
  try {
    const url = srv.url();
    let session = "";
    const ours: number[] = [];
    for (const track of [0, 1]) {
      const s = await c.request(request(
        "SETUP",
        `${url}/trackID=${track}`,
        track + 1,
        session || undefined,
        `Transport: RTP/AVP/TCP;unicast;interleaved=${2 * track}-${2 * track + 1}\r\n`,
      ));
      assert.equal(s.status, 200);
      session = s.headers.get("session")!.split(";")[0];
      ours.push(parseInt(/ssrc=([0-9A-F]{8})/.exec(s.headers.get("transport")!)![1], 16));
    }
    assert.equal((await c.request(request("PLAY", url, 3, session))).status, 200);
    const reader = srv.app.hub.readerOf(srv.app.responder.sessions.byId(session)!);
    assert.ok(reader);

    // 2,000 RRs of 8 blocks each about random SSRCs, on both RTCP channels.
    const PACKETS = 2000, BLOCKS = 8;
    const random = new Uint32Array(PACKETS * BLOCKS);
    crypto.getRandomValues(random);
    const frames: Uint8Array[] = [];
    for (let p = 0; p < PACKETS; p++) {
      const blocks = [...random.subarray(p * BLOCKS, (p + 1) * BLOCKS)]
        .map((ssrc) => block(ours.includes(ssrc) ? ssrc ^ 1 : ssrc));
      const rr = buildReceiverReport({ ssrc: 0x5eed, reports: blocks });
      frames.push(interleavedFrame(p % 2 === 0 ? 1 : 3, rr));
    }
    const flood = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
    frames.reduce((at, f) => (flood.set(f, at), at + f.length), 0);
    await c.send(flood);
    // A request behind the flood on the same connection: answered once all of it was read.
    assert.equal((await c.request(request("GET_PARAMETER", url, 4, session))).status, 200);
    assert.ok(reader.reception.size <= 2, `${reader.reception.size} entries for 2 tracks`);
    assert.equal(reader.ignoredReportBlocks, PACKETS * BLOCKS);

    // A real report about our video SSRC, among one about someone else's.
    await c.send(interleavedFrame(
      1,
      buildReceiverReport({
        ssrc: 0x5eed,
        reports: [block(0xdead, 1, 2), block(ours[0], 12, 345)],
      }),
    ));
    assert.equal((await c.request(request("GET_PARAMETER", url, 5, session))).status, 200);
    assert.deepEqual(reader.reception.get(ours[0]), {
      fractionLost: 12,
      cumulativeLost: 0,
      jitter: 345,
    });
    assert.equal(reader.reception.size, 1);
    assert.equal(reader.ignoredReportBlocks, PACKETS * BLOCKS + 1);
  } finally {
    c.close();
  }
});

function authConfig(json: Record<string, unknown>) {
  const result = validateAuthConfig(json);
  if (!result.ok) throw new Error(result.errors.join("; "));
  return result.config;
}

Deno.test("symbolic links under --root are not followed: a link to a protected file inside the root is 404", async () => {
  const root = await Deno.makeTempDir({ prefix: "rtsp_ts_links_" });
  const outside = await Deno.makeTempDir({ prefix: "rtsp_ts_outside_" });
  const bytes = aacFile();
  await Deno.mkdir(`${root}/cam`);
  await Deno.mkdir(`${root}/public`);
  await Deno.writeFile(`${root}/cam/2.aac`, bytes);
  await Deno.writeFile(`${root}/public/own.aac`, bytes);
  await Deno.writeFile(`${outside}/secret.aac`, bytes);
  await Deno.symlink("../cam/2.aac", `${root}/public/link.aac`);
  await Deno.symlink("../cam", `${root}/public/cams`);
  await Deno.symlink(`${outside}/secret.aac`, `${root}/public/out.aac`);
  const warnings: string[] = [];
  await using srv = await startTestServer({
    root,
    log: new Logger("warn", (line) => warnings.push(line)),
    auth: authConfig({
      realm: "rtsp.ts",
      users: [{ name: "alice", password: "wonderland" }],
      schemes: ["basic"],
      anonymous: { read: false, publish: false },
      paths: [
        { pattern: "/public/**", read: ["anonymous"] },
        { pattern: "/cam/*", read: ["alice"] },
      ],
    }),
  });
  const c = await RawClient.connect(srv.port);
  try {
    let cseq = 1;
    const alice = `Authorization: Basic ${btoa("alice:wonderland")}\r\n`;
    const describe = async (path: string, extra = "") =>
      (await c.request(request("DESCRIBE", srv.url(path), cseq++, undefined, extra))).status;
    assert.equal(await describe("/public/own.aac"), 200, "an ordinary public file");
    assert.equal(await describe("/cam/2.aac"), 401, "the target is protected");
    assert.equal(await describe("/public/link.aac"), 404, "a link to it from a public folder");
    assert.equal(await describe("/public/cams/2.aac"), 404, "a linked folder");
    assert.equal(await describe("/public/out.aac"), 404, "a link out of the root");
    assert.ok(
      warnings.some((w) => w.includes("/public/link.aac") && w.includes("symbolic link")),
      warnings.join("\n"),
    );

    // The target still plays under its own path, for who may read it.
    assert.equal(await describe("/cam/2.aac", alice), 200);
    const url = srv.url("/cam/2.aac");
    const s = await c.request(request(
      "SETUP",
      `${url}/trackID=0`,
      cseq++,
      undefined,
      `${alice}Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n`,
    ));
    assert.equal(s.status, 200);
    const session = s.headers.get("session")!.split(";")[0];
    assert.equal((await c.request(request("PLAY", url, cseq++, session, alice))).status, 200);
    for (let i = 0; i < 50 && !c.frames.some((f) => f.channel === 0); i++) {
      await c.request(request("GET_PARAMETER", url, cseq++, session, alice));
      await wait(20);
    }
    assert.ok(c.frames.some((f) => f.channel === 0), "RTP of the file arrived");
  } finally {
    c.close();
    await Deno.remove(root, { recursive: true });
    await Deno.remove(outside, { recursive: true });
  }
});
