/**
 * Fuzz target: the RTSP client state machine fed hostile server bytes. The
 * first input byte picks the options (transport, credentials, small limits);
 * the rest is what the "server" sends, pushed in chunks (sizes drawn from a
 * generator seeded by the input), with the manual clock moved between chunks
 * and `play()` asked for on the way.
 *
 * Properties: nothing throws; every output is one the machine may give; an
 * `error` event is followed by `closed`, `closed` comes at most once and
 * nothing follows it; the state is a {@linkcode ClientState}; the bytes it
 * writes stay bounded (no request loop), and so do its pending timers.
 * @module
 */

import { type ClientOutput, ClientState } from "../../_rtsp/client/client_outputs.ts";
import { RtspClientMachine } from "../../_rtsp/client/rtsp_client_machine.ts";
import { concatBytes } from "../../_rtsp/bytes.ts";
import { interleavedFrame } from "../../_rtsp/interleaved.ts";
import { buildBye } from "../../_rtsp/rtp/rtcp.ts";
import { buildRtpPacket } from "../../_rtsp/rtp/rtp_packet.ts";
import { ManualScheduler } from "../../_testing/manual_scheduler.ts";
import { check, type FuzzTarget } from "../check.ts";
import { fnv1a, Prng } from "../prng.ts";

/** Largest chunk pushed at once. */
const MAX_CHUNK_BYTES = 2048;
/** Most requests one input may cause besides answers to the server's requests. */
const MAX_WRITES_BASE = 64;
/** The shortest request a server can send ("A B C\n\n"): each one is answered. */
const MIN_REQUEST_BYTES = 7;
/** Timers a client may hold at once: response, keep-alive, UDP check, media check, RTCP reports. */
const MAX_PENDING_TIMERS = 5;
const STATES: ReadonlySet<string> = new Set(Object.values(ClientState));
const encoder = new TextEncoder();

const SDP = "v=0\r\ns=cam\r\nt=0 0\r\na=control:*\r\nm=video 0 RTP/AVP 96\r\n" +
  "a=rtpmap:96 H264/90000\r\na=control:trackID=0\r\nm=audio 0 RTP/AVP 97\r\n" +
  "a=rtpmap:97 mpeg4-generic/44100/2\r\na=fmtp:97 mode=AAC-hbr;sizelength=13;indexlength=3\r\n" +
  "a=control:trackID=1\r\n";

function response(cseq: number, status: string, headers: string[], body = ""): string {
  const lines = [`RTSP/1.0 ${status}`, `CSeq: ${cseq}`, ...headers];
  if (body !== "") lines.push(`Content-Length: ${body.length}`);
  return lines.join("\r\n") + "\r\n\r\n" + body;
}

/** A whole session as a server answers it over TCP, then media and a BYE. */
function sessionSeed(mode: number, auth: boolean): Uint8Array {
  const parts: Uint8Array[] = [new Uint8Array([mode])];
  let cseq = 1;
  const text = (t: string) => parts.push(encoder.encode(t));
  if (auth) {
    text(response(cseq++, "401 Unauthorized", [
      'WWW-Authenticate: Digest realm="r", nonce="n", algorithm=SHA-256, qop="auth"',
      'WWW-Authenticate: Digest realm="r", nonce="m"',
    ]));
  }
  text(response(cseq++, "200 OK", ["Public: OPTIONS, DESCRIBE, SETUP, PLAY, GET_PARAMETER"]));
  text(
    response(
      cseq++,
      "200 OK",
      ["Content-Base: rtsp://cam/live/", "Content-Type: application/sdp"],
      SDP,
    ),
  );
  text(
    response(cseq++, "200 OK", ["Session: 1;timeout=10", "Transport: RTP/AVP/TCP;interleaved=0-1"]),
  );
  text(response(cseq++, "200 OK", ["Session: 1", "Transport: RTP/AVP/TCP;interleaved=2-3"]));
  text(response(cseq++, "200 OK", ["RTP-Info: url=rtsp://cam/live/trackID=0;seq=1;rtptime=5"]));
  for (let seq = 1; seq < 4; seq++) {
    const header = {
      payloadType: 96,
      marker: seq === 3,
      sequenceNumber: seq,
      timestamp: 5,
      ssrc: 9,
    };
    const payload = seq === 1
      ? new Uint8Array([0x7c, 0x85, 1, 2])
      : new Uint8Array([0x7c, seq === 3 ? 0x45 : 0x05, 3, 4]);
    parts.push(interleavedFrame(0, buildRtpPacket(header, payload)));
  }
  const aac = new Uint8Array([0x00, 0x10, 0x00, 0x20, 1, 2, 3, 4]);
  parts.push(
    interleavedFrame(
      2,
      buildRtpPacket(
        { payloadType: 97, marker: true, sequenceNumber: 1, timestamp: 0, ssrc: 3 },
        aac,
      ),
    ),
  );
  parts.push(interleavedFrame(1, buildBye([9], "gone")));
  text(response(cseq, "302 Found", ["Location: rtsp://other/x"]));
  return concatBytes(...parts);
}

