/**
 * Timers driven by a manual scheduler, without sleeping: a relay's grace
 * period and takeover, a UDP reader's paced catch-up, and session expiry in a
 * whole server.
 */

import { tcpTransport, testSession, udpTransport } from "../_testing/sessions.ts";
import assert from "node:assert/strict";
import { FrameDelivery, mediaFrame } from "./fanout/media_frame.ts";
import { announcedTracks, parseSdp } from "../_rtsp/sdp_parse.ts";
import { ManualScheduler } from "../_testing/manual_scheduler.ts";
import { RawClient } from "../_testing/raw_client.ts";
import { startTestServer } from "../_testing/server.ts";
import { CATCH_UP_TICK_MS, TcpReader, UdpReader } from "./reader.ts";
import { RelayStream } from "./relay_stream.ts";
import type { DatagramSink, InterleavedSink } from "./ports.ts";
import { MAX_AUDIO_HOLD_MS } from "./broadcast.ts";
import { buildSenderReport, parseRtcpCompound } from "../_rtsp/rtp/rtcp.ts";

const SDP = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\nt=0 0\r\n" +
  "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=control:trackID=0\r\n";

function relay(clock: ManualScheduler, expired: string[]): RelayStream {
  const parsed = parseSdp(SDP);
  assert.ok(parsed.ok);
  return new RelayStream({
    path: "/live",
    announcement: { path: "/live", sdp: SDP, tracks: announcedTracks(parsed.sdp) },
    graceMs: 10_000,
    scheduler: clock,
    cname: "test",
    onExpired: (r) => expired.push(r.path),
  });
}

/** A datagram sink that hands what it is asked to send to `rtp` and `rtcp`. */
function sinkOf(
  rtp: (bytes: Uint8Array) => void,
  rtcp: (bytes: Uint8Array) => void = () => {},
): DatagramSink {
  return {
    target: (address, port) => ({ address, port }),
    hasRoomFor: () => true,
    sendRtp: rtp,
    sendRtcp: rtcp,
  };
}

/** A publisher's Sender Report: `rtpTimestamp` is at `ntpTimeMs` (RFC 3550, 6.4.1). */
function senderReport(ssrc: number, ntpTimeMs: number, rtpTimestamp: number): Uint8Array {
  return buildSenderReport({ ssrc, ntpTimeMs, rtpTimestamp, packetCount: 1, octetCount: 8 });
}

Deno.test("a relay ends its path when the grace period passes with no publisher", () => {
  const clock = new ManualScheduler();
  const expired: string[] = [];
  const stream = relay(clock, expired);
  const parsed = parseSdp(SDP);
  assert.ok(parsed.ok);
  stream.startPublisher("A", { path: "/live", sdp: SDP, tracks: announcedTracks(parsed.sdp) });
  stream.publisherLeft("A");
  clock.advance(9_999);
  assert.deepEqual(expired, []);
  clock.advance(1);
  assert.deepEqual(expired, ["/live"]);
  clock.advance(60_000);
  assert.deepEqual(expired, ["/live"], "once");
});

Deno.test("a publisher taking over within the grace period keeps the path", () => {
  const clock = new ManualScheduler();
  const expired: string[] = [];
  const stream = relay(clock, expired);
  const parsed = parseSdp(SDP);
  assert.ok(parsed.ok);
  const announcement = { path: "/live", sdp: SDP, tracks: announcedTracks(parsed.sdp) };
  stream.startPublisher("A", announcement);
  stream.publisherLeft("A");
  clock.advance(9_000);
  stream.startPublisher("B", announcement);
  assert.equal(stream.publisherId, "B");
  clock.advance(60_000);
  assert.deepEqual(expired, []);
  // A late "left" from the old publisher changes nothing.
  stream.publisherLeft("A");
  clock.advance(60_000);
  assert.deepEqual(expired, []);
  assert.equal(clock.pending, 0, "no timer left behind");
  stream.close();
});

