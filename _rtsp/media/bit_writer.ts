/**
 * Bit-level writer for H.264 RBSP syntax (ITU-T H.264 §7.2 descriptors) and the
 * RBSP → NAL unit step that inserts emulation-prevention bytes (§7.4.1).
 *
 * Pure: no I/O. Used by the encoder-less test pattern source.
 */

/** Bits in a byte. */
const BITS_PER_BYTE = 8;
/** The widest fixed-length field this writer takes in one call (H.264 u(32), e.g. time_scale). */
const MAX_FIXED_BITS = 32;
/** Largest codeNum that ue(v) can carry while its info part still fits one u(32) write (§9.1). */
const MAX_UE_CODE_NUM = 2 ** MAX_FIXED_BITS - 2;
/** Starting capacity; grows by doubling so a 115 KB I_PCM picture needs only a few copies. */
const INITIAL_CAPACITY_BYTES = 256;
/** §7.4.1: the emulation_prevention_three_byte. */
const EMULATION_PREVENTION_BYTE = 0x03;
/** §7.4.1: within a NAL unit, 0x0000 followed by a byte ≤ 0x03 must not occur. */
const MAX_BYTE_NEEDING_PREVENTION = 0x03;
/** §7.4.1: number of zero bytes that, followed by a small byte, would emulate a start code. */
const ZERO_RUN_NEEDING_PREVENTION = 2;
/** §7.3.1: forbidden_zero_bit is the top bit of the NAL header byte. */
const FORBIDDEN_ZERO_BIT_MASK = 0x80;
/** Largest value of one byte. */
const MAX_BYTE = 0xff;

/**
 * Writes an H.264 RBSP bit by bit, most significant bit first (§7.2).
 *
 * Fixed-length fields go through {@link BitWriter.u}, Exp-Golomb fields through
 * {@link BitWriter.ue} / {@link BitWriter.se}; byte-aligned payloads (I_PCM samples)
 * through {@link BitWriter.bytes}, which copies instead of looping over bits.
 */
export class BitWriter {
  #buf = new Uint8Array(INITIAL_CAPACITY_BYTES);
  /** Whole bytes already written to #buf. */
  #pos = 0;
  /** Pending bits not yet forming a whole byte, right-aligned. */
  #acc = 0;
  /** How many bits #acc holds (0..7). */
  #accBits = 0;

  /** Total bits written so far. */
  get bitLength(): number {
    return this.#pos * BITS_PER_BYTE + this.#accBits;
  }

  /** True when the next bit starts a new byte (H.264 byte_aligned(), §7.2). */
  get byteAligned(): boolean {
    return this.#accBits === 0;
  }

