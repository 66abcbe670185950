import assert from "node:assert/strict";
import { ManualScheduler } from "../../_testing/manual_scheduler.ts";
import { md5Hex } from "../auth/md5.ts";
import { interleavedFrame } from "../interleaved.ts";
import { buildBye, buildCompound, buildSenderReport, parseRtcpCompound } from "../rtp/rtcp.ts";
import { buildRtpPacket } from "../rtp/rtp_packet.ts";
import type { ClientOutput } from "./client_outputs.ts";
import { ClientState } from "./client_outputs.ts";
import { RtspClientMachine, type RtspClientMachineOptions } from "./rtsp_client_machine.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

const SDP = [
  "v=0",
  "o=- 1 1 IN IP4 10.0.0.9",
  "s=cam",
  "t=0 0",
  "a=control:*",
  "m=video 0 RTP/AVP 96",
  "a=rtpmap:96 H264/90000",
  "a=fmtp:96 packetization-mode=1",
  "a=control:trackID=0",
  "m=audio 0 RTP/AVP 0",
  "a=control:trackID=1",
  "",
].join("\r\n");

/** A client machine with every output recorded. */
function harness(url = "rtsp://cam:554/live", options: Partial<RtspClientMachineOptions> = {}) {
  const outputs: ClientOutput[] = [];
  const scheduler = new ManualScheduler();
  const machine = new RtspClientMachine(url, {
    output: (o) => outputs.push(o),
    scheduler,
    randomBytes: (n) => new Uint8Array(n).fill(0xab),
    ...options,
  });
  /** Request texts written since the last call. */
  const written = (): string[] => {
    const out = outputs.filter((o) => o.kind === "write").map((o) => dec.decode(o.bytes));
    clear("write");
    return out;
  };
  /** Output kinds since the last call, writes left out; clears them. */
  const kinds = (): string[] => {
    const out = outputs.filter((o) => o.kind !== "write").map((o) => o.kind);
    for (let i = outputs.length - 1; i >= 0; i--) {
      if (outputs[i].kind !== "write") outputs.splice(i, 1);
    }
    return out;
  };
  const clear = (kind?: string) => {
    for (let i = outputs.length - 1; i >= 0; i--) {
      if (kind === undefined || outputs[i].kind === kind) outputs.splice(i, 1);
    }
  };
  const reply = (text: string) => machine.receive(enc.encode(text));
  const find = <K extends ClientOutput["kind"]>(kind: K) =>
    outputs.filter((o): o is Extract<ClientOutput, { kind: K }> => o.kind === kind);
  return { machine, outputs, scheduler, written, kinds, reply, find, clear };
}

/** A response head (and body) with the given CSeq. */
function response(cseq: number, status = "200 OK", headers: string[] = [], body = ""): string {
  const lines = [`RTSP/1.0 ${status}`, `CSeq: ${cseq}`, ...headers];
  if (body !== "") lines.push(`Content-Length: ${enc.encode(body).length}`);
  return lines.join("\r\n") + "\r\n\r\n" + body;
}

/** Drives a client over TCP to Ready: OPTIONS (1), DESCRIBE (2), SETUP (3, 4). */
function toReady(
  h: ReturnType<typeof harness>,
  publicMethods = "OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, GET_PARAMETER",
) {
  h.machine.start();
  h.machine.connected();
  h.reply(response(1, "200 OK", [`Public: ${publicMethods}`]));
  h.reply(
    response(
      2,
      "200 OK",
      ["Content-Base: rtsp://cam:554/live/", "Content-Type: application/sdp"],
      SDP,
    ),
  );
  h.reply(
    response(3, "200 OK", [
      "Session: 4F1A;timeout=30",
      "Transport: RTP/AVP/TCP;unicast;interleaved=0-1",
    ]),
  );
  h.reply(
    response(4, "200 OK", [
      "Session: 4F1A;timeout=30",
      "Transport: RTP/AVP/TCP;unicast;interleaved=2-3",
    ]),
  );
}

