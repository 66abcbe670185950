import { deepEqual, equal, notEqual, ok } from "node:assert/strict";
import type { AccessUnit } from "../../_rtsp/media/access_unit.ts";
import { AacPacketizer } from "../../_rtsp/rtp/aac_packetizer.ts";
import { H264Packetizer } from "../../_rtsp/rtp/h264_packetizer.ts";
import { H265Packetizer } from "../../_rtsp/rtp/h265_packetizer.ts";
import { buildRtpPacket } from "../../_rtsp/rtp/rtp_packet.ts";
import { RtpHeaderView } from "../../_rtsp/rtp/rtp_header_view.ts";
import { hex, pseudoRandomBytes, unit } from "../../_rtsp/rtp/_test_helpers.ts";
import {
  type AssembledFrame,
  MAX_FRAME_BYTES,
  MAX_FRAME_PACKETS,
  MAX_PARAMETER_SET_BYTES,
  parameterSetsInFrame,
  RtpFrameAssembler,
} from "./rtp_frames.ts";

const RTP = { payloadType: 96, ssrc: 0x0badcafe, initialSequenceNumber: 100, initialTimestamp: 0 };
/** Small packets so a modest IDR needs FU-A. */
const MAX_PAYLOAD = 200;
const FRAME_TICKS = 3600; // 25 fps at 90 kHz

const SPS = hex("67 64 00 1f ac d9 40 50 05 bb 01 10");
const PPS = hex("68 eb e3 cb 22 c0");
const IDR_SMALL = unit([0x65, 0x88], 60);
const IDR_LARGE = unit([0x65, 0x88], 1000);
const P_SLICE = unit([0x41, 0x9a], 80);
const P_LARGE = unit([0x41, 0x9a], 700);

const VPS_265 = hex("40 01 0c 01 ff ff 01 60 00 00 03 00 90");
const SPS_265 = hex("42 01 01 01 60 00 00 03 00 90 00 00 03");
const PPS_265 = hex("44 01 c0 73 c1 89");
/** IDR_W_RADL (19), CRA (21), TRAIL_R (1): 2-byte headers, type << 1. */
const IDR_265 = unit([19 << 1, 0x01], 80);
const CRA_265_LARGE = unit([21 << 1, 0x01], 900);
const TRAIL_265 = unit([1 << 1, 0x01], 90);

function au(timestamp: number, units: Uint8Array[], keyframe: boolean): AccessUnit {
  return { timestamp, units, keyframe };
}

function pushAll(assembler: RtpFrameAssembler, packets: readonly Uint8Array[]): AssembledFrame[] {
  return packets.flatMap((p) => assembler.push(p));
}

/** A packet with a pinned header, for hand-built payloads. */
function rtp(sequenceNumber: number, timestamp: number, marker: boolean, payload: Uint8Array) {
  return buildRtpPacket({ payloadType: 96, ssrc: 1, sequenceNumber, timestamp, marker }, payload);
}

/** The same packets without marker bits (senders that never set them). */
function withoutMarkers(packets: readonly Uint8Array[]): Uint8Array[] {
  return packets.map((p) => {
    const copy = p.slice();
    new RtpHeaderView(copy).marker = false;
    return copy;
  });
}

/** Access units of an H.264 stream: IDR with SPS/PPS, a P frame, a large IDR (FU-A), a P frame. */
function h264Stream(): Uint8Array[][] {
  const packetizer = new H264Packetizer({ ...RTP, maxPayloadSize: MAX_PAYLOAD });
  return [
    packetizer.packetize(au(0, [SPS, PPS, IDR_SMALL], true)),
    packetizer.packetize(au(FRAME_TICKS, [P_SLICE], false)),
    packetizer.packetize(au(2 * FRAME_TICKS, [IDR_LARGE], true)),
    packetizer.packetize(au(3 * FRAME_TICKS, [P_LARGE], false)),
  ];
}

