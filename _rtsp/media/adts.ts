/**
 * ADTS (Audio Data Transport Stream) framing of AAC, ISO/IEC 13818-7 clause 6.2
 * / ISO/IEC 14496-3 clause 1.A.2: header parsing, the AudioSpecificConfig that
 * SDP needs, and an incremental reader for raw `.aac` files.
 */

import type { AccessUnit } from "./access_unit.ts";

/** The 12-bit ADTS syncword, all ones (13818-7 6.2.1). */
export const ADTS_SYNCWORD = 0xfff;

/** Length of adts_fixed_header() + adts_variable_header(): 56 bits (13818-7 6.2.1). */
export const ADTS_HEADER_BYTES = 7;

/** Length of adts_error_check() (crc_check, 16 bits), present when protection_absent == 0. */
export const ADTS_CRC_BYTES = 2;

/** Largest frame_length: the field has 13 bits. */
export const ADTS_MAX_FRAME_BYTES = 0x1fff;

/** Samples per channel in one AAC raw_data_block (frameLengthFlag 0, 14496-3 4.5.1.1). */
export const AAC_SAMPLES_PER_FRAME = 1024;

/**
 * Sampling frequencies by sampling_frequency_index (ISO/IEC 14496-3 Table 1.18;
 * 13818-7 Table 35 for indices 0..11). Indices 13 and 14 are reserved; 15 means
 * an explicit frequency, which ADTS cannot carry.
 */
export const AAC_SAMPLING_FREQUENCIES: readonly number[] = [
  96000,
  88200,
  64000,
  48000,
  44100,
  32000,
  24000,
  22050,
  16000,
  12000,
  11025,
  8000,
  7350,
];

/** A parsed ADTS header. */
export interface AdtsHeader {
  /** ID: 0 for MPEG-4, 1 for MPEG-2 AAC. */
  readonly mpegVersion: 2 | 4;
  /** protection_absent: true when no CRC follows the header. */
  readonly protectionAbsent: boolean;
  /** profile (MPEG-2) / profile_ObjectType (MPEG-4): Audio Object Type minus 1 (1 = AAC LC). */
  readonly profile: number;
  /** sampling_frequency_index. */
  readonly samplingFrequencyIndex: number;
  /** The sampling frequency in Hz for samplingFrequencyIndex. */
  readonly sampleRate: number;
  /** channel_configuration (0 = defined in a program_config_element in the payload). */
  readonly channelConfiguration: number;
  /** frame_length: the whole frame, header included, in bytes. */
  readonly frameLength: number;
  /** number_of_raw_data_blocks_in_frame + 1: AAC frames in this ADTS frame. */
  readonly rawDataBlocks: number;
  /** Bytes before the raw data: 7, or 9 with a CRC (single-block frames). */
  readonly headerLength: number;
}

/** The result of {@link parseAdtsHeader}. `truncated` means more bytes are needed to decide. */
export type AdtsHeaderResult =
  | { readonly ok: true; readonly header: AdtsHeader }
  | { readonly ok: false; readonly code: "truncated" | "invalid"; readonly error: string };

/**
 * Parses the ADTS header at `bytes[offset]`. Checks the syncword, layer == 0, a
 * sampling_frequency_index that has a frequency, and a frame_length that can hold
 * the header (plus CRC) and at least one byte of raw data. Never throws.
 */
