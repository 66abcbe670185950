import assert from "node:assert/strict";
import { DropGate } from "./fanout/drop_gate.ts";
import type { FrameBatch, FrameDelivery } from "./fanout/media_frame.ts";
import { LiveTestSource } from "../_rtsp/media/live_test_source.ts";
import {
  parseRtcpCompound,
  type RtcpSenderReport,
  rtpTimestampToUnixMs,
  senderReportMapping,
} from "../_rtsp/rtp/rtcp.ts";
import { parseRtpPacket } from "../_rtsp/rtp/rtp_packet.ts";
import type { Session, SessionTrack } from "../_rtsp/session.ts";
import { ManualScheduler } from "../_testing/manual_scheduler.ts";
import { LiveStream } from "./live_stream.ts";
import type { Reader, ReceptionStats } from "./reader.ts";

/** A reader that records what it is sent. */
class RecordingReader implements Reader {
  readonly gate = new DropGate();
  readonly reception = new Map<number, ReceptionStats>();
  ignoredReportBlocks = 0;
  readonly frames: FrameDelivery[] = [];
  readonly rtcpSent: Array<{ trackIndex: number; bytes: Uint8Array }> = [];
  constructor(readonly session: Session) {}
  deliver(delivery: FrameDelivery): void {
    this.frames.push(delivery);
  }
  rtcp(trackIndex: number, bytes: Uint8Array): void {
    this.rtcpSent.push({ trackIndex, bytes });
  }
}

function session(id: string): Session {
  const track = (trackIndex: number): SessionTrack => ({
    trackIndex,
    transport: {
      profile: "RTP/AVP",
      lower: "TCP",
      delivery: "unicast",
      interleaved: [trackIndex * 2, trackIndex * 2 + 1],
    },
    clientAddress: "127.0.0.1",
    ssrc: 0,
    initialSequenceNumber: 0,
    initialTimestamp: 0,
  });
  return {
    id,
    path: "/test",
    connectionId: 1,
    mode: "play",
    state: "ready-to-play",
    tracks: new Map([[0, track(0)], [1, track(1)]]),
    lastActivityMs: 0,
    timeoutMs: 60_000,
  };
}

Deno.test("LiveStream: Sender Reports map RTP time to the wall clock the frames were made on", () => {
  const clock = new ManualScheduler();
  const start = clock.now();
  let r = 1;
  const stream = new LiveStream({
    path: "/test",
    name: "t",
    source: new LiveTestSource(start),
    scheduler: clock,
    random32: () => (r = (r * 1103515245 + 12345) >>> 0),
    cname: "test",
  });
  try {
    clock.advance(300);
    const reader = new RecordingReader(session("A"));
    const play = stream.attach(reader);
    play.begin?.();
    clock.advance(300);
    // The SR sent at PLAY for each track.
    const reports = reader.rtcpSent.map((s) => {
      const parsed = parseRtcpCompound(s.bytes);
      assert.ok(parsed.ok);
      assert.deepEqual(parsed.packets.map((p) => p.type), ["sr", "sdes"]);
      return { trackIndex: s.trackIndex, sr: parsed.packets[0] as RtcpSenderReport };
    });
    assert.deepEqual(reports.map((x) => x.trackIndex), [0, 1]);
    for (const { trackIndex, sr } of reports) {
      assert.equal(sr.ssrc, stream.ssrc(trackIndex));
      const clock = trackIndex === 0 ? 90_000 : 8_000;
      const frameMs = trackIndex === 0 ? 40 : 20;
      // Every frame this reader got: its RTP time, read through the SR, is the
      // wall time it was due at (start + n × frame duration), to the millisecond.
      const frames = reader.frames.filter((f) => f.frame.trackIndex === trackIndex);
      assert.ok(frames.length > 3);
      for (const f of frames) {
        const rtp = parseRtpPacket(f.frame.packets[0]);
        assert.ok(rtp.ok);
        const wall = rtpTimestampToUnixMs(
          senderReportMapping(sr),
          rtp.packet.header.timestamp,
          clock,
        );
        const n = Math.round((wall - start) / frameMs);
        assert.ok(
          Math.abs(wall - (start + n * frameMs)) <= 1,
          `track ${trackIndex}: ${wall - start} ms`,
        );
      }
    }
    // The first frame is the cached IDR: a new reader starts at once.
    assert.equal(reader.frames[0].frame.keyframe, true);
    assert.equal(reader.frames[0].frame.video, true);
  } finally {
    stream.close();
  }
});

Deno.test("LiveStream: RTP-Info names the first packet a new reader gets; detach sends BYE", () => {
  const clock = new ManualScheduler();
  const stream = new LiveStream({
    path: "/test",
    name: "t",
    source: new LiveTestSource(clock.now()),
    scheduler: clock,
    random32: () => 0x12345678,
    cname: "test",
  });
  try {
    clock.advance(100);
    const reader = new RecordingReader(session("B"));
    const play = stream.attach(reader);
    play.begin?.();
    for (const t of play.tracks) {
      const first = reader.frames.find((f) => f.frame.trackIndex === t.trackIndex);
      assert.ok(first, `track ${t.trackIndex} has a cached frame`);
      const rtp = parseRtpPacket(first.frame.packets[0]);
      assert.ok(rtp.ok);
      assert.equal(rtp.packet.header.sequenceNumber, t.sequenceNumber);
      assert.equal(rtp.packet.header.timestamp, t.rtpTime);
    }
    assert.equal(stream.readerCount, 1);
    const before = reader.rtcpSent.length;
    stream.detach("B", true);
    assert.equal(stream.readerCount, 0);
    const byes = reader.rtcpSent.slice(before).map((s) => parseRtcpCompound(s.bytes));
    assert.deepEqual(byes.map((b) => b.ok && b.packets[0].type), ["bye", "bye"]);
  } finally {
    stream.close();
  }
});