Deno.test("RtspClientMachine runs OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN over TCP, byte for byte", () => {
  const h = harness("rtsp://cam:554/live", { transport: "tcp" });
  h.machine.start();
  assert.deepEqual(h.outputs, [{ kind: "connect", hostname: "cam", port: 554, secure: false }]);
  h.clear();
  h.machine.connected();
  assert.deepEqual(h.written(), [
    "OPTIONS rtsp://cam:554/live RTSP/1.0\r\nCSeq: 1\r\nUser-Agent: rtsp.ts\r\n\r\n",
  ]);
  h.reply(response(1, "200 OK", ["Public: OPTIONS, DESCRIBE, SETUP, PLAY, GET_PARAMETER"]));
  assert.deepEqual(h.written(), [
    "DESCRIBE rtsp://cam:554/live RTSP/1.0\r\nCSeq: 2\r\nUser-Agent: rtsp.ts\r\nAccept: application/sdp\r\n\r\n",
  ]);
  h.reply(
    response(
      2,
      "200 OK",
      ["Content-Base: rtsp://cam:554/live/", "Content-Type: application/sdp"],
      SDP,
    ),
  );
  const described = h.find("described")[0].description;
  assert.deepEqual(
    described.tracks.map((t) => [t.controlUrl, t.codec, t.description.payloadType]),
    [
      ["rtsp://cam:554/live/trackID=0", "H264", 96],
      ["rtsp://cam:554/live/trackID=1", "PCMU", 0],
    ],
  );
  assert.equal(described.aggregateUrl, "rtsp://cam:554/live/");
  assert.deepEqual(h.written(), [
    "SETUP rtsp://cam:554/live/trackID=0 RTSP/1.0\r\nCSeq: 3\r\nUser-Agent: rtsp.ts\r\n" +
    "Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\r\n",
  ]);
  h.reply(
    response(3, "200 OK", [
      "Session: 4F1A;timeout=30",
      "Transport: RTP/AVP/TCP;unicast;interleaved=0-1",
    ]),
  );
  assert.deepEqual(h.written(), [
    "SETUP rtsp://cam:554/live/trackID=1 RTSP/1.0\r\nCSeq: 4\r\nUser-Agent: rtsp.ts\r\nSession: 4F1A\r\n" +
    "Transport: RTP/AVP/TCP;unicast;interleaved=2-3\r\n\r\n",
  ]);
  h.reply(
    response(4, "200 OK", [
      "Session: 4F1A;timeout=30",
      "Transport: RTP/AVP/TCP;unicast;interleaved=2-3",
    ]),
  );
  assert.equal(h.machine.state, ClientState.Ready);
  assert.deepEqual(h.kinds(), ["connected", "described", "ready"]);
  h.machine.play();
  assert.deepEqual(h.written(), [
    "PLAY rtsp://cam:554/live/ RTSP/1.0\r\nCSeq: 5\r\nUser-Agent: rtsp.ts\r\nSession: 4F1A\r\nRange: npt=0.000-\r\n\r\n",
  ]);
  h.reply(response(5, "200 OK", [
    "Session: 4F1A",
    "RTP-Info: url=rtsp://cam:554/live/trackID=1;seq=7;rtptime=100,url=rtsp://cam:554/live/trackID=0;seq=9;rtptime=200",
  ]));
  assert.equal(h.machine.state, ClientState.Playing);
  assert.deepEqual(h.find("playing")[0].rtpInfo, [
    { url: "rtsp://cam:554/live/trackID=0", seq: 9, rtptime: 200 },
    { url: "rtsp://cam:554/live/trackID=1", seq: 7, rtptime: 100 },
  ]);
  h.clear();
  // An IDR as a single NAL unit packet (RFC 6184, 5.6) on channel 0, then PCMU on channel 2.
  const idr = buildRtpPacket(
    { payloadType: 96, marker: true, sequenceNumber: 9, timestamp: 200, ssrc: 1 },
    new Uint8Array([0x65, 0x88, 0x84]),
  );
  const pcmu = buildRtpPacket(
    { payloadType: 0, marker: false, sequenceNumber: 7, timestamp: 100, ssrc: 2 },
    new Uint8Array(160).fill(0xff),
  );
  h.machine.receive(new Uint8Array([...interleavedFrame(0, idr), ...interleavedFrame(2, pcmu)]));
  const frames = h.find("frame").map((f) => f.frame);
  assert.deepEqual(frames.map((f) => [f.track, f.timestamp, f.keyframe, f.units.length]), [
    [0, 200, true, 1],
    [1, 100, true, 1],
  ]);
  assert.deepEqual(h.find("rtp").map((r) => [r.track, r.packet.header.sequenceNumber]), [[0, 9], [
    1,
    7,
  ]]);
  h.clear();
  // RTCP on channel 1: a sender report, then BYE (RFC 3550, 6.6).
  const sr = buildSenderReport({
    ssrc: 1,
    ntpTimeMs: 0,
    rtpTimestamp: 0,
    packetCount: 1,
    octetCount: 3,
  });
  h.machine.receive(interleavedFrame(1, buildCompound(sr, buildBye([1], "bye now"))));
  assert.deepEqual(h.find("bye"), [{ kind: "bye", track: 0, reason: "bye now" }]);
  h.clear();
  h.machine.close();
  assert.deepEqual(h.written(), [
    "TEARDOWN rtsp://cam:554/live/ RTSP/1.0\r\nCSeq: 6\r\nUser-Agent: rtsp.ts\r\nSession: 4F1A\r\n\r\n",
  ]);
  h.reply(response(6));
  assert.deepEqual(h.kinds(), ["close-connection", "closed"]);
  assert.equal(h.scheduler.pending, 0);
});