Deno.test("a UDP reader's catch-up leaves the keyframe at once and the rest on the scheduler's ticks", () => {
  const clock = new ManualScheduler();
  const sent: number[] = [];
  const udp: DatagramSink = sinkOf((bytes: Uint8Array) => sent.push(bytes.length));
  const session = testSession({ path: "/live", transports: [udpTransport()] });

  const reader = new UdpReader(session, udp, clock);
  const packet = () => {
    const p = new Uint8Array(1200);
    p.set([0x80, 96]);
    return p;
  };
  // A GOP of 1 MB: a keyframe of 100 packets, then 49 frames of 15 packets.
  const gop = [new FrameDelivery(mediaFrame(0, Array.from({ length: 100 }, packet), true, true))];
  for (let i = 0; i < 49; i++) {
    gop.push(new FrameDelivery(mediaFrame(0, Array.from({ length: 15 }, packet), true, false)));
  }
  reader.catchUp(gop);
  assert.equal(sent.length, 100, "the keyframe at once");
  let ticks = 0;
  while (sent.length < 100 + 49 * 15 && ticks < 1000) {
    const before = sent.length;
    clock.advance(CATCH_UP_TICK_MS);
    ticks++;
    // No burst: at most what 2 MB/s allows per tick, plus one frame.
    assert.ok((sent.length - before) * 1200 <= 2_000_000 * CATCH_UP_TICK_MS / 1000 + 15 * 1200);
  }
  assert.equal(sent.length, 100 + 49 * 15, `after ${ticks} ticks`);
  // ~0.9 MB of backlog at >= 2 MB/s: about half a second of ticks.
  assert.ok(ticks * CATCH_UP_TICK_MS <= 600, `${ticks} ticks`);
  assert.equal(clock.pending, 0, "the pacer stops once caught up");
});

Deno.test("a whole server expires idle sessions on its scheduler, without sleeping", async () => {
  const clock = new ManualScheduler(Date.now());
  await using srv = await startTestServer({ scheduler: clock, sessionTimeoutMs: 60_000 });
  const c = await RawClient.connect(srv.port);
  try {
    const setup = async (port: number, cseq: number) =>
      await c.request(
        `SETUP ${srv.url("/test")}/trackID=0 RTSP/1.0\r\nCSeq: ${cseq}\r\n` +
          `Transport: RTP/AVP;unicast;client_port=${port}-${port + 1}\r\n\r\n`,
      );
    const played = await setup(45000, 1);
    const id = played.headers.get("session")!.split(";")[0];
    const play = await c.request(
      `PLAY ${srv.url("/test")} RTSP/1.0\r\nCSeq: 2\r\nSession: ${id}\r\n\r\n`,
    );
    assert.equal(play.status, 200);
    await setup(45002, 3);
    assert.equal(srv.responder.sessions.size, 2);
    // The one never played goes after the setup timeout (10 s), the other after 60 s.
    clock.advance(11_000);
    assert.equal(srv.responder.sessions.size, 1);
    assert.ok(srv.responder.sessions.has(id));
    clock.advance(50_000);
    assert.equal(srv.responder.sessions.size, 0);
  } finally {
    c.close();
  }
});