Deno.test("H.264: frames end at the marker, keyframes found, packets not copied", () => {
  const units = h264Stream();
  // Shape of what the packetizer produced: STAP-A + IDR, single, STAP-A + FU-A..., FU-A...
  equal(units[0].length, 2);
  equal(units[1].length, 1);
  ok(units[2].length > 3);
  ok(units[3].length > 2);

  const assembler = new RtpFrameAssembler(3, "H264", true);
  const frames: AssembledFrame[] = [];
  for (const group of units) {
    for (const [i, packet] of group.entries()) {
      const done = assembler.push(packet);
      // Each frame completes exactly on its last (marker) packet.
      equal(done.length, i === group.length - 1 ? 1 : 0);
      frames.push(...done);
    }
  }
  deepEqual(assembler.flush(), []);
  equal(frames.length, units.length);
  deepEqual(frames.map((f) => f.keyframe), [true, false, true, false]);
  deepEqual(frames.map((f) => f.rtpTimestamp), [0, 1, 2, 3].map((i) => i * FRAME_TICKS));
  frames.forEach((frame, i) => {
    equal(frame.trackIndex, 3);
    equal(frame.video, true);
    equal(frame.cut, false);
    equal(frame.afterLoss, false);
    equal(frame.packets.length, units[i].length);
    // The very objects pushed: no copy, no re-slicing.
    frame.packets.forEach((p, j) => ok(p === units[i][j], `frame ${i} packet ${j}`));
    equal(frame.bytes, units[i].reduce((sum, p) => sum + p.length, 0));
  });
  equal(assembler.droppedPackets, 0);
  equal(assembler.lostPackets, 0);
});

Deno.test("H.264: an IDR recognised by its FU-A start alone", () => {
  // No parameter sets known: the packetizer sends the IDR as FU-A only.
  const packets = new H264Packetizer({ ...RTP, maxPayloadSize: MAX_PAYLOAD }).packetize(
    au(0, [IDR_LARGE], true),
  );
  ok(packets.every((p) => (p[12] & 0x1f) === 28));
  const frames = pushAll(new RtpFrameAssembler(0, "H264", true), packets);
  equal(frames.length, 1);
  equal(frames[0].keyframe, true);
  // Without the start fragment it is not recognisable (and not decodable).
  const tail = pushAll(new RtpFrameAssembler(0, "H264", true), packets.slice(1));
  equal(tail[0].keyframe, false);
});

Deno.test("H.264: SPS and PPS in single NAL unit packets make a keyframe", () => {
  const frames = pushAll(new RtpFrameAssembler(0, "H264", true), [
    rtp(1, 0, false, SPS),
    rtp(2, 0, false, PPS),
    rtp(3, 0, true, IDR_SMALL),
    rtp(4, 3000, true, P_SLICE),
  ]);
  deepEqual(frames.map((f) => [f.packets.length, f.keyframe]), [[3, true], [1, false]]);
});

Deno.test("without marker bits a frame ends when the timestamp changes", () => {
  const units = h264Stream().map(withoutMarkers);
  const assembler = new RtpFrameAssembler(0, "H264", true);
  const completions = units.map((group) => group.map((p) => assembler.push(p).length));
  // Frame n is emitted by the first packet of frame n+1; the last one by flush.
  deepEqual(completions, units.map((group, i) => group.map((_, j) => (i > 0 && j === 0 ? 1 : 0))));
  const last = assembler.flush();
  equal(last.length, 1);
  ok(last[0].packets[0] === units[3][0]);
  equal(last[0].keyframe, false);
  deepEqual(assembler.flush(), []);
});

Deno.test("a lost packet in the middle of a frame: counted, frame flagged, stream goes on", () => {
  const units = h264Stream();
  const large = units[2];
  const damaged = [...large.slice(0, 2), ...large.slice(3)];
  const assembler = new RtpFrameAssembler(0, "H264", true);
  const frames = pushAll(assembler, [...units[0], ...units[1], ...damaged, ...units[3]]);
  equal(frames.length, 4);
  deepEqual(frames.map((f) => f.afterLoss), [false, false, true, false]);
  equal(frames[2].packets.length, large.length - 1);
  equal(frames[2].keyframe, true);
  equal(assembler.lostPackets, 1);
});

