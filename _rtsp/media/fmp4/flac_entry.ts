/**
 * G.711 in a fragmented MP4, as FLAC: browsers' Media Source Extensions do
 * not play µ-law or A-law in MP4, but Chromium and Firefox play FLAC in MP4.
 * Each RTP packet's G.711 samples are expanded to 16-bit linear PCM
 * (`../g711.ts`) and sent as one FLAC frame with a VERBATIM subframe
 * (`../flac.ts`): one MP4 sample per FLAC frame, its duration its samples.
 *
 * The sample entry is `fLaC` with a `dfLa` box ("Encapsulation of FLAC in ISO
 * Base Media File Format", §3.3.1 and §3.3.2), and the codecs parameter is
 * `flac` (same document, §3.3.1).
 *
 * @module
 */

import { fullBox } from "./box_writer.ts";
import { audioSampleEntry } from "./sample_entry.ts";
import { expandG711, type G711Law } from "../g711.ts";
import { flacFrame, streamInfoBlock } from "../flac.ts";

/** FLAC-in-ISOBMFF §3.3.2: the only `dfLa` version. */
const DFLA_VERSION = 0;
/** RFC 3551 §4.5.14: G.711 is mono. */
const G711_CHANNELS = 1;
/**
 * Most samples in one FLAC frame: longer RTP packets are split. 4096 (half a
 * second at 8 kHz) is far above the 10 to 60 ms cameras send, and keeps the
 * STREAMINFO maximum block size (which decoders size buffers by) modest.
 */
export const G711_MAX_BLOCK_SIZE = 4096;

/** A G.711 track (PCMU: µ-law, PCMA: A-law), muxed as FLAC. */
export interface G711Config {
  readonly law: G711Law;
  /** The RTP clock rate: 8000 (RFC 3551 §4.5.14). */
  readonly sampleRate: number;
}

/**
 * `dfLa` (§3.3.2): a FullBox (version 0, flags 0) holding the FLAC metadata
 * blocks, here only STREAMINFO, marked the last one.
 */
export function dfLa(config: G711Config): Uint8Array {
  const info = streamInfoBlock({
    sampleRate: config.sampleRate,
    maxBlockSize: G711_MAX_BLOCK_SIZE,
  });
  return fullBox("dfLa", DFLA_VERSION, 0, info);
}

/** The `fLaC` sample entry (§3.3.1): mono, 16 bits, the G.711 rate, its `dfLa`. */
export function flacSampleEntry(config: G711Config): Uint8Array {
  return audioSampleEntry("fLaC", G711_CHANNELS, config.sampleRate, dfLa(config));
}

/** §3.3.1: the codecs parameter of FLAC in MP4 is `flac`. */
export const FLAC_CODEC_STRING = "flac";

/**
 * G.711 packets to FLAC frames, one track's: it numbers the samples (the
 * variable-block-size frame header carries the first sample's number).
 */
export class G711ToFlac {
  readonly #config: G711Config;
  #nextSample = 0;

  constructor(config: G711Config) {
    this.#config = config;
  }

  /**
   * The FLAC frames of one packet's G.711 payload (one byte a sample), each
   * with its offset in samples from the payload's first and its length in
   * samples; none for an empty payload.
   */
  frames(
    payload: Uint8Array,
  ): { readonly frame: Uint8Array; readonly offset: number; readonly samples: number }[] {
    const pcm = expandG711(this.#config.law, payload);
    const out = [];
    for (let offset = 0; offset < pcm.length; offset += G711_MAX_BLOCK_SIZE) {
      const block = pcm.subarray(offset, offset + G711_MAX_BLOCK_SIZE);
      const frame = flacFrame(block, this.#config.sampleRate, this.#nextSample);
      out.push({ frame, offset, samples: block.length });
      this.#nextSample += block.length;
    }
    return out;
  }
}
