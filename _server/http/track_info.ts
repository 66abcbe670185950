/**
 * What the operator's view says about a track: its codec under a familiar
 * name, and for video the picture size read from the SPS in its SDP.
 * @module
 */

import type { TrackDescription } from "../../_rtsp/catalogue.ts";
import { fromBase64 } from "../../_rtsp/auth/encoding.ts";
import { parseH264Sps } from "../../_rtsp/media/h264_sps.ts";
import { parseH265Sps } from "../../_rtsp/media/h265_nal.ts";
import { parseFmtp } from "../../_rtsp/sdp_parse.ts";

/** One track as the API lists it. */
export interface TrackInfo {
  readonly media: TrackDescription["media"];
  /** `H264`, `H265`, `AAC`, `Opus`, `PCMU`..., or the RTP encoding name as announced. */
  readonly codec: string;
  readonly clockRate: number;
  readonly channels?: number;
  /** Luma width and height, when the SDP carries an SPS that parses. */
  readonly width?: number;
  readonly height?: number;
}

/** Familiar names of RTP encoding names (RFC 3640 `mpeg4-generic` is AAC here). */
const CODEC_NAMES: Readonly<Record<string, string>> = {
  "h264": "H264",
  "h265": "H265",
  "mpeg4-generic": "AAC",
  "mp4a-latm": "AAC",
  "opus": "Opus",
  "pcmu": "PCMU",
  "pcma": "PCMA",
  "jpeg": "MJPEG",
};

/** The picture size from `sprop-parameter-sets` (RFC 6184, 8.1) or `sprop-sps` (RFC 7798, 7.1). */
function pictureSize(
  codec: string,
  fmtp: string | undefined,
): { width: number; height: number } | undefined {
  if (fmtp === undefined) return undefined;
  const parameters = parseFmtp(fmtp);
  if (codec === "H264") {
    const sps = fromBase64(parameters.get("sprop-parameter-sets")?.split(",")[0] ?? "");
    const parsed = sps && parseH264Sps(sps);
    return parsed?.ok ? { width: parsed.sps.width, height: parsed.sps.height } : undefined;
  }
  if (codec === "H265") {
    const sps = fromBase64(parameters.get("sprop-sps")?.split(",")[0] ?? "");
    const parsed = sps && parseH265Sps(sps);
    return parsed?.ok ? { width: parsed.sps.width, height: parsed.sps.height } : undefined;
  }
  return undefined;
}

/** What the API says about `track`. */
export function trackInfo(track: TrackDescription): TrackInfo {
  const codec = CODEC_NAMES[track.encoding.toLowerCase()] ?? track.encoding;
  const size = track.media === "video" ? pictureSize(codec, track.fmtp) : undefined;
  return {
    media: track.media,
    codec,
    clockRate: track.clockRate,
    ...(track.channels !== undefined ? { channels: track.channels } : {}),
    ...size,
  };
}
