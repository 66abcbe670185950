import { deepEqual, equal } from "node:assert/strict";
import { parseRtcpCompound } from "./rtcp.ts";
import { RtcpSender, SentCounts } from "./rtcp_sender.ts";

const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join(" ");

Deno.test("SentCounts counts packets and their payload octets", () => {
  const sent = new SentCounts();
  sent.add({ packets: [new Uint8Array(112), new Uint8Array(20)], bytes: 132 });
  sent.add({ packets: [new Uint8Array(13)], bytes: 13 });
  equal(sent.packetCount, 3);
  equal(sent.octetCount, 100 + 8 + 1);
});

Deno.test("RtcpSender.report is an SR with the SDES CNAME, byte for byte", () => {
  const report = new RtcpSender("ab").report(0x01020304, 0, 0x0a0b0c0d, {
    packetCount: 5,
    octetCount: 600,
  });
  equal(
    hex(report),
    // SR: V=2, RC=0, PT=200, length 6, SSRC, NTP of the Unix epoch (2208988800 s), RTP time, counts
    "80 c8 00 06 01 02 03 04 83 aa 7e 80 00 00 00 00 0a 0b 0c 0d 00 00 00 05 00 00 02 58 " +
      // SDES: V=2, SC=1, PT=202, length 3, SSRC, CNAME "ab", end and padding
      "81 ca 00 03 01 02 03 04 01 02 61 62 00 00 00 00",
  );
  const parsed = parseRtcpCompound(report);
  equal(parsed.ok, true);
});

Deno.test("RtcpSender.bye is a BYE for one SSRC", () => {
  deepEqual([...RtcpSender.bye(7)], [0x81, 0xcb, 0, 1, 0, 0, 0, 7]);
});