Deno.test("a lost marker packet without another one: both frames around the gap are flagged", () => {
  const units = h264Stream();
  const assembler = new RtpFrameAssembler(0, "H264", true);
  const frames = pushAll(assembler, [...units[2].slice(0, -1), ...units[3]]);
  equal(frames.length, 2);
  deepEqual(frames.map((f) => f.afterLoss), [true, true]);
  equal(frames[0].keyframe, true);
});

Deno.test("a late packet flags a gap but is not counted as lost; sequence wrap is no gap", () => {
  const assembler = new RtpFrameAssembler(0, undefined, false);
  const frames = pushAll(assembler, [
    rtp(65534, 0, false, hex("01")),
    rtp(65535, 160, false, hex("02")),
    rtp(0, 320, false, hex("03")),
    rtp(2, 640, false, hex("05")),
    rtp(1, 480, false, hex("04")), // late
    rtp(3, 800, false, hex("06")),
  ]);
  // The late packet is a gap; the one after it follows the highest number seen.
  deepEqual(frames.map((f) => f.afterLoss), [false, false, false, true, true, false]);
  equal(assembler.lostPackets, 1);

  // A sender restarting its numbering far behind (more than RFC 3550 A.1's
  // MAX_MISORDER) is followed, not "late" for ever, and nothing counts as lost.
  const restarted = pushAll(assembler, [
    rtp(65_000, 960, false, hex("07")),
    rtp(65_001, 1120, false, hex("08")),
  ]);
  deepEqual(restarted.map((f) => f.afterLoss), [true, false]);
  equal(assembler.lostPackets, 1);
});

Deno.test("hostile packets are dropped and counted, never thrown", () => {
  const assembler = new RtpFrameAssembler(0, "H264", true);
  const valid = rtp(10, 0, true, IDR_SMALL);
  const hostile = [
    new Uint8Array(0),
    hex("80 60 00"),
    hex("40 60 00 01 00 00 00 00 00 00 00 01 65"), // version 1
    hex("00 00 00 00 00 00 00 00 00 00 00 00"), // version 0
    hex("8f 60 00 01 00 00 00 00 00 00 00 01 00 00"), // 15 CSRCs, none there
    hex("90 60 00 01 00 00 00 00 00 00 00 01 be de 00 09"), // extension runs past the end
    hex("a0 60 00 01 00 00 00 00 00 00 00 01 65 00"), // padding count 0
    hex("80 c8 00 06 0b ad ca fe 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"), // RTCP SR
  ];
  for (const packet of hostile) deepEqual(assembler.push(packet), []);
  equal(assembler.droppedPackets, hostile.length);
  const frames = assembler.push(valid);
  equal(frames.length, 1);
  ok(frames[0].packets[0] === valid);
  equal(frames[0].afterLoss, false);

  // Valid RTP headers around garbage payloads: relayed, whatever they hold.
  const fuzz = new RtpFrameAssembler(0, "H265", true);
  for (let i = 0; i < 500; i++) {
    const payload = pseudoRandomBytes(i % 40, i + 1);
    fuzz.push(rtp(i, i >> 2, i % 3 === 0, payload));
    fuzz.push(pseudoRandomBytes(i % 30, 1000 + i));
  }
  fuzz.flush();
  ok(fuzz.droppedPackets > 0);
});

Deno.test("H.265: AP with VPS/SPS/PPS, IRAP by FU start, trailing pictures", () => {
  const packetizer = new H265Packetizer({ ...RTP, maxPayloadSize: MAX_PAYLOAD });
  const units = [
    packetizer.packetize(au(0, [VPS_265, SPS_265, PPS_265, IDR_265], true)),
    packetizer.packetize(au(FRAME_TICKS, [TRAIL_265], false)),
    packetizer.packetize(au(2 * FRAME_TICKS, [CRA_265_LARGE], true)),
  ];
  const frames = pushAll(new RtpFrameAssembler(1, "H265", true), units.flat());
  deepEqual(
    frames.map((f) => [f.packets.length, f.keyframe]),
    units.map((u, i) => [u.length, i !== 1]),
  );

  // An IRAP sent as FUs alone, with no parameter sets ahead.
  const bare = new H265Packetizer({ ...RTP, maxPayloadSize: MAX_PAYLOAD }).packetize(
    au(0, [CRA_265_LARGE], true),
  );
  ok(bare.every((p) => ((p[12] >> 1) & 0x3f) === 49));
  equal(pushAll(new RtpFrameAssembler(1, "H265", true), bare)[0].keyframe, true);
});

