/**
 * The fields of an RTP fixed header (RFC 3550, 5.1), read and written in place
 * on a packet's bytes: what packetizers write, and what renumbering, takeover
 * shifting and SSRC rewriting change on packets already built.
 *
 * ```text
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                           timestamp                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           synchronization source (SSRC) identifier            |
 * +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 * ```
 *
 * @module
 */

/** RFC 3550, 5.1: the only RTP version in use. */
export const RTP_VERSION = 2;
/** RFC 3550, 5.1: bit shift of V within the first octet. */
export const VERSION_SHIFT_BITS = 6;
/** RFC 3550, 5.1: size in bytes of the fixed header (no CSRCs, no extension). */
export const RTP_HEADER_SIZE = 12;

/** RFC 3550, 5.1: marker bit M, top bit of the second octet. */
const MARKER_FLAG = 0x80;
/** RFC 3550, 5.1: payload type PT, low 7 bits of the second octet. */
const PAYLOAD_TYPE_MASK = 0x7f;
/** Bits per octet, for shifting multi-byte fields. */
const BYTE_BITS = 8;

/** Byte offsets of the fixed header fields (RFC 3550, 5.1). */
export const RtpHeaderOffset = {
  flags: 0,
  markerAndType: 1,
  sequenceNumber: 2,
  timestamp: 4,
  ssrc: 8,
} as const;

/** The fields of the fixed RTP header that a sender chooses (RFC 3550, 5.1). */
export interface RtpHeader {
  /** 7-bit payload type, static (RFC 3551) or dynamic (96..127, bound in SDP). */
  readonly payloadType: number;
  /** 16-bit sequence number, increments by one per packet and wraps. */
  readonly sequenceNumber: number;
  /** 32-bit sampling instant in the payload's clock rate. */
  readonly timestamp: number;
  /** 32-bit synchronization source identifier. */
  readonly ssrc: number;
  /** Profile-defined marker; for video, the last packet of an access unit. */
  readonly marker: boolean;
}

/**
 * The fixed header of the packet at `bytes[offset]`, read and written in
 * place (network byte order). The caller makes sure 12 bytes are there.
 * Written values are truncated to their field's width, so counting past
 * 2^16 or 2^32 (or below 0) wraps as RFC 3550 wants.
 */
export class RtpHeaderView implements RtpHeader {
  /** The bytes the packet is in. */
  readonly bytes: Uint8Array;
  /** Where the packet starts in {@linkcode bytes}. */
  readonly offset: number;

  /**
   * @param bytes the packet, or a buffer holding it
   * @param offset where the packet starts @default {0}
   */
  constructor(bytes: Uint8Array, offset = 0) {
    this.bytes = bytes;
    this.offset = offset;
  }

  /** Writes every field, with V=2 and no padding, extension or CSRCs. */
  write(header: RtpHeader): void {
    this.bytes[this.offset + RtpHeaderOffset.flags] = RTP_VERSION << VERSION_SHIFT_BITS;
    this.bytes[this.offset + RtpHeaderOffset.markerAndType] = (header.marker ? MARKER_FLAG : 0) |
      (header.payloadType & PAYLOAD_TYPE_MASK);
    this.sequenceNumber = header.sequenceNumber;
    this.timestamp = header.timestamp;
    this.ssrc = header.ssrc;
  }

  /** The V field (2 for RTP). */
  get version(): number {
    return this.bytes[this.offset + RtpHeaderOffset.flags] >>> VERSION_SHIFT_BITS;
  }

  /** The marker bit M. */
  get marker(): boolean {
    return (this.bytes[this.offset + RtpHeaderOffset.markerAndType] & MARKER_FLAG) !== 0;
  }
  set marker(on: boolean) {
    const at = this.offset + RtpHeaderOffset.markerAndType;
    this.bytes[at] = on ? this.bytes[at] | MARKER_FLAG : this.bytes[at] & ~MARKER_FLAG;
  }

  /** The 7-bit payload type PT. */
  get payloadType(): number {
    return this.bytes[this.offset + RtpHeaderOffset.markerAndType] & PAYLOAD_TYPE_MASK;
  }
  set payloadType(value: number) {
    const at = this.offset + RtpHeaderOffset.markerAndType;
    this.bytes[at] = (this.bytes[at] & MARKER_FLAG) | (value & PAYLOAD_TYPE_MASK);
  }

  /** The 16-bit sequence number. */
  get sequenceNumber(): number {
    const at = this.offset + RtpHeaderOffset.sequenceNumber;
    return (this.bytes[at] << BYTE_BITS) | this.bytes[at + 1];
  }
  set sequenceNumber(value: number) {
    const at = this.offset + RtpHeaderOffset.sequenceNumber;
    // Byte stores keep the low 8 bits: the value is taken modulo 2^16.
    this.bytes[at] = value >> BYTE_BITS;
    this.bytes[at + 1] = value;
  }

  /** The 32-bit timestamp. */
  get timestamp(): number {
    return readUint32(this.bytes, this.offset + RtpHeaderOffset.timestamp);
  }
  set timestamp(value: number) {
    writeUint32(this.bytes, this.offset + RtpHeaderOffset.timestamp, value);
  }

  /** The 32-bit synchronization source identifier. */
  get ssrc(): number {
    return readUint32(this.bytes, this.offset + RtpHeaderOffset.ssrc);
  }
  set ssrc(value: number) {
    writeUint32(this.bytes, this.offset + RtpHeaderOffset.ssrc, value);
  }
}

/** Big-endian ("network byte order", RFC 3550, 5.1) unsigned 32-bit load. */
function readUint32(bytes: Uint8Array, at: number): number {
  return ((bytes[at] << (3 * BYTE_BITS)) | (bytes[at + 1] << (2 * BYTE_BITS)) |
    (bytes[at + 2] << BYTE_BITS) | bytes[at + 3]) >>> 0;
}

/** Big-endian 32-bit store; byte stores keep the low 8 bits, so the value is taken modulo 2^32. */
function writeUint32(bytes: Uint8Array, at: number, value: number): void {
  value >>>= 0;
  bytes[at] = value >>> (3 * BYTE_BITS);
  bytes[at + 1] = value >>> (2 * BYTE_BITS);
  bytes[at + 2] = value >>> BYTE_BITS;
  bytes[at + 3] = value;
}
