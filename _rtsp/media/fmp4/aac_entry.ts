/**
 * The AAC sample entry of a fragmented MP4: `mp4a` with its `esds`
 * (ISO/IEC 14496-14 §6.7.2, descriptors of ISO/IEC 14496-1 §7.2.6) carrying
 * the AudioSpecificConfig that RFC 3640 §4.1 sends as `config=` in the fmtp,
 * and its RFC 6381 §3.3 codecs parameter (`mp4a.40.<audio object type>`).
 *
 * @module
 */

import { FieldWriter, fullBox } from "./box_writer.ts";
import { audioSampleEntry } from "./sample_entry.ts";
import { parseAudioSpecificConfig } from "../mp4_codecs.ts";

/** Descriptor tags, ISO/IEC 14496-1 §7.2.2.1 Table 1. */
const ES_DESCRIPTOR_TAG = 0x03;
const DECODER_CONFIG_DESCRIPTOR_TAG = 0x04;
const DECODER_SPECIFIC_INFO_TAG = 0x05;
const SL_CONFIG_DESCRIPTOR_TAG = 0x06;
/** ISO/IEC 14496-1 §7.2.6.6 Table 5: objectTypeIndication of MPEG-4 Audio (ISO/IEC 14496-3). */
const OBJECT_TYPE_MPEG4_AUDIO = 0x40;
/** ISO/IEC 14496-1 Table 6: streamType 5 (audio), upStream 0, reserved bit 1. */
const STREAM_TYPE_AUDIO_BYTE = (0x05 << 2) | 0x01;
/** ISO/IEC 14496-14 §3.1.2: an SLConfigDescriptor with predefined = 2 (reserved for MP4). */
const SL_PREDEFINED_MP4 = 0x02;
/** A descriptor size is written 7 bits per byte, high bit meaning more (ISO/IEC 14496-1 §8.3.3). */
const SIZE_BITS_PER_BYTE = 7;

/** An AAC track: its AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1) and what it says. */
export interface AacConfig {
  readonly audioSpecificConfig: Uint8Array;
  readonly audioObjectType: number;
  readonly sampleRate: number;
  readonly channels: number;
}

/** The configuration of an AudioSpecificConfig, or undefined when it does not parse. */
export function aacConfig(audioSpecificConfig: Uint8Array): AacConfig | undefined {
  try {
    const asc = parseAudioSpecificConfig(audioSpecificConfig);
    return { audioSpecificConfig, ...asc };
  } catch {
    return undefined;
  }
}

/** One descriptor: tag, expandable size (ISO/IEC 14496-1 §8.3.3), body. */
function descriptor(tag: number, ...body: Uint8Array[]): Uint8Array {
  let size = 0;
  for (const part of body) size += part.length;
  const sizeBytes: number[] = [size & 0x7f];
  for (let rest = size >>> SIZE_BITS_PER_BYTE; rest > 0; rest >>>= SIZE_BITS_PER_BYTE) {
    sizeBytes.unshift(0x80 | (rest & 0x7f));
  }
  const w = new FieldWriter().u8(tag);
  for (const b of sizeBytes) w.u8(b);
  for (const part of body) w.bytes(part);
  return w.done();
}

/**
 * `esds` (ISO/IEC 14496-14 §6.7.2): ES_Descriptor → DecoderConfigDescriptor →
 * DecoderSpecificInfo (the AudioSpecificConfig), and an SLConfigDescriptor.
 * Buffer size and bitrates are 0 (unknown from RTP).
 */
export function esds(config: AacConfig): Uint8Array {
  const decoderConfig = descriptor(
    DECODER_CONFIG_DESCRIPTOR_TAG,
    new FieldWriter()
      .u8(OBJECT_TYPE_MPEG4_AUDIO)
      .u8(STREAM_TYPE_AUDIO_BYTE)
      .u24(0) // bufferSizeDB
      .u32(0) // maxBitrate
      .u32(0) // avgBitrate
      .done(),
    descriptor(DECODER_SPECIFIC_INFO_TAG, config.audioSpecificConfig),
  );
  const es = descriptor(
    ES_DESCRIPTOR_TAG,
    new FieldWriter().u16(0).u8(0).done(), // ES_ID 0 (§3.1.2: set by the file format), no flags
    decoderConfig,
    descriptor(SL_CONFIG_DESCRIPTOR_TAG, Uint8Array.of(SL_PREDEFINED_MP4)),
  );
  return fullBox("esds", 0, 0, es);
}

/** The `mp4a` sample entry (ISO/IEC 14496-14 §6.7.1) with its `esds`. */
export function mp4aSampleEntry(config: AacConfig): Uint8Array {
  return audioSampleEntry("mp4a", config.channels || 2, config.sampleRate, esds(config));
}

/** RFC 6381 §3.3: `mp4a.40.` and the audio object type (2 for AAC LC). */
export function aacCodecString(config: AacConfig): string {
  return `mp4a.40.${config.audioObjectType}`;
}