Deno.test("audio: every packet is a frame and a keyframe", () => {
  const packetizer = new AacPacketizer({ ...RTP, payloadType: 97 });
  const packets = [0, 1, 2].flatMap((i) =>
    packetizer.packetize(au(i * 1024, [unit([0x21, 0x10], 200)], true))
  );
  const assembler = new RtpFrameAssembler(2, "AAC", false);
  const frames = packets.map((p) => assembler.push(p));
  frames.forEach((done, i) => {
    equal(done.length, 1);
    const [frame] = done;
    equal(frame.video, false);
    equal(frame.keyframe, true);
    equal(frame.packets.length, 1);
    ok(frame.packets[0] === packets[i]);
    equal(frame.rtpTimestamp, i * 1024);
  });
  deepEqual(assembler.flush(), []);
});

Deno.test("MJPEG and unknown video codecs: every frame is a keyframe", () => {
  for (const codec of ["MJPEG", undefined, "VP8"]) {
    const frames = pushAll(new RtpFrameAssembler(0, codec, true), [
      rtp(1, 0, false, hex("00 00 00 00 01 ff")),
      rtp(2, 0, true, hex("00 00 00 10 01 ff")),
      rtp(3, 3000, true, hex("00 00 00 00 01 ff")),
    ]);
    deepEqual(frames.map((f) => [f.packets.length, f.keyframe]), [[2, true], [1, true]], codec);
  }
});

Deno.test("a frame over the packet or byte bound is cut and flagged", async (t) => {
  await t.step(`${MAX_FRAME_PACKETS} packets`, () => {
    const assembler = new RtpFrameAssembler(0, "H264", true);
    const frames: AssembledFrame[] = [];
    for (let i = 0; i < MAX_FRAME_PACKETS + 10; i++) {
      frames.push(...assembler.push(rtp(i, 0, i === MAX_FRAME_PACKETS + 9, P_SLICE)));
    }
    deepEqual(frames.map((f) => [f.packets.length, f.cut]), [
      [MAX_FRAME_PACKETS, true],
      [10, false],
    ]);
    equal(frames[1].rtpTimestamp, 0);
    equal(assembler.cutFrames, 1);
  });
  await t.step(`${MAX_FRAME_BYTES} bytes`, () => {
    const assembler = new RtpFrameAssembler(0, "H264", true);
    const big = new Uint8Array(60_000);
    big[0] = 0x41;
    const count = Math.ceil(MAX_FRAME_BYTES / 60_000) + 1;
    const frames: AssembledFrame[] = [];
    for (let i = 0; i < count; i++) frames.push(...assembler.push(rtp(i, 0, i === count - 1, big)));
    equal(frames.length, 2);
    equal(frames[0].cut, true);
    ok(frames[0].bytes >= MAX_FRAME_BYTES);
    ok(frames[0].bytes < MAX_FRAME_BYTES + 60_100);
    equal(frames[1].packets.length, 1);
  });
});

