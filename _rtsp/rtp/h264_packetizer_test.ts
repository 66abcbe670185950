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
import { H264Depacketizer, H264Packetizer } from "./h264_packetizer.ts";
import { buildRtpPacket, RTP_HEADER_SIZE } from "./rtp_packet.ts";

const SPS = hex("67 42 c0 1f aa");
const PPS = hex("68 ce 3c 80");
const IDR = hex("65 88 84 00");
const OPTIONS = {
  payloadType: 96,
  ssrc: 0x11223344,
  initialSequenceNumber: 1000,
  initialTimestamp: 90000,
};

/** RTP header hex for OPTIONS' stream: marker, sequence number and timestamp vary. */
function rtp(marker: boolean, sequenceNumber: number, timestamp: number): string {
  const header = buildRtpPacket(
    { ...OPTIONS, marker, sequenceNumber, timestamp },
    new Uint8Array(),
  );
  return toHex(header);
}

const TS_0 = 90000;

Deno.test("H264Packetizer byte vectors", async (t) => {
  await t.step("single", () => {
    const packets = new H264Packetizer(OPTIONS).packetize({
      timestamp: 3000,
      units: [hex("41 9a 01 02")],
      keyframe: false,
    });
    deepEqual(packets.map(toHex), ["80 e0 03 e8 00 01 6b 48 11 22 33 44 41 9a 01 02"]);
  });

  await t.step("aggregated", () => {
    const packets = new H264Packetizer(OPTIONS).packetize({
      timestamp: 0,
      units: [SPS, PPS, IDR],
      keyframe: true,
    });
    deepEqual(packets.map(toHex), [
      // STAP-A: F=0, NRI = max(3, 3, 3), type 24; then size-prefixed SPS and PPS.
      `${rtp(false, 1000, TS_0)} 78 00 05 67 42 c0 1f aa 00 04 68 ce 3c 80`,
      `${rtp(true, 1001, TS_0)} 65 88 84 00`,
    ]);
  });

  await t.step("fragmented", () => {
    const nal = hex("65 01 02 03 04 05 06 07 08 09 0a");
    const packets = new H264Packetizer({ ...OPTIONS, maxPayloadSize: 8 }).packetize({
      timestamp: 0,
      units: [nal],
      keyframe: true,
    });
    deepEqual(packets.map(toHex), [
      // FU indicator: NRI of the IDR (0x60) | 28; FU header: S | type 5, then E | 5.
      `${rtp(false, 1000, TS_0)} 7c 85 01 02 03 04 05 06`,
      `${rtp(true, 1001, TS_0)} 7c 45 07 08 09 0a`,
    ]);
  });

  await t.step("fragmented to the limit", () => {
    const packetizer = new H264Packetizer({ ...OPTIONS, maxPayloadSize: 8 });
    const payloadSizes = (size: number) =>
      packetizer.packetize({ timestamp: 0, units: [unit([0x41], size)], keyframe: false })
        .map((p) => p.length - RTP_HEADER_SIZE);
    // Exactly the limit: one single NAL unit packet.
    deepEqual(payloadSizes(8), [8]);
    // One byte over: FU-A with 6 data bytes, then the last 2.
    deepEqual(payloadSizes(9), [8, 4]);
    // Data exactly two full fragments: no empty third fragment.
    deepEqual(payloadSizes(13), [8, 8]);
    const [first, last] = packetizer.packetize({
      timestamp: 0,
      units: [unit([0x41], 13)],
      keyframe: false,
    });
    equal(toHex(first.subarray(RTP_HEADER_SIZE, RTP_HEADER_SIZE + 2)), "5c 81");
    equal(toHex(last.subarray(RTP_HEADER_SIZE, RTP_HEADER_SIZE + 2)), "5c 41");
  });
});

Deno.test("H264Packetizer sets the marker only on the last packet of each access unit", () => {
  const packets = new H264Packetizer({ ...OPTIONS, maxPayloadSize: 100 }).packetize({
    timestamp: 0,
    units: [unit([0x06], 20), unit([0x65], 500), unit([0x65], 50)],
    keyframe: true,
  });
  const markers = parseAll(packets).map((p) => p.header.marker);
  deepEqual(markers, [...markers.slice(0, -1).map(() => false), true]);
  equal(markers.length, 1 + 6 + 1);
});