Deno.test("RtspClientMachine keeps the session alive at half its timeout with GET_PARAMETER when offered", () => {
  const h = harness("rtsp://cam:554/live", { transport: "tcp", mediaTimeoutMs: 0 });
  toReady(h);
  h.written();
  h.scheduler.advance(14_999);
  assert.deepEqual(h.written(), []);
  h.scheduler.advance(1);
  assert.deepEqual(h.written(), [
    "GET_PARAMETER rtsp://cam:554/live/ RTSP/1.0\r\nCSeq: 5\r\nUser-Agent: rtsp.ts\r\nSession: 4F1A\r\n\r\n",
  ]);
  h.reply(response(5));
  h.scheduler.advance(15_000);
  assert.match(h.written()[0], /^GET_PARAMETER [^]*\r\nCSeq: 6\r\n/);
});

Deno.test("RtspClientMachine keeps alive with OPTIONS when Public lacks GET_PARAMETER, default timeout 60 s", () => {
  const h = harness("rtsp://cam:554/live", { transport: "tcp", mediaTimeoutMs: 0 });
  h.machine.start();
  h.machine.connected();
  h.reply(response(1, "200 OK", ["Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN"]));
  h.reply(response(2, "200 OK", ["Content-Type: application/sdp"], SDP));
  h.reply(response(3, "200 OK", ["Session: 77", "Transport: RTP/AVP/TCP;unicast;interleaved=0-1"]));
  h.reply(response(4, "200 OK", ["Session: 77", "Transport: RTP/AVP/TCP;unicast;interleaved=2-3"]));
  h.written();
  h.scheduler.advance(29_999);
  assert.deepEqual(h.written(), []);
  h.scheduler.advance(1);
  assert.deepEqual(h.written(), [
    "OPTIONS rtsp://cam:554/live RTSP/1.0\r\nCSeq: 5\r\nUser-Agent: rtsp.ts\r\nSession: 77\r\n\r\n",
  ]);
  // 454: the server forgot the session.
  h.reply(response(5, "454 Session Not Found"));
  assert.deepEqual(h.find("error")[0].error, {
    kind: "http-status",
    method: "OPTIONS",
    status: 454,
    reason: "Session Not Found",
  });
});