Deno.test("a reader joining a relay gets the publisher's latest Sender Report before any RTP, not one from before a takeover", () => {
  const clock = new ManualScheduler();
  const stream = relay(clock, []);
  const parsed = parseSdp(SDP);
  assert.ok(parsed.ok);
  const announcement = { path: "/live", sdp: SDP, tracks: announcedTracks(parsed.sdp) };
  stream.startPublisher("A", announcement);
  const rtp = (seq: number, ts: number, marker: boolean) => {
    const p = new Uint8Array(20);
    p.set([0x80, (marker ? 0x80 : 0) | 96, seq >> 8, seq & 0xff]);
    new DataView(p.buffer).setUint32(4, ts);
    new DataView(p.buffer).setUint32(8, 0x1234);
    p.set([0x65, 0x88], 12); // an IDR slice: a keyframe for the GOP cache
    return p;
  };
  stream.receiveRtp(0, rtp(1, 90_000, true));
  stream.receiveRtcp(
    0,
    senderReport(0x1234, Date.UTC(2026, 0, 1), 90_000),
  );
  const join = () => {
    const order: string[] = [];
    const udp: DatagramSink = sinkOf(() => order.push("rtp"), (bytes: Uint8Array) => {
      const parsedRtcp = parseRtcpCompound(bytes);
      assert.ok(parsedRtcp.ok);
      order.push(parsedRtcp.packets[0].type);
    });
    const session = testSession({ path: "/live", transports: [udpTransport()] });
    const reader = new UdpReader(session, udp, clock);
    stream.attach(reader).begin?.();
    return order;
  };
  assert.deepEqual(join(), ["sr", "rtp"], "the SR, then the cached keyframe");
  stream.startPublisher("B", announcement);
  stream.receiveRtp(0, rtp(1, 5_000, true));
  assert.deepEqual(join(), ["rtp"], "no stale SR from publisher A");
  stream.close();
});

Deno.test("after a takeover the new publisher's SDP parameter sets reach readers in-band before its first keyframe, numbering kept contiguous", () => {
  const clock = new ManualScheduler();
  const b64 = (bytes: number[]) => btoa(String.fromCharCode(...bytes));
  const spsA = [0x67, 0x42, 0xc0, 0x1e, 0xaa];
  const ppsA = [0x68, 0xce, 0x3c, 0x80];
  const spsB = [0x67, 0x64, 0x00, 0x28, 0xbb];
  const ppsB = [0x68, 0xee, 0x3c, 0xb0];
  const announce = (sps: number[], pps: number[]) => {
    const sdp = SDP +
      `a=fmtp:96 packetization-mode=1;sprop-parameter-sets=${b64(sps)},${b64(pps)}\r\n`;
    const parsed = parseSdp(sdp);
    assert.ok(parsed.ok);
    return { path: "/live", sdp, tracks: announcedTracks(parsed.sdp) };
  };
  const stream = new RelayStream({
    path: "/live",
    announcement: announce(spsA, ppsA),
    graceMs: 10_000,
    scheduler: clock,
    cname: "test",
    onExpired: () => {},
  });
  const rtp = (seq: number, ts: number, ssrc: number, payload: number[]) => {
    const p = new Uint8Array(12 + payload.length);
    p.set([0x80, 0x80 | 96, seq >> 8, seq & 0xff]);
    new DataView(p.buffer).setUint32(4, ts);
    new DataView(p.buffer).setUint32(8, ssrc);
    p.set(payload, 12);
    return p;
  };
  const sent: Uint8Array[] = [];
  const udp: DatagramSink = sinkOf((bytes: Uint8Array) => sent.push(bytes.slice()));
  stream.startPublisher("A", announce(spsA, ppsA));
  stream.receiveRtp(0, rtp(100, 1000, 0x1111, [0x65, 0x88, 1]));
  stream.receiveRtp(0, rtp(101, 4600, 0x1111, [0x41, 0x9a, 2]));
  const reader = new UdpReader(
    testSession({ path: "/live", transports: [udpTransport()] }),
    udp,
    clock,
  );
  stream.attach(reader).begin?.();
  clock.advance(100);
  assert.equal(sent.length, 2, "the cached GOP");
  const seqOf = (p: Uint8Array) => (p[2] << 8) | p[3];

  stream.startPublisher("B", announce(spsB, ppsB));
  stream.receiveRtp(0, rtp(5000, 77, 0x9999, [0x65, 0x88, 3]));
  stream.receiveRtp(0, rtp(5001, 3677, 0x9999, [0x41, 0x9a, 4]));
  assert.equal(sent.length, 5);
  const [stap, idr, p] = sent.slice(2);
  assert.equal(stap[12] & 0x1f, 24, "a STAP-A (RFC 6184, 5.7.1)");
  assert.deepEqual([...stap.slice(13)], [0, 5, ...spsB, 0, 4, ...ppsB]);
  assert.deepEqual(sent.map(seqOf), [100, 101, 102, 103, 104], "no gap, no repeat");
  assert.equal(idr[12], 0x65);
  assert.equal(p[12], 0x41);
  assert.equal(new DataView(stap.buffer).getUint32(4), new DataView(idr.buffer).getUint32(4));
  assert.match(
    stream.description.tracks[0].fmtp ?? "",
    new RegExp(b64(spsB).replace(/[+/]/g, "\\$&")),
  );

  // A publisher whose keyframe carries its own SPS/PPS gets nothing added.
  stream.startPublisher("C", announce(spsA, ppsA));
  stream.receiveRtp(0, rtp(9, 5, 0x7777, [24, 0, 5, ...spsA, 0, 4, ...ppsA]));
  stream.receiveRtp(0, rtp(10, 5, 0x7777, [0x65, 0x88, 5]));
  assert.deepEqual(sent.slice(5).map(seqOf), [105, 106]);
  stream.close();
});

