/**
 * A reader's own RTP sequence numbers (RFC 3550, 5.1) after it skipped
 * packets: a copy of the packets with every sequence number lowered by the
 * reader's shift. Only readers that dropped something pay for the copy; the
 * others keep sharing the source's bytes.
 * @module
 */

import { INTERLEAVED_HEADER_BYTES, interleavedLength } from "../interleaved.ts";

/** RFC 3550, 5.1: the sequence number is bytes 2–3 of the fixed header. */
const SEQUENCE_OFFSET = 2;
/** The fixed RTP header: anything shorter is not RTP and is left alone. */
const RTP_HEADER_BYTES = 12;

function lowerSequence(bytes: Uint8Array, at: number, shift: number): void {
  const sequence = ((bytes[at] << 8) | bytes[at + 1]) - shift;
  bytes[at] = (sequence >> 8) & 0xff;
  bytes[at + 1] = sequence & 0xff;
}

/**
 * `packet` with its sequence number lowered by `shift` (modulo 2^16); the
 * packet itself when `shift` is 0.
 * @param packet one RTP packet
 * @param shift packets this reader skipped
 * @returns a renumbered copy, or `packet`
 */
export function renumberPacket(packet: Uint8Array, shift: number): Uint8Array {
  if ((shift & 0xffff) === 0 || packet.length < RTP_HEADER_BYTES) return packet;
  const copy = packet.slice();
  lowerSequence(copy, SEQUENCE_OFFSET, shift);
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
    if (length >= RTP_HEADER_BYTES && packet + length <= copy.length) {
      lowerSequence(copy, packet + SEQUENCE_OFFSET, shift);
    }
    at = packet + length;
  }
  return copy;
}
