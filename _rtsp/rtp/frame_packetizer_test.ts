import { deepEqual, equal } from "node:assert/strict";
import type { AccessUnit } from "../media/access_unit.ts";
import { hex, parseAll, snapshot, toHex } from "./_test_helpers.ts";
import {
  FrameCodec,
  FrameDepacketizer,
  frameDuration,
  FramePacketizer,
  opusPacketDuration,
} from "./frame_packetizer.ts";
import { buildRtpPacket } from "./rtp_packet.ts";

const PCMU = {
  codec: FrameCodec.Pcmu,
  payloadType: 0,
  ssrc: 0x00000042,
  initialSequenceNumber: 0xffff,
  initialTimestamp: 0,
};

Deno.test("opusPacketDuration reads the TOC byte (RFC 6716, 3.1)", () => {
  const cases: [string, string, number][] = [
    ["SILK 20 ms, one frame", "08 00", 960],
    ["SILK 60 ms, one frame", "18 00", 2880],
    ["Hybrid 10 ms, two equal frames", "61 00", 960],
    ["CELT 2.5 ms, code 3 with 3 frames", "83 03 00", 360],
    ["CELT 20 ms, two different frames", "fa 00", 1920],
    ["code 3 without its count byte", "83", 0],
    ["empty", "", 0],
  ];
  for (const [name, packet, ticks] of cases) equal(opusPacketDuration(hex(packet)), ticks, name);
  equal(frameDuration(FrameCodec.Pcma, new Uint8Array(160)), 160);
});

Deno.test("FramePacketizer byte vectors", async (t) => {
  await t.step("single", () => {
    const packets = new FramePacketizer(PCMU).packetize({
      timestamp: 160,
      units: [hex("ff 7f 00")],
      keyframe: true,
    });
    deepEqual(packets.map(toHex), ["80 00 ff ff 00 00 00 a0 00 00 00 42 ff 7f 00"]);
  });

  await t.step("several frames: one packet each, timed by their length, sequence wraps", () => {
    const packets = new FramePacketizer(PCMU).packetize({
      timestamp: 0,
      units: [hex("01 02"), hex("03 04 05"), hex("06")],
      keyframe: true,
    });
    deepEqual(packets.map(toHex), [
      "80 00 ff ff 00 00 00 00 00 00 00 42 01 02",
      "80 00 00 00 00 00 00 02 00 00 00 42 03 04 05",
      "80 00 00 01 00 00 00 05 00 00 00 42 06",
    ]);
  });

  await t.step("opus frames timed by their TOC", () => {
    const packets = parseAll(
      new FramePacketizer({ ...PCMU, codec: FrameCodec.Opus, payloadType: 111 }).packetize({
        timestamp: 1000,
        units: [hex("08 aa"), hex("18 bb"), hex("08 cc")],
        keyframe: true,
      }),
    );
    deepEqual(packets.map((p) => p.header.timestamp), [1000, 1960, 4840]);
  });
});

Deno.test("FramePacketizer marks only the first packet when asked", () => {
  const packetizer = new FramePacketizer({ ...PCMU, markFirstPacket: true });
  const au = { timestamp: 0, units: [hex("01"), hex("02")], keyframe: true };
  const markers = parseAll([...packetizer.packetize(au), ...packetizer.packetize(au)])
    .map((p) => p.header.marker);
  deepEqual(markers, [true, false, false, false]);
  const unmarked = parseAll(new FramePacketizer(PCMU).packetize(au)).map((p) => p.header.marker);
  deepEqual(unmarked, [false, false]);
});

Deno.test("Frame round trip, input untouched, empty payloads dropped", () => {
  const packetizer = new FramePacketizer({ ...PCMU, codec: FrameCodec.Opus, initialTimestamp: 99 });
  const input: AccessUnit[] = [];
  for (let i = 0; i < 10; i++) {
    input.push({ timestamp: i * 960, units: [Uint8Array.of(0x08, i, i + 1)], keyframe: true });
  }
  const before = input.map((au) => snapshot(au.units));
  const packets = input.flatMap((au) => packetizer.packetize(au));
  deepEqual(input.map((au) => au.units), before);
  const depacketizer = new FrameDepacketizer({ initialTimestamp: 99 });
  const output = parseAll(packets).flatMap((p) => depacketizer.push(p));
  deepEqual(output, input);
  const empty = buildRtpPacket(
    { ...PCMU, marker: false, sequenceNumber: 0, timestamp: 0 },
    hex(""),
  );
  deepEqual(depacketizer.push(parseAll([empty])[0]), []);
  equal(depacketizer.droppedPackets, 1);
  deepEqual(depacketizer.flush(), []);
});