function clientSeeds(): Uint8Array[] {
  return [
    sessionSeed(0, false),
    sessionSeed(6, true),
    sessionSeed(1, false),
    sessionSeed(15, true),
  ];
}

/** Runs one input; see the module comment. */
function runClient(input: Uint8Array): void {
  const mode = input[0] ?? 0;
  const rng = new Prng(fnv1a(input));
  const scheduler = new ManualScheduler();
  const transports = ["tcp", "auto", "udp"] as const;
  let closed = false;
  let errored = false;
  let writes = 0;
  let udpAsked = false;
  const outputs: ClientOutput[] = [];
  const machine = new RtspClientMachine(
    mode & 4 ? "rtsp://user:p%40ss@cam/live" : "rtsp://cam/live",
    {
      output: (o) => {
        check(!closed, `${o.kind} after closed`);
        if (o.kind === "error") errored = true;
        if (o.kind === "closed") closed = true;
        if (o.kind === "write") writes++;
        if (o.kind === "open-udp") udpAsked = true;
        outputs.push(o);
      },
      scheduler,
      transport: transports[mode % 3],
      randomBytes: (n) => new Uint8Array(n).fill(7),
      ...(mode & 8 ? { maxHeadBytes: 300, maxBodyBytes: 400, maxTracks: 1 } : {}),
    },
  );
  machine.start();
  machine.connected();
  const body = input.subarray(1);
  let at = 0;
  while (at < body.length && !closed) {
    const size = rng.smallSize(MAX_CHUNK_BYTES);
    machine.receive(body.subarray(at, at + size));
    at += size;
    if (udpAsked) {
      udpAsked = false;
      machine.useUdpPorts(rng.chance(0.8) ? [[5000, 5001], [5002, 5003], [5004, 5005]] : []);
    }
    if (rng.chance(0.2)) machine.play();
    if (rng.chance(0.1)) {
      machine.receiveDatagram(rng.below(3), rng.chance(0.5), body.subarray(0, 40));
    }
    if (rng.chance(0.3)) scheduler.advance(rng.below(40_000));
    check(STATES.has(machine.state), `state ${machine.state}`);
    check(scheduler.pending <= MAX_PENDING_TIMERS, `${scheduler.pending} timers pending`);
  }
  check(
    writes <= MAX_WRITES_BASE + body.length / MIN_REQUEST_BYTES,
    `${writes} writes for ${body.length} bytes`,
  );
  if (rng.chance(0.5)) machine.close();
  else machine.connectionClosed();
  scheduler.advance(60_000);
  check(closed, "not closed after close() or the connection's end, and a minute");
  check(
    !errored ||
      outputs.findIndex((o) => o.kind === "error") < outputs.findIndex((o) => o.kind === "closed"),
    "error after closed",
  );
  check(scheduler.pending === 0, `${scheduler.pending} timers left after closing`);
}

/** The client target. */
export const clientTarget: FuzzTarget = {
  name: "client",
  seeds: clientSeeds,
  run: runClient,
};
