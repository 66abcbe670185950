/**
 * G.711 expansion: µ-law and A-law codes to 16-bit linear PCM (ITU-T G.711
 * §2 and §3, Tables 1a/2a for A-law, 1b/2b for µ-law), as RTP carries them
 * (RFC 3551 §4.5.14: PCMU and PCMA, one byte per sample, 8 kHz).
 *
 * The decoded values are those of the ITU-T tables scaled to 16 bits: A-law's
 * 13-bit decision values times 8, µ-law's 14-bit values times 4 (the same
 * values as the classic reference `g711.c` and ffmpeg's `pcm_alaw` /
 * `pcm_mulaw` decoders).
 *
 * @module
 */

/** G.711 µ-law and A-law codes transmit the sign in bit 7. */
const SIGN_BIT = 0x80;
/** Bits 6..4 hold the segment (exponent). */
const SEGMENT_MASK = 0x70;
const SEGMENT_SHIFT = 4;
/** Bits 3..0 hold the step within the segment. */
const QUANT_MASK = 0x0f;
/** µ-law: every code is sent with all bits inverted (G.711 Table 2b, note). */
const ULAW_INVERT = 0xff;
/** µ-law: the bias (33 in 14-bit units, times 4) that makes segment ends powers of two. */
const ULAW_BIAS = 0x84;
/** A-law: even bits are inverted on the line (G.711 Table 1a, note 2). */
const ALAW_INVERT = 0x55;
/** A-law: segments above 0 add the implicit leading one (32 in 16-bit half-steps). */
const ALAW_SEGMENT_LEAD = 32;
/** A-law: 13-bit values to 16 bits (and half-step midpoint rounding), shift by 3. */
const ALAW_SCALE_SHIFT = 3;

/** The 16-bit linear value of a µ-law code (ITU-T G.711 Table 2b): 0xFF → 0, 0x00 → −32124. */
export function ulawToLinear(code: number): number {
  const u = ~code & ULAW_INVERT;
  const segment = (u & SEGMENT_MASK) >> SEGMENT_SHIFT;
  const magnitude = ((((u & QUANT_MASK) << 3) + ULAW_BIAS) << segment) - ULAW_BIAS;
  return u & SIGN_BIT ? 0 - magnitude : magnitude; // 0x7F (negative zero) is 0
}

/** The 16-bit linear value of an A-law code (ITU-T G.711 Table 2a): 0xD5 → 8, 0x55 → −8. */
export function alawToLinear(code: number): number {
  const a = (code & 0xff) ^ ALAW_INVERT;
  const segment = (a & SEGMENT_MASK) >> SEGMENT_SHIFT;
  const step = (a & QUANT_MASK) * 2 + 1; // the middle of the step, in half-steps
  const magnitude = segment === 0
    ? step << ALAW_SCALE_SHIFT
    : (step + ALAW_SEGMENT_LEAD) << (segment + ALAW_SCALE_SHIFT - 1);
  // A-law's sign bit is 1 for positive values.
  return a & SIGN_BIT ? magnitude : -magnitude;
}

/** G.711's two laws: PCMU is µ-law, PCMA is A-law (RFC 3551 §4.5.14). */
export type G711Law = "ulaw" | "alaw";

/** The 256 linear values of a law, indexed by code. */
function table(decode: (code: number) => number): Int16Array {
  const out = new Int16Array(256);
  for (let c = 0; c < 256; c++) out[c] = decode(c);
  return out;
}

const TABLES: Record<G711Law, Int16Array> = {
  ulaw: table(ulawToLinear),
  alaw: table(alawToLinear),
};

/** G.711 codes (one byte per sample) as 16-bit linear samples. */
export function expandG711(law: G711Law, codes: Uint8Array): Int16Array {
  const t = TABLES[law];
  const out = new Int16Array(codes.length);
  for (let i = 0; i < codes.length; i++) out[i] = t[codes[i]];
  return out;
}