Deno.test("RtspClientMachine resolves controls against the request URL without Content-Base", () => {
  const h = harness("rtsp://cam/live", { transport: "tcp" });
  h.machine.start();
  h.machine.connected();
  h.reply(response(1));
  h.reply(response(2, "200 OK", [], SDP));
  assert.match(h.written().at(-1)!, /^SETUP rtsp:\/\/cam\/live\/trackID=0 /);
});

Deno.test("RtspClientMachine answers Basic once and refuses to loop on a second 401", () => {
  const h = harness("rtsp://alice:wonder%20land@cam/live");
  h.machine.start();
  h.machine.connected();
  h.written();
  h.reply(response(1, "401 Unauthorized", ['WWW-Authenticate: Basic realm="cam"']));
  const retried = h.written();
  assert.equal(retried.length, 1);
  assert.match(retried[0], /^OPTIONS rtsp:\/\/cam\/live RTSP\/1.0\r\nCSeq: 2\r\n/);
  assert.match(retried[0], new RegExp(`Authorization: Basic ${btoa("alice:wonder land")}\r\n`));
  h.reply(response(2, "401 Unauthorized", ['WWW-Authenticate: Basic realm="cam"']));
  assert.deepEqual(h.find("error")[0].error, { kind: "auth-failed", reason: "refused" });
  assert.deepEqual(h.written(), []);
  assert.equal(h.machine.state, ClientState.Closed);
});

Deno.test("RtspClientMachine answers Digest, keeps using it, and retries a stale nonce once", () => {
  const h = harness("rtsp://alice:wonderland@cam/live", { transport: "tcp" });
  h.machine.start();
  h.machine.connected();
  h.reply(response(1));
  h.written();
  h.reply(response(2, "401 Unauthorized", ['WWW-Authenticate: Digest realm="r", nonce="n1"']));
  const ha1 = md5Hex("alice:r:wonderland");
  const expected = md5Hex(`${ha1}:n1:${md5Hex("DESCRIBE:rtsp://cam/live")}`);
  const describe = h.written()[0];
  assert.match(describe, /^DESCRIBE rtsp:\/\/cam\/live RTSP\/1.0\r\nCSeq: 3\r\n/);
  assert.ok(describe.includes(`response="${expected}"`), describe);
  h.reply(response(3, "200 OK", [], SDP));
  // Later requests carry credentials for the same challenge.
  assert.match(
    h.written()[0],
    /^SETUP [^]*Authorization: Digest username="alice", realm="r", nonce="n1"/,
  );
  // The nonce expired: stale=true (RFC 7616, 3.3) earns one more try...
  h.reply(
    response(4, "401 Unauthorized", ['WWW-Authenticate: Digest realm="r", nonce="n2", stale=true']),
  );
  assert.match(h.written()[0], /^SETUP [^]*CSeq: 5\r\n[^]*nonce="n2"/);
  // ...and so does one more new nonce, but a third 401 to the same request is final.
  h.reply(
    response(5, "401 Unauthorized", ['WWW-Authenticate: Digest realm="r", nonce="n3", stale=true']),
  );
  assert.match(h.written()[0], /^SETUP [^]*CSeq: 6\r\n[^]*nonce="n3"/);
  h.reply(
    response(6, "401 Unauthorized", ['WWW-Authenticate: Digest realm="r", nonce="n4", stale=true']),
  );
  assert.deepEqual(h.find("error")[0].error, { kind: "auth-failed", reason: "refused" });
});

Deno.test("RtspClientMachine without credentials reports a 401 as auth-failed", () => {
  const h = harness();
  h.machine.start();
  h.machine.connected();
  h.reply(response(1, "401 Unauthorized", ['WWW-Authenticate: Digest realm="r", nonce="n"']));
  assert.deepEqual(h.find("error")[0].error, { kind: "auth-failed", reason: "no-credentials" });
});

