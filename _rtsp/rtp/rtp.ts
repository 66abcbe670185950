/**
 * The RTP layer: RTP packets (RFC 3550), packetizers and depacketizers for
 * H.264 (RFC 6184), H.265 (RFC 7798), AAC (RFC 3640), Opus (RFC 7587) and G.711
 * (RFC 3551), RTCP (RFC 3550, 6) and SDP fmtp helpers. Pure code: no I/O, no
 * clock, no randomness; those come in as arguments.
 *
 * @module
 */

export type { AccessUnit } from "../media/access_unit.ts";
export {
  allocateRtpPacket,
  buildRtpPacket,
  MAX_RTP_PAYLOAD_SIZE,
  MAX_RTP_PAYLOAD_TYPE,
  parseRtpPacket,
  RTP_HEADER_SIZE,
  RTP_SEQUENCE_MODULUS,
  RTP_TIMESTAMP_MODULUS,
  RTP_VERSION,
  type RtpHeader,
  type RtpHeaderExtension,
  type RtpPacket,
  RtpParseError,
  type RtpParseResult,
  setRtpMarker,
  writeRtpHeader,
} from "./rtp_packet.ts";
export {
  type Depacketizer,
  MAX_CONFIGURABLE_PAYLOAD_SIZE,
  mediaTimestamp,
  MIN_RTP_PAYLOAD_SIZE,
  type Packetizer,
  type RtpDepacketizerOptions,
  type RtpPacketizerOptions,
  RtpPacketWriter,
  SequenceTracker,
} from "./packetizer.ts";
export {
  H264Depacketizer,
  H264NalType,
  h264NalType,
  H264Packetizer,
  type H264PacketizerOptions,
  type H264ParameterSets,
} from "./h264_packetizer.ts";
export {
  H265Depacketizer,
  H265NalType,
  h265NalType,
  H265Packetizer,
  type H265PacketizerOptions,
  type H265ParameterSets,
  isH265Irap,
} from "./h265_packetizer.ts";
export {
  AAC_HBR_INDEX_LENGTH_BITS,
  AAC_HBR_MAX_FRAME_SIZE_BYTES,
  AAC_HBR_SIZE_LENGTH_BITS,
  AAC_SAMPLES_PER_FRAME,
  AacDepacketizer,
  type AacDepacketizerOptions,
  AacPacketizer,
  type AacPacketizerOptions,
} from "./aac_packetizer.ts";
export {
  FrameCodec,
  FrameDepacketizer,
  frameDuration,
  FramePacketizer,
  type FramePacketizerOptions,
  opusPacketDuration,
} from "./frame_packetizer.ts";
export {
  buildBye,
  buildCompound,
  buildReceiverReport,
  buildSdes,
  buildSenderReport,
  compactNtp,
  MAX_RTCP_COUNT,
  NTP_UNIX_EPOCH_OFFSET_SECONDS,
  type NtpTimestamp,
  ntpToUnixMs,
  parseRtcpCompound,
  type ReceiverReportInit,
  type ReportBlock,
  type RtcpBye,
  type RtcpPacket,
  RtcpPacketType,
  RtcpParseError,
  type RtcpParseResult,
  type RtcpReceiverReport,
  type RtcpSdes,
  type RtcpSenderReport,
  type RtcpUnknown,
  type RtpClockMapping,
  rtpTimestampToUnixMs,
  type SdesChunk,
  type SdesItem,
  SdesItemType,
  type SenderReportInit,
  senderReportMapping,
  unixMsToNtp,
} from "./rtcp.ts";
export {
  aacFmtp,
  bytesToBase64,
  bytesToHex,
  h264Fmtp,
  h265Fmtp,
  opusFmtp,
  type OpusFmtpOptions,
} from "./fmtp.ts";
