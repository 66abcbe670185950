/**
 * A reader's own RTP sequence numbers (RFC 3550, 5.1) after it skipped
 * packets: a copy of the packets with every sequence number lowered by the
 * reader's shift. Only readers that dropped something pay for the copy; the
 * others keep sharing the source's bytes.
 * @module
 */

import { INTERLEAVED_HEADER_BYTES, interleavedLength } from "../../_rtsp/interleaved.ts";
import { RTP_HEADER_SIZE, RtpHeaderView } from "../../_rtsp/rtp/rtp_header_view.ts";

/** Lowers the sequence number of the packet at `bytes[at]` by `shift`, modulo 2^16. */
function lowerSequence(bytes: Uint8Array, at: number, shift: number): void {
  const header = new RtpHeaderView(bytes, at);
  header.sequenceNumber -= shift;
}

/**
 * `packet` with its sequence number lowered by `shift` (modulo 2^16); the
 * packet itself when `shift` is 0.
 * @param packet one RTP packet
 * @param shift packets this reader skipped
 * @returns a renumbered copy, or `packet`
 */
export function renumberPacket(packet: Uint8Array, shift: number): Uint8Array {
  // Anything shorter than the fixed header is not RTP and is left alone.
  if ((shift & 0xffff) === 0 || packet.length < RTP_HEADER_SIZE) return packet;
  const copy = packet.slice();
  lowerSequence(copy, 0, shift);
  return copy;
}

/**
 * A frame's interleaved form (RTP packets each behind `$`, channel, length)
 * with every packet's sequence number lowered by `shift`; the same buffer when
 * `shift` is 0.
 * @param interleaved `$`-framed RTP packets, as `interleave()` builds them
 * @param shift packets this reader skipped
 * @returns a renumbered copy, or `interleaved`
 */
export function renumberInterleaved(interleaved: Uint8Array, shift: number): Uint8Array {
  if ((shift & 0xffff) === 0) return interleaved;
  const copy = interleaved.slice();
  let at = 0;
  while (at + INTERLEAVED_HEADER_BYTES <= copy.length) {
    const length = interleavedLength(copy, at);
    const packet = at + INTERLEAVED_HEADER_BYTES;
    if (length >= RTP_HEADER_SIZE && packet + length <= copy.length) {
      lowerSequence(copy, packet, shift);
    }
    at = packet + length;
  }
  return copy;
}
