import assert from "node:assert/strict";
import { ReceptionStats } from "./reception_stats.ts";

const header = (sequenceNumber: number, timestamp: number, ssrc = 7) => ({
  payloadType: 96,
  marker: false,
  sequenceNumber,
  timestamp,
  ssrc,
});

Deno.test("ReceptionStats counts cycles across the sequence wrap, and losses (RFC 3550, A.1, A.3)", () => {
  const stats = new ReceptionStats(90000);
  for (const seq of [65533, 65534, 65535, 1, 2]) stats.onRtp(header(seq, 0), 0);
  // 0 lost: expected 65533..65538 (6), received 5.
  const block = stats.reportBlock(0)!;
  assert.equal(block.highestSequence, 0x1_0002);
  assert.equal(block.cumulativeLost, 1);
  assert.equal(block.fractionLost, Math.floor((1 << 8) / 6));
  // The next interval lost nothing.
  stats.onRtp(header(3, 0), 0);
  assert.equal(stats.reportBlock(0)!.fractionLost, 0);
  // A late, reordered packet does not move the highest sequence back.
  stats.onRtp(header(65535, 0), 0);
  assert.equal(stats.reportBlock(0)!.highestSequence, 0x1_0003);
});

Deno.test("ReceptionStats measures jitter in timestamp units (RFC 3550, A.8) and LSR/DLSR", () => {
  const stats = new ReceptionStats(8000);
  // 20 ms apart on the sender's clock (160 units); arrivals 20 ms, then 30 ms apart.
  stats.onRtp(header(1, 0), 1000);
  stats.onRtp(header(2, 160), 1020);
  assert.equal(stats.reportBlock(1020)!.jitter, 0);
  stats.onRtp(header(3, 320), 1050);
  // |D| = 80 units; J = 80 / 16 = 5.
  assert.equal(stats.reportBlock(1050)!.jitter, 5);
  stats.onSenderReport(
    {
      type: "sr",
      ssrc: 7,
      ntp: { seconds: 0x0001_0002, fraction: 0x0003_0000 },
      ntpTimeMs: 0,
      rtpTimestamp: 0,
      packetCount: 0,
      octetCount: 0,
      reports: [],
    },
    2000,
  );
  const block = stats.reportBlock(2500)!;
  assert.equal(block.lastSr, 0x0002_0003);
  assert.equal(block.delaySinceLastSr, 32768);
  assert.equal(new ReceptionStats(8000).reportBlock(0), undefined);
});
