import { deepEqual, equal } from "node:assert/strict";
import { hex, parseAll, toHex, unit } from "./_test_helpers.ts";
import { H264NalType, h264NalType } from "./h264_packetizer.ts";
import { bytesEqual, packetizeNalUnits, ParameterSetInjector } from "./nal_packetizer.ts";
import { RtpPacketWriter } from "./packetizer.ts";
import { RTP_HEADER_SIZE } from "./rtp_packet.ts";

// The H.264 layouts stand in for "a codec"; these tests pin the shared logic.
const FORMAT = {
  nalHeaderSize: 1,
  aggregationHeaderSize: 1,
  fuHeaderSize: 2,
  nalType: h264NalType,
  writeAggregationHeader(into: Uint8Array, offset: number) {
    into[offset] = H264NalType.StapA;
  },
  writeFuHeader(into: Uint8Array, offset: number, nal: Uint8Array, flags: number) {
    into[offset] = H264NalType.FuA;
    into[offset + 1] = flags | h264NalType(nal);
  },
};
const RULES = {
  types: [H264NalType.Sps, H264NalType.Pps],
  leadingTypes: [H264NalType.Aud],
  isRandomAccess: (type: number) => type === H264NalType.IdrSlice,
};
const OPTIONS = { payloadType: 96, ssrc: 1, initialSequenceNumber: 0, initialTimestamp: 0 };

Deno.test("bytesEqual", () => {
  equal(bytesEqual(hex("01 02"), hex("01 02")), true);
  equal(bytesEqual(hex("01 02"), hex("01 03")), false);
  equal(bytesEqual(hex("01"), hex("01 02")), false);
});

Deno.test("packetizeNalUnits splits a parameter-set run that does not fit one packet", () => {
  const writer = new RtpPacketWriter({ ...OPTIONS, maxPayloadSize: 20 });
  const sps = unit([0x67], 8);
  const pps = unit([0x68], 8);
  const pps2 = unit([0x68], 8);
  // STAP-A of two: 1 + (2 + 8) + (2 + 8) = 21 > 20, so no run fits: three single packets.
  const sizes = packetizeNalUnits(writer, FORMAT, [sps, pps, pps2], RULES.types, 0)
    .map((p) => p.length - RTP_HEADER_SIZE);
  deepEqual(sizes, [8, 8, 8]);
  // With room for two, the first two aggregate and the third goes alone.
  const roomy = new RtpPacketWriter({ ...OPTIONS, maxPayloadSize: 21 });
  const packets = packetizeNalUnits(roomy, FORMAT, [sps, pps, pps2], RULES.types, 0);
  deepEqual(packets.map((p) => p.length - RTP_HEADER_SIZE), [21, 8]);
  deepEqual(parseAll(packets).map((p) => p.header.marker), [false, true]);
});

Deno.test("packetizeNalUnits skips units without payload and emits nothing for none", () => {
  const writer = new RtpPacketWriter(OPTIONS);
  deepEqual(packetizeNalUnits(writer, FORMAT, [new Uint8Array(), hex("41")], RULES.types, 0), []);
  equal(writer.nextSequenceNumber, 0);
});

Deno.test("ParameterSetInjector keeps AUD first and repeats of a type in place", () => {
  const injector = new ParameterSetInjector(FORMAT, RULES, [hex("67 01"), hex("68 01")]);
  const aud = hex("09 f0");
  const sei = hex("06 05");
  const idr = hex("65 00");
  const spsB = hex("67 02");
  const arranged = injector.arrange({
    timestamp: 0,
    units: [aud, sei, spsB, hex("67 03"), idr],
    keyframe: true,
  });
  deepEqual(arranged.map(toHex), ["09 f0", "67 02", "68 01", "06 05", "67 03", "65 00"]);
  // Non-random-access units pass through untouched (same array).
  const units = [hex("41 00")];
  equal(injector.arrange({ timestamp: 0, units, keyframe: false }), units);
  // Nothing stored and nothing carried: unchanged.
  const empty = new ParameterSetInjector(FORMAT, RULES);
  const idrOnly = [idr];
  equal(empty.arrange({ timestamp: 0, units: idrOnly, keyframe: true }), idrOnly);
});
