/**
 * The RTCP a media sender sends (RFC 3550, 6): Sender Reports, each in a
 * compound packet with the SDES CNAME that 6.1 requires, and a BYE when it
 * stops. Pure: the stream says what its clocks and counters are, this builds
 * the bytes, and the stream sends them to its readers.
 * @module
 */

import { buildBye, buildCompound, buildSdes, buildSenderReport } from "./rtcp.ts";
import { RTP_HEADER_SIZE } from "./rtp_header_view.ts";

/** A track's sender counts as an SR carries them (RFC 3550, 6.4.1). */
export interface SenderCounts {
  /** RTP packets sent since the start of transmission. */
  readonly packetCount: number;
  /** Payload octets (headers and padding excluded) sent since then. */
  readonly octetCount: number;
}

/** The packets and payload octets one track has sent, counted frame by frame. */
export class SentCounts implements SenderCounts {
  packetCount = 0;
  octetCount = 0;

  /**
   * Counts the packets of one frame.
   * @param frame its RTP packets (fixed 12-byte headers) and their total size
   */
  add(frame: { readonly packets: readonly Uint8Array[]; readonly bytes: number }): void {
    this.packetCount += frame.packets.length;
    this.octetCount += frame.bytes - frame.packets.length * RTP_HEADER_SIZE;
  }
}

/** Builds the RTCP packets of one sender, whose CNAME is fixed. */
export class RtcpSender {
  /** RFC 3550, 6.5.1: the canonical name sent in every compound packet. */
  readonly cname: string;

  /** @param cname this sender's CNAME */
  constructor(cname: string) {
    this.cname = cname;
  }

  /**
   * An SR (RFC 3550, 6.4.1) and SDES CNAME (6.5.1) compound packet.
   * @param ssrc the track's SSRC
   * @param ntpTimeMs wallclock time of the report, ms since the Unix epoch
   * @param rtpTimestamp the same instant on the track's RTP clock
   * @param sent the track's packet and octet counts
   */
  report(ssrc: number, ntpTimeMs: number, rtpTimestamp: number, sent: SenderCounts): Uint8Array {
    return buildCompound(
      buildSenderReport({
        ssrc,
        ntpTimeMs,
        rtpTimestamp,
        packetCount: sent.packetCount,
        octetCount: sent.octetCount,
      }),
      buildSdes(ssrc, this.cname),
    );
  }

  /** A BYE (RFC 3550, 6.6) for one track's SSRC: the sender stops sending it. */
  static bye(ssrc: number): Uint8Array {
    return buildBye([ssrc]);
  }
}