Deno.test("H264Packetizer wraps sequence numbers and timestamps", () => {
  const packetizer = new H264Packetizer({
    ...OPTIONS,
    initialSequenceNumber: 0xffff,
    initialTimestamp: 0xffff_ffff,
    maxPayloadSize: 8,
  });
  const packets = parseAll(packetizer.packetize({
    timestamp: 2,
    units: [unit([0x41], 20)],
    keyframe: false,
  }));
  deepEqual(packets.map((p) => p.header.sequenceNumber), [0xffff, 0, 1, 2]);
  deepEqual(packets.map((p) => p.header.timestamp), [1, 1, 1, 1]);
  equal(packetizer.nextSequenceNumber, 3);
});

Deno.test("H264Packetizer inserts stored SPS/PPS ahead of an IDR that lacks them", () => {
  const packetizer = new H264Packetizer({ ...OPTIONS, parameterSets: { sps: SPS, pps: PPS } });
  const aud = hex("09 f0");
  const packets = packetizer.packetize({ timestamp: 0, units: [aud, IDR], keyframe: true });
  deepEqual(packets.map(toHex), [
    `${rtp(false, 1000, TS_0)} 09 f0`,
    `${rtp(false, 1001, TS_0)} 78 00 05 67 42 c0 1f aa 00 04 68 ce 3c 80`,
    `${rtp(true, 1002, TS_0)} 65 88 84 00`,
  ]);
  // P frames get nothing extra.
  const p = packetizer.packetize({ timestamp: 3000, units: [hex("41 9a")], keyframe: false });
  equal(p.length, 1);
});

Deno.test("H264Packetizer updates stored parameter sets from the stream", () => {
  const packetizer = new H264Packetizer({ ...OPTIONS, parameterSets: { sps: SPS, pps: PPS } });
  const newSps = hex("67 64 00 28 bb");
  const newPps = hex("68 ee 38 b0");
  const input = [newSps, newPps, IDR];
  packetizer.packetize({ timestamp: 0, units: input, keyframe: true });
  deepEqual(packetizer.parameterSets, { sps: newSps, pps: newPps });
  // The stored copies are ours: changing the caller's buffer later has no effect.
  input[0][4] = 0;
  deepEqual(packetizer.parameterSets?.sps, hex("67 64 00 28 bb"));
  const packets = packetizer.packetize({ timestamp: 3000, units: [IDR], keyframe: true });
  equal(
    toHex(packets[0].subarray(RTP_HEADER_SIZE)),
    "78 00 05 67 64 00 28 bb 00 04 68 ee 38 b0",
  );
});

Deno.test("H264Packetizer completes a keyframe carrying only its SPS", () => {
  const packetizer = new H264Packetizer({ ...OPTIONS, parameterSets: { sps: SPS, pps: PPS } });
  const packets = packetizer.packetize({ timestamp: 0, units: [SPS, IDR], keyframe: true });
  deepEqual(packets.map((p) => toHex(p.subarray(RTP_HEADER_SIZE))), [
    "78 00 05 67 42 c0 1f aa 00 04 68 ce 3c 80",
    "65 88 84 00",
  ]);
});

Deno.test("H264Packetizer does not modify its input and skips empty units", () => {
  const units = [SPS, PPS, unit([0x65], 5000), new Uint8Array(), unit([0x01], 10)];
  const before = snapshot(units);
  const packets = new H264Packetizer(OPTIONS).packetize({ timestamp: 0, units, keyframe: true });
  deepEqual(units, before);
  const [au] = depacketize(packets);
  deepEqual(au.units, units.filter((u) => u.length > 0));
});

function depacketize(packets: readonly Uint8Array[], depacketizer = new H264Depacketizer()) {
  const out: AccessUnit[] = [];
  for (const packet of parseAll(packets)) out.push(...depacketizer.push(packet));
  out.push(...depacketizer.flush());
  return out;
}

Deno.test("H264 round trip: depacketizing our own output gives the input back", () => {
  const packetizer = new H264Packetizer(OPTIONS);
  const input: AccessUnit[] = [];
  for (let i = 0; i < 30; i++) {
    const keyframe = i % 10 === 0;
    const units = keyframe
      ? [hex("09 10"), SPS, PPS, pseudoRandomBytes(100_000, i + 1)]
      : [pseudoRandomBytes(5_000, i + 1), pseudoRandomBytes(300, i + 100)];
    units[units.length - 1][0] = keyframe ? 0x65 : 0x41;
    if (!keyframe) units[0][0] = 0x41;
    input.push({ timestamp: i * 3000, units, keyframe });
  }
  const packets = input.flatMap((au) => packetizer.packetize(au));
  const output = depacketize(
    packets,
    new H264Depacketizer({ initialTimestamp: OPTIONS.initialTimestamp }),
  );
  deepEqual(output, input);
});