/** Wallclock of `rtpTimestamp` by a report's mapping, at `clockRate`. */
function wallOf(report: { ntpTimeMs: number; rtpTimestamp: number }, rtp: number, rate: number) {
  return report.ntpTimeMs + (((rtp - report.rtpTimestamp) | 0) * 1000) / rate;
}

const SR_CASES: ReadonlyArray<{
  readonly name: string;
  /** The source's reports: wallclock offset (ms) from its true mapping, and the RTP time. */
  readonly sent: ReadonlyArray<{ readonly offsetMs: number; readonly rtp: number }>;
  /** Offset (ms) each report passed on places on the source's true mapping. */
  readonly passed: readonly number[];
}> = [
  {
    name: "reports that jitter by a frame keep the first one's mapping",
    sent: [{ offsetMs: 0, rtp: 90_000 }, { offsetMs: 40, rtp: 540_000 }, {
      offsetMs: -60,
      rtp: 990_000,
    }],
    passed: [0, 0, 0],
  },
  {
    name: "a jump past the bound is followed, and kept from then on",
    sent: [{ offsetMs: 0, rtp: 90_000 }, { offsetMs: 1000, rtp: 540_000 }, {
      offsetMs: 1030,
      rtp: 990_000,
    }],
    passed: [0, 1000, 1000],
  },
];

for (const c of SR_CASES) {
  Deno.test(`a relay's Sender Reports to readers: ${c.name}`, () => {
    const clock = new ManualScheduler();
    const stream = relay(clock, []);
    const parsed = parseSdp(SDP);
    assert.ok(parsed.ok);
    stream.startPublisher("A", { path: "/live", sdp: SDP, tracks: announcedTracks(parsed.sdp) });
    const reports: Array<{ ntpTimeMs: number; rtpTimestamp: number }> = [];
    const udp: DatagramSink = sinkOf(() => {}, (bytes: Uint8Array) => {
      const p = parseRtcpCompound(bytes);
      assert.ok(p.ok);
      for (const packet of p.packets) if (packet.type === "sr") reports.push(packet);
    });
    const packet = new Uint8Array(20);
    packet.set([0x80, 0x80 | 96, 0, 1]);
    new DataView(packet.buffer).setUint32(4, 90_000);
    new DataView(packet.buffer).setUint32(8, 0x1234);
    packet.set([0x65, 0x88], 12);
    stream.receiveRtp(0, packet);
    const reader = new UdpReader(
      testSession({ path: "/live", transports: [udpTransport()] }),
      udp,
      clock,
    );
    stream.attach(reader).begin?.();
    // The source's true mapping: RTP 0 at this wallclock, 90 kHz.
    const epoch = Date.UTC(2026, 0, 1);
    for (const { offsetMs, rtp } of c.sent) {
      stream.receiveRtcp(
        0,
        senderReport(0x1234, epoch + rtp / 90 + offsetMs, rtp),
      );
    }
    assert.equal(reports.length, c.sent.length);
    // The relay shifts timestamps by a constant; compare where each report puts RTP 0's instant.
    const zero = (r: { ntpTimeMs: number; rtpTimestamp: number }, i: number) =>
      wallOf(r, (r.rtpTimestamp - c.sent[i].rtp) >>> 0, 90_000) - epoch;
    assert.deepEqual(
      reports.map((r, i) => Math.round(zero(r, i))),
      c.passed,
    );
    stream.close();
  });
}

