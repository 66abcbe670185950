/**
 * Packetization shared by H.264 (RFC 6184) and H.265 (RFC 7798): both carry NAL
 * units as single-NAL packets, aggregate small ones (STAP-A / AP) and fragment
 * big ones (FU-A / FU). Only the header layouts differ, so each codec supplies a
 * {@linkcode NalPayloadFormat} and this module does the layout.
 *
 * @module
 */

import type { AccessUnit } from "../media/access_unit.ts";
import { PAYLOAD_OFFSET, type RtpPacketWriter } from "./packetizer.ts";
import { setRtpMarker } from "./rtp_packet.ts";

/** RFC 6184, 5.7.1 and RFC 7798, 4.4.2: each aggregated NAL unit is preceded by a 16-bit size. */
export const AGGREGATED_NAL_SIZE_BYTES = 2;

/** RFC 6184, 5.7.1 and RFC 7798, 4.4.2: the 16-bit size field caps an aggregated NAL unit. */
const MAX_AGGREGATED_NAL_SIZE_BYTES = 0xffff;

/** Bits per octet, for writing the 16-bit size fields. */
const BYTE_BITS = 8;

/** RFC 6184, 5.8 and RFC 7798, 4.4.3: Start bit of the FU header. */
export const FU_START_FLAG = 0x80;

/** RFC 6184, 5.8 and RFC 7798, 4.4.3: End bit of the FU header. */
export const FU_END_FLAG = 0x40;

/** The codec-specific header layouts. */
export interface NalPayloadFormat {
  /** Size of the NAL unit header: 1 for H.264, 2 for H.265. */
  readonly nalHeaderSize: number;
  /** Size of the aggregation packet header (STAP-A: 1, AP: 2). */
  readonly aggregationHeaderSize: number;
  /** Size of the fragmentation unit headers (FU-A: 2, FU: 3). */
  readonly fuHeaderSize: number;
  /** NAL unit type of a NAL unit. */
  nalType(nal: Uint8Array): number;
  /** Writes the aggregation packet header for `nals` at `into[offset]`. */
  writeAggregationHeader(into: Uint8Array, offset: number, nals: readonly Uint8Array[]): void;
  /** Writes the FU headers for a fragment of `nal` at `into[offset]`; `flags` holds S/E. */
  writeFuHeader(into: Uint8Array, offset: number, nal: Uint8Array, flags: number): void;
}

/**
 * Which NAL unit types are parameter sets, in the order a decoder needs them,
 * and which may precede them (the access unit delimiter).
 */
export interface ParameterSetRules {
  /** Parameter set NAL unit types in decoding order (H.265: VPS, SPS, PPS). */
  readonly types: readonly number[];
  /** Types that stay ahead of the parameter sets (H.264 7.4.1.2.3: the AUD comes first). */
  readonly leadingTypes: readonly number[];
  /** Whether a NAL unit type starts a random access point (IDR / IRAP). */
  isRandomAccess(type: number): boolean;
}

/**
 * Remembers the latest parameter sets and puts them in front of every random
 * access point that lacks them, so a client joining mid-stream can decode the
 * first keyframe it receives (RFC 6184, 8.4 "out-of-band" sprop values may
 * be stale; in-band copies are always current).
 */
export class ParameterSetInjector {
  readonly #rules: ParameterSetRules;
  readonly #format: NalPayloadFormat;
  /** Latest parameter set per type, owned copies. */
  readonly #stored = new Map<number, Uint8Array>();

  /** Creates an injector, seeded with out-of-band parameter sets (`initial`). */
  constructor(
    format: NalPayloadFormat,
    rules: ParameterSetRules,
    initial: readonly Uint8Array[] = [],
  ) {
    this.#format = format;
    this.#rules = rules;
    for (const nal of initial) this.#remember(nal);
  }

  /** The stored parameter set of `type`, if any. */
  get(type: number): Uint8Array | undefined {
    return this.#stored.get(type);
  }

