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
import { H265Depacketizer, h265NalType, H265Packetizer, isH265Irap } from "./h265_packetizer.ts";
import { buildRtpPacket, RTP_HEADER_SIZE } from "./rtp_packet.ts";

const VPS = hex("40 01 0c 01 ff");
const SPS = hex("42 01 01 01 60");
const PPS = hex("44 01 c1 72");
/** IDR_W_RADL (type 19), TID 1. */
const IDR = hex("26 01 af 00");
const OPTIONS = {
  payloadType: 98,
  ssrc: 0x0a0b0c0d,
  initialSequenceNumber: 7,
  initialTimestamp: 0,
};
const AP_OF_PARAMETER_SETS = "60 01 00 05 40 01 0c 01 ff 00 05 42 01 01 01 60 00 04 44 01 c1 72";

function payloads(packets: readonly Uint8Array[]): string[] {
  return packets.map((p) => toHex(p.subarray(RTP_HEADER_SIZE)));
}

function depacketize(packets: readonly Uint8Array[], depacketizer = new H265Depacketizer()) {
  const out: AccessUnit[] = [];
  for (const packet of parseAll(packets)) out.push(...depacketizer.push(packet));
  out.push(...depacketizer.flush());
  return out;
}

Deno.test("h265NalType reads the 6-bit type of the 2-byte header", () => {
  deepEqual([VPS, SPS, PPS, IDR].map(h265NalType), [32, 33, 34, 19]);
  deepEqual([15, 16, 21, 23, 24].map(isH265Irap), [false, true, true, true, false]);
});

Deno.test("H265Packetizer byte vectors", async (t) => {
  await t.step("single", () => {
    const packets = new H265Packetizer(OPTIONS).packetize({
      timestamp: 0x0102,
      units: [hex("02 01 d0 0f")],
      keyframe: false,
    });
    deepEqual(packets.map(toHex), ["80 e2 00 07 00 00 01 02 0a 0b 0c 0d 02 01 d0 0f"]);
  });

  await t.step("aggregated", () => {
    const packets = new H265Packetizer(OPTIONS).packetize({
      timestamp: 0,
      units: [VPS, SPS, PPS, IDR],
      keyframe: true,
    });
    deepEqual(packets.map(toHex), [
      `80 62 00 07 00 00 00 00 0a 0b 0c 0d ${AP_OF_PARAMETER_SETS}`,
      "80 e2 00 08 00 00 00 00 0a 0b 0c 0d 26 01 af 00",
    ]);
  });

  await t.step("fragmented", () => {
    const nal = hex("26 01 01 02 03 04 05 06 07 08 09 0a");
    const packets = new H265Packetizer({ ...OPTIONS, maxPayloadSize: 8 }).packetize({
      timestamp: 0,
      units: [nal],
      keyframe: true,
    });
    deepEqual(packets.map(toHex), [
      // PayloadHdr: type 49 with the IDR's LayerId/TID; FU header: S | 19, then E | 19.
      "80 62 00 07 00 00 00 00 0a 0b 0c 0d 62 01 93 01 02 03 04 05",
      "80 e2 00 08 00 00 00 00 0a 0b 0c 0d 62 01 53 06 07 08 09 0a",
    ]);
  });

  await t.step("fragmented to the limit", () => {
    const packetizer = new H265Packetizer({ ...OPTIONS, maxPayloadSize: 8 });
    const sizes = (size: number) =>
      packetizer.packetize({ timestamp: 0, units: [unit([0x02, 0x01], size)], keyframe: false })
        .map((p) => p.length - RTP_HEADER_SIZE);
    deepEqual(sizes(8), [8]);
    deepEqual(sizes(9), [8, 5]);
    deepEqual(sizes(12), [8, 8]);
  });
});

Deno.test("H265Packetizer AP header takes the lowest LayerId and TID", () => {
  // VPS with TID 2, SPS with LayerId 1 and TID 1.
  const packets = new H265Packetizer(OPTIONS).packetize({
    timestamp: 0,
    units: [hex("40 02 aa"), hex("42 09 bb"), IDR],
    keyframe: true,
  });
  equal(payloads(packets)[0], "60 01 00 03 40 02 aa 00 03 42 09 bb");
});

