/**
 * What a media source says about each of its tracks: the codec, the SDP facts
 * a DESCRIBE answer needs (RFC 8866 rtpmap/fmtp, RFC 2326 C.1.1 control), and
 * for video the out-of-band parameter sets a packetizer sends ahead of
 * keyframes. One constructor per codec keeps payload types, clock rates and
 * fmtp strings consistent wherever a track is described.
 *
 * @module
 */

import type { TrackDescription } from "../catalogue.ts";
import { aacFmtp, h264Fmtp, h265Fmtp, opusFmtp } from "../rtp/fmtp.ts";

/** Codecs a source track can carry. */
export type CodecId = "H264" | "H265" | "AAC" | "OPUS" | "PCMU" | "PCMA";

/** Parameter set NAL units (no start codes) of a video track. */
export interface ParameterSets {
  /** Video parameter set, H.265 only. */
  readonly vps?: Uint8Array;
  /** Sequence parameter set. */
  readonly sps: Uint8Array;
  /** Picture parameter set. */
  readonly pps: Uint8Array;
}

/** One track of a source: codec, SDP description and (video) parameter sets. */
export interface SourceTrack {
  /** The codec of every access unit of this track. */
  readonly codec: CodecId;
  /** SDP facts for DESCRIBE. */
  readonly description: TrackDescription;
  /** Video: parameter sets for the packetizer to insert ahead of keyframes lacking them. */
  readonly parameterSets?: ParameterSets;
}

/** First dynamic RTP payload type, RFC 3551 §6 (96-127 are dynamic). */
export const FIRST_DYNAMIC_PAYLOAD_TYPE = 96;
/** Last dynamic RTP payload type, RFC 3551 §6. */
export const LAST_DYNAMIC_PAYLOAD_TYPE = 127;
/** Static payload type of G.711 mu-law, RFC 3551 §6 Table 4. */
export const PCMU_PAYLOAD_TYPE = 0;
/** Static payload type of G.711 A-law, RFC 3551 §6 Table 4. */
export const PCMA_PAYLOAD_TYPE = 8;
/** RTP clock of H.264 (RFC 6184 §8.2.1) and H.265 (RFC 7798 §7.1), Hz. */
export const VIDEO_CLOCK_RATE_HZ = 90000;
/** RTP clock of Opus whatever the coded rate, RFC 7587 §4.1, Hz. */
export const OPUS_CLOCK_RATE_HZ = 48000;
/** RFC 7587 §7: the rtpmap of Opus always says 2 channels, stereo or not. */
export const OPUS_RTPMAP_CHANNELS = 2;
/** RTP clock of G.711, RFC 3551 §4.5.14, Hz. */
export const G711_CLOCK_RATE_HZ = 8000;
/** Decimal places kept in `a=framerate` (29.97 needs two; more is noise). */
const FRAME_RATE_DECIMALS = 3;

/**
 * The dynamic payload type of the track at `index`: 96 + index. Unique per
 * session as long as a session has at most 32 tracks, and stable, so a
 * track's payload type does not depend on the codecs of the others.
 * @throws {RangeError} when the index leaves the dynamic range (a programming error).
 */
export function dynamicPayloadType(index: number): number {
  const payloadType = FIRST_DYNAMIC_PAYLOAD_TYPE + index;
  if (!Number.isInteger(index) || index < 0 || payloadType > LAST_DYNAMIC_PAYLOAD_TYPE) {
    throw new RangeError(`track index ${index} has no dynamic payload type`);
  }
  return payloadType;
}

/** The RFC 2326 C.1.1 control suffix of the track at `index`. */
export function trackControl(index: number): string {
  return `trackID=${index}`;
}

/** `framerate:<fps>` (RFC 8866 §6.8) when the rate is known and sensible. */
function frameRateAttributes(frameRate: number | undefined): string[] | undefined {
  if (frameRate === undefined || !Number.isFinite(frameRate) || frameRate <= 0) return undefined;
  return [`framerate:${Number(frameRate.toFixed(FRAME_RATE_DECIMALS))}`];
}

/** An H.264 track (RFC 6184): packetization-mode 1, profile-level-id and sprop-parameter-sets. */
export function h264Track(
  index: number,
  sps: Uint8Array,
  pps: Uint8Array,
  frameRate?: number,
): SourceTrack {
  const attributes = frameRateAttributes(frameRate);
  return {
    codec: "H264",
    description: {
      media: "video",
      payloadType: dynamicPayloadType(index),
      encoding: "H264",
      clockRate: VIDEO_CLOCK_RATE_HZ,
      fmtp: h264Fmtp(sps, pps),
      control: trackControl(index),
      ...(attributes ? { attributes } : {}),
    },
    parameterSets: { sps, pps },
  };
}

/** An H.265 track (RFC 7798): sprop-vps/sps/pps. */
export function h265Track(
  index: number,
  vps: Uint8Array,
  sps: Uint8Array,
  pps: Uint8Array,
  frameRate?: number,
): SourceTrack {
  const attributes = frameRateAttributes(frameRate);
  return {
    codec: "H265",
    description: {
      media: "video",
      payloadType: dynamicPayloadType(index),
      encoding: "H265",
      clockRate: VIDEO_CLOCK_RATE_HZ,
      fmtp: h265Fmtp(vps, sps, pps),
      control: trackControl(index),
      ...(attributes ? { attributes } : {}),
    },
    parameterSets: { vps, sps, pps },
  };
}

/**
 * An AAC track (RFC 3640 AAC-hbr, `mpeg4-generic`): the RTP clock is the
 * sampling rate (§4.1), the AudioSpecificConfig goes in `config=`.
 */
export function aacTrack(
  index: number,
  audioSpecificConfig: Uint8Array,
  sampleRate: number,
  channels: number,
): SourceTrack {
  return {
    codec: "AAC",
    description: {
      media: "audio",
      payloadType: dynamicPayloadType(index),
      encoding: "mpeg4-generic",
      clockRate: sampleRate,
      channels,
      fmtp: aacFmtp(audioSpecificConfig),
      control: trackControl(index),
    },
  };
}

/**
 * An Opus track (RFC 7587): 48 kHz clock and `opus/48000/2` whatever the
 * content; `sprop-stereo=1` tells the receiver stereo is likely (§6.1).
 */
export function opusTrack(index: number, channels: number): SourceTrack {
  const fmtp = opusFmtp({ stereo: channels >= 2 });
  return {
    codec: "OPUS",
    description: {
      media: "audio",
      payloadType: dynamicPayloadType(index),
      encoding: "opus",
      clockRate: OPUS_CLOCK_RATE_HZ,
      channels: OPUS_RTPMAP_CHANNELS,
      ...(fmtp ? { fmtp } : {}),
      control: trackControl(index),
    },
  };
}

/** A G.711 mu-law track: static payload type 0, 8 kHz mono (RFC 3551 §4.5.14). */
export function pcmuTrack(index: number): SourceTrack {
  return {
    codec: "PCMU",
    description: {
      media: "audio",
      payloadType: PCMU_PAYLOAD_TYPE,
      encoding: "PCMU",
      clockRate: G711_CLOCK_RATE_HZ,
      control: trackControl(index),
    },
  };
}

/** A G.711 A-law track: static payload type 8, 8 kHz mono (RFC 3551 §4.5.14). */
export function pcmaTrack(index: number): SourceTrack {
  return {
    codec: "PCMA",
    description: {
      media: "audio",
      payloadType: PCMA_PAYLOAD_TYPE,
      encoding: "PCMA",
      clockRate: G711_CLOCK_RATE_HZ,
      control: trackControl(index),
    },
  };
}
