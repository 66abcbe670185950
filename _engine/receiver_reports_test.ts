import assert from "node:assert/strict";
import type { ReportBlock, RtcpPacket } from "../_rtsp/rtp/rtcp.ts";
import type { Reader, ReceptionStats } from "./reader.ts";
import { recordReceiverReports } from "./receiver_reports.ts";

function block(ssrc: number, jitter: number): ReportBlock {
  return {
    ssrc,
    fractionLost: 0,
    cumulativeLost: 0,
    highestSequence: 0,
    jitter,
    lastSr: 0,
    delaySinceLastSr: 0,
  };
}

/** Only what recordReceiverReports touches. */
function fakeReader(): Pick<Reader, "reception" | "ignoredReportBlocks"> {
  return { reception: new Map<number, ReceptionStats>(), ignoredReportBlocks: 0 };
}

Deno.test("recordReceiverReports keeps blocks about sent SSRCs, from RRs and SRs, and counts the rest", () => {
  const reader = fakeReader();
  const packets: RtcpPacket[] = [
    { type: "rr", ssrc: 9, reports: [block(1, 10), block(7, 70), block(8, 80)] },
    { type: "sdes", chunks: [] },
    {
      type: "sr",
      ssrc: 9,
      ntp: { seconds: 0, fraction: 0 },
      ntpTimeMs: 0,
      rtpTimestamp: 0,
      packetCount: 0,
      octetCount: 0,
      reports: [block(2, 20)],
    },
  ];
  recordReceiverReports(reader as Reader, packets, new Set([1, 2]));
  assert.deepEqual([...reader.reception.keys()].sort(), [1, 2]);
  assert.equal(reader.reception.get(2)?.jitter, 20);
  assert.equal(reader.ignoredReportBlocks, 2);
});

Deno.test("recordReceiverReports drops an entry for an SSRC that is no longer sent", () => {
  const reader = fakeReader();
  recordReceiverReports(
    reader as Reader,
    [{ type: "rr", ssrc: 9, reports: [block(1, 1)] }],
    new Set([1]),
  );
  recordReceiverReports(
    reader as Reader,
    [{ type: "rr", ssrc: 9, reports: [block(3, 3)] }],
    new Set([3]),
  );
  assert.deepEqual([...reader.reception.keys()], [3]);
  assert.equal(reader.ignoredReportBlocks, 0);
});