Deno.test("RtspClientMachine follows redirects to another host, at most 3 in a row", () => {
  const h = harness("rtsp://u:p@cam/live");
  h.machine.start();
  h.machine.connected();
  h.clear();
  h.reply(response(1, "302 Moved Temporarily", ["Location: rtsp://other:8554/moved"]));
  assert.deepEqual(h.outputs, [
    { kind: "redirected", url: "rtsp://other:8554/moved" },
    { kind: "close-connection" },
    { kind: "connect", hostname: "other", port: 8554, secure: false },
  ]);
  h.clear();
  h.machine.connected();
  const options = h.written()[0];
  assert.match(options, /^OPTIONS rtsp:\/\/other:8554\/moved RTSP\/1.0\r\nCSeq: 2\r\n/);
  // Credentials stay with the host they were given for.
  h.reply(response(2, "401 Unauthorized", ['WWW-Authenticate: Basic realm="x"']));
  assert.deepEqual(h.find("error")[0].error, { kind: "auth-failed", reason: "no-credentials" });

  const loop = harness("rtsp://cam/a");
  loop.machine.start();
  for (let i = 1; i <= 4; i++) {
    loop.machine.connected();
    loop.reply(response(i, "301 Moved Permanently", [`Location: /hop${i}`]));
  }
  assert.deepEqual(loop.find("redirected").map((r) => r.url), [
    "rtsp://cam/hop1",
    "rtsp://cam/hop2",
    "rtsp://cam/hop3",
  ]);
  assert.deepEqual(loop.find("error")[0].error, { kind: "too-many-redirects", count: 4 });
});

/** Drives an `auto` client to its first UDP SETUP. */
function toUdpSetup(h: ReturnType<typeof harness>) {
  h.machine.start();
  h.machine.connected();
  h.reply(response(1));
  h.reply(response(2, "200 OK", ["Content-Base: rtsp://cam:554/live/"], SDP));
  assert.equal(h.machine.state, ClientState.AwaitingPorts);
  assert.deepEqual(h.find("open-udp"), [{ kind: "open-udp", tracks: 2 }]);
  h.machine.useUdpPorts([[5000, 5001], [5002, 5003]]);
}

Deno.test("RtspClientMachine falls back to TCP on 461 Unsupported Transport", () => {
  const h = harness();
  toUdpSetup(h);
  assert.match(h.written().at(-1)!, /Transport: RTP\/AVP;unicast;client_port=5000-5001\r\n/);
  h.clear();
  h.reply(response(3, "461 Unsupported Transport"));
  assert.deepEqual(h.kinds(), ["transport-fallback", "close-udp"]);
  assert.match(h.written()[0], /^SETUP rtsp:\/\/cam:554\/live\/trackID=0 [^]*interleaved=0-1\r\n/);
});

Deno.test("RtspClientMachine with transport udp reports 461 as an error", () => {
  const h = harness("rtsp://cam:554/live", { transport: "udp" });
  toUdpSetup(h);
  h.reply(response(3, "461 Unsupported Transport"));
  assert.equal(h.find("error")[0].error.kind, "http-status");
  assert.equal(h.find("close-udp").length, 1);
});

/** Sets up both tracks over UDP and plays (CSeq 3, 4, 5). */
function toUdpPlaying(h: ReturnType<typeof harness>) {
  toUdpSetup(h);
  h.reply(
    response(3, "200 OK", [
      "Session: S1",
      "Transport: RTP/AVP;unicast;client_port=5000-5001;server_port=6000-6001",
    ]),
  );
  h.reply(
    response(4, "200 OK", [
      "Session: S1",
      "Transport: RTP/AVP;unicast;client_port=5002-5003;server_port=6000-6001",
    ]),
  );
  h.machine.play();
  h.reply(response(5));
  assert.equal(h.machine.state, ClientState.Playing);
  h.written();
  h.clear();
}

