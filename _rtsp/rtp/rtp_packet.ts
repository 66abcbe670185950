/**
 * RTP fixed header (RFC 3550, 5.1): writing, building and parsing.
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
 * |            contributing source (CSRC) identifiers             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 *
 * The fields themselves are read and written by {@linkcode RtpHeaderView}.
 *
 * @module
 */

import {
  RTP_HEADER_SIZE,
  RTP_VERSION,
  type RtpHeader,
  RtpHeaderOffset,
  RtpHeaderView,
} from "./rtp_header_view.ts";

export { RTP_HEADER_SIZE, RTP_VERSION, type RtpHeader };

/**
 * Largest RTP payload, in bytes, that packetizers emit by default.
 *
 * 1400 payload bytes + 12 RTP + 8 UDP + 20 IPv4 (or 40 IPv6) stays below the
 * common 1500-byte Ethernet MTU with room for tunnels/VPN overhead, so packets are
 * not IP-fragmented (RFC 6184, 5.8 and RFC 7798, 4.4.3 ask senders to avoid that).
 * Over RTSP interleaved TCP (RFC 2326, 10.12) the 16-bit length would allow more,
 * but one size for both transports keeps packets interchangeable.
 */
export const MAX_RTP_PAYLOAD_SIZE = 1400;

/** RFC 3550, 5.1: sequence numbers are 16 bits and wrap at this value. */
export const RTP_SEQUENCE_MODULUS = 0x1_0000;

/** RFC 3550, 5.1: timestamps are 32 bits and wrap at this value. */
export const RTP_TIMESTAMP_MODULUS = 0x1_0000_0000;

/** RFC 3550, 5.1: payload type is a 7-bit field. */
export const MAX_RTP_PAYLOAD_TYPE = 0x7f;

/** RFC 3550, 5.1: padding flag P in the first octet. */
const PADDING_FLAG = 0x20;
/** RFC 3550, 5.1: extension flag X in the first octet. */
const EXTENSION_FLAG = 0x10;
/** RFC 3550, 5.1: CSRC count CC, low 4 bits of the first octet. */
const CSRC_COUNT_MASK = 0x0f;
/** RFC 3550, 5.1: each CSRC identifier is 32 bits. */
const CSRC_SIZE_BYTES = 4;
/** RFC 3550, 5.3.1: extension header = 16-bit profile field + 16-bit length in words. */
const EXTENSION_HEADER_SIZE_BYTES = 4;
/** RFC 3550, 5.3.1: the extension length counts 32-bit words. */
const EXTENSION_WORD_SIZE_BYTES = 4;

/** RFC 3550, 5.3.1: a header extension as received. */
export interface RtpHeaderExtension {
  /** The 16-bit "defined by profile" field. */
  readonly profile: number;
  /** Extension contents (a view into the parsed bytes), a multiple of 4 bytes. */
  readonly data: Uint8Array;
}

/** A parsed RTP packet. `payload` is a view into the input bytes, not a copy. */
export interface RtpPacket {
  /** Fixed header fields. */
  readonly header: RtpHeader;
  /** Payload without CSRCs, extension or padding. */
  readonly payload: Uint8Array;
  /** Contributing sources (RFC 3550, 5.1), usually empty. */
  readonly csrcs: readonly number[];
  /** Header extension when the X bit was set. */
  readonly extension?: RtpHeaderExtension;
}

/** Why {@linkcode parseRtpPacket} rejected its input. */
export const RtpParseError = {
  /** Fewer bytes than the 12-byte fixed header. */
  TooShort: "too-short",
  /** V field is not 2. */
  BadVersion: "bad-version",
  /** The CSRC list runs past the end of the packet. */
  TruncatedCsrcs: "truncated-csrcs",
  /** The header extension runs past the end of the packet. */
  TruncatedExtension: "truncated-extension",
  /** The padding count is zero or larger than what follows the header. */
  BadPadding: "bad-padding",
} as const;

/** One of the {@linkcode RtpParseError} values. */
export type RtpParseError = typeof RtpParseError[keyof typeof RtpParseError];

/** Result of {@linkcode parseRtpPacket}: a packet or the reason it was rejected. */
export type RtpParseResult =
  | { readonly ok: true; readonly packet: RtpPacket }
  | { readonly ok: false; readonly error: RtpParseError };

