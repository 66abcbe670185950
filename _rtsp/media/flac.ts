/**
 * FLAC frames of 16-bit mono PCM with VERBATIM subframes (RFC 9639), and the
 * STREAMINFO metadata block that describes them: enough FLAC to carry decoded
 * G.711 (8 kHz, mono, 16 bits) to a browser, with no compression.
 *
 * Frames use the variable-block-size strategy (RFC 9639 §9.1.1), so each
 * frame may hold a different number of samples (one RTP packet's) and the
 * coded number is the frame's first sample number.
 *
 * @module
 */

/** RFC 9639 §9.1: the 15-bit frame sync code 0b111111111111100 and the blocking strategy bit. */
const SYNC_FIXED = 0xfff8;
/** §9.1.1: blocking strategy 1, variable block size (the coded number counts samples). */
const BLOCKING_VARIABLE = 1;
/** §9.1.1 Table: block size code 0b0110, an 8-bit (block size − 1) follows the coded number. */
const BLOCK_SIZE_8_BIT = 0b0110;
/** §9.1.1: block size code 0b0111, a 16-bit (block size − 1) follows the coded number. */
const BLOCK_SIZE_16_BIT = 0b0111;
/** §9.1.2: sample rate codes of the rates a frame header names directly. */
const SAMPLE_RATE_CODES = new Map([
  [88_200, 0b0001],
  [176_400, 0b0010],
  [192_000, 0b0011],
  [8_000, 0b0100],
  [16_000, 0b0101],
  [22_050, 0b0110],
  [24_000, 0b0111],
  [32_000, 0b1000],
  [44_100, 0b1001],
  [48_000, 0b1010],
  [96_000, 0b1011],
]);
/** §9.1.3: channel assignment 0b0000, one channel (mono). */
const CHANNELS_MONO = 0b0000;
/** §9.1.4: bit depth code 0b100, 16 bits per sample. */
const BIT_DEPTH_16 = 0b100;
/** §9.2.1: subframe header: zero bit, type 0b000001 (VERBATIM), no wasted bits. */
const SUBFRAME_VERBATIM = 0b0_000001_0;
/** §9.1.6 (and §9.1.1): a block holds 1 to 65535 samples (the last block may be short). */
export const FLAC_MAX_BLOCK_SIZE = 65_535;
/** §8.2: block sizes in STREAMINFO are at least 16. */
const STREAMINFO_MIN_BLOCK_SIZE = 16;
/** §9.1.5: the coded number holds up to 36 bits (a sample number). */
const MAX_CODED_NUMBER = 2 ** 36;
/** §8.1: metadata block type 0 is STREAMINFO; its body is 34 bytes. */
const STREAMINFO_TYPE = 0;
const STREAMINFO_BYTES = 34;
/** §8.1: the high bit of a metadata block header marks the last block. */
const LAST_METADATA_BLOCK = 0x80;
/** §8.2: bits per sample − 1, for 16-bit samples. */
const BITS_PER_SAMPLE_MINUS_1 = 15;
/** §8.2: channels − 1, for mono. */
const CHANNELS_MINUS_1 = 0;

/** CRC-8 as §9.1.8 says: polynomial x^8 + x^2 + x + 1 (0x07), initial 0, MSB first. */
export function crc8(bytes: Uint8Array): number {
  let crc = 0;
  for (const b of bytes) {
    crc ^= b;
    for (let i = 0; i < 8; i++) crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
  }
  return crc;
}

/** CRC-16 as §9.3 says: polynomial x^16 + x^15 + x^2 + 1 (0x8005), initial 0, MSB first. */
export function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const b of bytes) {
    crc ^= b << 8;
    for (let i = 0; i < 8; i++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x8005) & 0xffff : (crc << 1) & 0xffff;
    }
  }
  return crc;
}

/**
 * The coded number of §9.1.5: a number of up to 36 bits written as UTF-8
 * writes code points (extended to 7 bytes): 1 byte below 2^7, else a lead
 * byte of n ones and 6-bit continuation bytes 0b10xxxxxx.
 */