Deno.test("a reader of two tracks gets no Sender Report first unless both tracks have one", () => {
  const clock = new ManualScheduler();
  const sdp = SDP + "m=audio 0 RTP/AVP 97\r\na=rtpmap:97 MPEG4-GENERIC/48000/2\r\n" +
    "a=fmtp:97 streamtype=5;profile-level-id=1;mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3;config=1190\r\n" +
    "a=control:trackID=1\r\n";
  const parsed = parseSdp(sdp);
  assert.ok(parsed.ok);
  const stream = new RelayStream({
    path: "/live",
    announcement: { path: "/live", sdp, tracks: announcedTracks(parsed.sdp) },
    graceMs: 10_000,
    scheduler: clock,
    cname: "test",
    onExpired: () => {},
  });
  stream.startPublisher("A", { path: "/live", sdp, tracks: announcedTracks(parsed.sdp) });
  const rtp = (track: number, seq: number, ts: number, payload: number[]) => {
    const p = new Uint8Array(12 + payload.length);
    p.set([0x80, 0x80 | (96 + track), seq >> 8, seq & 0xff]);
    new DataView(p.buffer).setUint32(4, ts);
    new DataView(p.buffer).setUint32(8, 0x1000 + track);
    p.set(payload, 12);
    stream.receiveRtp(track, p);
  };
  const sr = (track: number, ts: number) =>
    stream.receiveRtcp(
      track,
      senderReport(0x1000 + track, Date.UTC(2026, 0, 1) + ts / 90, ts),
    );
  const join = () => {
    const order: string[] = [];
    const udp: DatagramSink = sinkOf(() => order.push("rtp"), () => order.push("sr"));
    const session = testSession({
      path: "/live",
      transports: [udpTransport(0), udpTransport(1)],
    });
    stream.attach(new UdpReader(session, udp, clock)).begin?.();
    return order[0];
  };
  rtp(0, 1, 90_000, [0x65, 0x88]);
  rtp(1, 1, 48_000, [0x00, 0x10, 0x00, 0x08, 0x21]);
  sr(0, 90_000);
  assert.equal(join(), "rtp", "only the video track has a report: none is sent first");
  sr(1, 48_000);
  assert.equal(join(), "sr", "both have one: both go first");
  stream.close();
});

