import { deepEqual, equal } from "node:assert/strict";
import { hex, parseAll, pseudoRandomBytes } from "./_test_helpers.ts";
import { NalAssembler, type NalPayloadReader } from "./nal_depacketizer.ts";
import { buildRtpPacket } from "./rtp_packet.ts";

/**
 * A toy payload format: 0x01 = whole unit, 0x02 = fragment start, 0x03 = middle,
 * 0x04 = end, 0x05 = aggregation; the rest of the payload is the data.
 */
const READER: NalPayloadReader = {
  isKeyframeUnit: (nal) => nal[0] === 0xee,
  read(payload, assembler) {
    const data = payload.subarray(1);
    switch (payload[0]) {
      case 1:
        return assembler.addUnit(data);
      case 2:
        return assembler.startFragment(hex("ee"), 0, data);
      case 3:
        return assembler.continueFragment(0, data, false);
      case 4:
        return assembler.continueFragment(0, data, true);
      case 5:
        return assembler.addAggregated(data, 1);
      default:
        return assembler.drop();
    }
  },
};

function packet(seq: number, timestamp: number, marker: boolean, payload: Uint8Array) {
  return parseAll([
    buildRtpPacket({ payloadType: 96, ssrc: 1, sequenceNumber: seq, timestamp, marker }, payload),
  ])[0];
}

Deno.test("NalAssembler rebuilds a fragment larger than its first buffer", () => {
  const assembler = new NalAssembler(READER, { initialTimestamp: 10 });
  const chunks = Array.from({ length: 40 }, (_, i) => pseudoRandomBytes(1000, i + 1));
  const payloads = chunks.map((chunk, i) => {
    const kind = i === 0 ? 2 : i === chunks.length - 1 ? 4 : 3;
    return Uint8Array.of(kind, ...chunk);
  });
  const out = payloads.flatMap((p, i) =>
    assembler.push(packet(i, 15, i === payloads.length - 1, p))
  );
  const expected = new Uint8Array(1 + 40_000);
  expected[0] = 0xee;
  chunks.forEach((chunk, i) => expected.set(chunk, 1 + 1000 * i));
  deepEqual(out, [{ timestamp: 5, units: [expected], keyframe: true }]);
});

Deno.test("NalAssembler copies units: reusing the receive buffer is safe", () => {
  const assembler = new NalAssembler(READER);
  const buffer = hex("01 aa bb");
  const first = assembler.push(packet(1, 0, false, buffer));
  buffer.fill(0);
  deepEqual(first, []);
  deepEqual(assembler.flush(), [{ timestamp: 0, units: [hex("aa bb")], keyframe: false }]);
});

Deno.test("NalAssembler: aggregation, unfinished fragment at marker, unknown payloads", () => {
  const assembler = new NalAssembler(READER);
  deepEqual(assembler.push(packet(1, 0, false, hex("05 00 01 aa 00 02 bb cc"))), []);
  deepEqual(assembler.push(packet(2, 0, false, hex("02 01 02"))), []);
  // The marker arrives before the fragment's end: the fragment is dropped.
  deepEqual(assembler.push(packet(3, 0, true, hex("09"))), [
    { timestamp: 0, units: [hex("aa"), hex("bb cc")], keyframe: false },
  ]);
  equal(assembler.droppedPackets, 2);
});
