/**
 * The Opus sample entry of a fragmented MP4: `Opus` with its `dOps`
 * ("Encapsulation of Opus in ISO Base Media File Format", §4.3.1 and §4.3.2),
 * and its codecs parameter `opus` (same document, §4.3.1).
 *
 * @module
 */

import { box, FieldWriter } from "./box_writer.ts";
import { audioSampleEntry } from "./sample_entry.ts";
import { OPUS_CLOCK_RATE_HZ } from "../source_track.ts";

/** §4.3.2: the only Version defined. */
const DOPS_VERSION = 0;
/** §4.3.2 (RFC 7845 §5.1.1.2): family 0 is mono or stereo, no mapping table. */
const CHANNEL_MAPPING_FAMILY_MONO_STEREO = 0;

/** An Opus track. */
export interface OpusConfig {
  /** 1 or 2: RFC 7587 §7.1 `sprop-stereo=1` says 2. */
  readonly channels: number;
}

/**
 * `dOps` (§4.3.2). RTP does not carry the encoder's pre-skip (RFC 7587 has no
 * such parameter), so PreSkip is 0: at most the first few milliseconds of
 * decoder warm-up are heard. InputSampleRate is informational; 48 kHz.
 */
export function dOps(config: OpusConfig): Uint8Array {
  const w = new FieldWriter()
    .u8(DOPS_VERSION)
    .u8(config.channels) // OutputChannelCount
    .u16(0) // PreSkip
    .u32(OPUS_CLOCK_RATE_HZ) // InputSampleRate
    .i16(0) // OutputGain
    .u8(CHANNEL_MAPPING_FAMILY_MONO_STEREO);
  return box("dOps", w.done());
}

/** The `Opus` sample entry (§4.3.1): 48 kHz, the channel count of its `dOps`. */
export function opusSampleEntry(config: OpusConfig): Uint8Array {
  return audioSampleEntry("Opus", config.channels, OPUS_CLOCK_RATE_HZ, dOps(config));
}

/** §4.3.1: the codecs parameter of Opus in MP4 is `opus`. */
export const OPUS_CODEC_STRING = "opus";
