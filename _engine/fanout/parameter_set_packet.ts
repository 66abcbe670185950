/**
 * Parameter sets put in front of a keyframe, in-band. A reader that stays on
 * a path across a publisher takeover or an upstream reconnection keeps the
 * SDP it was given at DESCRIBE; when the new source's SPS/PPS differ (another
 * picture size, profile) and the source sends them only in its SDP (ffmpeg
 * publishing an MP4 does), the reader's decoder must get them in the stream
 * (RFC 6184, 8.4: parameter sets may be sent in-band at any time), or it
 * decodes the new pictures with the old ones.
 * @module
 */

import { fromBase64 } from "../../_rtsp/auth/encoding.ts";
import { parseFmtp } from "../../_rtsp/sdp_parse.ts";
import { RTP_HEADER_SIZE, RtpHeaderView } from "../../_rtsp/rtp/rtp_header_view.ts";

/** RFC 6184, 5.7.1: STAP-A, a single-time aggregation packet. */
const H264_STAP_A = 24;
/** RFC 6184, 5.3: NRI occupies bits 5-6 of the NAL header. */
const H264_NRI_MASK = 0x60;
/** RFC 7798, 4.4.2: an aggregation packet has type 48 in the payload header. */
const H265_AP = 48;
/** RFC 7798, 1.1.4: TemporalId + 1 of parameter sets (TID 0). */
const H265_TID_PLUS_1 = 1;
/** Both aggregation formats prefix each NAL unit with its 16-bit size. */
const NAL_SIZE_BYTES = 2;

/** Video codecs whose parameter sets this module carries. */
export type ParameterSetCodec = "H264" | "H265";

/**
 * The parameter sets an SDP `fmtp` line gives: H.264 `sprop-parameter-sets`
 * (RFC 6184, 8.1), H.265 `sprop-vps`, `sprop-sps`, `sprop-pps` (RFC 7798,
 * 7.1), in decoding order; undefined when there are none.
 */
export function parameterSetsOfFmtp(
  codec: ParameterSetCodec,
  fmtp: string | undefined,
): Uint8Array[] | undefined {
  const parameters = parseFmtp(fmtp ?? "");
  const values = codec === "H264"
    ? (parameters.get("sprop-parameter-sets") ?? "").split(",")
    : ["sprop-vps", "sprop-sps", "sprop-pps"].flatMap((k) => (parameters.get(k) ?? "").split(","));
  const nals = values.map((v) => v.trim()).filter((v) => v !== "").map(fromBase64)
    .filter((n): n is Uint8Array => n !== undefined && n.length > 0);
  return nals.length > 0 ? nals : undefined;
}

/**
 * One RTP packet aggregating `nals` (RFC 6184, 5.7.1 STAP-A; RFC 7798, 4.4.2
 * AP), with the payload type, timestamp and SSRC of `like` (the keyframe's
 * first packet), marker clear; its sequence number is the caller's to set.
 */
export function parameterSetPacket(
  codec: ParameterSetCodec,
  nals: readonly Uint8Array[],
  like: Uint8Array,
): Uint8Array {
  const header = codec === "H264" ? 1 : 2;
  let size = RTP_HEADER_SIZE + header;
  for (const nal of nals) size += NAL_SIZE_BYTES + nal.length;
  const packet = new Uint8Array(size);
  const source = new RtpHeaderView(like);
  new RtpHeaderView(packet).write({
    marker: false,
    payloadType: source.payloadType,
    sequenceNumber: 0,
    timestamp: source.timestamp,
    ssrc: source.ssrc,
  });
  let at = RTP_HEADER_SIZE;
  if (codec === "H264") {
    // F = 0; NRI the highest of the aggregated units (RFC 6184, 5.7.1).
    const nri = nals.reduce((m, n) => Math.max(m, n[0] & H264_NRI_MASK), 0);
    packet[at++] = nri | H264_STAP_A;
  } else {
    // F = 0, LayerId 0, TID the lowest of the units: parameter sets have TID 0.
    packet[at++] = H265_AP << 1;
    packet[at++] = H265_TID_PLUS_1;
  }
  for (const nal of nals) {
    packet[at++] = nal.length >> 8;
    packet[at++] = nal.length & 0xff;
    packet.set(nal, at);
    at += nal.length;
  }
  return packet;
}
