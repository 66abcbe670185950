/**
 * Access unit assembly shared by the H.264 and H.265 depacketizers: collects NAL
 * units per RTP timestamp, reassembles fragmentation units, and ends an access
 * unit on the marker bit or on a timestamp change (RFC 6184, 5.1: the marker may
 * be lost with its packet, but a new timestamp always means a new picture).
 *
 * @module
 */

import type { AccessUnit } from "../media/access_unit.ts";
import {
  type Depacketizer,
  mediaTimestamp,
  type RtpDepacketizerOptions,
  SequenceTracker,
} from "./packetizer.ts";
import type { RtpPacket } from "./rtp_packet.ts";
import { AGGREGATED_NAL_SIZE_BYTES } from "./nal_packetizer.ts";

/** First capacity of a fragment reassembly buffer, in bytes; it doubles as needed. */
const INITIAL_FRAGMENT_CAPACITY_BYTES = 16 * 1024;

/** Bits per octet, for reading the 16-bit size fields. */
const BYTE_BITS = 8;

/** The per-codec half of a NAL depacketizer: reads one payload into the assembler. */
export interface NalPayloadReader {
  /** Whether a NAL unit makes its access unit a keyframe (IDR / IRAP). */
  isKeyframeUnit(nal: Uint8Array): boolean;
  /** Interprets one RTP payload, calling the assembler's add/fragment methods. */
  read(payload: Uint8Array, assembler: NalAssembler): void;
}

/** A fragmented NAL unit being rebuilt, in one growing buffer (one copy per byte). */
interface FragmentState {
  buffer: Uint8Array;
  size: number;
  type: number;
}

/** Collects NAL units for the current timestamp; driven by a {@linkcode NalPayloadReader}. */
export class NalAssembler implements Depacketizer {
  readonly #reader: NalPayloadReader;
  readonly #initialTimestamp: number;
  readonly #sequence = new SequenceTracker();
  #units: Uint8Array[] = [];
  #timestamp: number | undefined;
  #fragment: FragmentState | undefined;
  #contiguous = true;
  #dropped = 0;

  /** Creates an assembler reading payloads with `reader`. */
  constructor(reader: NalPayloadReader, options: RtpDepacketizerOptions = {}) {
    this.#reader = reader;
    this.#initialTimestamp = options.initialTimestamp ?? 0;
  }

  /** Packets or fragments discarded (malformed, unsupported, or broken by loss). */
  get droppedPackets(): number {
    return this.#dropped;
  }

  /** See {@linkcode Depacketizer.push}. */
  push(packet: RtpPacket): AccessUnit[] {
    const out: AccessUnit[] = [];
    const { timestamp, sequenceNumber, marker } = packet.header;
    this.#contiguous = this.#sequence.follows(sequenceNumber);
    // A lost packet may have been part of a fragmented NAL unit. RFC 6184, 5.8:
    // "If a fragmentation unit is lost, the receiver SHOULD discard all following
    // fragmentation units in transmission order corresponding to the same
    // fragmented NAL unit" (RFC 7798, 4.4.3 says the same).
    if (!this.#contiguous) this.dropFragment();
    if (this.#timestamp !== undefined && timestamp !== this.#timestamp) this.#emit(out);
    this.#timestamp = timestamp;
    this.#reader.read(packet.payload, this);
    if (marker) this.#emit(out);
    return out;
  }

  /** See {@linkcode Depacketizer.flush}. */
  flush(): AccessUnit[] {
    const out: AccessUnit[] = [];
    this.#emit(out);
    return out;
  }

  /** Adds a complete NAL unit (copied, so the packet buffer may be reused). */
  addUnit(nal: Uint8Array): void {
    if (this.#fragment) this.dropFragment();
    this.#units.push(nal.slice());
  }

  /** Counts a discarded packet. */
  drop(): void {
    this.#dropped++;
  }

  /**
   * Starts a fragmented NAL unit with its rebuilt header, then `data`.
   * An unfinished previous fragment is dropped.
   */
  startFragment(nalHeader: Uint8Array, type: number, data: Uint8Array): void {
    if (this.#fragment) this.dropFragment();
    const capacity = Math.max(
      INITIAL_FRAGMENT_CAPACITY_BYTES,
      2 * (nalHeader.length + data.length),
    );
    this.#fragment = { buffer: new Uint8Array(capacity), size: 0, type };
    this.#append(nalHeader);
    this.#append(data);
  }

  /**
   * Appends a middle or end fragment. Dropped when no fragment is open, when a
   * packet was lost since the last one, or when its type disagrees.
   */
  continueFragment(type: number, data: Uint8Array, end: boolean): void {
    const fragment = this.#fragment;
    if (!fragment || !this.#contiguous || fragment.type !== type) {
      this.dropFragment();
      this.#dropped++;
      return;
    }
    this.#append(data);
    if (end) {
      this.#units.push(fragment.buffer.subarray(0, fragment.size));
      this.#fragment = undefined;
    }
  }

  /** Discards a partially received fragmented NAL unit. */
  dropFragment(): void {
    if (!this.#fragment) return;
    this.#fragment = undefined;
    this.#dropped++;
  }

  /**
   * Splits an aggregation payload (after its header) into NAL units, each
   * preceded by a 16-bit size (RFC 6184, 5.7.1 / RFC 7798, 4.4.2). All or
   * nothing: one bad size drops the packet, since later sizes cannot be trusted.
   */
  addAggregated(body: Uint8Array, minNalSize: number): void {
    const nals: Uint8Array[] = [];
    let offset = 0;
    while (offset < body.length) {
      if (offset + AGGREGATED_NAL_SIZE_BYTES > body.length) return this.drop();
      const size = (body[offset] << BYTE_BITS) | body[offset + 1];
      offset += AGGREGATED_NAL_SIZE_BYTES;
      if (size < minNalSize || offset + size > body.length) return this.drop();
      nals.push(body.subarray(offset, offset + size));
      offset += size;
    }
    if (nals.length === 0) return this.drop();
    for (const nal of nals) this.addUnit(nal);
  }

  #append(data: Uint8Array): void {
    const fragment = this.#fragment!;
    const needed = fragment.size + data.length;
    if (needed > fragment.buffer.length) {
      const grown = new Uint8Array(Math.max(needed, 2 * fragment.buffer.length));
      grown.set(fragment.buffer.subarray(0, fragment.size));
      fragment.buffer = grown;
    }
    fragment.buffer.set(data, fragment.size);
    fragment.size = needed;
  }

  #emit(out: AccessUnit[]): void {
    this.dropFragment();
    const units = this.#units;
    const timestamp = this.#timestamp;
    this.#units = [];
    if (units.length === 0 || timestamp === undefined) return;
    out.push({
      timestamp: mediaTimestamp(timestamp, this.#initialTimestamp),
      units,
      keyframe: units.some((nal) => this.#reader.isKeyframeUnit(nal)),
    });
  }
}
