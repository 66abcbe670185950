import { deepEqual, equal } from "node:assert/strict";
import type { AccessUnit } from "../media/access_unit.ts";
import {
  hex,
  parseAll,
  pseudoRandom,
  pseudoRandomBytes,
  snapshot,
  toHex,
  unit,
} from "./_test_helpers.ts";
import { AAC_HBR_MAX_FRAME_SIZE_BYTES, AacDepacketizer, AacPacketizer } from "./aac_packetizer.ts";
import { buildRtpPacket, RTP_HEADER_SIZE } from "./rtp_packet.ts";

const OPTIONS = {
  payloadType: 97,
  ssrc: 0x01020304,
  initialSequenceNumber: 0,
  initialTimestamp: 0,
};
const HEADER = "01 02 03 04";

function depacketize(packets: readonly Uint8Array[], depacketizer = new AacDepacketizer()) {
  const out: AccessUnit[] = [];
  for (const packet of parseAll(packets)) out.push(...depacketizer.push(packet));
  out.push(...depacketizer.flush());
  return out;
}

Deno.test("AacPacketizer byte vectors", async (t) => {
  await t.step("single", () => {
    const packets = new AacPacketizer(OPTIONS).packetize({
      timestamp: 1024,
      units: [hex("21 10 05")],
      keyframe: true,
    });
    // AU-headers-length 16 bits; AU-header: size 3 << 3 | index 0.
    deepEqual(packets.map(toHex), [`80 e1 00 00 00 00 04 00 ${HEADER} 00 10 00 18 21 10 05`]);
  });

  await t.step("aggregated", () => {
    const packets = new AacPacketizer(OPTIONS).packetize({
      timestamp: 0,
      units: [hex("aa bb"), hex("cc dd ee")],
      keyframe: true,
    });
    deepEqual(packets.map(toHex), [
      `80 e1 00 00 00 00 00 00 ${HEADER} 00 20 00 10 00 18 aa bb cc dd ee`,
    ]);
  });

  await t.step("fragmented", () => {
    const packets = new AacPacketizer({ ...OPTIONS, maxPayloadSize: 8 }).packetize({
      timestamp: 0,
      units: [hex("01 02 03 04 05 06 07 08 09 0a")],
      keyframe: true,
    });
    // Each fragment repeats the AU-header with the whole frame size (10 << 3);
    // only the last carries the marker.
    deepEqual(packets.map(toHex), [
      `80 61 00 00 00 00 00 00 ${HEADER} 00 10 00 50 01 02 03 04`,
      `80 61 00 01 00 00 00 00 ${HEADER} 00 10 00 50 05 06 07 08`,
      `80 e1 00 02 00 00 00 00 ${HEADER} 00 10 00 50 09 0a`,
    ]);
  });

  await t.step("fragmented to the limit", () => {
    const packetizer = new AacPacketizer({ ...OPTIONS, maxPayloadSize: 8 });
    const sizes = (size: number) =>
      packetizer.packetize({ timestamp: 0, units: [unit([], size)], keyframe: true })
        .map((p) => p.length - RTP_HEADER_SIZE);
    deepEqual(sizes(4), [8]);
    deepEqual(sizes(5), [8, 5]);
    deepEqual(sizes(8), [8, 8]);
  });
});

Deno.test("AacPacketizer times frames that do not share a packet", () => {
  const packets = parseAll(new AacPacketizer({ ...OPTIONS, maxPayloadSize: 20 }).packetize({
    timestamp: 5000,
    units: [unit([], 6), unit([], 6), unit([], 6)],
    keyframe: true,
  }));
  deepEqual(packets.map((p) => [p.header.timestamp, p.payload.length, p.header.marker]), [
    [5000, 2 + 2 * 2 + 12, true],
    [5000 + 2 * 1024, 2 + 2 + 6, true],
  ]);
});

Deno.test("AacPacketizer skips frames a 13-bit AU-size cannot describe", () => {
  const packetizer = new AacPacketizer(OPTIONS);
  const packets = packetizer.packetize({
    timestamp: 0,
    units: [new Uint8Array(AAC_HBR_MAX_FRAME_SIZE_BYTES + 1), hex("01")],
    keyframe: true,
  });
  equal(packetizer.droppedFrames, 1);
  equal(packets.length, 1);
  // The largest describable frame still goes, fragmented.
  equal(
    packetizer.packetize({
      timestamp: 0,
      units: [new Uint8Array(AAC_HBR_MAX_FRAME_SIZE_BYTES)],
      keyframe: true,
    }).length,
    6,
  );
});

