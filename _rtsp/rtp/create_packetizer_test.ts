import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { createDepacketizer, createPacketizer } from "./create_packetizer.ts";
import { buildRtpPacket } from "./rtp_packet.ts";
import type { Depacketizer, Packetizer } from "./packetizer.ts";
import type { AccessUnit } from "../media/access_unit.ts";
import {
  aacTrack,
  h264Track,
  h265Track,
  opusTrack,
  pcmaTrack,
  pcmuTrack,
  type SourceTrack,
} from "../media/source_track.ts";
import { parseAll, unit } from "./_test_helpers.ts";

const OPTIONS = { ssrc: 0xcafe, initialSequenceNumber: 100, initialTimestamp: 5000 };

const SPS = Uint8Array.of(0x67, 0x42, 0xc0, 0x1e, 0xd9, 0x00, 0xa0);
const PPS = Uint8Array.of(0x68, 0xce, 0x3c, 0x80);
const VPS = Uint8Array.of(0x40, 0x01, 0x0c, 0x01);
const SPS265 = Uint8Array.of(0x42, 0x01, 0x01, 0x01);
const PPS265 = Uint8Array.of(0x44, 0x01, 0xc1, 0x72);

/** Packetizes `units` and feeds every packet to `depacketizer`; returns what came out. */
function through(
  packetizer: Packetizer,
  depacketizer: Depacketizer,
  units: readonly AccessUnit[],
): { out: AccessUnit[]; packets: Uint8Array[] } {
  const packets = units.flatMap((au) => packetizer.packetize(au));
  const out = parseAll(packets).flatMap((p) => depacketizer.push(p));
  out.push(...depacketizer.flush());
  return { out, packets };
}

function pair(track: SourceTrack, maxPayloadSize?: number) {
  return {
    packetizer: createPacketizer(track, { ...OPTIONS, maxPayloadSize }),
    depacketizer: createDepacketizer(track, { initialTimestamp: OPTIONS.initialTimestamp }),
  };
}

Deno.test("createPacketizer: the payload type defaults to the track's and can be overridden", () => {
  const track = h264Track(3, SPS, PPS);
  const idr = { timestamp: 0, units: [unit([0x65, 0x88], 50)], keyframe: true };
  const [byDefault] = parseAll(createPacketizer(track, OPTIONS).packetize(idr));
  assertEquals(byDefault.header.payloadType, 99);
  assertEquals(byDefault.header.ssrc, 0xcafe);
  assertEquals(byDefault.header.sequenceNumber, 100);
  assertEquals(byDefault.header.timestamp, 5000);
  const [overridden] = parseAll(
    createPacketizer(track, { ...OPTIONS, payloadType: 111 }).packetize(idr),
  );
  assertEquals(overridden.header.payloadType, 111);
  assertEquals(
    parseAll(
      createPacketizer(pcmuTrack(1), OPTIONS).packetize({
        timestamp: 0,
        units: [new Uint8Array(160)],
        keyframe: true,
      }),
    )[0].header.payloadType,
    0,
  );
});

Deno.test("createPacketizer: H.264 keyframes gain the track's SPS and PPS", () => {
  const { packetizer, depacketizer } = pair(h264Track(0, SPS, PPS), 200);
  const units: AccessUnit[] = [
    { timestamp: 0, units: [unit([0x65, 0x88], 1000)], keyframe: true },
    { timestamp: 3600, units: [unit([0x41, 0x9a], 120)], keyframe: false },
  ];
  const { out } = through(packetizer, depacketizer, units);
  assertEquals(out, [
    { timestamp: 0, units: [SPS, PPS, units[0].units[0]], keyframe: true },
    units[1],
  ]);
  assertEquals(depacketizer.droppedPackets, 0);
});