  /** Writes `value` as an unsigned `n`-bit field, MSB first (u(n), §7.2). n is 0..32. */
  u(n: number, value: number): this {
    if (!Number.isInteger(n) || n < 0 || n > MAX_FIXED_BITS) {
      throw new RangeError(`u(n): n must be an integer 0..${MAX_FIXED_BITS}, got ${n}`);
    }
    if (!Number.isInteger(value) || value < 0 || value >= 2 ** n) {
      throw new RangeError(`u(${n}): value ${value} does not fit`);
    }
    let left = n;
    while (left > 0) {
      const room = BITS_PER_BYTE - this.#accBits;
      const take = left < room ? left : room;
      // `>>>` keeps the 32-bit case unsigned; the shift is < 32 because take ≥ 1.
      const chunk = (value >>> (left - take)) & ((1 << take) - 1);
      this.#acc = (this.#acc << take) | chunk;
      this.#accBits += take;
      left -= take;
      if (this.#accBits === BITS_PER_BYTE) this.#flushByte();
    }
    return this;
  }

  /** Writes one bit (u(1)); `true`/non-zero is 1. */
  flag(bit: boolean | number): this {
    return this.u(1, bit ? 1 : 0);
  }

  /** Unsigned Exp-Golomb ue(v) (§9.1): leadingZeroBits zeros, then codeNum + 1 in binary. */
  ue(codeNum: number): this {
    if (!Number.isInteger(codeNum) || codeNum < 0 || codeNum > MAX_UE_CODE_NUM) {
      throw new RangeError(`ue(v): ${codeNum} is not a codeNum 0..${MAX_UE_CODE_NUM}`);
    }
    const x = codeNum + 1;
    const leadingZeroBits = Math.floor(Math.log2(x));
    this.u(leadingZeroBits, 0);
    return this.u(leadingZeroBits + 1, x);
  }

  /** Signed Exp-Golomb se(v) (§9.1.1, Table 9-3): k > 0 → 2k − 1, k ≤ 0 → −2k. */
  se(value: number): this {
    if (!Number.isInteger(value)) throw new RangeError(`se(v): ${value} is not an integer`);
    return this.ue(value > 0 ? 2 * value - 1 : -2 * value);
  }

  /** Pads with zero bits to the next byte boundary (e.g. pcm_alignment_zero_bit, §7.3.5). */
  alignZero(): this {
    if (this.#accBits !== 0) this.u(BITS_PER_BYTE - this.#accBits, 0);
    return this;
  }

  /** rbsp_trailing_bits() (§7.3.2.11): a stop bit 1, then zeros to the byte boundary. */
  trailingBits(): this {
    this.u(1, 1);
    return this.alignZero();
  }

  /** Appends whole bytes; the writer must be byte-aligned (used for I_PCM sample runs). */
  bytes(data: Uint8Array): this {
    if (this.#accBits !== 0) throw new Error("BitWriter.bytes: not byte-aligned");
    this.#ensure(data.length);
    this.#buf.set(data, this.#pos);
    this.#pos += data.length;
    return this;
  }

  /** The written bytes (a copy). The writer must be byte-aligned: end with trailingBits(). */
  finish(): Uint8Array {
    if (this.#accBits !== 0) throw new Error("BitWriter.finish: not byte-aligned");
    return this.#buf.slice(0, this.#pos);
  }

  /** Forgets everything written, keeping the buffer for reuse. */
  reset(): this {
    this.#pos = 0;
    this.#acc = 0;
    this.#accBits = 0;
    return this;
  }

  #flushByte(): void {
    this.#ensure(1);
    this.#buf[this.#pos++] = this.#acc;
    this.#acc = 0;
    this.#accBits = 0;
  }

  #ensure(extra: number): void {
    const need = this.#pos + extra;
    if (need <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < need) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.#buf.subarray(0, this.#pos));
    this.#buf = grown;
  }
}

/**
 * Builds a NAL unit (no start code) from its header byte and RBSP (§7.3.1, §7.4.1):
 * inserts emulation_prevention_three_byte after every 0x0000 that is followed by a
 * byte ≤ 0x03, so the payload can never contain a start code prefix, and appends a
 * final 0x03 when the RBSP ends in 0x00 (only possible with cabac_zero_words).
 */
export function rbspToNal(nalHeaderByte: number, rbsp: Uint8Array): Uint8Array {
  if (
    !Number.isInteger(nalHeaderByte) || nalHeaderByte < 0 || nalHeaderByte > MAX_BYTE ||
    (nalHeaderByte & FORBIDDEN_ZERO_BIT_MASK) !== 0
  ) {
    throw new RangeError(`rbspToNal: bad NAL header byte ${nalHeaderByte}`);
  }
  const n = rbsp.length;
  // First pass counts insertions so the common case (none, e.g. I_PCM pictures whose
  // samples are all ≥ 16) is one bulk copy.
  let inserts = 0;
  let zeros = 0;
  for (let i = 0; i < n; i++) {
    const b = rbsp[i];
    if (zeros >= ZERO_RUN_NEEDING_PREVENTION && b <= MAX_BYTE_NEEDING_PREVENTION) {
      inserts++;
      zeros = 0;
    }
    zeros = b === 0 ? zeros + 1 : 0;
  }
  const trailing = n > 0 && rbsp[n - 1] === 0 ? 1 : 0;
  const out = new Uint8Array(1 + n + inserts + trailing);
  out[0] = nalHeaderByte;
  if (inserts === 0) {
    out.set(rbsp, 1);
  } else {
    let o = 1;
    zeros = 0;
    for (let i = 0; i < n; i++) {
      const b = rbsp[i];
      if (zeros >= ZERO_RUN_NEEDING_PREVENTION && b <= MAX_BYTE_NEEDING_PREVENTION) {
        out[o++] = EMULATION_PREVENTION_BYTE;
        zeros = 0;
      }
      out[o++] = b;
      zeros = b === 0 ? zeros + 1 : 0;
    }
  }
  if (trailing) out[out.length - 1] = EMULATION_PREVENTION_BYTE;
  return out;
}
