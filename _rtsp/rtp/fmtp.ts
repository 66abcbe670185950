/**
 * SDP `a=fmtp` parameter strings for the payload formats packetized here.
 * Each function returns only the parameter list (after `a=fmtp:<pt> `).
 *
 * @module
 */

import { AAC_HBR_INDEX_LENGTH_BITS, AAC_HBR_SIZE_LENGTH_BITS } from "./aac_packetizer.ts";

/** H.264 7.3.2.1.1: profile_idc, constraint flags and level_idc follow the 1-byte NAL header. */
const H264_PROFILE_LEVEL_OFFSET = 1;
/** RFC 6184, 8.1: profile-level-id is 3 bytes (6 hex digits). */
const H264_PROFILE_LEVEL_SIZE_BYTES = 3;
/** RFC 6184, 8.1: we only produce non-interleaved mode. */
const H264_PACKETIZATION_MODE = 1;
/** RFC 3640, 4.1: streamType 5 = audio (ISO/IEC 14496-1, Table 6). */
const MPEG4_AUDIO_STREAM_TYPE = 5;
/**
 * RFC 3640, 4.1 profile-level-id: the MPEG-4 audioProfileLevelIndication.
 * 1 is what widely deployed servers announce for AAC; receivers ignore it and
 * read the AudioSpecificConfig.
 */
const MPEG4_AUDIO_PROFILE_LEVEL = 1;
/** Hexadecimal radix. */
const HEX_RADIX = 16;

/** Standard base64 (RFC 4648, 4) of bytes, as RFC 6184 and RFC 7798 require. */
export function bytesToBase64(bytes: Uint8Array): string {
  // A loop rather than String.fromCharCode(...bytes): spreading a large array
  // can exceed the engine's argument limit.
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Lower-case hex of bytes. */
export function bytesToHex(bytes: Uint8Array): string {
  let hex = "";
  for (const byte of bytes) hex += byte.toString(HEX_RADIX).padStart(2, "0");
  return hex;
}

/**
 * RFC 6184, 8.1: `packetization-mode=1;profile-level-id=XXXXXX;sprop-parameter-sets=SPS,PPS`.
 * profile-level-id is the hex of SPS bytes 1..3 (profile_idc, constraint flags,
 * level_idc); it is left out if the SPS is too short to hold them.
 */
export function h264Fmtp(sps: Uint8Array, pps: Uint8Array): string {
  const parameters = [`packetization-mode=${H264_PACKETIZATION_MODE}`];
  const profileEnd = H264_PROFILE_LEVEL_OFFSET + H264_PROFILE_LEVEL_SIZE_BYTES;
  if (sps.length >= profileEnd) {
    parameters.push(
      `profile-level-id=${bytesToHex(sps.subarray(H264_PROFILE_LEVEL_OFFSET, profileEnd))}`,
    );
  }
  parameters.push(`sprop-parameter-sets=${bytesToBase64(sps)},${bytesToBase64(pps)}`);
  return parameters.join(";");
}

/** RFC 7798, 7.1: `sprop-vps=..;sprop-sps=..;sprop-pps=..` (base64 NAL units). */
export function h265Fmtp(vps: Uint8Array, sps: Uint8Array, pps: Uint8Array): string {
  return [
    `sprop-vps=${bytesToBase64(vps)}`,
    `sprop-sps=${bytesToBase64(sps)}`,
    `sprop-pps=${bytesToBase64(pps)}`,
  ].join(";");
}

/**
 * RFC 3640, 3.3.6 AAC-hbr: `streamtype=5;profile-level-id=1;mode=AAC-hbr;
 * sizelength=13;indexlength=3;indexdeltalength=3;config=<hex AudioSpecificConfig>`.
 */
export function aacFmtp(audioSpecificConfig: Uint8Array): string {
  return [
    `streamtype=${MPEG4_AUDIO_STREAM_TYPE}`,
    `profile-level-id=${MPEG4_AUDIO_PROFILE_LEVEL}`,
    "mode=AAC-hbr",
    `sizelength=${AAC_HBR_SIZE_LENGTH_BITS}`,
    `indexlength=${AAC_HBR_INDEX_LENGTH_BITS}`,
    `indexdeltalength=${AAC_HBR_INDEX_LENGTH_BITS}`,
    `config=${bytesToHex(audioSpecificConfig)}`,
  ].join(";");
}

/** Options of {@linkcode opusFmtp}. */
export interface OpusFmtpOptions {
  /** RFC 7587, 6.1 sprop-stereo: whether the sender is likely to send stereo. */
  readonly stereo?: boolean;
}

/**
 * RFC 7587, 6.1: Opus fmtp. `sprop-stereo=1` when stereo, otherwise empty (the
 * default, mono, needs no parameter; the caller omits the a=fmtp line).
 */
export function opusFmtp(options: OpusFmtpOptions = {}): string {
  return options.stereo ? "sprop-stereo=1" : "";
}
