/**
 * MPEG-4 AAC over RTP, RFC 3640 mpeg4-generic in AAC-hbr mode (3.3.6):
 * each packet starts with the AU Header Section, a 16-bit AU-headers-length
 * (in bits) followed by one 16-bit AU-header per access unit: 13-bit AU-size
 * and 3-bit AU-Index (first) / AU-Index-delta (others).
 *
 * ```text
 * +---------+-----------+-----------+---------------+
 * | RTP     | AU Header | Auxiliary | Access Unit   |
 * | Header  | Section   | Section   | Data Section  |
 * +---------+-----------+-----------+---------------+
 *           <----------RTP Packet Payload----------->
 * ```
 *
 * "AU" in RFC 3640 means one AAC frame, which is one element of
 * `AccessUnit.units` here.
 *
 * @module
 */

import type { AccessUnit } from "../media/access_unit.ts";
import {
  type Depacketizer,
  mediaTimestamp,
  type Packetizer,
  PAYLOAD_OFFSET,
  type RtpDepacketizerOptions,
  type RtpPacketizerOptions,
  RtpPacketWriter,
  SequenceTracker,
} from "./packetizer.ts";
import type { RtpPacket } from "./rtp_packet.ts";

/** RFC 3640, 3.2.1: the AU-headers-length field is 16 bits. */
const AU_HEADERS_LENGTH_SIZE_BYTES = 2;
/** RFC 3640, 3.3.6 (AAC-hbr): sizeLength=13 + indexLength=3 = one 16-bit AU-header. */
const AAC_HBR_AU_HEADER_SIZE_BYTES = 2;
/** RFC 3640, 3.3.6: sizeLength=13 in AAC-hbr. */
export const AAC_HBR_SIZE_LENGTH_BITS = 13;
/** RFC 3640, 3.3.6: indexLength=3 and indexDeltaLength=3 in AAC-hbr. */
export const AAC_HBR_INDEX_LENGTH_BITS = 3;
/** Largest AU that a 13-bit AU-size can describe, in bytes. */
export const AAC_HBR_MAX_FRAME_SIZE_BYTES = (1 << AAC_HBR_SIZE_LENGTH_BITS) - 1;
/** ISO/IEC 14496-3, 4.5.1.1: an AAC-LC raw_data_block codes 1024 samples. */
export const AAC_SAMPLES_PER_FRAME = 1024;
/** Bits per octet, for the bit-sized fields of RFC 3640. */
const BYTE_BITS = 8;
/** Bits in one AAC-hbr AU-header. */
const AAC_HBR_AU_HEADER_SIZE_BITS = AAC_HBR_AU_HEADER_SIZE_BYTES * BYTE_BITS;
/** Size of the header section of a packet with one AU-header. */
const SINGLE_AU_HEADER_SECTION_BYTES = AU_HEADERS_LENGTH_SIZE_BYTES + AAC_HBR_AU_HEADER_SIZE_BYTES;

/** Options of {@linkcode AacPacketizer}. */
export interface AacPacketizerOptions extends RtpPacketizerOptions {
  /**
   * Duration of one frame in RTP clock ticks, used to time the 2nd, 3rd, ...
   * frame of an access unit that carries several. Default {@linkcode AAC_SAMPLES_PER_FRAME}.
   */
  readonly samplesPerFrame?: number;
}

/**
 * RFC 3640 AAC-hbr packetizer. Each frame normally gets its own packet; frames
 * of one access unit that fit together share a packet (3.2.1, AU-Index-delta 0
 * meaning "the next frame"); a frame larger than the payload is fragmented
 * (3.2.3), every fragment repeating the AU-header with the size of the *whole*
 * frame, not of the fragment (3.2.1.1, AU-size).
 * The marker bit is set on every packet that ends a frame (3.2.3).
 */
export class AacPacketizer implements Packetizer {
  readonly #writer: RtpPacketWriter;
  readonly #samplesPerFrame: number;
  #droppedFrames = 0;

  /**
   * Creates a packetizer for one AAC stream.
   * @throws {RangeError} when `maxPayloadSize` is too small.
   */
  constructor(options: AacPacketizerOptions) {
    this.#writer = new RtpPacketWriter(options);
    this.#samplesPerFrame = options.samplesPerFrame ?? AAC_SAMPLES_PER_FRAME;
  }

  /** See {@linkcode Packetizer.nextSequenceNumber}. */
  get nextSequenceNumber(): number {
    return this.#writer.nextSequenceNumber;
  }

  /** Frames skipped because a 13-bit AU-size cannot describe them (> 8191 bytes). */
  get droppedFrames(): number {
    return this.#droppedFrames;
  }

