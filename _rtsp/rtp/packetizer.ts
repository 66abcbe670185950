/**
 * What every packetizer and depacketizer in this folder shares: options, the
 * {@linkcode Packetizer} / {@linkcode Depacketizer} contracts, and the RTP
 * sequence/timestamp bookkeeping (RFC 3550, 5.1).
 *
 * @module
 */

import type { AccessUnit } from "../media/access_unit.ts";
import {
  MAX_RTP_PAYLOAD_SIZE,
  RTP_HEADER_SIZE,
  RTP_SEQUENCE_MODULUS,
  type RtpPacket,
  writeRtpHeader,
} from "./rtp_packet.ts";

/** Options common to every packetizer. Random values come from the caller. */
export interface RtpPacketizerOptions {
  /** RTP payload type (RFC 3550, 5.1), as announced in SDP. */
  readonly payloadType: number;
  /** Synchronization source; RFC 3550, 8.1 asks for a random value. */
  readonly ssrc: number;
  /** First sequence number; RFC 3550, 5.1 asks for a random value. */
  readonly initialSequenceNumber: number;
  /** Added to every access unit timestamp; RFC 3550, 5.1 asks for a random value. */
  readonly initialTimestamp: number;
  /** Largest payload per packet in bytes; defaults to {@linkcode MAX_RTP_PAYLOAD_SIZE}. */
  readonly maxPayloadSize?: number;
}

/** Turns access units into complete RTP packets (header + payload). */
export interface Packetizer {
  /**
   * Packetizes one access unit. The input is never modified. Packets may be
   * views into a shared block: send `packet` itself, not `packet.buffer`.
   */
  packetize(au: AccessUnit): Uint8Array[];
  /** Sequence number the next packet will carry (for the RTP-Info header, RFC 2326, 12.33). */
  readonly nextSequenceNumber: number;
}

/** Turns received RTP packets back into access units. */
export interface Depacketizer {
  /**
   * Consumes one parsed packet (see `parseRtpPacket`) and returns the access
   * units it completed: usually none or one. Units are copies (possibly views
   * into a larger buffer owned by the access unit), never views into the packet,
   * so the caller may reuse its receive buffer.
   */
  push(packet: RtpPacket): AccessUnit[];
  /** Returns the access unit still being assembled, if any, and forgets it. */
  flush(): AccessUnit[];
  /** Packets (or fragments) discarded because they were malformed or followed a loss. */
  readonly droppedPackets: number;
}

/** Options common to every depacketizer. */
export interface RtpDepacketizerOptions {
  /**
   * Subtracted (mod 2^32) from RTP timestamps to form `AccessUnit.timestamp`;
   * pass the sender's `initialTimestamp` (e.g. from RTP-Info) to undo its offset.
   * Defaults to 0: access units carry the raw RTP timestamp.
   */
  readonly initialTimestamp?: number;
}

/**
 * Smallest `maxPayloadSize` accepted, in bytes: room for the largest payload
 * header used here (RFC 3640, 3.2.1: 2-byte AU-headers-length + 2-byte AU-header;
 * RFC 7798, 4.4.3: 3-byte FU header) plus some media data.
 */
export const MIN_RTP_PAYLOAD_SIZE = 8;

/**
 * Largest `maxPayloadSize` accepted, in bytes: a whole packet must fit the 16-bit
 * length of an RTSP interleaved frame (RFC 2326, 10.12).
 */
export const MAX_CONFIGURABLE_PAYLOAD_SIZE = 0xffff - RTP_HEADER_SIZE;

/**
 * Size of the blocks packets are carved from, in bytes. One allocation per
 * ~45 packets instead of one per packet: allocating an ArrayBuffer costs far more
 * than creating a view, and a keyframe is ~70 packets. Packets never overlap and
 * are never rewritten, so sharing a block is invisible to callers (as long as
 * they use the view's byteOffset/length, not its whole `.buffer`).
 */
const PACKET_SLAB_SIZE_BYTES = 64 * 1024;

/**
 * RTP sequence and timestamp state shared by the packetizers: hands out
 * preallocated packets whose header is already written.
 */
