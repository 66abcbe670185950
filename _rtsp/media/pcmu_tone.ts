/**
 * A live G.711 µ-law (PCMU) test tone: a short beep at the start of every period
 * and silence otherwise, in step with the flash box of {@link H264TestPattern}.
 *
 * Pure: no I/O, timers or randomness; frame(i) depends only on i and the options.
 */

import type { AccessUnit } from "./access_unit.ts";

/** ITU-T G.711 µ-law: bias added to the magnitude so every segment starts on a power of two. */
const ULAW_BIAS = 0x84;
/** ITU-T G.711 µ-law: largest magnitude that still fits segment 7 once the bias is added. */
const ULAW_CLIP = 32_635;
/** ITU-T G.711: the sign bit of a µ-law byte (before the final inversion). */
const ULAW_SIGN_BIT = 0x80;
/** ITU-T G.711 µ-law: a segment (exponent) number sits above the 4 mantissa bits. */
const ULAW_SEGMENT_SHIFT = 4;
/** ITU-T G.711 µ-law: 4 mantissa bits per segment. */
const ULAW_MANTISSA_MASK = 0x0f;
/** ITU-T G.711 µ-law: the biased magnitude of segment s lies in [2^(s+7), 2^(s+8)). */
const ULAW_SEGMENT_BASE_BIT = 7;
/** The mantissa is taken from the 4 bits below the segment's leading one. */
const ULAW_MANTISSA_SHIFT_OFFSET = 3;
/** Highest µ-law segment number. */
const ULAW_MAX_SEGMENT = 7;
/** ITU-T G.711 µ-law: every code is transmitted with all bits inverted. */
const ULAW_INVERT = 0xff;
/** µ-law code of a zero sample (positive zero): silence. */
const ULAW_SILENCE = 0xff;
/** Range of 16-bit linear PCM. */
const PCM16_MIN = -32_768;
const PCM16_MAX = 32_767;
/** Tone amplitude as a fraction of full scale: −6 dBFS, loud but far from clipping. */
const TONE_AMPLITUDE = 0.5;
/** Milliseconds per second. */
const MS_PER_SECOND = 1000;

/**
 * Encodes one 16-bit linear PCM sample as G.711 µ-law (ITU-T G.711, Table 2a):
 * sign, 3-bit segment, 4-bit mantissa of the biased magnitude, all inverted.
 * Out-of-range input is clamped; 0 → 0xFF, 32767 → 0x80, −32768 → 0x00.
 */
export function linearToPcmu(sample: number): number {
  if (Number.isNaN(sample)) throw new RangeError("linearToPcmu: sample is NaN");
  let s = Math.round(sample);
  if (s > PCM16_MAX) s = PCM16_MAX;
  if (s < PCM16_MIN) s = PCM16_MIN;
  const sign = s < 0 ? ULAW_SIGN_BIT : 0;
  let magnitude = s < 0 ? -s : s;
  if (magnitude > ULAW_CLIP) magnitude = ULAW_CLIP;
  magnitude += ULAW_BIAS;
  // The segment is the position of the leading one above bit 7 of the biased magnitude.
  let segment = ULAW_MAX_SEGMENT;
  while (segment > 0 && (magnitude & (1 << (segment + ULAW_SEGMENT_BASE_BIT))) === 0) segment--;
  const mantissa = (magnitude >> (segment + ULAW_MANTISSA_SHIFT_OFFSET)) & ULAW_MANTISSA_MASK;
  return (sign | (segment << ULAW_SEGMENT_SHIFT) | mantissa) ^ ULAW_INVERT;
}

/** Options of {@link PcmuTone}. */
export interface PcmuToneOptions {
  /** Samples per second (also the RTP clock rate of PCMU, RFC 3551 §4.5.14). Default 8000. */
  sampleRate?: number;
  /** Duration of one frame (one RTP packet). Default 20 ms. */
  frameMs?: number;
  /** Beep frequency. Default 1000 Hz. */
  toneHz?: number;
  /** Beep length at the start of each period. Default 100 ms. */
  beepMs?: number;
  /** Beep repetition period. Default 1000 ms. */
  periodMs?: number;
}

function samplesIn(ms: number, sampleRate: number, name: string): number {
  const n = (ms * sampleRate) / MS_PER_SECOND;
  if (!Number.isInteger(n) || n < 0) {
    throw new RangeError(`PcmuTone: ${name} ${ms} ms is not a whole number of samples`);
  }
  return n;
}

/**
 * A beep of `toneHz` for the first `beepMs` of every `periodMs`, silence
 * otherwise, as G.711 µ-law frames of `frameMs`.
 */
export class PcmuTone {
  /** Samples per second and RTP clock rate. */
  readonly sampleRate: number;
  /** Samples (= bytes) per frame, e.g. 160 for 20 ms at 8 kHz. */
  readonly samplesPerFrame: number;
  /** One period of µ-law samples, beep then silence; frames are cut from it. */
  readonly #period: Uint8Array;

  constructor(options: PcmuToneOptions = {}) {
    const {
      sampleRate = 8000,
      frameMs = 20,
      toneHz = 1000,
      beepMs = 100,
      periodMs = 1000,
    } = options;
    if (!Number.isInteger(sampleRate) || sampleRate <= 0) {
      throw new RangeError(`PcmuTone: sampleRate must be a positive integer, got ${sampleRate}`);
    }
    if (!(toneHz > 0 && toneHz < sampleRate / 2)) {
      throw new RangeError(`PcmuTone: toneHz ${toneHz} must be above 0 and below Nyquist`);
    }
    this.sampleRate = sampleRate;
    this.samplesPerFrame = samplesIn(frameMs, sampleRate, "frameMs");
    if (this.samplesPerFrame === 0) throw new RangeError("PcmuTone: frameMs must be > 0");
    const periodSamples = samplesIn(periodMs, sampleRate, "periodMs");
    const beepSamples = samplesIn(beepMs, sampleRate, "beepMs");
    if (periodSamples === 0 || beepSamples > periodSamples) {
      throw new RangeError("PcmuTone: need 0 < periodMs and beepMs ≤ periodMs");
    }
    // Each beep starts at phase 0, so every period is identical and can be precomputed.
    this.#period = new Uint8Array(periodSamples).fill(ULAW_SILENCE);
    const peak = TONE_AMPLITUDE * PCM16_MAX;
    for (let n = 0; n < beepSamples; n++) {
      this.#period[n] = linearToPcmu(peak * Math.sin((2 * Math.PI * toneHz * n) / sampleRate));
    }
  }

  /** RTP timestamp of frame `index`: its first sample's number. */
  timestamp(index: number): number {
    return index * this.samplesPerFrame;
  }

  /** Frame `index` (≥ 0): one µ-law frame of samplesPerFrame bytes. */
  frame(index: number): AccessUnit {
    if (!Number.isSafeInteger(index) || index < 0) {
      throw new RangeError(`PcmuTone: frame index must be an integer ≥ 0, got ${index}`);
    }
    const out = new Uint8Array(this.samplesPerFrame);
    const period = this.#period;
    // Reduce first so index · samplesPerFrame cannot leave the safe-integer range.
    let pos = ((index % period.length) * this.samplesPerFrame) % period.length;
    let o = 0;
    // A frame may straddle the end of the period (e.g. 30 ms frames, 1000 ms period).
    while (o < out.length) {
      const take = Math.min(out.length - o, period.length - pos);
      out.set(period.subarray(pos, pos + take), o);
      o += take;
      pos = 0;
    }
    return { timestamp: this.timestamp(index), units: [out], keyframe: true };
  }
}
