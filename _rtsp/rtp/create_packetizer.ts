/**
 * Chooses the packetizer / depacketizer class for a {@link SourceTrack}, so
 * callers (file playback, live sources, publishing) never switch on codecs.
 *
 * @module
 */

import type { SourceTrack } from "../media/source_track.ts";
import { AacDepacketizer, type AacDepacketizerOptions, AacPacketizer } from "./aac_packetizer.ts";
import { FrameCodec, FrameDepacketizer, FramePacketizer } from "./frame_packetizer.ts";
import { H264Depacketizer, H264Packetizer } from "./h264_packetizer.ts";
import { H265Depacketizer, H265Packetizer } from "./h265_packetizer.ts";
import type {
  Depacketizer,
  Packetizer,
  RtpDepacketizerOptions,
  RtpPacketizerOptions,
} from "./packetizer.ts";

/**
 * {@link RtpPacketizerOptions} whose payload type defaults to the one the
 * track announces in SDP.
 */
export type TrackPacketizerOptions =
  & Omit<RtpPacketizerOptions, "payloadType">
  & { readonly payloadType?: number };

/**
 * A packetizer for `track`: H.264 (RFC 6184) and H.265 (RFC 7798) with the
 * track's parameter sets sent ahead of keyframes lacking them, AAC-hbr
 * (RFC 3640), and one frame per packet for Opus (RFC 7587) and G.711 (RFC 3551).
 * @throws {RangeError} when `maxPayloadSize` is out of range (a programming error).
 */
export function createPacketizer(track: SourceTrack, options: TrackPacketizerOptions): Packetizer {
  const rtp: RtpPacketizerOptions = {
    ...options,
    payloadType: options.payloadType ?? track.description.payloadType,
  };
  const sets = track.parameterSets;
  switch (track.codec) {
    case "H264":
      return new H264Packetizer({
        ...rtp,
        ...(sets ? { parameterSets: { sps: sets.sps, pps: sets.pps } } : {}),
      });
    case "H265":
      // RFC 7798 decoders need all three; without a VPS inject nothing rather than a partial set.
      return new H265Packetizer({
        ...rtp,
        ...(sets?.vps ? { parameterSets: { vps: sets.vps, sps: sets.sps, pps: sets.pps } } : {}),
      });
    case "AAC":
      return new AacPacketizer(rtp);
    case "OPUS":
      return new FramePacketizer({ ...rtp, codec: FrameCodec.Opus });
    case "PCMU":
      return new FramePacketizer({ ...rtp, codec: FrameCodec.Pcmu });
    case "PCMA":
      return new FramePacketizer({ ...rtp, codec: FrameCodec.Pcma });
  }
}

/**
 * A depacketizer for `track` (e.g. one described by a publisher's ANNOUNCE).
 * For AAC the RFC 3640 §4.1 `sizelength` / `indexlength` / `indexdeltalength`
 * come from the track's fmtp when present, so AAC-lbr senders work too.
 */
export function createDepacketizer(
  track: SourceTrack,
  options: RtpDepacketizerOptions = {},
): Depacketizer {
  switch (track.codec) {
    case "H264":
      return new H264Depacketizer(options);
    case "H265":
      return new H265Depacketizer(options);
    case "AAC":
      return new AacDepacketizer({ ...options, ...aacFmtpOptions(track.description.fmtp) });
    case "OPUS":
    case "PCMU":
    case "PCMA":
      return new FrameDepacketizer(options);
  }
}

/** Largest AU-header field width worth accepting from fmtp, bits (RFC 3640 sizes fit in 16). */
const MAX_AU_HEADER_FIELD_BITS = 16;

/** RFC 3640 §4.1 AU-header field widths from an fmtp string; absent or invalid ones are left out. */
function aacFmtpOptions(fmtp: string | undefined): AacDepacketizerOptions {
  const fields: Record<string, number> = {};
  for (const part of (fmtp ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    // RFC 3640 §4.1: parameter names are case-insensitive.
    const name = part.slice(0, eq).trim().toLowerCase();
    const value = Number(part.slice(eq + 1).trim());
    if (Number.isInteger(value) && value >= 0 && value <= MAX_AU_HEADER_FIELD_BITS) {
      fields[name] = value;
    }
  }
  const options: { sizeLength?: number; indexLength?: number; indexDeltaLength?: number } = {};
  // A zero AU-size width would describe no frame at all.
  if (fields.sizelength) options.sizeLength = fields.sizelength;
  if (fields.indexlength !== undefined) options.indexLength = fields.indexlength;
  if (fields.indexdeltalength !== undefined) options.indexDeltaLength = fields.indexdeltalength;
  return options;
}