export function parseAdtsHeader(bytes: Uint8Array, offset = 0): AdtsHeaderResult {
  if (!Number.isInteger(offset) || offset < 0) {
    return { ok: false, code: "invalid", error: `bad offset ${offset}` };
  }
  if (bytes.length - offset < ADTS_HEADER_BYTES) {
    return { ok: false, code: "truncated", error: "fewer than 7 bytes for an ADTS header" };
  }
  const b = bytes.subarray(offset, offset + ADTS_HEADER_BYTES);
  // Bit layout (13818-7 6.2.1): syncword 12 | ID 1 | layer 2 | protection_absent 1 |
  // profile 2 | sampling_frequency_index 4 | private_bit 1 | channel_configuration 3 |
  // original_copy 1 | home 1 | copyright_id bit/start 2 | frame_length 13 |
  // adts_buffer_fullness 11 | number_of_raw_data_blocks_in_frame 2.
  if (b[0] !== 0xff || (b[1] & 0xf0) !== 0xf0) {
    return { ok: false, code: "invalid", error: "no ADTS syncword" };
  }
  const layer = (b[1] >> 1) & 0x03;
  if (layer !== 0) return { ok: false, code: "invalid", error: `layer ${layer} is not 0` };
  const protectionAbsent = (b[1] & 0x01) === 1;
  const profile = b[2] >> 6;
  const samplingFrequencyIndex = (b[2] >> 2) & 0x0f;
  const sampleRate = AAC_SAMPLING_FREQUENCIES[samplingFrequencyIndex];
  if (sampleRate === undefined) {
    return {
      ok: false,
      code: "invalid",
      error: `sampling_frequency_index ${samplingFrequencyIndex} has no frequency`,
    };
  }
  const channelConfiguration = ((b[2] & 0x01) << 2) | (b[3] >> 6);
  const frameLength = ((b[3] & 0x03) << 11) | (b[4] << 3) | (b[5] >> 5);
  const rawDataBlocks = (b[6] & 0x03) + 1;
  const headerLength = ADTS_HEADER_BYTES + (protectionAbsent ? 0 : ADTS_CRC_BYTES);
  if (frameLength <= headerLength) {
    return {
      ok: false,
      code: "invalid",
      error: `frame_length ${frameLength} leaves no room for raw data`,
    };
  }
  return {
    ok: true,
    header: {
      mpegVersion: (b[1] & 0x08) !== 0 ? 2 : 4,
      protectionAbsent,
      profile,
      samplingFrequencyIndex,
      sampleRate,
      channelConfiguration,
      frameLength,
      rawDataBlocks,
      headerLength,
    },
  };
}

/**
 * Builds the 2-byte AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1) equivalent to
 * an ADTS header, for SDP `config=` (RFC 3640 4.1) or MP4 `esds`:
 * audioObjectType = profile + 1 (5 bits), samplingFrequencyIndex (4 bits),
 * channelConfiguration (4 bits), then GASpecificConfig (4.4.1) with
 * frameLengthFlag, dependsOnCoreCoder and extensionFlag all 0.
 */
export function audioSpecificConfigFromAdts(header: AdtsHeader): Uint8Array {
  const objectType = header.profile + 1;
  const sfi = header.samplingFrequencyIndex;
  const ch = header.channelConfiguration;
  return Uint8Array.of((objectType << 3) | (sfi >> 1), ((sfi & 1) << 7) | (ch << 3));
}

/** Options for {@link AdtsReader}. */
export interface AdtsReaderOptions {
  /**
   * Garbage bytes tolerated while looking for sync before giving up; default
   * {@link DEFAULT_MAX_RESYNC_BYTES}. Counted per loss of sync.
   */
  readonly maxResyncBytes?: number;
}

/** Default for {@link AdtsReaderOptions.maxResyncBytes}: far more than any real damage, far less than a file. */
export const DEFAULT_MAX_RESYNC_BYTES = 1024 * 1024;

/** Why an {@link AdtsReader} stopped. */
export type AdtsErrorCode = "no-sync" | "ended";

/** The result of {@link AdtsReader.push} and {@link AdtsReader.end}. */
export type AdtsReadResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: AdtsErrorCode; readonly error: string };

const OK: AdtsReadResult = { ok: true };

/**
 * Splits an ADTS stream, pushed in arbitrary chunks, into access units of one raw
 * AAC frame each (header and CRC removed), timestamped `frameIndex × 1024` in the
 * sample-rate clock (RFC 3640: the RTP clock rate is the sampling rate).
 *
 * Sync: a frame is accepted only when another valid header follows it at its
 * frame_length, or the stream ends there; otherwise the reader steps one byte
 * and looks for the next syncword. So a stray 0xFFF in garbage or a truncated
 * frame never yields a bogus frame, at the cost of one frame of look-ahead.
 *
 * Frames with several raw_data_blocks cannot be split without decoding AAC (no
 * CRC) and are rare; they are skipped but keep their time, counted in
 * {@link AdtsReader.skippedFrames}.
 */
export class AdtsReader {
  readonly #maxResync: number;
  #buf = new Uint8Array(0);
  /** Unconsumed bytes are #buf[#pos, #len). */
  #pos = 0;
  #len = 0;
  #garbageRun = 0;
  #ended = false;
  #failure: AdtsReadResult | undefined;
  #frameIndex = 0;
  #ready: AccessUnit[] = [];
  #header: AdtsHeader | undefined;
  #discarded = 0;
  #skippedFrames = 0;