Deno.test("RtspClientMachine restarts over TCP when no UDP packet comes within 3 s of PLAY", () => {
  const h = harness();
  toUdpPlaying(h);
  h.scheduler.advance(2_999);
  assert.deepEqual(h.kinds(), []);
  h.scheduler.advance(1);
  assert.deepEqual(h.kinds(), ["transport-fallback", "close-udp"]);
  assert.deepEqual(h.written(), [
    "TEARDOWN rtsp://cam:554/live/ RTSP/1.0\r\nCSeq: 6\r\nUser-Agent: rtsp.ts\r\nSession: S1\r\n\r\n",
  ]);
  h.reply(response(6));
  assert.match(h.written()[0], /^SETUP [^]*CSeq: 7\r\n[^]*interleaved=0-1/);
  assert.ok(!h.written().join("").includes("Session"), "the old session is forgotten");
  h.reply(response(7, "200 OK", ["Session: S2", "Transport: RTP/AVP/TCP;unicast;interleaved=0-1"]));
  h.reply(response(8, "200 OK", ["Session: S2", "Transport: RTP/AVP/TCP;unicast;interleaved=2-3"]));
  // It was playing: PLAY follows by itself.
  assert.match(
    h.written().at(-1)!,
    /^PLAY rtsp:\/\/cam:554\/live\/ RTSP\/1.0\r\nCSeq: 9\r\n[^]*Session: S2/,
  );
});

Deno.test("RtspClientMachine stays on UDP when packets arrive, and frames them", () => {
  const h = harness();
  toUdpPlaying(h);
  const packet = buildRtpPacket(
    { payloadType: 0, marker: false, sequenceNumber: 1, timestamp: 8000, ssrc: 5 },
    new Uint8Array(160),
  );
  h.machine.receiveDatagram(1, false, packet);
  h.scheduler.advance(5_000);
  assert.deepEqual(h.kinds(), ["rtp", "frame", "send-datagram"]);
  assert.deepEqual(h.machine.trackStats, [
    { packets: 0, invalid: 0, dropped: 0 },
    { packets: 1, invalid: 0, dropped: 0 },
  ]);
});

Deno.test("RtspClientMachine gives up when media stops while playing", () => {
  const h = harness("rtsp://cam/live", { transport: "tcp" });
  toReady(h);
  h.machine.play();
  h.reply(response(5));
  h.clear();
  h.scheduler.advance(10_000);
  assert.deepEqual(h.find("error")[0].error, { kind: "timeout", what: "media" });
});

Deno.test("RtspClientMachine times out a request that gets no answer", () => {
  const h = harness("rtsp://cam/live", { responseTimeoutMs: 5_000 });
  h.machine.start();
  h.machine.connected();
  h.scheduler.advance(4_999);
  assert.deepEqual(h.find("error"), []);
  h.scheduler.advance(1);
  assert.deepEqual(h.find("error")[0].error, {
    kind: "timeout",
    what: "response",
    method: "OPTIONS",
  });
  assert.equal(h.machine.state, ClientState.Closed);
  assert.equal(h.scheduler.pending, 0);
});

Deno.test("RtspClientMachine answers a server's GET_PARAMETER ping and refuses other requests", () => {
  const h = harness();
  h.machine.start();
  h.machine.connected();
  h.written();
  h.reply(
    "GET_PARAMETER rtsp://cam/live RTSP/1.0\r\nCSeq: 90\r\n\r\nANNOUNCE rtsp://cam/live RTSP/1.0\r\nCSeq: 91\r\n\r\n",
  );
  const answers = h.written();
  assert.match(answers[0], /^RTSP\/1.0 200 OK\r\nCSeq: 90\r\n/);
  assert.match(answers[1], /^RTSP\/1.0 501 Not Implemented\r\nCSeq: 91\r\n/);
  assert.equal(h.machine.state, ClientState.Options);
});