  /** Packetizes the frames of one access unit. */
  packetize(au: AccessUnit): Uint8Array[] {
    const packets: Uint8Array[] = [];
    const frames = au.units;
    const max = this.#writer.maxPayloadSize;
    let i = 0;
    while (i < frames.length) {
      const frame = frames[i];
      const rtpTimestamp = this.#writer.rtpTimestamp(au.timestamp + i * this.#samplesPerFrame);
      if (frame.length === 0) {
        i++;
        continue;
      }
      if (frame.length > AAC_HBR_MAX_FRAME_SIZE_BYTES) {
        this.#droppedFrames++;
        i++;
        continue;
      }
      if (SINGLE_AU_HEADER_SECTION_BYTES + frame.length > max) {
        this.#fragment(frame, rtpTimestamp, packets);
        i++;
        continue;
      }
      // Aggregate following frames while they still fit.
      let size = SINGLE_AU_HEADER_SECTION_BYTES + frame.length;
      let end = i + 1;
      while (end < frames.length) {
        const next = frames[end];
        if (next.length === 0 || next.length > AAC_HBR_MAX_FRAME_SIZE_BYTES) break;
        const grown = size + AAC_HBR_AU_HEADER_SIZE_BYTES + next.length;
        if (grown > max) break;
        size = grown;
        end++;
      }
      packets.push(this.#aggregate(frames.slice(i, end), size, rtpTimestamp));
      i = end;
    }
    return packets;
  }

  #aggregate(frames: readonly Uint8Array[], size: number, rtpTimestamp: number): Uint8Array {
    const packet = this.#writer.next(size, rtpTimestamp, true);
    let offset = writeUint16(packet, PAYLOAD_OFFSET, frames.length * AAC_HBR_AU_HEADER_SIZE_BITS);
    // AU-Index (first) and AU-Index-delta (others) are 0: frames are consecutive.
    for (const frame of frames) {
      offset = writeUint16(packet, offset, frame.length << AAC_HBR_INDEX_LENGTH_BITS);
    }
    for (const frame of frames) {
      packet.set(frame, offset);
      offset += frame.length;
    }
    return packet;
  }

  #fragment(frame: Uint8Array, rtpTimestamp: number, packets: Uint8Array[]): void {
    const chunkSize = this.#writer.maxPayloadSize - SINGLE_AU_HEADER_SECTION_BYTES;
    for (let offset = 0; offset < frame.length; offset += chunkSize) {
      const end = Math.min(offset + chunkSize, frame.length);
      const last = end === frame.length;
      const packet = this.#writer.next(
        SINGLE_AU_HEADER_SECTION_BYTES + end - offset,
        rtpTimestamp,
        last,
      );
      let at = writeUint16(packet, PAYLOAD_OFFSET, AAC_HBR_AU_HEADER_SIZE_BITS);
      at = writeUint16(packet, at, frame.length << AAC_HBR_INDEX_LENGTH_BITS);
      packet.set(frame.subarray(offset, end), at);
      packets.push(packet);
    }
  }
}

function writeUint16(into: Uint8Array, offset: number, value: number): number {
  into[offset] = value >>> BYTE_BITS;
  into[offset + 1] = value;
  return offset + AU_HEADERS_LENGTH_SIZE_BYTES;
}

/** Options of {@linkcode AacDepacketizer}: the SDP fmtp values (RFC 3640, 4.1). */
export interface AacDepacketizerOptions extends RtpDepacketizerOptions {
  /** fmtp `sizelength`; 13 for AAC-hbr, 6 for AAC-lbr. */
  readonly sizeLength?: number;
  /** fmtp `indexlength`; 3 for AAC-hbr, 2 for AAC-lbr. */
  readonly indexLength?: number;
  /** fmtp `indexdeltalength`; 3 for AAC-hbr, 2 for AAC-lbr. */
  readonly indexDeltaLength?: number;
}

/** A fragmented frame being rebuilt. */
interface FrameFragment {
  readonly timestamp: number;
  readonly buffer: Uint8Array;
  received: number;
}

/**
 * RFC 3640 depacketizer for AAC (hbr by default; lbr via options). Each packet
 * of complete frames becomes one access unit; fragmented frames are rebuilt and
 * dropped when a fragment is lost.
 */
export class AacDepacketizer implements Depacketizer {
  readonly #initialTimestamp: number;
  readonly #sizeLength: number;
  readonly #indexLength: number;
  readonly #indexDeltaLength: number;
  readonly #sequence = new SequenceTracker();
  #fragment: FrameFragment | undefined;
  #dropped = 0;

  /** Creates a depacketizer for one received mpeg4-generic audio stream. */
  constructor(options: AacDepacketizerOptions = {}) {
    this.#initialTimestamp = options.initialTimestamp ?? 0;
    this.#sizeLength = options.sizeLength ?? AAC_HBR_SIZE_LENGTH_BITS;
    this.#indexLength = options.indexLength ?? AAC_HBR_INDEX_LENGTH_BITS;
    this.#indexDeltaLength = options.indexDeltaLength ?? AAC_HBR_INDEX_LENGTH_BITS;
  }