/**
 * Writes the 12-byte fixed header (V=2, no padding, no extension, no CSRCs) into
 * `into` at `offset`. Fields are truncated to their bit widths, so a caller that
 * counts past 2^16 or 2^32 gets the RFC 3550 wrap-around for free.
 *
 * @returns the offset just past the header, where the payload goes.
 */
export function writeRtpHeader(into: Uint8Array, offset: number, header: RtpHeader): number {
  new RtpHeaderView(into, offset).write(header);
  return offset + RTP_HEADER_SIZE;
}

/**
 * Allocates one packet of `RTP_HEADER_SIZE + payloadSize` bytes with the header
 * already written, so a packetizer can write its payload straight into
 * `packet.subarray(RTP_HEADER_SIZE)` with no intermediate buffer.
 */
export function allocateRtpPacket(header: RtpHeader, payloadSize: number): Uint8Array {
  const packet = new Uint8Array(RTP_HEADER_SIZE + payloadSize);
  writeRtpHeader(packet, 0, header);
  return packet;
}

/** Builds a complete RTP packet: fixed header followed by a copy of `payload`. */
export function buildRtpPacket(header: RtpHeader, payload: Uint8Array): Uint8Array {
  const packet = allocateRtpPacket(header, payload.length);
  packet.set(payload, RTP_HEADER_SIZE);
  return packet;
}

/**
 * Parses an RTP packet. Never throws: malformed input yields `{ok: false}`.
 * The returned payload and extension data are views into `bytes`.
 */
export function parseRtpPacket(bytes: Uint8Array): RtpParseResult {
  if (bytes.length < RTP_HEADER_SIZE) return { ok: false, error: RtpParseError.TooShort };
  const fixed = new RtpHeaderView(bytes);
  if (fixed.version !== RTP_VERSION) {
    return { ok: false, error: RtpParseError.BadVersion };
  }
  const header: RtpHeader = {
    payloadType: fixed.payloadType,
    marker: fixed.marker,
    sequenceNumber: fixed.sequenceNumber,
    timestamp: fixed.timestamp,
    ssrc: fixed.ssrc,
  };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const flags = bytes[RtpHeaderOffset.flags];

  let offset = RTP_HEADER_SIZE;
  const csrcCount = flags & CSRC_COUNT_MASK;
  if (offset + csrcCount * CSRC_SIZE_BYTES > bytes.length) {
    return { ok: false, error: RtpParseError.TruncatedCsrcs };
  }
  const csrcs: number[] = [];
  for (let i = 0; i < csrcCount; i++, offset += CSRC_SIZE_BYTES) {
    csrcs.push(view.getUint32(offset));
  }

  let extension: RtpHeaderExtension | undefined;
  if (flags & EXTENSION_FLAG) {
    if (offset + EXTENSION_HEADER_SIZE_BYTES > bytes.length) {
      return { ok: false, error: RtpParseError.TruncatedExtension };
    }
    const profile = view.getUint16(offset);
    const dataSize = view.getUint16(offset + 2) * EXTENSION_WORD_SIZE_BYTES;
    offset += EXTENSION_HEADER_SIZE_BYTES;
    if (offset + dataSize > bytes.length) {
      return { ok: false, error: RtpParseError.TruncatedExtension };
    }
    extension = { profile, data: bytes.subarray(offset, offset + dataSize) };
    offset += dataSize;
  }

  let end = bytes.length;
  if (flags & PADDING_FLAG) {
    // RFC 3550, 5.1: "The last octet of the padding contains a count of how many
    // padding octets should be ignored, including itself" - so it is at least 1.
    const paddingSize = bytes[bytes.length - 1];
    if (paddingSize === 0 || offset + paddingSize > bytes.length) {
      return { ok: false, error: RtpParseError.BadPadding };
    }
    end -= paddingSize;
  }

  const packet: RtpPacket = extension
    ? { header, payload: bytes.subarray(offset, end), csrcs, extension }
    : { header, payload: bytes.subarray(offset, end), csrcs };
  return { ok: true, packet };
}

/**
 * Sets the marker bit of an already built packet. Packetizers learn which packet
 * ends an access unit only after laying out the whole unit.
 */
export function setRtpMarker(packet: Uint8Array): void {
  new RtpHeaderView(packet).marker = true;
}