Deno.test("AAC round trip with sequence wrap, input untouched", () => {
  const packetizer = new AacPacketizer({
    ...OPTIONS,
    initialSequenceNumber: 0xfffd,
    initialTimestamp: 123,
  });
  const input: AccessUnit[] = [];
  for (let i = 0; i < 20; i++) {
    const units = i % 5 === 4
      ? [pseudoRandomBytes(200, i + 1), pseudoRandomBytes(180, i + 50)]
      : [pseudoRandomBytes(i === 3 ? 3000 : 300 + i, i + 1)];
    input.push({ timestamp: i * 2048, units, keyframe: true });
  }
  const before = input.map((au) => snapshot(au.units));
  const packets = input.flatMap((au) => packetizer.packetize(au));
  deepEqual(input.map((au) => au.units), before);
  deepEqual(depacketize(packets, new AacDepacketizer({ initialTimestamp: 123 })), input);
});

Deno.test("AacDepacketizer drops a fragmented frame after a loss", () => {
  const packetizer = new AacPacketizer({ ...OPTIONS, maxPayloadSize: 100 });
  const big = pseudoRandomBytes(350, 9);
  const small = pseudoRandomBytes(50, 10);
  const packets = [
    ...packetizer.packetize({ timestamp: 0, units: [big], keyframe: true }),
    ...packetizer.packetize({ timestamp: 1024, units: [small], keyframe: true }),
  ];
  const depacketizer = new AacDepacketizer();
  const output = depacketize([packets[0], packets[2], packets[3], packets[4]], depacketizer);
  deepEqual(output, [{ timestamp: 1024, units: [small], keyframe: true }]);
  equal(depacketizer.droppedPackets >= 1, true);
});

Deno.test("AacDepacketizer reads AAC-lbr headers (sizelength=6, indexlength=2)", () => {
  // AU-headers-length 16 bits = two 8-bit headers: sizes 2 and 1.
  const payload = hex("00 10 08 04 aa bb cc");
  const packet = buildRtpPacket(
    { ...OPTIONS, marker: true, sequenceNumber: 0, timestamp: 7 },
    payload,
  );
  const depacketizer = new AacDepacketizer({ sizeLength: 6, indexLength: 2, indexDeltaLength: 2 });
  deepEqual(depacketize([packet], depacketizer), [
    { timestamp: 7, units: [hex("aa bb"), hex("cc")], keyframe: true },
  ]);
});

Deno.test("AacDepacketizer rejects malformed payloads", () => {
  const cases: [string, string, boolean][] = [
    ["empty", "", true],
    ["half a length field", "00", true],
    ["zero AU headers", "00 00 aa", true],
    ["AU header cut", "00 10 00", true],
    ["header bits not a whole header", "00 11 00 18 00 aa bb cc", true],
    ["huge headers length", "ff ff 00 18", true],
    ["zero-size AU", "00 10 00 00 aa", true],
    ["two AUs, data short", "00 20 00 18 00 18 aa bb cc dd", true],
    ["first fragment with marker", "00 10 00 50 01 02", true],
    ["first fragment, never finished", "00 10 00 50 01 02", false],
  ];
  for (const [name, payload, marker] of cases) {
    const depacketizer = new AacDepacketizer();
    const packet = buildRtpPacket(
      { ...OPTIONS, marker, sequenceNumber: 1, timestamp: 0 },
      hex(payload),
    );
    deepEqual(depacketize([packet], depacketizer), [], name);
    equal(depacketizer.droppedPackets, 1, name);
  }
});

Deno.test("AacDepacketizer never throws on random payloads", () => {
  const next = pseudoRandom(5);
  const depacketizer = new AacDepacketizer();
  for (let i = 0; i < 5000; i++) {
    const payload = pseudoRandomBytes(next(40), i + 3);
    if (payload.length > 1 && i % 2 === 0) payload[0] = 0;
    const [packet] = parseAll([buildRtpPacket({
      ...OPTIONS,
      marker: next(2) === 0,
      sequenceNumber: next(3) === 0 ? next(0x10000) : i,
      timestamp: next(3),
    }, payload)]);
    for (const au of depacketizer.push(packet)) equal(au.units.length > 0, true);
  }
});
