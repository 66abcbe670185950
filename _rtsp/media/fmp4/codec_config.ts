/**
 * What a track of a fragmented MP4 needs to be described: its codec
 * configuration, read from the SDP of the RTP track (RFC 6184 §8.1
 * `sprop-parameter-sets`, RFC 7798 §7.1 `sprop-vps/sps/pps`, RFC 3640 §4.1
 * `config=`, RFC 7587 §7.1 `sprop-stereo`) or from parameter sets sent
 * in-band, and from it the sample entry and the RFC 6381 codecs parameter.
 *
 * G.711 (PCMU/PCMA, RFC 3551 §4.5.14: 8 kHz mono) is muxed as FLAC
 * (`flac_entry.ts`): ISO BMFF has no registered G.711 sample entry
 * (QuickTime's `ulaw`/`alaw` are not ISO) and no browser's Media Source
 * Extensions plays G.711, but FLAC in MP4 they play. Other encodings (L16,
 * MJPEG, G.711 at other rates or in stereo) are not muxed.
 *
 * @module
 */

import type { TrackDescription } from "../../catalogue.ts";
import { codecOf, parseFmtp } from "../../sdp_parse.ts";
import { fromBase64, fromHex } from "../../auth/encoding.ts";
import { aacCodecString, type AacConfig, aacConfig, mp4aSampleEntry } from "./aac_entry.ts";
import { avc1SampleEntry, avcCodecString, type AvcConfig, avcConfig } from "./avc_entry.ts";
import { hevcCodecString, type HevcConfig, hevcConfig, hvc1SampleEntry } from "./hevc_entry.ts";
import { FLAC_CODEC_STRING, flacSampleEntry, type G711Config } from "./flac_entry.ts";
import { OPUS_CODEC_STRING, type OpusConfig, opusSampleEntry } from "./opus_entry.ts";

/** Codecs a fragmented MP4 track can carry. */
export type Fmp4Codec = "H264" | "H265" | "AAC" | "OPUS" | "PCMU" | "PCMA";

/** RFC 3551 §4.5.14: G.711's clock rate, the only one muxed (as FLAC at that rate). */
const G711_CLOCK_RATE_HZ = 8000;

/** A track's codec and its decoder configuration. */
export type CodecConfig =
  | { readonly codec: "H264"; readonly avc: AvcConfig }
  | { readonly codec: "H265"; readonly hevc: HevcConfig }
  | { readonly codec: "AAC"; readonly aac: AacConfig }
  | { readonly codec: "OPUS"; readonly opus: OpusConfig }
  | { readonly codec: "PCMU" | "PCMA"; readonly g711: G711Config };

/** The codec of an RTP track when it is one a fragmented MP4 carries here. */
export function fmp4CodecOf(track: TrackDescription): Fmp4Codec | undefined {
  const codec = codecOf(track, track.fmtp);
  if (codec === "PCMU" || codec === "PCMA") {
    // G.711 as RFC 3551 §4.5.14 has it, 8 kHz mono, whatever its payload type.
    const mono = track.channels === undefined || track.channels === 1;
    return mono && track.clockRate === G711_CLOCK_RATE_HZ ? codec : undefined;
  }
  return codec === "H264" || codec === "H265" || codec === "AAC" || codec === "OPUS"
    ? codec
    : undefined;
}

/** Parameter sets of an H.264 or H.265 track (VPS for H.265 only). */
export interface VideoParameterSets {
  readonly vps?: Uint8Array;
  readonly sps: Uint8Array;
  readonly pps: Uint8Array;
}

/** The configuration of a video track from its parameter sets, or undefined. */
export function videoConfig(
  codec: "H264" | "H265",
  sets: VideoParameterSets,
): CodecConfig | undefined {
  if (codec === "H264") {
    const avc = avcConfig(sets.sps, sets.pps);
    return avc && { codec, avc };
  }
  const hevc = sets.vps && hevcConfig(sets.vps, sets.sps, sets.pps);
  return hevc ? { codec, hevc } : undefined;
}