Deno.test("parameterSetsInFrame", async (t) => {
  await t.step("H.264 STAP-A from the packetizer; copies, not views", () => {
    const packets = h264Stream()[0];
    const sets = parameterSetsInFrame("H264", packets);
    deepEqual(sets, { sps: SPS, pps: PPS });
    notEqual(sets!.sps.buffer, packets[0].buffer);
  });
  await t.step("H.264 single NAL unit packets", () => {
    const sets = parameterSetsInFrame("H264", [
      rtp(1, 0, false, hex("09 f0")), // AUD first
      rtp(2, 0, false, SPS),
      rtp(3, 0, false, PPS),
      rtp(4, 0, true, IDR_SMALL),
    ]);
    deepEqual(sets, { sps: SPS, pps: PPS });
  });
  await t.step("H.264 SPS in FU-A, reassembled", () => {
    const sps = unit([0x67, 0x64, 0x00, 0x28], 300);
    const fu = (seq: number, flags: number, data: Uint8Array) =>
      rtp(seq, 0, false, Uint8Array.of(0x7c, flags | 7, ...data));
    const packets = [
      fu(1, 0x80, sps.subarray(1, 120)),
      fu(2, 0x00, sps.subarray(120, 240)),
      fu(3, 0x40, sps.subarray(240)),
      rtp(4, 0, false, PPS),
    ];
    deepEqual(parameterSetsInFrame("H264", packets), { sps, pps: PPS });
    // A missing middle fragment: nothing half-built comes out.
    equal(parameterSetsInFrame("H264", [packets[0], packets[2], packets[3]]), undefined);
  });
  await t.step(`H.264 SPS over ${MAX_PARAMETER_SET_BYTES} bytes in FU-A is not reassembled`, () => {
    const huge = unit([0x67, 0x64], MAX_PARAMETER_SET_BYTES + 100);
    const packets = [];
    let seq = 1;
    for (let at = 1; at < huge.length; at += 1000, seq++) {
      const flags = (at === 1 ? 0x80 : 0) | (at + 1000 >= huge.length ? 0x40 : 0);
      packets.push(
        rtp(seq, 0, false, Uint8Array.of(0x7c, flags | 7, ...huge.subarray(at, at + 1000))),
      );
    }
    packets.push(rtp(seq, 0, false, PPS));
    equal(parameterSetsInFrame("H264", packets), undefined);
  });
  await t.step("H.265 AP from the packetizer", () => {
    const packets = new H265Packetizer(RTP).packetize(
      au(0, [VPS_265, SPS_265, PPS_265, IDR_265], true),
    );
    deepEqual(parameterSetsInFrame("H265", packets), { vps: VPS_265, sps: SPS_265, pps: PPS_265 });
  });
  await t.step("H.265 SPS in FUs", () => {
    const sps = unit([0x42, 0x01, 0x01], 400);
    const fu = (seq: number, flags: number, data: Uint8Array) =>
      rtp(seq, 0, false, Uint8Array.of(49 << 1, 0x01, flags | 33, ...data));
    const sets = parameterSetsInFrame("H265", [
      rtp(1, 0, false, VPS_265),
      fu(2, 0x80, sps.subarray(2, 200)),
      fu(3, 0x40, sps.subarray(200)),
      rtp(4, 0, false, PPS_265),
    ]);
    deepEqual(sets, { vps: VPS_265, sps, pps: PPS_265 });
  });
  await t.step("incomplete sets, no sets, garbage", () => {
    equal(parameterSetsInFrame("H264", [rtp(1, 0, false, SPS)]), undefined);
    equal(parameterSetsInFrame("H264", h264Stream()[1]), undefined);
    equal(
      parameterSetsInFrame("H265", [rtp(1, 0, false, SPS_265), rtp(2, 0, false, PPS_265)]),
      undefined,
    );
    equal(parameterSetsInFrame("H264", [new Uint8Array(3), hex("78 00 ff 67")]), undefined);
    equal(parameterSetsInFrame("H264", []), undefined);
    // A STAP-A whose size field overruns: the units before it still count.
    const overrun = rtp(
      1,
      0,
      false,
      Uint8Array.of(0x78, 0, SPS.length, ...SPS, 0, PPS.length + 9, ...PPS),
    );
    equal(parameterSetsInFrame("H264", [overrun]), undefined);
    deepEqual(parameterSetsInFrame("H264", [overrun, rtp(2, 0, false, PPS)]), {
      sps: SPS,
      pps: PPS,
    });
  });
});
