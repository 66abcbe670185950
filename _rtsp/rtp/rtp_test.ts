import { equal } from "node:assert/strict";
import * as rtp from "./rtp.ts";

Deno.test("rtp.ts re-exports the public pieces of the RTP layer", () => {
  for (
    const name of [
      "parseRtpPacket",
      "buildRtpPacket",
      "writeRtpHeader",
      "H264Packetizer",
      "H264Depacketizer",
      "H265Packetizer",
      "H265Depacketizer",
      "AacPacketizer",
      "AacDepacketizer",
      "FramePacketizer",
      "FrameDepacketizer",
      "buildSenderReport",
      "parseRtcpCompound",
      "senderReportMapping",
      "h264Fmtp",
      "h265Fmtp",
      "aacFmtp",
      "opusFmtp",
    ] as const
  ) {
    equal(typeof rtp[name], "function", name);
  }
  equal(rtp.RTP_HEADER_SIZE, 12);
  equal(rtp.MAX_RTP_PAYLOAD_SIZE, 1400);
});
