/**
 * Sample description parsing (`stsd`, ISO/IEC 14496-12 §8.5.2): the codec of a
 * track and the decoder configuration an RTP packetizer / SDP needs —
 * H.264 `avcC` and H.265 `hvcC` (ISO/IEC 14496-15), AAC `esds`
 * (ISO/IEC 14496-14, descriptors of ISO/IEC 14496-1) and Opus `dOps`.
 *
 * Codec configuration bytes are copied out of the `moov` buffer so the caller
 * can drop that buffer once parsing is done.
 *
 * @module
 */

import { AAC_SAMPLING_FREQUENCIES } from "./adts.ts";
import {
  type Box,
  BoxType,
  ByteReader,
  check,
  findChild,
  FULL_BOX_HEADER_SIZE,
  HandlerType,
  iterBoxes,
} from "./mp4_boxes.ts";

/** Codecs the reader understands; anything else is reported as "unsupported". */
export type Mp4Codec = "H264" | "H265" | "AAC" | "OPUS" | "unsupported";

/** H.264 decoder configuration from `avcC` (ISO/IEC 14496-15 §5.3.3.1). */
export interface H264Config {
  readonly sps: readonly Uint8Array[];
  readonly pps: readonly Uint8Array[];
  /** Bytes in each NAL unit length prefix inside samples (1, 2 or 4). */
  readonly nalLengthSize: number;
}

/** H.265 decoder configuration from `hvcC` (ISO/IEC 14496-15 §8.3.3.1). */
export interface H265Config {
  readonly vps: readonly Uint8Array[];
  readonly sps: readonly Uint8Array[];
  readonly pps: readonly Uint8Array[];
  /** Bytes in each NAL unit length prefix inside samples (1, 2 or 4). */
  readonly nalLengthSize: number;
}

/** Opus parameters from `dOps` (Opus in ISOBMFF §4.3.2). */
export interface OpusConfig {
  readonly channels: number;
  /** Samples (at 48 kHz) to discard from the decoder output at the start. */
  readonly preSkip: number;
  /** Sample rate of the original input, informational only. */
  readonly inputSampleRate: number;
}

/** What the first sample entry of a track says about its codec. */
export interface SampleEntryInfo {
  readonly codec: Mp4Codec;
  /** The sample entry four-character code, e.g. "avc1", "mp4a". */
  readonly codecTag: string;
  readonly width?: number;
  readonly height?: number;
  readonly sampleRate?: number;
  readonly channels?: number;
  readonly h264?: H264Config;
  readonly h265?: H265Config;
  /** AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1) for AAC. */
  readonly aacConfig?: Uint8Array;
  readonly opus?: OpusConfig;
}

/** SampleEntry fields (reserved + data_reference_index), ISO/IEC 14496-12 §8.5.2.2. */
const SAMPLE_ENTRY_HEADER_SIZE = 8;
/** VisualSampleEntry fields after the SampleEntry header, §12.1.3.2. */
const VISUAL_SAMPLE_ENTRY_FIELDS_SIZE = 70;
/** Offset of width within those fields (pre_defined, reserved, pre_defined[3]). */
const VISUAL_WIDTH_OFFSET = 16;
/** AudioSampleEntry fields after the SampleEntry header, §12.2.3.2. */
const AUDIO_SAMPLE_ENTRY_FIELDS_SIZE = 20;
/**
 * Extra bytes of QuickTime sound description versions 1 and 2, which some
 * `.mov`-derived MP4s carry in the first reserved field of the audio entry.
 */