/** A reader that joins writes (as a TCP reader does): what it is handed, one entry per hand-over. */
class JoiningReader extends RecordingReader {
  readonly joinsWrites = true;
  /** Each hand-over, with the scheduler's time and the frames' media ("v"/"a"). */
  readonly handOvers: Array<{ atMs: number; media: string }> = [];
  constructor(session: Session, readonly clock: ManualScheduler) {
    super(session);
  }
  override deliver(delivery: FrameDelivery): void {
    super.deliver(delivery);
    const media = delivery.frame.video ? "v" : "a";
    this.handOvers.push({ atMs: this.clock.now(), media });
  }
  deliverBatch(batch: FrameBatch): void {
    for (const delivery of batch.deliveries) super.deliver(delivery);
    const media = batch.deliveries.map((d) => (d.frame.video ? "v" : "a")).join("");
    this.handOvers.push({ atMs: this.clock.now(), media });
  }
  /** When it was sent reports. */
  readonly reportTimes = new Set<number>();
  override rtcp(trackIndex: number, bytes: Uint8Array): void {
    super.rtcp(trackIndex, bytes);
    this.reportTimes.add(this.clock.now());
  }
}

/** A frame as "track:sequence number of its first packet", for short assertion messages. */
function frameName(frame: FrameDelivery["frame"] | undefined): string {
  if (!frame) return "none";
  const rtp = parseRtpPacket(frame.packets[0]);
  return rtp.ok ? `${frame.trackIndex}:${rtp.packet.header.sequenceNumber}` : "?";
}

/** Records the last frame each reader had when each of its reports came. */
function lastFrameAtReports(reader: RecordingReader): () => unknown[] {
  const seen: unknown[] = [];
  const rtcp = reader.rtcp.bind(reader);
  reader.rtcp = (trackIndex, bytes) => {
    seen.push(frameName(reader.frames.at(-1)?.frame));
    rtcp(trackIndex, bytes);
  };
  return () => seen;
}

Deno.test("LiveStream: a TCP reader gets /test's audio with the next picture, and reports after it", () => {
  const clock = new ManualScheduler();
  let r = 7;
  const stream = new LiveStream({
    path: "/test",
    name: "t",
    // Pictures 20 ms off the report timer's beat, so an audio packet is held
    // when the report at 5 s is due.
    source: new LiveTestSource(clock.now() + 20),
    scheduler: clock,
    random32: () => (r = (r * 1103515245 + 12345) >>> 0),
    cname: "test",
  });
  try {
    clock.advance(100);
    const tcp = new JoiningReader(session("T"), clock);
    const plain = new RecordingReader(session("U"));
    stream.attach(tcp).begin?.();
    stream.attach(plain).begin?.();
    const tcpReports = lastFrameAtReports(tcp);
    const plainReports = lastFrameAtReports(plain);
    const handOversAtStart = tcp.handOvers.length;
    // Past the 5 s Sender Report, in 10 ms steps.
    for (let i = 0; i < 600; i++) clock.advance(10);
    const live = tcp.handOvers.slice(handOversAtStart);
    const audio = live.map((h) => h.media.split("").filter((m) => m === "a").length)
      .reduce((a, b) => a + b, 0);
    const pictures = live.filter((h) => h.media.endsWith("v")).length;
    // 6 s of 25 pictures and 50 PCMU packets a second (the last one or two
    // still held: they wait for the next picture).
    assert.ok(pictures >= 149 && pictures <= 151, `${pictures} pictures`);
    assert.ok(audio >= 297 && audio <= 301, `${audio} audio frames`);
    // Audio goes with a picture; alone only when a report is due (below).
    const alone = live.filter((h) => !h.media.endsWith("v"));
    assert.ok(alone.length <= 1, JSON.stringify(alone));
    for (const h of alone) assert.ok(tcp.reportTimes.has(h.atMs), JSON.stringify(h));
    // About one hand-over per picture, where a reader not held gets ~75 a second.
    assert.ok(live.length <= pictures + 1, `${live.length} hand-overs`);
    // The same frames, in the same order, as a reader that takes frames one by one.
    // (both got the same cached GOP at PLAY; the TCP reader may still wait for
    // its last audio packet or two).
    const names = (r: RecordingReader) => r.frames.map((d) => frameName(d.frame));
    assert.deepEqual(names(tcp), names(plain).slice(0, tcp.frames.length));
    assert.ok(plain.frames.length - tcp.frames.length <= 2);
    // The reports at 5 s (one per track) come after every frame made before
    // them, held audio included: the TCP reader had the same last frame as
    // the reader that is never held.
    assert.equal(tcpReports().length, 2);
    assert.deepEqual(tcpReports(), plainReports());
  } finally {
    stream.close();
  }
});
