import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { hex, pseudoRandom, pseudoRandomBytes, toHex } from "./_test_helpers.ts";
import {
  buildBye,
  buildCompound,
  buildReceiverReport,
  buildSdes,
  buildSenderReport,
  compactNtp,
  ntpToUnixMs,
  parseRtcpCompound,
  type ReportBlock,
  type RtcpPacket,
  RtcpParseError,
  type RtcpSenderReport,
  rtpTimestampToUnixMs,
  senderReportMapping,
  unixMsToNtp,
} from "./rtcp.ts";

const BLOCK: ReportBlock = {
  ssrc: 2,
  fractionLost: 0x40,
  cumulativeLost: -1,
  highestSequence: 0x0001_0005,
  jitter: 12,
  lastSr: 0xaabb_ccdd,
  delaySinceLastSr: 0x0001_0000,
};

function parsed(bytes: Uint8Array): readonly RtcpPacket[] {
  const result = parseRtcpCompound(bytes);
  if (!result.ok) throw new Error(result.error);
  return result.packets;
}

Deno.test("unixMsToNtp / ntpToUnixMs", () => {
  deepEqual(unixMsToNtp(0), { seconds: 2_208_988_800, fraction: 0 });
  deepEqual(unixMsToNtp(1500), { seconds: 2_208_988_801, fraction: 0x8000_0000 });
  // 2036-02-07T06:28:16Z: NTP era 0 ends, seconds wrap to 0 (RFC 4330, 3).
  deepEqual(unixMsToNtp(2_085_978_496_000), { seconds: 0, fraction: 0 });
  equal(ntpToUnixMs({ seconds: 0, fraction: 0 }), 2_085_978_496_000);
  for (const ms of [0, 1, 999, 1_700_000_000_123, 2_085_978_496_250]) {
    ok(Math.abs(ntpToUnixMs(unixMsToNtp(ms)) - ms) < 1e-3, String(ms));
  }
  equal(compactNtp({ seconds: 0x1234_5678, fraction: 0x9abc_def0 }), 0x5678_9abc);
});

Deno.test("buildSenderReport byte vector", () => {
  const sr = buildSenderReport({
    ssrc: 0x11223344,
    ntpTimeMs: 1500,
    rtpTimestamp: 0x01020304,
    packetCount: 10,
    octetCount: 1000,
  });
  equal(
    toHex(sr),
    "80 c8 00 06 11 22 33 44 83 aa 7e 81 80 00 00 00 01 02 03 04 00 00 00 0a 00 00 03 e8",
  );
});

Deno.test("buildReceiverReport byte vector, negative cumulative loss", () => {
  const rr = buildReceiverReport({ ssrc: 1, reports: [BLOCK] });
  equal(
    toHex(rr),
    "81 c9 00 07 00 00 00 01 00 00 00 02 40 ff ff ff 00 01 00 05 00 00 00 0c aa bb cc dd 00 01 00 00",
  );
  // Cumulative loss is clamped to the signed 24-bit range.
  const clamped = buildReceiverReport({ ssrc: 1, reports: [{ ...BLOCK, cumulativeLost: 1e9 }] });
  equal(toHex(clamped.subarray(12, 16)), "40 7f ff ff");
});

Deno.test("buildSdes pads the chunk with at least one null octet", () => {
  equal(toHex(buildSdes(1, "ab")), "81 ca 00 03 00 00 00 01 01 02 61 62 00 00 00 00");
  equal(toHex(buildSdes(1, "abc")), "81 ca 00 03 00 00 00 01 01 03 61 62 63 00 00 00");
  // 4 + 2 + 6 = 12 bytes exactly: a whole extra word holds the terminating null.
  equal(buildSdes(1, "abcdef").length, 4 + 16);
  throws(() => buildSdes(1, "x".repeat(256)), RangeError);
});

Deno.test("buildBye with and without reason", () => {
  equal(toHex(buildBye([1])), "81 cb 00 01 00 00 00 01");
  equal(toHex(buildBye([1, 2], "bye")), "82 cb 00 03 00 00 00 01 00 00 00 02 03 62 79 65");
  equal(toHex(buildBye([], "x")), "80 cb 00 01 01 78 00 00");
  throws(() => buildBye(Array.from({ length: 32 }, (_, i) => i)), RangeError);
});

Deno.test("parseRtcpCompound decodes what we build", () => {
  const compound = buildCompound(
    buildSenderReport({
      ssrc: 7,
      ntpTimeMs: 1_700_000_000_000,
      rtpTimestamp: 5,
      packetCount: 1,
      octetCount: 2,
      reports: [BLOCK],
    }),
    buildReceiverReport({ ssrc: 8, reports: [] }),
    buildSdes(7, "rtsp.ts@example"),
    buildBye([7, 9], "done"),
  );
  const packets = parsed(compound);
  deepEqual(packets.map((p) => p.type), ["sr", "rr", "sdes", "bye"]);
  const [sr, rr, sdes, bye] = packets;
  ok(sr.type === "sr");
  deepEqual(sr.reports, [BLOCK]);
  deepEqual([sr.ssrc, sr.rtpTimestamp, sr.packetCount, sr.octetCount], [7, 5, 1, 2]);
  deepEqual(rr, { type: "rr", ssrc: 8, reports: [] });
  deepEqual(sdes, {
    type: "sdes",
    chunks: [{ ssrc: 7, items: [{ itemType: 1, text: "rtsp.ts@example" }] }],
  });
  deepEqual(bye, { type: "bye", ssrcs: [7, 9], reason: "done" });
});

