import { deepEqual, ok } from "node:assert/strict";
import { hex, pseudoRandom, pseudoRandomBytes, toHex } from "./_test_helpers.ts";
import {
  buildRtpPacket,
  parseRtpPacket,
  RTP_HEADER_SIZE,
  type RtpHeader,
  RtpParseError,
  setRtpMarker,
  writeRtpHeader,
} from "./rtp_packet.ts";

const HEADER: RtpHeader = {
  payloadType: 96,
  sequenceNumber: 0x1234,
  timestamp: 0xdeadbeef,
  ssrc: 0x01020304,
  marker: true,
};

Deno.test("writeRtpHeader writes the RFC 3550 fixed header", () => {
  const into = new Uint8Array(2 + RTP_HEADER_SIZE);
  const end = writeRtpHeader(into, 2, HEADER);
  deepEqual(end, 2 + RTP_HEADER_SIZE);
  deepEqual(toHex(into), "00 00 80 e0 12 34 de ad be ef 01 02 03 04");
});

Deno.test("writeRtpHeader wraps sequence at 2^16 and timestamp at 2^32", () => {
  const into = new Uint8Array(RTP_HEADER_SIZE);
  writeRtpHeader(into, 0, {
    payloadType: 0,
    sequenceNumber: 0x1_0001,
    timestamp: 0x1_0000_0005,
    ssrc: 0xffff_ffff,
    marker: false,
  });
  deepEqual(toHex(into), "80 00 00 01 00 00 00 05 ff ff ff ff");
});

Deno.test("buildRtpPacket then parseRtpPacket round-trips", () => {
  const payload = hex("aa bb cc");
  const packet = buildRtpPacket(HEADER, payload);
  deepEqual(toHex(packet), "80 e0 12 34 de ad be ef 01 02 03 04 aa bb cc");
  const parsed = parseRtpPacket(packet);
  deepEqual(parsed, { ok: true, packet: { header: HEADER, payload, csrcs: [] } });
});

Deno.test("setRtpMarker sets only the marker bit", () => {
  const packet = buildRtpPacket({ ...HEADER, marker: false }, hex("01"));
  setRtpMarker(packet);
  deepEqual(packet[1], 0xe0);
});

Deno.test("parseRtpPacket reads CSRCs, extension and padding", () => {
  // V=2 P=1 X=1 CC=2, M=0 PT=8, seq 7, ts 9, ssrc 1, CSRCs 2 and 3,
  // extension profile 0xbede with 1 word, payload "01 02", 3 bytes of padding.
  const bytes = hex(
    "b2 08 00 07 00 00 00 09 00 00 00 01" +
      "00 00 00 02 00 00 00 03" +
      "be de 00 01 11 22 33 44" +
      "01 02" +
      "00 00 03",
  );
  const result = parseRtpPacket(bytes);
  ok(result.ok, result.ok ? "" : result.error);
  const { header, csrcs, extension, payload } = result.packet;
  deepEqual(header, { payloadType: 8, marker: false, sequenceNumber: 7, timestamp: 9, ssrc: 1 });
  deepEqual(csrcs, [2, 3]);
  deepEqual(extension?.profile, 0xbede);
  deepEqual(toHex(extension!.data), "11 22 33 44");
  deepEqual(toHex(payload), "01 02");
});

Deno.test("parseRtpPacket rejects hostile input with typed errors", () => {
  const cases: [string, string, RtpParseError][] = [
    ["empty", "", RtpParseError.TooShort],
    ["truncated header", "80 60 00 01 00 00 00 00 00 00 00", RtpParseError.TooShort],
    ["version 1", "40 60 00 01 00 00 00 00 00 00 00 01", RtpParseError.BadVersion],
    ["version 0", "00 60 00 01 00 00 00 00 00 00 00 01", RtpParseError.BadVersion],
    [
      "15 CSRCs announced, none present",
      "8f 60 00 01 00 00 00 00 00 00 00 01 aa",
      RtpParseError.TruncatedCsrcs,
    ],
    [
      "extension header cut",
      "90 60 00 01 00 00 00 00 00 00 00 01 be de",
      RtpParseError.TruncatedExtension,
    ],
    [
      "huge extension length",
      "90 60 00 01 00 00 00 00 00 00 00 01 be de ff ff 00",
      RtpParseError.TruncatedExtension,
    ],
    ["padding count 0", "a0 60 00 01 00 00 00 00 00 00 00 01 aa 00", RtpParseError.BadPadding],
    [
      "padding larger than packet",
      "a0 60 00 01 00 00 00 00 00 00 00 01 aa ff",
      RtpParseError.BadPadding,
    ],
  ];
  for (const [name, bytes, error] of cases) {
    deepEqual(parseRtpPacket(hex(bytes)), { ok: false, error }, name);
  }
});

Deno.test("parseRtpPacket accepts an empty payload and padding-only payload", () => {
  const empty = parseRtpPacket(hex("80 60 00 01 00 00 00 00 00 00 00 01"));
  deepEqual(empty.ok && empty.packet.payload.length, 0);
  const paddingOnly = parseRtpPacket(hex("a0 60 00 01 00 00 00 00 00 00 00 01 00 02"));
  deepEqual(paddingOnly.ok && paddingOnly.packet.payload.length, 0);
});

Deno.test("parseRtpPacket never throws on random bytes", () => {
  const size = pseudoRandom(7);
  for (let seed = 1; seed <= 5000; seed++) {
    const bytes = pseudoRandomBytes(size(64), seed);
    // Force version 2 on half the inputs so the deeper checks get exercised.
    if (seed % 2 === 0 && bytes.length > 0) bytes[0] = (bytes[0] & 0x3f) | 0x80;
    const result = parseRtpPacket(bytes);
    if (result.ok) {
      const { payload } = result.packet;
      deepEqual(payload.byteOffset + payload.length <= bytes.byteOffset + bytes.length, true);
    }
  }
});

Deno.test("parseRtpPacket works on a view into a larger buffer", () => {
  const backing = new Uint8Array(100);
  const packet = buildRtpPacket(HEADER, hex("01 02 03"));
  backing.set(packet, 40);
  const result = parseRtpPacket(backing.subarray(40, 40 + packet.length));
  deepEqual(result.ok && toHex(result.packet.payload), "01 02 03");
  deepEqual(result.ok && result.packet.header, HEADER);
});