/** Hostile or broken server input, and the error it must give. */
const HOSTILE: Array<{ name: string; input: () => string; error: unknown }> = [
  {
    name: "a head larger than the limit",
    input: () => `RTSP/1.0 200 OK\r\nCSeq: 1\r\nX: ${"a".repeat(20_000)}\r\n\r\n`,
    error: { kind: "malformed", detail: "Message head exceeds the limit" },
  },
  {
    name: "a head that never ends",
    input: () => `RTSP/1.0 200 OK\r\nCSeq: 1\r\n${"X-Pad: y\r\n".repeat(2000)}`,
    error: { kind: "malformed", detail: "Message head exceeds the limit" },
  },
  {
    name: "a bad Content-Length",
    input: () => "RTSP/1.0 200 OK\r\nCSeq: 1\r\nContent-Length: -5\r\n\r\n",
    error: { kind: "malformed", detail: 'Cannot parse Content-Length "-5"' },
  },
  {
    name: "a body larger than the limit",
    input: () => "RTSP/1.0 200 OK\r\nCSeq: 1\r\nContent-Length: 99999999\r\n\r\n",
    error: { kind: "malformed", detail: "Body of 99999999 bytes exceeds the limit" },
  },
  {
    name: "a wrong CSeq",
    input: () => response(7),
    error: { kind: "malformed", detail: 'Response CSeq "7" does not match 1' },
  },
  {
    name: "no CSeq",
    input: () => "RTSP/1.0 200 OK\r\n\r\n",
    error: { kind: "malformed", detail: 'Response CSeq "" does not match 1' },
  },
  {
    name: "binary garbage",
    input: () => "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",
    error: { kind: "malformed", detail: "Request line holds a non-printable byte" },
  },
  {
    name: "a status that is no status",
    input: () => "RTSP/1.0 abc OK\r\nCSeq: 1\r\n\r\n",
    error: { kind: "malformed", detail: "Status 0" },
  },
];

for (const { name, input, error } of HOSTILE) {
  Deno.test(`RtspClientMachine turns ${name} into a typed error`, () => {
    const h = harness();
    h.machine.start();
    h.machine.connected();
    h.clear();
    h.reply(input());
    assert.deepEqual(h.find("error").map((e) => e.error), [error]);
    assert.deepEqual(h.kinds().slice(-2), ["close-connection", "closed"]);
    assert.equal(h.scheduler.pending, 0);
    // Nothing more happens after closing.
    h.reply(response(1));
    h.machine.play();
    h.machine.close();
    assert.deepEqual(h.outputs, []);
  });
}

/** Bad DESCRIBE answers. */
const BAD_DESCRIBE: Array<{ name: string; headers: string[]; body: string; error: unknown }> = [
  {
    name: "an HTML body",
    headers: ["Content-Type: text/html"],
    body: "<html></html>",
    error: { kind: "malformed", detail: "DESCRIBE answered with text/html" },
  },
  {
    name: "no SDP at all",
    headers: [],
    body: "hello",
    error: { kind: "malformed", detail: "SDP not-sdp: no v= line and no media" },
  },
  {
    name: "no RTP track",
    headers: [],
    body: "v=0\r\nm=video 0 RTP/AVP 200\r\n",
    error: { kind: "malformed", detail: "SDP describes no RTP track" },
  },
  {
    name: "too many tracks",
    headers: [],
    body: "v=0\r\n" + "m=audio 0 RTP/AVP 0\r\n".repeat(17),
    error: { kind: "too-many-tracks", count: 17 },
  },
];

for (const { name, headers, body, error } of BAD_DESCRIBE) {
  Deno.test(`RtspClientMachine refuses a DESCRIBE answer with ${name}`, () => {
    const h = harness();
    h.machine.start();
    h.machine.connected();
    h.reply(response(1));
    h.reply(response(2, "200 OK", headers, body));
    assert.deepEqual(h.find("error").map((e) => e.error), [error]);
  });
}

Deno.test("RtspClientMachine refuses a SETUP answer without Session and reports a lost connection", () => {
  const h = harness("rtsp://cam/live", { transport: "tcp" });
  h.machine.start();
  h.machine.connected();
  h.reply(response(1));
  h.reply(response(2, "200 OK", [], SDP));
  h.reply(response(3, "200 OK", ["Transport: RTP/AVP/TCP;unicast;interleaved=0-1"]));
  assert.deepEqual(h.find("error")[0].error, {
    kind: "malformed",
    detail: "SETUP answer without a usable Session",
  });

  const lost = harness();
  lost.machine.start();
  lost.machine.connected();
  lost.machine.connectionClosed();
  assert.deepEqual(lost.find("error")[0].error, { kind: "connection-closed" });
  assert.equal(lost.find("closed").length, 1);
});