export function codedNumber(n: number): number[] {
  if (!Number.isInteger(n) || n < 0 || n >= MAX_CODED_NUMBER) {
    throw new RangeError(`codedNumber: ${n} is not a 36-bit number`);
  }
  if (n < 0x80) return [n];
  const tail: number[] = [];
  let rest = n;
  // The lead byte of a `bytes`-byte number keeps 7 − bytes bits of it (none for 7 bytes).
  let bytes = 1;
  do {
    tail.unshift(0x80 | (rest % 64));
    rest = Math.floor(rest / 64);
    bytes++;
  } while (rest >= 2 ** (7 - bytes));
  const lead = (0xff << (8 - bytes)) & 0xff;
  return [lead | rest, ...tail];
}

/**
 * One FLAC frame (§9) of 16-bit mono samples in a VERBATIM subframe (§9.2.5.1),
 * with the variable-block-size strategy: `firstSample` is the number of the
 * block's first sample in the stream (taken modulo 2^36).
 */
export function flacFrame(
  samples: Int16Array,
  sampleRate: number,
  firstSample: number,
): Uint8Array {
  const n = samples.length;
  if (n < 1 || n > FLAC_MAX_BLOCK_SIZE) throw new RangeError(`flacFrame: ${n} samples`);
  const rateCode = SAMPLE_RATE_CODES.get(sampleRate);
  if (rateCode === undefined) {
    throw new RangeError(`flacFrame: no frame header code for ${sampleRate} Hz`);
  }
  const sizeCode = n <= 256 ? BLOCK_SIZE_8_BIT : BLOCK_SIZE_16_BIT;
  const header = [
    SYNC_FIXED >> 8,
    (SYNC_FIXED & 0xff) | BLOCKING_VARIABLE,
    (sizeCode << 4) | rateCode,
    (CHANNELS_MONO << 4) | (BIT_DEPTH_16 << 1), // last bit reserved, 0
    ...codedNumber(firstSample % MAX_CODED_NUMBER),
    ...(sizeCode === BLOCK_SIZE_8_BIT ? [n - 1] : [(n - 1) >> 8, (n - 1) & 0xff]),
  ];
  header.push(crc8(Uint8Array.from(header)));
  // Header, subframe header, 2 bytes a sample (byte-aligned: no padding), CRC-16.
  const out = new Uint8Array(header.length + 1 + 2 * n + 2);
  out.set(header);
  const view = new DataView(out.buffer);
  let at = header.length;
  out[at++] = SUBFRAME_VERBATIM;
  for (let i = 0; i < n; i++, at += 2) view.setInt16(at, samples[i]); // §9.2.5.1: big-endian
  view.setUint16(at, crc16(out.subarray(0, at)));
  return out;
}

/** What a STREAMINFO block says of 16-bit mono audio whose blocks are at most `maxBlockSize` samples. */
export interface FlacStreamInfo {
  readonly sampleRate: number;
  readonly maxBlockSize: number;
}

/**
 * The STREAMINFO metadata block (§8.2) with its header (§8.1), marked the last
 * metadata block: block sizes 16 to `maxBlockSize`, frame sizes 0 (unknown),
 * one channel of 16 bits, total samples 0 (unknown: a live stream), MD5 zero.
 */
export function streamInfoBlock(info: FlacStreamInfo): Uint8Array {
  const out = new Uint8Array(4 + STREAMINFO_BYTES);
  const view = new DataView(out.buffer);
  out[0] = LAST_METADATA_BLOCK | STREAMINFO_TYPE;
  out[3] = STREAMINFO_BYTES; // 24-bit length, < 256
  view.setUint16(4, STREAMINFO_MIN_BLOCK_SIZE);
  view.setUint16(6, info.maxBlockSize);
  // Bytes 8..13: minimum and maximum frame size, 24 bits each: 0, unknown.
  // Then 20 bits sample rate, 3 bits channels − 1 (0), 5 bits bits-per-sample − 1 (15),
  // 36 bits total samples (0): the first 32 of those 64 bits are all that is not zero.
  view.setUint32(
    14,
    ((info.sampleRate << 12) | (CHANNELS_MINUS_1 << 9) | (BITS_PER_SAMPLE_MINUS_1 << 4)) >>> 0,
  );
  // Bytes 18..21: the rest of total samples (0); 22..37: the 128-bit MD5 (0: not computed).
  return out;
}
