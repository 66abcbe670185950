/**
 * Receiver reports from a reader (RFC 3550, 6.4.2), kept only about the
 * streams we send it.
 * @module
 */

import type { RtcpPacket } from "../_rtsp/rtp/rtcp.ts";
import type { Reader } from "./reader.ts";

/**
 * Records the report blocks of `packets` (RR, and SR from a client that also
 * sends) that are about an SSRC in `sent`, the SSRCs this reader's tracks are
 * sent with; every other block is counted in `reader.ignoredReportBlocks` and
 * dropped. The client chooses the SSRCs it reports on (RFC 3550, 6.4.1
 * `SSRC_n`), so keeping every one it names would let it fill memory; a block
 * about a source we do not send it tells us nothing. The map thus holds at
 * most one entry per track: an SSRC no longer sent is dropped too.
 */
export function recordReceiverReports(
  reader: Reader,
  packets: readonly RtcpPacket[],
  sent: ReadonlySet<number>,
): void {
  for (const packet of packets) {
    if (packet.type !== "rr" && packet.type !== "sr") continue;
    for (const block of packet.reports) {
      if (!sent.has(block.ssrc)) {
        reader.ignoredReportBlocks++;
        continue;
      }
      reader.reception.set(block.ssrc, {
        fractionLost: block.fractionLost,
        cumulativeLost: block.cumulativeLost,
        jitter: block.jitter,
      });
    }
  }
  for (const ssrc of reader.reception.keys()) {
    if (!sent.has(ssrc)) reader.reception.delete(ssrc);
  }
}