Deno.test("RtspClientMachine closes without TEARDOWN before a session exists", () => {
  const h = harness();
  h.machine.start();
  h.machine.connected();
  h.written();
  h.clear();
  h.machine.close();
  assert.deepEqual(h.written(), []);
  assert.deepEqual(h.kinds(), ["close-connection", "closed"]);
});

Deno.test("RtspClientMachine rejects a URL it cannot parse", () => {
  assert.throws(() => harness("http://cam/live"), TypeError);
});

Deno.test("RtspClientMachine closes on any answer to TEARDOWN, a 3xx included", () => {
  const h = harness("rtsp://cam/live", { transport: "tcp" });
  toReady(h);
  h.machine.close();
  h.clear();
  h.reply(response(5, "302 Found", ["Location: rtsp://elsewhere/x"]));
  assert.deepEqual(h.kinds(), ["close-connection", "closed"]);
  assert.equal(h.scheduler.pending, 0);
});

Deno.test("RtspClientMachine closes when TEARDOWN gets no answer, without an error", () => {
  const h = harness("rtsp://cam/live", { transport: "tcp" });
  toReady(h);
  h.machine.close();
  h.clear();
  h.scheduler.advance(10_000);
  assert.deepEqual(h.kinds(), ["close-connection", "closed"]);
});

Deno.test("RtspClientMachine punches the server's UDP ports after SETUP (an empty RTP packet, an empty RR)", () => {
  const h = harness();
  toUdpSetup(h);
  h.clear();
  h.reply(
    response(3, "200 OK", [
      "Session: S1",
      "Transport: RTP/AVP;unicast;client_port=5000-5001;server_port=6000-6001",
    ]),
  );
  const sent = h.find("send-datagram");
  assert.deepEqual(sent.map((d) => [d.track, d.rtcp, d.port, d.bytes.length]), [
    [0, false, 6000, 12],
    [0, true, 6001, 8 + 28],
  ]);
  const rtcp = parseRtcpCompound(sent[1].bytes);
  assert.ok(rtcp.ok);
  assert.deepEqual(rtcp.packets.map((p) => p.type), ["rr", "sdes"]);
});

Deno.test("RtspClientMachine sends RTCP receiver reports every 5 s while playing (RFC 3550, 6.4.2)", () => {
  const h = harness("rtsp://cam/live", { transport: "tcp", mediaTimeoutMs: 0 });
  toReady(h);
  h.machine.play();
  h.reply(response(5));
  h.written();
  // Sequence numbers 10, 11, 13: one lost.
  for (const seq of [10, 11, 13]) {
    const packet = buildRtpPacket(
      { payloadType: 0, marker: false, sequenceNumber: seq, timestamp: seq * 160, ssrc: 0x1234 },
      new Uint8Array(160),
    );
    h.machine.receive(interleavedFrame(2, packet));
  }
  h.scheduler.advance(5_000);
  const writes = h.outputs.filter((o) => o.kind === "write").map((o) => o.bytes);
  assert.equal(writes.length, 1);
  // One interleaved frame on track 1's RTCP channel (3).
  assert.deepEqual([...writes[0].subarray(0, 2)], [0x24, 3]);
  const rtcp = parseRtcpCompound(writes[0].subarray(4));
  assert.ok(rtcp.ok);
  const rr = rtcp.packets[0];
  assert.ok(rr.type === "rr");
  assert.deepEqual(
    rr.reports.map((b) => [b.ssrc, b.highestSequence, b.cumulativeLost, b.fractionLost]),
    [[0x1234, 13, 1, 64]],
  );
});