Deno.test("createPacketizer: H.265 keyframes gain VPS, SPS and PPS", () => {
  const { packetizer, depacketizer } = pair(h265Track(0, VPS, SPS265, PPS265), 300);
  // IDR_W_RADL (19) and TRAIL_R (1), first_slice_segment_in_pic_flag set.
  const units: AccessUnit[] = [
    { timestamp: 0, units: [unit([0x26, 0x01, 0x80], 900)], keyframe: true },
    { timestamp: 1800, units: [unit([0x02, 0x01, 0x80], 100)], keyframe: false },
  ];
  const { out } = through(packetizer, depacketizer, units);
  assertEquals(out, [
    { timestamp: 0, units: [VPS, SPS265, PPS265, units[0].units[0]], keyframe: true },
    units[1],
  ]);
});

Deno.test("createPacketizer: an H.265 track without a VPS injects nothing partial", () => {
  const track: SourceTrack = {
    ...h265Track(0, VPS, SPS265, PPS265),
    parameterSets: { sps: SPS265, pps: PPS265 },
  };
  const { packetizer, depacketizer } = pair(track);
  const idr = { timestamp: 0, units: [unit([0x26, 0x01, 0x80], 100)], keyframe: true };
  assertEquals(through(packetizer, depacketizer, [idr]).out, [idr]);
});

Deno.test("createPacketizer: AAC frames round-trip, fragmented ones too", () => {
  const { packetizer, depacketizer } = pair(aacTrack(1, Uint8Array.of(0x12, 0x10), 44100, 2), 100);
  const units: AccessUnit[] = [
    { timestamp: 0, units: [unit([0x21], 60)], keyframe: true },
    { timestamp: 1024, units: [unit([0x21], 350)], keyframe: true },
    { timestamp: 2048, units: [unit([0x21], 30)], keyframe: true },
  ];
  const { out, packets } = through(packetizer, depacketizer, units);
  assert(packets.length > units.length, "the 350-byte frame is fragmented");
  assertEquals(out, units);
});

Deno.test("createDepacketizer: AAC field widths come from the track's fmtp (AAC-lbr)", () => {
  const lbr: SourceTrack = {
    codec: "AAC",
    description: {
      ...aacTrack(0, Uint8Array.of(0x14, 0x08), 16000, 1).description,
      fmtp: "streamtype=5;Mode=AAC-lbr;SizeLength=6;IndexLength=2;IndexDeltaLength=2;config=1408",
    },
  };
  const frame = Uint8Array.of(1, 2, 3, 4, 5);
  // RFC 3640 3.2.1: AU-headers-length 8 bits, then AU-size 6 bits (5) + AU-Index 2 bits (0).
  const payload = Uint8Array.of(0x00, 0x08, 5 << 2, ...frame);
  const packet = parseAll([buildRtpPacket({
    payloadType: 96,
    sequenceNumber: 1,
    timestamp: 7000,
    ssrc: 1,
    marker: true,
  }, payload)])[0];
  assertEquals(createDepacketizer(lbr).push(packet), [
    { timestamp: 7000, units: [frame], keyframe: true },
  ]);
  // The hbr defaults would read a 13-bit size instead and reject the packet.
  const hbr = createDepacketizer(aacTrack(0, Uint8Array.of(0x14, 0x08), 16000, 1));
  assertEquals(hbr.push(packet), []);
});

Deno.test("createPacketizer: Opus, PCMU and PCMA send one frame per packet", () => {
  const cases: [SourceTrack, Uint8Array, number][] = [
    // TOC config 31 (CELT 20 ms = 960 ticks at 48 kHz), code 0.
    [opusTrack(1, 2), Uint8Array.of(0xf8, 1, 2, 3), 960],
    [pcmuTrack(1), new Uint8Array(160).fill(0xff), 160],
    [pcmaTrack(1), new Uint8Array(80).fill(0xd5), 80],
  ];
  for (const [track, frame, duration] of cases) {
    const { packetizer, depacketizer } = pair(track);
    // Two frames in one unit: the second is timed after the first.
    const { out, packets } = through(packetizer, depacketizer, [
      { timestamp: 100, units: [frame, frame], keyframe: true },
    ]);
    assertEquals(packets.length, 2, track.codec);
    assertEquals(out, [
      { timestamp: 100, units: [frame], keyframe: true },
      { timestamp: 100 + duration, units: [frame], keyframe: true },
    ], track.codec);
    assertEquals(packetizer.nextSequenceNumber, 102);
  }
});