  /**
   * Returns the NAL units to send for `au`: unchanged for ordinary pictures; for
   * random access points, the leading AUD, then every parameter set type (the
   * unit's own or the stored one), then the remaining units.
   */
  arrange(au: AccessUnit): readonly Uint8Array[] {
    const { types, leadingTypes } = this.#rules;
    let randomAccess = au.keyframe;
    let carriesParameterSets = false;
    for (const nal of au.units) {
      if (nal.length < this.#format.nalHeaderSize) continue;
      const type = this.#format.nalType(nal);
      if (types.includes(type)) {
        this.#remember(nal);
        carriesParameterSets = true;
      } else if (this.#rules.isRandomAccess(type)) {
        randomAccess = true;
      }
    }
    if (!randomAccess) return au.units;
    if (!carriesParameterSets && this.#stored.size === 0) return au.units;

    const leading: Uint8Array[] = [];
    const own = new Map<number, Uint8Array>();
    const rest: Uint8Array[] = [];
    for (const nal of au.units) {
      const type = nal.length < this.#format.nalHeaderSize ? -1 : this.#format.nalType(nal);
      if (types.includes(type)) {
        // The first copy of each type goes up front; repeats (several SPS ids)
        // keep their place.
        if (own.has(type)) rest.push(nal);
        else own.set(type, nal);
      } else if (leadingTypes.includes(type) && rest.length === 0) {
        leading.push(nal);
      } else {
        rest.push(nal);
      }
    }
    const parameterSets: Uint8Array[] = [];
    for (const type of types) {
      const nal = own.get(type) ?? this.#stored.get(type);
      if (nal) parameterSets.push(nal);
    }
    return [...leading, ...parameterSets, ...rest];
  }

  #remember(nal: Uint8Array): void {
    if (nal.length < this.#format.nalHeaderSize) return;
    const type = this.#format.nalType(nal);
    const stored = this.#stored.get(type);
    // Copy only when it changed: the caller may reuse its buffers, and parameter
    // sets repeat identically on every keyframe.
    if (stored && bytesEqual(stored, nal)) return;
    this.#stored.set(type, nal.slice());
  }
}

/** Byte-wise equality. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Lays out `nals` as RTP packets with one timestamp: runs of consecutive NAL
 * units of `aggregateTypes` that fit together go into one aggregation packet,
 * other units that fit go alone, the rest are fragmented. The marker bit is set
 * on the last packet (RFC 6184, 5.1 / RFC 7798, 4.1: last packet of the access unit).
 * Empty or header-less NAL units are skipped: they cannot be sent meaningfully.
 */
export function packetizeNalUnits(
  writer: RtpPacketWriter,
  format: NalPayloadFormat,
  nals: readonly Uint8Array[],
  aggregateTypes: readonly number[],
  rtpTimestamp: number,
): Uint8Array[] {
  const max = writer.maxPayloadSize;
  const packets: Uint8Array[] = [];
  let i = 0;
  while (i < nals.length) {
    const nal = nals[i];
    if (nal.length <= format.nalHeaderSize) {
      i++;
      continue;
    }
    if (
      aggregateTypes.includes(format.nalType(nal)) && nal.length <= MAX_AGGREGATED_NAL_SIZE_BYTES
    ) {
      // Grow the run while the next parameter set still fits in one packet.
      let size = format.aggregationHeaderSize + AGGREGATED_NAL_SIZE_BYTES + nal.length;
      let end = i + 1;
      while (end < nals.length && nals[end].length > format.nalHeaderSize) {
        const next = nals[end];
        if (!aggregateTypes.includes(format.nalType(next))) break;
        const grown = size + AGGREGATED_NAL_SIZE_BYTES + next.length;
        if (grown > max || next.length > MAX_AGGREGATED_NAL_SIZE_BYTES) break;
        size = grown;
        end++;
      }
      if (end - i >= 2) {
        packets.push(aggregationPacket(writer, format, nals.slice(i, end), size, rtpTimestamp));
        i = end;
        continue;
      }
    }
    if (nal.length <= max) {
      const packet = writer.next(nal.length, rtpTimestamp, false);
      packet.set(nal, PAYLOAD_OFFSET);
      packets.push(packet);
    } else {
      fragment(writer, format, nal, rtpTimestamp, packets);
    }
    i++;
  }
  if (packets.length > 0) setRtpMarker(packets[packets.length - 1]);
  return packets;
}

function aggregationPacket(
  writer: RtpPacketWriter,
  format: NalPayloadFormat,
  nals: readonly Uint8Array[],
  payloadSize: number,
  rtpTimestamp: number,
): Uint8Array {
  const packet = writer.next(payloadSize, rtpTimestamp, false);
  format.writeAggregationHeader(packet, PAYLOAD_OFFSET, nals);
  let offset = PAYLOAD_OFFSET + format.aggregationHeaderSize;
  for (const nal of nals) {
    packet[offset] = nal.length >>> BYTE_BITS;
    packet[offset + 1] = nal.length;
    packet.set(nal, offset + AGGREGATED_NAL_SIZE_BYTES);
    offset += AGGREGATED_NAL_SIZE_BYTES + nal.length;
  }
  return packet;
}

/**
 * RFC 6184, 5.8 / RFC 7798, 4.4.3: the NAL header is not sent; its fields travel
 * in the FU headers and the receiver rebuilds it. Each fragment is filled to the
 * maximum payload size, the last one takes the remainder.
 */
function fragment(
  writer: RtpPacketWriter,
  format: NalPayloadFormat,
  nal: Uint8Array,
  rtpTimestamp: number,
  packets: Uint8Array[],
): void {
  const chunkSize = writer.maxPayloadSize - format.fuHeaderSize;
  for (let offset = format.nalHeaderSize; offset < nal.length; offset += chunkSize) {
    const end = Math.min(offset + chunkSize, nal.length);
    const flags = (offset === format.nalHeaderSize ? FU_START_FLAG : 0) |
      (end === nal.length ? FU_END_FLAG : 0);
    const packet = writer.next(format.fuHeaderSize + end - offset, rtpTimestamp, false);
    format.writeFuHeader(packet, PAYLOAD_OFFSET, nal, flags);
    packet.set(nal.subarray(offset, end), PAYLOAD_OFFSET + format.fuHeaderSize);
    packets.push(packet);
  }
}