Deno.test("H264Depacketizer ends an access unit on a timestamp change without marker", () => {
  const depacketizer = new H264Depacketizer();
  const packet = (seq: number, ts: number, payload: string) =>
    parseAll([
      buildRtpPacket(
        { ...OPTIONS, marker: false, sequenceNumber: seq, timestamp: ts },
        hex(payload),
      ),
    ])[0];
  deepEqual(depacketizer.push(packet(1, 100, "41 01")), []);
  deepEqual(depacketizer.push(packet(2, 100, "41 02")), []);
  deepEqual(depacketizer.push(packet(3, 200, "41 03")), [
    { timestamp: 100, units: [hex("41 01"), hex("41 02")], keyframe: false },
  ]);
  deepEqual(depacketizer.flush(), [{ timestamp: 200, units: [hex("41 03")], keyframe: false }]);
  deepEqual(depacketizer.flush(), []);
});

Deno.test("H264Depacketizer drops a fragmented NAL unit after a loss", () => {
  const packetizer = new H264Packetizer({ ...OPTIONS, maxPayloadSize: 100 });
  const small = unit([0x65], 50);
  const big = unit([0x65], 400);
  const packets = packetizer.packetize({ timestamp: 0, units: [small, big], keyframe: true });
  equal(packets.length, 1 + 5);
  const depacketizer = new H264Depacketizer({ initialTimestamp: OPTIONS.initialTimestamp });
  const lossy = [...packets.slice(0, 3), ...packets.slice(4)];
  const output = depacketize(lossy, depacketizer);
  deepEqual(output, [{ timestamp: 0, units: [small], keyframe: true }]);
  equal(depacketizer.droppedPackets >= 2, true);
  // The next access unit is received whole.
  const next = packetizer.packetize({ timestamp: 3000, units: [big], keyframe: true });
  deepEqual(depacketize(next, depacketizer), [{ timestamp: 3000, units: [big], keyframe: true }]);
});

Deno.test("H264Depacketizer rejects malformed payloads", () => {
  const cases: [string, string][] = [
    ["empty", ""],
    ["type 0", "00 01"],
    ["STAP-B (interleaved only)", "19 00 00 00 01 41"],
    ["FU-B (interleaved only)", "1d 85 00 00 01"],
    ["STAP-A size past the end", "78 00 09 67 42"],
    ["STAP-A zero size", "78 00 00"],
    ["STAP-A half a size field", "78 00 02 41 01 00"],
    ["STAP-A empty", "78"],
    ["FU-A header only", "7c 85"],
    ["FU-A start and end together", "7c c5 01 02"],
    ["FU-A middle without start", "7c 05 01 02"],
    ["FU-A end without start", "7c 45 01 02"],
  ];
  for (const [name, payload] of cases) {
    const depacketizer = new H264Depacketizer();
    const packets = [
      buildRtpPacket({ ...OPTIONS, marker: true, sequenceNumber: 1, timestamp: 0 }, hex(payload)),
    ];
    deepEqual(depacketize(packets, depacketizer), [], name);
    equal(depacketizer.droppedPackets >= 1, true, name);
  }
});

Deno.test("H264Depacketizer never throws on random payloads", () => {
  const next = pseudoRandom(3);
  const depacketizer = new H264Depacketizer();
  for (let i = 0; i < 5000; i++) {
    const payload = pseudoRandomBytes(next(40), i + 1);
    // Steer a share of inputs into the STAP-A and FU-A paths.
    if (payload.length > 0 && i % 3 === 0) payload[0] = (payload[0] & 0xe0) | (i % 2 ? 24 : 28);
    const [packet] = parseAll([buildRtpPacket({
      ...OPTIONS,
      marker: next(4) === 0,
      sequenceNumber: next(3) === 0 ? next(0x10000) : i,
      timestamp: next(3),
    }, payload)]);
    for (const au of depacketizer.push(packet)) equal(au.units.length > 0, true);
  }
});