/** The base64 NAL unit of an fmtp parameter (RFC 6184 §8.1, RFC 7798 §7.1). */
function nalParameter(value: string | undefined): Uint8Array | undefined {
  const nal = value === undefined ? undefined : fromBase64(value.trim());
  return nal && nal.length > 0 ? nal : undefined;
}

/**
 * The configuration the SDP gives a track: parameter sets for video (none
 * yet when the sender only sends them in-band), the AudioSpecificConfig for
 * AAC, the channel count for Opus, the law for G.711 (PCMU is µ-law, PCMA A-law).
 */
export function configFromDescription(
  codec: Fmp4Codec,
  track: TrackDescription,
): CodecConfig | undefined {
  const fmtp = parseFmtp(track.fmtp ?? "");
  switch (codec) {
    case "H264": {
      // RFC 6184 §8.1: the first SPS and PPS of the comma-separated list.
      const nals = (fmtp.get("sprop-parameter-sets") ?? "").split(",").map(nalParameter);
      const sps = nals.find((n) => n !== undefined && (n[0] & 0x1f) === 7);
      const pps = nals.find((n) => n !== undefined && (n[0] & 0x1f) === 8);
      return sps && pps ? videoConfig(codec, { sps, pps }) : undefined;
    }
    case "H265": {
      const vps = nalParameter(fmtp.get("sprop-vps")?.split(",")[0]);
      const sps = nalParameter(fmtp.get("sprop-sps")?.split(",")[0]);
      const pps = nalParameter(fmtp.get("sprop-pps")?.split(",")[0]);
      return vps && sps && pps ? videoConfig(codec, { vps, sps, pps }) : undefined;
    }
    case "AAC": {
      const asc = fromHex(fmtp.get("config") ?? "");
      const aac = asc && asc.length > 0 ? aacConfig(asc) : undefined;
      return aac && { codec, aac };
    }
    case "OPUS":
      return { codec, opus: { channels: fmtp.get("sprop-stereo") === "1" ? 2 : 1 } };
    case "PCMU":
    case "PCMA":
      return {
        codec,
        g711: { law: codec === "PCMU" ? "ulaw" : "alaw", sampleRate: track.clockRate },
      };
  }
}

/** The sample entry (`stsd` child) of a configuration. */
export function sampleEntry(config: CodecConfig): Uint8Array {
  switch (config.codec) {
    case "H264":
      return avc1SampleEntry(config.avc);
    case "H265":
      return hvc1SampleEntry(config.hevc);
    case "AAC":
      return mp4aSampleEntry(config.aac);
    case "OPUS":
      return opusSampleEntry(config.opus);
    case "PCMU":
    case "PCMA":
      return flacSampleEntry(config.g711);
  }
}

/** The RFC 6381 codecs parameter of a configuration. */
export function codecString(config: CodecConfig): string {
  switch (config.codec) {
    case "H264":
      return avcCodecString(config.avc);
    case "H265":
      return hevcCodecString(config.hevc);
    case "AAC":
      return aacCodecString(config.aac);
    case "OPUS":
      return OPUS_CODEC_STRING;
    case "PCMU":
    case "PCMA":
      return FLAC_CODEC_STRING;
  }
}

/** Width and height of a video configuration. */
export function pictureSize(config: CodecConfig): { width: number; height: number } | undefined {
  if (config.codec === "H264") return { width: config.avc.width, height: config.avc.height };
  if (config.codec === "H265") return { width: config.hevc.width, height: config.hevc.height };
  return undefined;
}

/** Whether two configurations describe the same stream (same bytes in the sample entry). */
export function sameConfig(a: CodecConfig, b: CodecConfig): boolean {
  const x = sampleEntry(a);
  const y = sampleEntry(b);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}
