/**
 * Bit-level access to H.264/H.265 RBSPs (raw byte sequence payloads).
 *
 * Parameter sets are coded with fixed-width fields `u(n)` and Exp-Golomb codes
 * `ue(v)` / `se(v)` (ITU-T H.264 / H.265 clause 9.2). The reader throws
 * {@link BitstreamError} when a read would pass the end of the data; parsers
 * catch it at their API edge and hand callers a result object instead.
 */

/** Thrown by {@link BitReader} on reads past the end or malformed Exp-Golomb codes. */
export class BitstreamError extends Error {
  override name = "BitstreamError";
}

/**
 * The longest prefix of zero bits accepted in an Exp-Golomb code. 31 leading
 * zeros code values up to 2^32 - 2, which covers every `ue(v)` element in
 * H.264/H.265 (H.264 clause 7.2: values lie in 0..2^32 - 2); a longer prefix can
 * only come from corrupt or hostile data.
 */
export const MAX_EXP_GOLOMB_LEADING_ZEROS = 31;

/** The emulation_prevention_three_byte value (H.264 7.4.1, H.265 7.4.2). */
const EMULATION_PREVENTION_BYTE = 0x03;

/**
 * Removes emulation_prevention_three_byte (0x03 after two zero bytes) from a NAL
 * unit, giving its RBSP (H.264 clause 7.3.1 / 7.4.1, H.265 clause 7.3.1.1).
 * The NAL header bytes are kept; they can never contain the pattern because the
 * first header byte is non-zero in every conforming NAL unit.
 *
 * Returns `nal` itself when it holds no emulation prevention bytes, to avoid a
 * copy in the common case.
 */
export function nalToRbsp(nal: Uint8Array): Uint8Array {
  // First pass: find the first escape, so NAL units without one cost no copy.
  let first = -1;
  for (let i = 2; i < nal.length; i++) {
    if (nal[i] === EMULATION_PREVENTION_BYTE && nal[i - 1] === 0 && nal[i - 2] === 0) {
      first = i;
      break;
    }
  }
  if (first < 0) return nal;
  const out = new Uint8Array(nal.length - 1);
  out.set(nal.subarray(0, first));
  let n = first;
  // Zeros seen since the last kept non-zero byte or removed escape; the escape
  // resets the count, so 00 00 03 00 00 03 drops both 0x03 bytes.
  let zeros = 0;
  for (let i = first + 1; i < nal.length; i++) {
    const b = nal[i];
    if (zeros >= 2 && b === EMULATION_PREVENTION_BYTE) {
      zeros = 0;
      continue;
    }
    zeros = b === 0 ? zeros + 1 : 0;
    out[n++] = b;
  }
  return out.subarray(0, n);
}

/** Reads MSB-first bits from an RBSP. Every read is bounds-checked. */
export class BitReader {
  readonly #bytes: Uint8Array;
  #bit = 0;

  /** `rbsp` must already be free of emulation prevention bytes (see {@link nalToRbsp}). */
  constructor(rbsp: Uint8Array) {
    this.#bytes = rbsp;
  }

  /** Bits consumed so far. */
  get position(): number {
    return this.#bit;
  }

  /** Bits left to read. */
  get bitsLeft(): number {
    return this.#bytes.length * 8 - this.#bit;
  }

  /** Reads `n` bits (0..32) as an unsigned integer: the spec's `u(n)`. */
  u(n: number): number {
    if (!Number.isInteger(n) || n < 0 || n > 32) {
      throw new BitstreamError(`u(${n}): width must be 0..32`);
    }
    this.#need(n);
    // Multiplication instead of `<<` keeps 32-bit values unsigned.
    let value = 0;
    for (let i = 0; i < n; i++) {
      const byte = this.#bytes[this.#bit >> 3];
      value = value * 2 + ((byte >> (7 - (this.#bit & 7))) & 1);
      this.#bit++;
    }
    return value;
  }

  /** Reads a one-bit flag: `u(1)` as a boolean. */
  flag(): boolean {
    return this.u(1) === 1;
  }

  /** Skips `n` bits. */
  skip(n: number): void {
    if (!Number.isInteger(n) || n < 0) throw new BitstreamError(`skip(${n}): bad count`);
    this.#need(n);
    this.#bit += n;
  }

  /** Reads an unsigned Exp-Golomb code: `ue(v)` (H.264 clause 9.1). */
  ue(): number {
    let zeros = 0;
    while (this.u(1) === 0) {
      zeros++;
      if (zeros > MAX_EXP_GOLOMB_LEADING_ZEROS) {
        throw new BitstreamError(`ue(v): more than ${MAX_EXP_GOLOMB_LEADING_ZEROS} leading zeros`);
      }
    }
    return 2 ** zeros - 1 + this.u(zeros);
  }

  /** Reads a signed Exp-Golomb code: `se(v)` (H.264 clause 9.1.1, Table 9-3). */
  se(): number {
    const k = this.ue();
    // k = 1, 2, 3, 4, ... maps to 1, -1, 2, -2, ...
    if (k % 2 === 1) return (k + 1) / 2;
    // k = 0 must give 0, not -0.
    return k === 0 ? 0 : -k / 2;
  }

  /** Reads `ue(v)` and throws when the value is above `max` (the spec's range for that element). */
  ueMax(max: number, name: string): number {
    const v = this.ue();
    if (v > max) throw new BitstreamError(`${name} = ${v} exceeds ${max}`);
    return v;
  }

  /** Reads `se(v)` and throws when the value is outside `min..max`. */
  seRange(min: number, max: number, name: string): number {
    const v = this.se();
    if (v < min || v > max) throw new BitstreamError(`${name} = ${v} outside ${min}..${max}`);
    return v;
  }

  #need(n: number): void {
    if (n > this.bitsLeft) {
      throw new BitstreamError(
        `read of ${n} bits at bit ${this.#bit} passes the end (${this.bitsLeft} left)`,
      );
    }
  }
}