const QT_SOUND_V1_EXTRA = 16;
const QT_SOUND_V2_EXTRA = 36;
/** Bytes of `hvcC` before numOfArrays, ISO/IEC 14496-15 §8.3.3.1.2. */
const HVCC_FIXED_FIELDS_SIZE = 22;
/** Descriptor tags, ISO/IEC 14496-1 §7.2.2.1. */
const ES_DESCRIPTOR_TAG = 0x03;
const DECODER_CONFIG_DESCRIPTOR_TAG = 0x04;
const DECODER_SPECIFIC_INFO_TAG = 0x05;
/** DecoderConfigDescriptor fields after objectTypeIndication, ISO/IEC 14496-1 §7.2.6.6. */
const DECODER_CONFIG_FIXED_TAIL = 12;
/** objectTypeIndication values for AAC (MPEG-4 Audio; MPEG-2 AAC Main/LC/SSR), 14496-1 Table 5. */
const AAC_OBJECT_TYPE_INDICATIONS: readonly number[] = [0x40, 0x66, 0x67, 0x68];
/** Audio object types that are AAC flavours RFC 3640 can carry, ISO/IEC 14496-3 Table 1.1. */
const AAC_AUDIO_OBJECT_TYPES: readonly number[] = [1, 2, 3, 4, 5, 6, 29];
/** samplingFrequencyIndex escape: a 24-bit explicit rate follows. */
const AAC_EXPLICIT_RATE_INDEX = 0xf;
/** audioObjectType escape: 6 more bits follow, plus 32. */
const AAC_AOT_ESCAPE = 31;
/** Most bytes an expandable descriptor size may take, ISO/IEC 14496-1 §8.3.3. */
const MAX_DESCRIPTOR_LENGTH_BYTES = 4;

/**
 * Parses the first entry of a Sample Description Box. Unknown sample entry
 * types give `codec: "unsupported"`; a known type with a malformed
 * configuration throws Mp4FormatError.
 */
export function parseStsd(bytes: Uint8Array, stsd: Box, handler: string): SampleEntryInfo {
  const r = new ByteReader(bytes, stsd.payloadStart, stsd.end, "stsd");
  r.skip(FULL_BOX_HEADER_SIZE);
  const count = r.u32();
  check(count >= 1, "stsd: no sample entries");
  const first = iterBoxes(bytes, r.position, stsd.end).next();
  check(!first.done, "stsd: missing sample entry");
  const entry = first.value;
  if (handler === HandlerType.video) return parseVisualEntry(bytes, entry);
  return parseAudioEntry(bytes, entry);
}

function parseVisualEntry(bytes: Uint8Array, entry: Box): SampleEntryInfo {
  const r = new ByteReader(bytes, entry.payloadStart, entry.end, entry.type);
  r.skip(SAMPLE_ENTRY_HEADER_SIZE);
  const fieldsStart = r.position;
  r.need(VISUAL_SAMPLE_ENTRY_FIELDS_SIZE, "VisualSampleEntry");
  r.skip(VISUAL_WIDTH_OFFSET);
  const width = r.u16();
  const height = r.u16();
  const childrenStart = fieldsStart + VISUAL_SAMPLE_ENTRY_FIELDS_SIZE;
  const codecTag = entry.type;
  const inner: Box = {
    type: entry.type,
    start: entry.start,
    payloadStart: childrenStart,
    end: entry.end,
  };
  if (codecTag === BoxType.avc1 || codecTag === BoxType.avc3) {
    const avcC = findChild(bytes, inner, BoxType.avcC);
    check(avcC !== undefined, `${codecTag}: missing avcC`);
    const h264 = parseAvcC(new ByteReader(bytes, avcC.payloadStart, avcC.end, "avcC"));
    return { codec: "H264", codecTag, width, height, h264 };
  }
  if (codecTag === BoxType.hvc1 || codecTag === BoxType.hev1) {
    const hvcC = findChild(bytes, inner, BoxType.hvcC);
    check(hvcC !== undefined, `${codecTag}: missing hvcC`);
    const h265 = parseHvcC(new ByteReader(bytes, hvcC.payloadStart, hvcC.end, "hvcC"));
    return { codec: "H265", codecTag, width, height, h265 };
  }
  return { codec: "unsupported", codecTag, width, height };
}