Deno.test("a relay's audio waits for the next picture so a TCP reader gets both in one write; timer, Sender Report and takeover let it go in order", () => {
  const clock = new ManualScheduler();
  const sdp = SDP +
    "m=audio 0 RTP/AVP 97\r\na=rtpmap:97 MPEG4-GENERIC/48000/2\r\n" +
    "a=fmtp:97 streamtype=5;mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3\r\n" +
    "a=control:trackID=1\r\n";
  const parsed = parseSdp(sdp);
  assert.ok(parsed.ok);
  const announcement = { path: "/live", sdp, tracks: announcedTracks(parsed.sdp) };
  const stream = new RelayStream({
    path: "/live",
    announcement,
    graceMs: 10_000,
    scheduler: clock,
    cname: "test",
    onExpired: () => {},
  });
  const rtp = (pt: number, seq: number, ts: number, ssrc: number, payload: number[]) => {
    const p = new Uint8Array(12 + payload.length);
    p.set([0x80, (pt === 96 ? 0x80 : 0) | pt, seq >> 8, seq & 0xff]);
    new DataView(p.buffer).setUint32(4, ts);
    new DataView(p.buffer).setUint32(8, ssrc);
    p.set(payload, 12);
    return p;
  };
  const idr = (seq: number, ts: number, ssrc = 0x1111) => rtp(96, seq, ts, ssrc, [0x65, 0x88]);
  const pic = (seq: number, ts: number, ssrc = 0x1111) => rtp(96, seq, ts, ssrc, [0x41, 0x9a]);
  const aac = (seq: number, ts: number, ssrc = 0x2222) =>
    rtp(97, seq, ts, ssrc, [0, 16, 0, 8, 0xaa]);
  // What the connection writer would write: the chunks offered within one task.
  let task: Uint8Array[] = [];
  const writes: string[] = [];
  const sink: InterleavedSink = {
    offerMedia: (bytes) => (task.push(bytes), true),
    abort: () => {},
  };
  /** One write: "v<seq>" / "a<seq>" per RTP packet, "sr" per RTCP packet, in stream order. */
  const endTask = () => {
    const labels: string[] = [];
    for (const chunk of task) {
      for (let at = 0; at < chunk.length;) {
        const channel = chunk[at + 1];
        const length = (chunk[at + 2] << 8) | chunk[at + 3];
        const seq = (chunk[at + 6] << 8) | chunk[at + 7];
        labels.push(channel % 2 ? "sr" : `${channel === 0 ? "v" : "a"}${seq}`);
        at += 4 + length;
      }
    }
    if (labels.length > 0) writes.push(labels.join(" "));
    task = [];
  };
  const reader = new TcpReader(
    testSession({ path: "/live", transports: [tcpTransport(0), tcpTransport(1)] }),
    sink,
    { scheduler: clock, maxLagMs: 10_000 },
  );
  stream.startPublisher("A", announcement);
  stream.attach(reader).begin?.();
  const steps: [string, () => void, string[]][] = [
    ["a keyframe goes at once", () => stream.receiveRtp(0, idr(10, 0)), ["v10"]],
    ["audio waits", () => stream.receiveRtp(1, aac(50, 0)), []],
    ["more audio waits", () => stream.receiveRtp(1, aac(51, 1024)), []],
    ["the next picture takes it along, after it", () => stream.receiveRtp(0, pic(11, 3600)), [
      "a50 a51 v11",
    ]],
    ["audio waits again", () => stream.receiveRtp(1, aac(52, 2048)), []],
    ["a Sender Report lets it go first", () =>
      stream.receiveRtcp(
        1,
        buildSenderReport({
          ssrc: 0x2222,
          ntpTimeMs: clock.now(),
          rtpTimestamp: 2048,
          packetCount: 3,
          octetCount: 15,
        }),
      ), ["a52 sr"]],
    ["audio waits once more", () => stream.receiveRtp(1, aac(53, 3072)), []],
    ["not yet", () => clock.advance(MAX_AUDIO_HOLD_MS - 1), []],
    ["the timer lets it go with no picture", () => clock.advance(1), ["a53"]],
    ["audio of the old publisher waits", () => stream.receiveRtp(1, aac(54, 4096)), []],
    ["a takeover lets it go before anything new", () => stream.startPublisher("B", announcement), [
      "a54",
    ]],
    // Until it sends video the new source may be audio-only: nothing waits.
    [
      "the new publisher's audio, renumbered, goes at once",
      () => stream.receiveRtp(1, aac(900, 77, 0x3333)),
      ["a55"],
    ],
    ["its keyframe", () => stream.receiveRtp(0, idr(7000, 5, 0x4444)), ["v12"]],
    ["then its audio waits", () => stream.receiveRtp(1, aac(901, 1101, 0x3333)), []],
    ["for its next picture", () => stream.receiveRtp(0, pic(7001, 3605, 0x4444)), ["a56 v13"]],
  ];
  for (const [what, step, expected] of steps) {
    const before = writes.length;
    step();
    endTask();
    assert.deepEqual(writes.slice(before), expected, what);
  }
  assert.equal(clock.pending, 0, "no hold timer left");
  stream.close();
});
