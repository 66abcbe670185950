/**
 * The common fields of visual and audio sample entries (ISO/IEC 14496-12
 * §8.5.2.2 SampleEntry, §12.1.3 VisualSampleEntry, §12.2.3 AudioSampleEntry),
 * followed by the codec's own configuration box (`avcC`, `hvcC`, `esds`, `dOps`).
 *
 * @module
 */

import { box, FieldWriter } from "./box_writer.ts";

/** §8.5.2.2: samples are in this file, described by the first `dref` entry. */
const DATA_REFERENCE_INDEX = 1;
/** §12.1.3.2: 72 dpi as 16.16 fixed point, the only value the standard allows. */
const RESOLUTION_72_DPI = 0x0048_0000;
/** §12.1.3.2: one frame per sample. */
const FRAME_COUNT = 1;
/** §12.1.3.2: compressorname is a fixed 32-byte field. */
const COMPRESSOR_NAME_BYTES = 32;
/** §12.1.3.2: 0x0018, images in colour with no alpha. */
const DEPTH_COLOUR = 0x0018;
/** §12.2.3.2: samplesize is 16 by default. */
const AUDIO_SAMPLE_SIZE_BITS = 16;
/** §12.2.3.2: samplerate is 16.16 fixed point, so it holds rates up to 65535 Hz. */
const MAX_ENTRY_SAMPLE_RATE = 0xffff;

/** SampleEntry (§8.5.2.2): six reserved bytes and the data_reference_index. */
function sampleEntryHead(w: FieldWriter): FieldWriter {
  return w.zeros(6).u16(DATA_REFERENCE_INDEX);
}

/**
 * A VisualSampleEntry (§12.1.3) of type `type` (`avc1`, `hvc1`) with the
 * codec configuration box `config` as its child.
 */
export function visualSampleEntry(
  type: string,
  width: number,
  height: number,
  config: Uint8Array,
): Uint8Array {
  const w = sampleEntryHead(new FieldWriter())
    .u16(0) // pre_defined
    .u16(0) // reserved
    .zeros(12) // pre_defined[3]
    .u16(width)
    .u16(height)
    .u32(RESOLUTION_72_DPI) // horizresolution
    .u32(RESOLUTION_72_DPI) // vertresolution
    .u32(0) // reserved
    .u16(FRAME_COUNT)
    .zeros(COMPRESSOR_NAME_BYTES)
    .u16(DEPTH_COLOUR)
    .i16(-1); // pre_defined
  return box(type, w.done(), config);
}

/**
 * An AudioSampleEntry (§12.2.3, version 0) of type `type` (`mp4a`, `Opus`)
 * with the codec configuration box `config` as its child. Rates above 65535
 * Hz do not fit the 16.16 field and are written as 0: decoders take the rate
 * from the codec configuration (AudioSpecificConfig, dOps) anyway.
 */
export function audioSampleEntry(
  type: string,
  channels: number,
  sampleRate: number,
  config: Uint8Array,
): Uint8Array {
  const rate = sampleRate <= MAX_ENTRY_SAMPLE_RATE ? sampleRate : 0;
  const w = sampleEntryHead(new FieldWriter())
    .zeros(8) // reserved[2]
    .u16(channels)
    .u16(AUDIO_SAMPLE_SIZE_BITS)
    .u16(0) // pre_defined
    .u16(0) // reserved
    .u32(rate * 0x1_0000);
  return box(type, w.done(), config);
}