function parseAudioEntry(bytes: Uint8Array, entry: Box): SampleEntryInfo {
  const r = new ByteReader(bytes, entry.payloadStart, entry.end, entry.type);
  r.skip(SAMPLE_ENTRY_HEADER_SIZE);
  r.need(AUDIO_SAMPLE_ENTRY_FIELDS_SIZE, "AudioSampleEntry");
  const qtVersion = r.u16();
  r.skip(6); // reserved (revision level, vendor in QuickTime)
  const entryChannels = r.u16();
  r.skip(6); // samplesize, pre_defined, reserved
  const entryRate = r.u32() >>> 16; // 16.16 fixed point
  if (qtVersion === 1) r.skip(QT_SOUND_V1_EXTRA);
  else if (qtVersion === 2) r.skip(QT_SOUND_V2_EXTRA);
  const inner: Box = {
    type: entry.type,
    start: entry.start,
    payloadStart: r.position,
    end: entry.end,
  };
  const codecTag = entry.type;
  const base = { codecTag, sampleRate: entryRate, channels: entryChannels };
  if (codecTag === BoxType.mp4a) {
    const esds = findChild(bytes, inner, BoxType.esds);
    if (esds === undefined) return { codec: "unsupported", ...base };
    const es = parseEsds(new ByteReader(bytes, esds.payloadStart, esds.end, "esds"));
    if (!AAC_OBJECT_TYPE_INDICATIONS.includes(es.objectType) || es.config === undefined) {
      return { codec: "unsupported", ...base };
    }
    const asc = parseAudioSpecificConfig(es.config);
    if (!AAC_AUDIO_OBJECT_TYPES.includes(asc.audioObjectType)) {
      return { codec: "unsupported", ...base };
    }
    return {
      codec: "AAC",
      codecTag,
      sampleRate: asc.sampleRate,
      // channelConfiguration 0 means "defined in a program_config_element": use the entry's.
      channels: asc.channels || entryChannels,
      aacConfig: es.config.slice(),
    };
  }
  if (codecTag === BoxType.Opus) {
    const dOps = findChild(bytes, inner, BoxType.dOps);
    check(dOps !== undefined, "Opus: missing dOps");
    const opus = parseDOps(new ByteReader(bytes, dOps.payloadStart, dOps.end, "dOps"));
    return { codec: "OPUS", codecTag, sampleRate: 48000, channels: opus.channels, opus };
  }
  return { codec: "unsupported", ...base };
}

/** Reads `count` NAL units, each behind a 16-bit length, copying them out. */
function readNalArray(r: ByteReader, count: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const length = r.u16();
    out.push(r.bytes(length).slice());
  }
  return out;
}

/** AVCDecoderConfigurationRecord, ISO/IEC 14496-15 §5.3.3.1.2. */
export function parseAvcC(r: ByteReader): H264Config {
  const version = r.u8();
  check(version === 1, `avcC: unsupported configurationVersion ${version}`);
  r.skip(3); // profile, compatibility, level
  const nalLengthSize = (r.u8() & 0x03) + 1;
  check(nalLengthSize !== 3, "avcC: 3-byte NAL length is not allowed");
  const sps = readNalArray(r, r.u8() & 0x1f);
  const pps = readNalArray(r, r.u8());
  // Trailing chroma/bit-depth extension fields (high profiles) are not needed here.
  return { sps, pps, nalLengthSize };
}

/** HEVCDecoderConfigurationRecord, ISO/IEC 14496-15 §8.3.3.1.2. */
export function parseHvcC(r: ByteReader): H265Config {
  r.need(HVCC_FIXED_FIELDS_SIZE + 1, "hvcC header");
  const version = r.u8();
  check(version === 1, `hvcC: unsupported configurationVersion ${version}`);
  r.skip(HVCC_FIXED_FIELDS_SIZE - 2);
  const nalLengthSize = (r.u8() & 0x03) + 1;
  check(nalLengthSize !== 3, "hvcC: 3-byte NAL length is not allowed");
  const numArrays = r.u8();
  const vps: Uint8Array[] = [];
  const sps: Uint8Array[] = [];
  const pps: Uint8Array[] = [];
  for (let a = 0; a < numArrays; a++) {
    const nalType = r.u8() & 0x3f;
    const nalus = readNalArray(r, r.u16());
    // H.265 Table 7-1: 32 VPS, 33 SPS, 34 PPS; SEI arrays are not needed for SDP.
    if (nalType === 32) vps.push(...nalus);
    else if (nalType === 33) sps.push(...nalus);
    else if (nalType === 34) pps.push(...nalus);
  }
  return { vps, sps, pps, nalLengthSize };
}

/** Reads an expandable descriptor size (7 bits per byte, MSB = more), ISO/IEC 14496-1 §8.3.3. */
function descriptorLength(r: ByteReader): number {
  let length = 0;
  for (let i = 0; i < MAX_DESCRIPTOR_LENGTH_BYTES; i++) {
    const b = r.u8();
    length = length * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) return length;
  }
  return length;
}

