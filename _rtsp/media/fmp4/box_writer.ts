/**
 * Writing ISO Base Media File Format boxes (ISO/IEC 14496-12 §4.2): a
 * big-endian field writer and the two box headers, plain `Box` and `FullBox`
 * (version and flags). Reading boxes lives in `../mp4_boxes.ts`.
 *
 * @module
 */

import { concatBytes } from "../../bytes.ts";
import { BOX_HEADER_SIZE, FULL_BOX_HEADER_SIZE } from "../mp4_boxes.ts";

/** 2^32, to split 64-bit fields into two 32-bit halves. */
const TWO_TO_32 = 0x1_0000_0000;
/** Starting capacity of a {@linkcode FieldWriter}; it doubles as needed. */
const INITIAL_CAPACITY_BYTES = 64;

/**
 * Big-endian fields, appended one after the other (the field types of
 * ISO/IEC 14496-12 §4.2: `unsigned int(n)`, `int(n)`, four-character codes).
 */
export class FieldWriter {
  #bytes = new Uint8Array(INITIAL_CAPACITY_BYTES);
  #view = new DataView(this.#bytes.buffer);
  #length = 0;

  /** `unsigned int(8)`. */
  u8(value: number): this {
    this.#room(1).setUint8(this.#length, value);
    this.#length += 1;
    return this;
  }

  /** `unsigned int(16)`. */
  u16(value: number): this {
    this.#room(2).setUint16(this.#length, value);
    this.#length += 2;
    return this;
  }

  /** `int(16)`. */
  i16(value: number): this {
    this.#room(2).setInt16(this.#length, value);
    this.#length += 2;
    return this;
  }

  /** `unsigned int(24)` (the flags of a FullBox, descriptor sizes). */
  u24(value: number): this {
    this.u8((value >>> 16) & 0xff);
    return this.u16(value & 0xffff);
  }

  /** `unsigned int(32)`. */
  u32(value: number): this {
    this.#room(4).setUint32(this.#length, value >>> 0);
    this.#length += 4;
    return this;
  }

  /** `int(32)` (trun data_offset and version 1 composition offsets). */
  i32(value: number): this {
    this.#room(4).setInt32(this.#length, value | 0);
    this.#length += 4;
    return this;
  }

  /** `unsigned int(64)` from a safe integer (tfdt version 1). */
  u64(value: number): this {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`u64: ${value} is not a non-negative safe integer`);
    }
    this.u32(Math.floor(value / TWO_TO_32));
    return this.u32(value % TWO_TO_32);
  }

  /** A four-character code (ISO/IEC 14496-12 §4.2 box types, brands, handler types). */
  fourCC(code: string): this {
    if (code.length !== 4) throw new RangeError(`fourCC: "${code}" is not four characters`);
    for (let i = 0; i < 4; i++) this.u8(code.charCodeAt(i));
    return this;
  }

  /** `n` zero bytes (reserved and pre_defined fields). */
  zeros(n: number): this {
    this.#room(n);
    this.#length += n; // the buffer is zero-filled and never reused
    return this;
  }

  /** Raw bytes. */
  bytes(data: Uint8Array): this {
    this.#room(data.length);
    this.#bytes.set(data, this.#length);
    this.#length += data.length;
    return this;
  }

  /** The bytes written so far (a view; the writer must not be used after). */
  done(): Uint8Array {
    return this.#bytes.subarray(0, this.#length);
  }

  #room(n: number): DataView {
    const need = this.#length + n;
    if (need > this.#bytes.length) {
      let size = this.#bytes.length * 2;
      while (size < need) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(this.#bytes.subarray(0, this.#length));
      this.#bytes = grown;
      this.#view = new DataView(grown.buffer);
    }
    return this.#view;
  }
}

/**
 * A box (ISO/IEC 14496-12 §4.2): 32-bit size, type, then the payload parts
 * back to back. Boxes written here stay far below 4 GiB (an `mdat` holds one
 * fragment), so the 64-bit `largesize` form is never needed.
 */
export function box(type: string, ...payload: readonly Uint8Array[]): Uint8Array {
  let size = BOX_HEADER_SIZE;
  for (const part of payload) size += part.length;
  const header = new FieldWriter().u32(size).fourCC(type).done();
  return concatBytes(header, ...payload);
}

/** A FullBox (ISO/IEC 14496-12 §4.2): a box whose payload starts with version (8) and flags (24). */
export function fullBox(
  type: string,
  version: number,
  flags: number,
  ...payload: readonly Uint8Array[]
): Uint8Array {
  const head = new FieldWriter().u8(version).u24(flags).done();
  return box(type, head, ...payload);
}

/** Bytes of a FullBox header: size, type, version and flags. */
export const FULL_BOX_BYTES = BOX_HEADER_SIZE + FULL_BOX_HEADER_SIZE;