  /** Creates a reader; see {@link AdtsReaderOptions}. */
  constructor(options: AdtsReaderOptions = {}) {
    this.#maxResync = options.maxResyncBytes ?? DEFAULT_MAX_RESYNC_BYTES;
  }

  /** The header of the latest frame read: sample rate, channels, and the source of the AudioSpecificConfig. */
  get header(): AdtsHeader | undefined {
    return this.#header;
  }

  /** Garbage bytes discarded while (re)synchronising. */
  get discardedBytes(): number {
    return this.#discarded;
  }

  /** Multi-block frames skipped (see the class comment). */
  get skippedFrames(): number {
    return this.#skippedFrames;
  }

  /** Feeds the next chunk; it is copied. After an error every later call returns it. */
  push(chunk: Uint8Array): AdtsReadResult {
    if (this.#failure) return this.#failure;
    this.#append(chunk);
    this.#parse();
    return this.#failure ?? OK;
  }

  /** Marks the end of the stream; a last frame confirmed by nothing after it is accepted if complete. */
  end(): AdtsReadResult {
    if (this.#failure) return this.#failure;
    this.#ended = true;
    this.#parse();
    // A trailing partial frame or garbage is dropped.
    this.#discarded += this.#len - this.#pos;
    this.#pos = this.#len = 0;
    const result = this.#failure ?? OK;
    this.#failure ??= { ok: false, code: "ended", error: "end() was already called" };
    return result;
  }

  /** Returns the access units completed so far and forgets them. */
  takeAccessUnits(): AccessUnit[] {
    const out = this.#ready;
    this.#ready = [];
    return out;
  }

  #append(chunk: Uint8Array): void {
    const kept = this.#len - this.#pos;
    if (this.#len + chunk.length > this.#buf.length) {
      // Only an unfinished frame (< 8 KiB plus one header of lookahead) is ever
      // kept, so moving it to the front is cheap; grow when the chunk needs it.
      const target = kept + chunk.length <= this.#buf.length
        ? this.#buf
        : new Uint8Array(Math.max(kept + chunk.length, this.#buf.length * 2, 4096));
      target.set(this.#buf.subarray(this.#pos, this.#len), 0);
      this.#buf = target;
      this.#pos = 0;
      this.#len = kept;
    }
    this.#buf.set(chunk, this.#len);
    this.#len += chunk.length;
  }

  #parse(): void {
    while (this.#pos < this.#len) {
      const bytes = this.#buf.subarray(0, this.#len);
      const parsed = parseAdtsHeader(bytes, this.#pos);
      if (!parsed.ok) {
        if (parsed.code === "truncated" && !this.#ended) return;
        this.#skipByte();
        if (this.#failure) return;
        continue;
      }
      const h = parsed.header;
      const frameEnd = this.#pos + h.frameLength;
      // A frame counts only when a valid header (or the end of the stream)
      // follows it. A frame cut short and one followed by junk look the same,
      // and taking either would swallow the start of the next good frame.
      let confirmed: boolean;
      if (frameEnd > this.#len) {
        if (!this.#ended) return; // wait for the rest of the frame
        confirmed = false;
      } else if (frameEnd === this.#len) {
        if (!this.#ended) return; // wait for the next header
        confirmed = true;
      } else {
        const next = parseAdtsHeader(bytes, frameEnd);
        if (!next.ok && next.code === "truncated" && !this.#ended) return;
        // At the end, a few bytes too short for a header are a cut-off tail.
        confirmed = next.ok || next.code === "truncated";
      }
      if (!confirmed) {
        this.#skipByte();
        if (this.#failure) return;
        continue;
      }
      this.#garbageRun = 0;
      this.#emit(h, bytes.subarray(this.#pos + h.headerLength, frameEnd));
      this.#pos = frameEnd;
    }
  }

  #skipByte(): void {
    this.#pos++;
    this.#discarded++;
    this.#garbageRun++;
    if (this.#garbageRun > this.#maxResync) {
      this.#failure = {
        ok: false,
        code: "no-sync",
        error: `no ADTS frame found in ${this.#garbageRun} bytes`,
      };
    }
  }

  #emit(h: AdtsHeader, payload: Uint8Array): void {
    this.#header = h;
    const timestamp = this.#frameIndex * AAC_SAMPLES_PER_FRAME;
    this.#frameIndex += h.rawDataBlocks;
    if (h.rawDataBlocks !== 1) {
      this.#skippedFrames++;
      return;
    }
    // Copy: the buffer is reused.
    this.#ready.push({ timestamp, units: [payload.slice()], keyframe: true });
  }
}
