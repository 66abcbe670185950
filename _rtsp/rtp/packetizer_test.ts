import { deepEqual, equal, throws } from "node:assert/strict";
import { toHex } from "./_test_helpers.ts";
import {
  MAX_CONFIGURABLE_PAYLOAD_SIZE,
  mediaTimestamp,
  MIN_RTP_PAYLOAD_SIZE,
  PAYLOAD_OFFSET,
  RtpPacketWriter,
  SequenceTracker,
} from "./packetizer.ts";
import { MAX_RTP_PAYLOAD_SIZE } from "./rtp_packet.ts";

const OPTIONS = {
  payloadType: 97,
  ssrc: 0xcafebabe,
  initialSequenceNumber: 0xfffe,
  initialTimestamp: 0xffff_fff0,
};

Deno.test("RtpPacketWriter writes headers and wraps the sequence number at 2^16", () => {
  const writer = new RtpPacketWriter(OPTIONS);
  equal(writer.maxPayloadSize, MAX_RTP_PAYLOAD_SIZE);
  const sequence = [];
  for (let i = 0; i < 3; i++) {
    const packet = writer.next(1, writer.rtpTimestamp(0x20), i === 2);
    packet[PAYLOAD_OFFSET] = i;
    sequence.push(toHex(packet));
  }
  deepEqual(sequence, [
    "80 61 ff fe 00 00 00 10 ca fe ba be 00",
    "80 61 ff ff 00 00 00 10 ca fe ba be 01",
    "80 e1 00 00 00 00 00 10 ca fe ba be 02",
  ]);
  equal(writer.nextSequenceNumber, 1);
});

Deno.test("RtpPacketWriter timestamp is (initial + media) mod 2^32", () => {
  const writer = new RtpPacketWriter(OPTIONS);
  equal(writer.rtpTimestamp(0), 0xffff_fff0);
  equal(writer.rtpTimestamp(0x10), 0);
  equal(writer.rtpTimestamp(2 ** 40 + 0x11), 1);
  equal(mediaTimestamp(1, 0xffff_fff0), 0x11);
});

Deno.test("RtpPacketWriter rejects a payload size too small to packetize", () => {
  throws(
    () => new RtpPacketWriter({ ...OPTIONS, maxPayloadSize: MIN_RTP_PAYLOAD_SIZE - 1 }),
    RangeError,
  );
  throws(() => new RtpPacketWriter({ ...OPTIONS, maxPayloadSize: 100.5 }), RangeError);
  equal(
    new RtpPacketWriter({ ...OPTIONS, maxPayloadSize: MIN_RTP_PAYLOAD_SIZE }).maxPayloadSize,
    8,
  );
});

Deno.test("SequenceTracker notices gaps, including across the wrap", () => {
  const tracker = new SequenceTracker();
  deepEqual([0xfffe, 0xffff, 0, 2, 3, 3].map((seq) => tracker.follows(seq)), [
    true,
    true,
    true,
    false,
    true,
    false,
  ]);
});

Deno.test("RtpPacketWriter packets never overlap, even across blocks", () => {
  const writer = new RtpPacketWriter(OPTIONS);
  const packets = Array.from({ length: 200 }, (_, i) => {
    const packet = writer.next(1000, 0, false);
    packet.fill(i & 0xff, PAYLOAD_OFFSET);
    return packet;
  });
  packets.forEach((packet, i) => {
    equal(packet.length, 1012);
    equal(packet.subarray(PAYLOAD_OFFSET).every((byte) => byte === (i & 0xff)), true);
  });
});

Deno.test("RtpPacketWriter rejects a payload size beyond an interleaved frame", () => {
  throws(
    () => new RtpPacketWriter({ ...OPTIONS, maxPayloadSize: MAX_CONFIGURABLE_PAYLOAD_SIZE + 1 }),
    RangeError,
  );
  equal(
    new RtpPacketWriter({ ...OPTIONS, maxPayloadSize: MAX_CONFIGURABLE_PAYLOAD_SIZE })
      .maxPayloadSize,
    0xffff - 12,
  );
});