  /** See {@linkcode Depacketizer.droppedPackets}. */
  get droppedPackets(): number {
    return this.#dropped;
  }

  /** See {@linkcode Depacketizer.push}. */
  push(packet: RtpPacket): AccessUnit[] {
    const contiguous = this.#sequence.follows(packet.header.sequenceNumber);
    const { timestamp, marker } = packet.header;
    const sizes = this.#readAuSizes(packet.payload);
    if (!sizes) {
      this.#dropFragment();
      this.#dropped++;
      return [];
    }
    const { auSizes, dataOffset } = sizes;
    const data = packet.payload.subarray(dataOffset);

    const fragment = this.#fragment;
    if (
      fragment && auSizes.length === 1 && auSizes[0] === fragment.buffer.length &&
      timestamp === fragment.timestamp
    ) {
      return this.#continueFragment(fragment, data, contiguous, marker);
    }
    this.#dropFragment();

    if (auSizes.length === 1 && auSizes[0] > data.length) {
      // RFC 3640, 3.2.3: the first fragment of a frame too big for one packet.
      if (marker) {
        this.#dropped++;
        return [];
      }
      const buffer = new Uint8Array(auSizes[0]);
      buffer.set(data);
      this.#fragment = { timestamp, buffer, received: data.length };
      return [];
    }

    const units: Uint8Array[] = [];
    let offset = 0;
    for (const size of auSizes) {
      if (size === 0 || offset + size > data.length) {
        this.#dropped++;
        return [];
      }
      units.push(data.slice(offset, offset + size));
      offset += size;
    }
    return [{
      timestamp: mediaTimestamp(timestamp, this.#initialTimestamp),
      units,
      keyframe: true,
    }];
  }

  /** Incomplete fragmented frames cannot be decoded, so nothing is pending. */
  flush(): AccessUnit[] {
    this.#dropFragment();
    return [];
  }

  #continueFragment(
    fragment: FrameFragment,
    data: Uint8Array,
    contiguous: boolean,
    marker: boolean,
  ): AccessUnit[] {
    if (!contiguous || fragment.received + data.length > fragment.buffer.length) {
      this.#dropFragment();
      this.#dropped++;
      return [];
    }
    fragment.buffer.set(data, fragment.received);
    fragment.received += data.length;
    const complete = fragment.received === fragment.buffer.length;
    if (!complete && !marker) return [];
    this.#fragment = undefined;
    if (!complete || !marker) {
      // The marker must come exactly with the last byte (RFC 3640, 3.2.3).
      this.#dropped++;
      return [];
    }
    return [{
      timestamp: mediaTimestamp(fragment.timestamp, this.#initialTimestamp),
      units: [fragment.buffer],
      keyframe: true,
    }];
  }

  #dropFragment(): void {
    if (!this.#fragment) return;
    this.#fragment = undefined;
    this.#dropped++;
  }

  /**
   * Reads the AU Header Section (RFC 3640, 3.2.1): the AU-sizes and where the
   * Access Unit Data Section starts. Undefined when the section is malformed.
   */
  #readAuSizes(
    payload: Uint8Array,
  ): { auSizes: number[]; dataOffset: number } | undefined {
    if (payload.length < AU_HEADERS_LENGTH_SIZE_BYTES) return undefined;
    const headersBits = (payload[0] << BYTE_BITS) | payload[1];
    const headersBytes = Math.ceil(headersBits / BYTE_BITS);
    const dataOffset = AU_HEADERS_LENGTH_SIZE_BYTES + headersBytes;
    if (headersBits === 0 || dataOffset > payload.length) return undefined;
    const auSizes: number[] = [];
    let bit = AU_HEADERS_LENGTH_SIZE_BYTES * BYTE_BITS;
    const endBit = bit + headersBits;
    while (bit < endBit) {
      const indexBits = auSizes.length === 0 ? this.#indexLength : this.#indexDeltaLength;
      if (bit + this.#sizeLength + indexBits > endBit) return undefined;
      auSizes.push(readBits(payload, bit, this.#sizeLength));
      bit += this.#sizeLength + indexBits;
    }
    return { auSizes, dataOffset };
  }
}

/** Reads `count` (<= 24) bits, most significant first, starting at bit `bitOffset`. */
function readBits(bytes: Uint8Array, bitOffset: number, count: number): number {
  let value = 0;
  for (let i = 0; i < count; i++) {
    const bit = bitOffset + i;
    const byte = bytes[Math.floor(bit / BYTE_BITS)];
    value = (value << 1) | ((byte >>> (BYTE_BITS - 1 - (bit & (BYTE_BITS - 1)))) & 1);
  }
  return value;
}