Deno.test("H265Packetizer inserts stored VPS/SPS/PPS ahead of an IRAP picture", () => {
  const packetizer = new H265Packetizer({
    ...OPTIONS,
    parameterSets: { vps: VPS, sps: SPS, pps: PPS },
  });
  const aud = hex("46 01 50");
  deepEqual(payloads(packetizer.packetize({ timestamp: 0, units: [aud, IDR], keyframe: false })), [
    "46 01 50",
    AP_OF_PARAMETER_SETS,
    "26 01 af 00",
  ]);
  // A trailing picture gets nothing.
  deepEqual(
    payloads(packetizer.packetize({ timestamp: 1, units: [hex("02 01 aa")], keyframe: false })),
    [
      "02 01 aa",
    ],
  );
  // New parameter sets replace the stored ones.
  const newSps = hex("42 01 02 02");
  packetizer.packetize({ timestamp: 2, units: [VPS, newSps, PPS, IDR], keyframe: true });
  deepEqual(packetizer.parameterSets, { vps: VPS, sps: newSps, pps: PPS });
});

Deno.test("H265 round trip with wrap, input untouched", () => {
  const packetizer = new H265Packetizer({
    ...OPTIONS,
    initialSequenceNumber: 0xfff0,
    initialTimestamp: 0xffff_0000,
  });
  const input: AccessUnit[] = [];
  for (let i = 0; i < 12; i++) {
    const keyframe = i % 4 === 0;
    const picture = pseudoRandomBytes(keyframe ? 60_000 : 4_000, i + 1);
    picture[0] = keyframe ? 0x26 : 0x02;
    picture[1] = 0x01;
    input.push({
      timestamp: i * 3000,
      units: keyframe ? [VPS, SPS, PPS, picture] : [picture],
      keyframe,
    });
  }
  const before = input.map((au) => snapshot(au.units));
  const packets = input.flatMap((au) => packetizer.packetize(au));
  deepEqual(input.map((au) => au.units), before);
  const seqs = parseAll(packets).map((p) => p.header.sequenceNumber);
  equal(seqs.includes(0xffff) && seqs.includes(0), true);
  deepEqual(depacketize(packets, new H265Depacketizer({ initialTimestamp: 0xffff_0000 })), input);
});

Deno.test("H265Depacketizer drops fragments after a loss and malformed payloads", () => {
  const packetizer = new H265Packetizer({ ...OPTIONS, maxPayloadSize: 100 });
  const big = unit([0x26, 0x01], 300);
  const packets = packetizer.packetize({ timestamp: 0, units: [big], keyframe: true });
  const depacketizer = new H265Depacketizer();
  deepEqual(depacketize([packets[0], packets[2], packets[3]], depacketizer), []);
  equal(depacketizer.droppedPackets >= 1, true);

  const cases: [string, string][] = [
    ["one byte", "02"],
    ["PACI", "64 01 00 00"],
    ["type 63", "7e 01 00"],
    ["AP size past the end", "60 01 00 09 02 01"],
    ["AP unit shorter than a NAL header", "60 01 00 01 02"],
    ["FU header only", "62 01 93"],
    ["FU start and end", "62 01 d3 01"],
    ["FU end without start", "62 01 53 01"],
  ];
  for (const [name, payload] of cases) {
    const receiver = new H265Depacketizer();
    const packet = buildRtpPacket(
      { ...OPTIONS, marker: true, sequenceNumber: 1, timestamp: 0 },
      hex(payload),
    );
    deepEqual(depacketize([packet], receiver), [], name);
    equal(receiver.droppedPackets >= 1, true, name);
  }
});

Deno.test("H265Depacketizer never throws on random payloads", () => {
  const next = pseudoRandom(11);
  const depacketizer = new H265Depacketizer();
  for (let i = 0; i < 5000; i++) {
    const payload = pseudoRandomBytes(next(40), i + 7);
    if (payload.length > 0 && i % 3 === 0) {
      payload[0] = (payload[0] & 0x81) | ((i % 2 ? 48 : 49) << 1);
    }
    const [packet] = parseAll([buildRtpPacket({
      ...OPTIONS,
      marker: next(4) === 0,
      sequenceNumber: next(3) === 0 ? next(0x10000) : i,
      timestamp: next(3),
    }, payload)]);
    depacketizer.push(packet);
  }
});