/**
 * Reads descriptors in the reader's range until one with `tag`, returning a
 * reader over its body. Skipped descriptors must fit; each step consumes at
 * least two bytes, so the scan ends.
 */
function findDescriptor(r: ByteReader, tag: number, what: string): ByteReader | undefined {
  while (r.remaining >= 2) {
    const t = r.u8();
    const length = descriptorLength(r);
    r.need(length, what);
    if (t === tag) {
      return new ByteReader(r.bytes(length), 0, length, what);
    }
    r.skip(length);
  }
  return undefined;
}

/**
 * `esds` box (ISO/IEC 14496-14 §6.7.2): ES_Descriptor → DecoderConfigDescriptor
 * → DecoderSpecificInfo (ISO/IEC 14496-1 §7.2.6.5–§7.2.6.7).
 */
export function parseEsds(r: ByteReader): { objectType: number; config?: Uint8Array } {
  r.skip(FULL_BOX_HEADER_SIZE);
  const es = findDescriptor(r, ES_DESCRIPTOR_TAG, "ES_Descriptor");
  check(es !== undefined, "esds: missing ES_Descriptor");
  es.skip(2); // ES_ID
  const flags = es.u8();
  if (flags & 0x80) es.skip(2); // dependsOn_ES_ID
  if (flags & 0x40) es.skip(es.u8()); // URL
  if (flags & 0x20) es.skip(2); // OCR_ES_Id
  const dc = findDescriptor(es, DECODER_CONFIG_DESCRIPTOR_TAG, "DecoderConfigDescriptor");
  check(dc !== undefined, "esds: missing DecoderConfigDescriptor");
  const objectType = dc.u8();
  dc.skip(DECODER_CONFIG_FIXED_TAIL);
  const dsi = findDescriptor(dc, DECODER_SPECIFIC_INFO_TAG, "DecoderSpecificInfo");
  if (dsi === undefined) return { objectType };
  return { objectType, config: dsi.bytes(dsi.remaining) };
}

/**
 * The fields of an AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1) needed for
 * RTP: the object type, the core sampling rate and channel configuration.
 */
export function parseAudioSpecificConfig(
  asc: Uint8Array,
): { audioObjectType: number; sampleRate: number; channels: number } {
  let bitPos = 0;
  const bits = (n: number): number => {
    let v = 0;
    for (let i = 0; i < n; i++, bitPos++) {
      const byte = bitPos >> 3;
      check(byte < asc.length, "AudioSpecificConfig: truncated");
      v = v * 2 + ((asc[byte] >> (7 - (bitPos & 7))) & 1);
    }
    return v;
  };
  let audioObjectType = bits(5);
  if (audioObjectType === AAC_AOT_ESCAPE) audioObjectType = 32 + bits(6);
  const rateIndex = bits(4);
  let sampleRate: number;
  if (rateIndex === AAC_EXPLICIT_RATE_INDEX) {
    sampleRate = bits(24);
  } else {
    check(
      rateIndex < AAC_SAMPLING_FREQUENCIES.length,
      `AudioSpecificConfig: bad rate index ${rateIndex}`,
    );
    sampleRate = AAC_SAMPLING_FREQUENCIES[rateIndex];
  }
  check(sampleRate > 0, "AudioSpecificConfig: zero sample rate");
  const channels = bits(4);
  return { audioObjectType, sampleRate, channels };
}

/** OpusSpecificBox, "Encapsulation of Opus in ISO Base Media File Format" §4.3.2 (big-endian). */
export function parseDOps(r: ByteReader): OpusConfig {
  const version = r.u8();
  check(version === 0, `dOps: unsupported version ${version}`);
  const channels = r.u8();
  check(channels > 0, "dOps: zero channels");
  const preSkip = r.u16();
  const inputSampleRate = r.u32();
  r.skip(2); // OutputGain
  const mappingFamily = r.u8();
  // Family != 0 adds StreamCount, CoupledCount and one mapping byte per channel.
  if (mappingFamily !== 0) r.need(2 + channels, "ChannelMappingTable");
  return { channels, preSkip, inputSampleRate };
}