Deno.test("Sender Report gives the NTP/RTP mapping for A/V sync", () => {
  const wallclock = 1_700_000_000_123;
  const video = parsed(buildSenderReport({
    ssrc: 1,
    ntpTimeMs: wallclock,
    rtpTimestamp: 0xffff_fff0, // about to wrap
    packetCount: 0,
    octetCount: 0,
  }))[0] as RtcpSenderReport;
  const audio = parsed(buildSenderReport({
    ssrc: 2,
    ntpTimeMs: wallclock + 20,
    rtpTimestamp: 48_000,
    packetCount: 0,
    octetCount: 0,
  }))[0] as RtcpSenderReport;
  const videoMap = senderReportMapping(video);
  const audioMap = senderReportMapping(audio);
  ok(Math.abs(videoMap.unixMs - wallclock) < 1e-3);
  equal(videoMap.rtpTimestamp, 0xffff_fff0);
  // One second of 90 kHz video later, across the 32-bit wrap.
  const videoTs = (0xffff_fff0 + 90_000) >>> 0;
  ok(Math.abs(rtpTimestampToUnixMs(videoMap, videoTs, 90_000) - (wallclock + 1000)) < 1e-3);
  // Audio 48000 ticks after its SR is at wallclock + 20 + 1000: 20 ms after that video frame.
  const audioMs = rtpTimestampToUnixMs(audioMap, 96_000, 48_000);
  ok(Math.abs(audioMs - rtpTimestampToUnixMs(videoMap, videoTs, 90_000) - 20) < 1e-3);
  // Timestamps before the SR map to earlier times.
  ok(
    Math.abs(rtpTimestampToUnixMs(videoMap, 0xffff_fff0 - 9000, 90_000) - (wallclock - 100)) < 1e-3,
  );
});

Deno.test("parseRtcpCompound accepts padding and unknown packet types", () => {
  // APP packet (PT 204, 3 words): SSRC, 2 bytes of name-ish data, 2 bytes of padding.
  const app = hex("a0 cc 00 02 00 00 00 01 6e 61 00 02");
  const compound = buildCompound(buildReceiverReport({ ssrc: 1, reports: [] }), app);
  deepEqual(parsed(compound), [
    { type: "rr", ssrc: 1, reports: [] },
    { type: "unknown", packetType: 204 },
  ]);
  // A padded SDES whose padding is not part of any item.
  const sdes = hex("a1 ca 00 03 00 00 00 01 01 01 61 00 00 00 00 04");
  deepEqual(parsed(sdes), [{
    type: "sdes",
    chunks: [{ ssrc: 1, items: [{ itemType: 1, text: "a" }] }],
  }]);
});

Deno.test("parseRtcpCompound rejects hostile input with typed errors", () => {
  const cases: [string, string, RtcpParseError][] = [
    ["empty", "", RtcpParseError.TooShort],
    ["three bytes", "80 c8 00", RtcpParseError.TooShort],
    ["version 1", "40 c9 00 01 00 00 00 01", RtcpParseError.BadVersion],
    ["length past the end", "80 c9 00 05 00 00 00 01", RtcpParseError.BadLength],
    ["huge length", "80 c9 ff ff 00 00 00 01", RtcpParseError.BadLength],
    ["trailing partial header", "80 c9 00 01 00 00 00 01 80 c9", RtcpParseError.BadLength],
    ["SR without sender info", "80 c8 00 01 00 00 00 01", RtcpParseError.Truncated],
    ["RR announcing a missing block", "81 c9 00 01 00 00 00 01", RtcpParseError.Truncated],
    ["SDES item past the end", "81 ca 00 02 00 00 00 01 01 09 61 62", RtcpParseError.Truncated],
    ["SDES chunk without end", "81 ca 00 02 00 00 00 01 01 02 61 62", RtcpParseError.Truncated],
    [
      "SDES more chunks than present",
      "82 ca 00 02 00 00 00 01 00 00 00 00",
      RtcpParseError.Truncated,
    ],
    ["BYE more SSRCs than present", "83 cb 00 01 00 00 00 01", RtcpParseError.Truncated],
    ["BYE reason past the end", "81 cb 00 02 00 00 00 01 09 61 62 63", RtcpParseError.Truncated],
    ["padding count 0", "a0 c9 00 01 00 00 00 00", RtcpParseError.BadPadding],
    ["padding larger than packet", "a0 c9 00 01 00 00 00 09", RtcpParseError.BadPadding],
  ];
  for (const [name, bytes, error] of cases) {
    deepEqual(parseRtcpCompound(hex(bytes)), { ok: false, error }, name);
  }
});

Deno.test("parseRtcpCompound never throws on random bytes", () => {
  const next = pseudoRandom(17);
  for (let seed = 1; seed <= 5000; seed++) {
    const bytes = pseudoRandomBytes(next(80), seed);
    if (bytes.length >= 4 && seed % 2 === 0) {
      bytes[0] = (bytes[0] & 0x3f) | 0x80;
      bytes[1] = 200 + (seed % 5);
      bytes[2] = 0;
      bytes[3] = Math.min(bytes[3] & 0x1f, (bytes.length >> 2) - 1);
    }
    parseRtcpCompound(bytes);
  }
});