export class RtpPacketWriter {
  /** Largest payload per packet in bytes. */
  readonly maxPayloadSize: number;
  readonly #payloadType: number;
  readonly #ssrc: number;
  readonly #initialTimestamp: number;
  #sequenceNumber: number;
  #slab = new Uint8Array(0);
  #slabOffset = 0;

  /**
   * Creates the state for one outgoing stream.
   * @throws {RangeError} when `maxPayloadSize` is below {@linkcode MIN_RTP_PAYLOAD_SIZE}.
   */
  constructor(options: RtpPacketizerOptions) {
    const maxPayloadSize = options.maxPayloadSize ?? MAX_RTP_PAYLOAD_SIZE;
    if (
      !Number.isInteger(maxPayloadSize) || maxPayloadSize < MIN_RTP_PAYLOAD_SIZE ||
      maxPayloadSize > MAX_CONFIGURABLE_PAYLOAD_SIZE
    ) {
      throw new RangeError(
        `maxPayloadSize must be an integer in ${MIN_RTP_PAYLOAD_SIZE}..${MAX_CONFIGURABLE_PAYLOAD_SIZE}`,
      );
    }
    this.maxPayloadSize = maxPayloadSize;
    this.#payloadType = options.payloadType;
    this.#ssrc = options.ssrc;
    this.#initialTimestamp = options.initialTimestamp;
    this.#sequenceNumber = (options.initialSequenceNumber >>> 0) % RTP_SEQUENCE_MODULUS;
  }

  /** Sequence number of the next packet. */
  get nextSequenceNumber(): number {
    return this.#sequenceNumber;
  }

  /** RFC 3550, 5.1: the wire timestamp, `(initialTimestamp + mediaTimestamp) mod 2^32`. */
  rtpTimestamp(mediaTimestamp: number): number {
    // ToUint32 reduces any finite number modulo 2^32, negative ones included.
    return (this.#initialTimestamp + mediaTimestamp) >>> 0;
  }

  /**
   * Allocates the next packet with room for `payloadSize` bytes and its header
   * written, and advances the sequence number (wrapping at 2^16).
   * The caller writes the payload from offset {@linkcode RTP_HEADER_SIZE}.
   */
  next(payloadSize: number, rtpTimestamp: number, marker: boolean): Uint8Array {
    const size = RTP_HEADER_SIZE + payloadSize;
    if (this.#slabOffset + size > this.#slab.length) {
      this.#slab = new Uint8Array(Math.max(PACKET_SLAB_SIZE_BYTES, size));
      this.#slabOffset = 0;
    }
    const packet = this.#slab.subarray(this.#slabOffset, this.#slabOffset + size);
    this.#slabOffset += size;
    writeRtpHeader(packet, 0, {
      payloadType: this.#payloadType,
      ssrc: this.#ssrc,
      sequenceNumber: this.#sequenceNumber,
      timestamp: rtpTimestamp,
      marker,
    });
    this.#sequenceNumber = (this.#sequenceNumber + 1) % RTP_SEQUENCE_MODULUS;
    return packet;
  }
}

/** Offset of the payload inside a packet from {@linkcode RtpPacketWriter.next}. */
export const PAYLOAD_OFFSET = RTP_HEADER_SIZE;

/**
 * Notices gaps in RTP sequence numbers (RFC 3550, A.1 in spirit, without the
 * probation logic: a depacketizer only needs to know "something was lost").
 */
export class SequenceTracker {
  #expected: number | undefined;

  /**
   * Records `sequenceNumber` and tells whether it directly follows the previous
   * one. The first packet ever seen counts as contiguous.
   */
  follows(sequenceNumber: number): boolean {
    const contiguous = this.#expected === undefined || sequenceNumber === this.#expected;
    this.#expected = (sequenceNumber + 1) % RTP_SEQUENCE_MODULUS;
    return contiguous;
  }
}

/** RFC 3550, 5.1: converts a wire timestamp back to the media timeline. */
export function mediaTimestamp(rtpTimestamp: number, initialTimestamp: number): number {
  return (rtpTimestamp - initialTimestamp) >>> 0;
}
