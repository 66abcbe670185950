/**
 * Fuzz targets for media: `parseRtpPacket`, `parseRtcpCompound`, the
 * publisher-side `RtpFrameAssembler` (H.264, H.265, a codec it cannot read)
 * with `parameterSetsInFrame`, and the H.264/H.265/AAC depacketizers made by
 * `createDepacketizer`. Stateful targets take a packet stream (see
 * `packet_stream.ts`).
 * @module
 */

import {
  type AssembledFrame,
  MAX_FRAME_BYTES,
  MAX_FRAME_PACKETS,
  parameterSetsInFrame,
  RtpFrameAssembler,
} from "../../_engine/fanout/rtp_frames.ts";
import type { AccessUnit } from "../../_rtsp/media/access_unit.ts";
import type { CodecId, SourceTrack } from "../../_rtsp/media/source_track.ts";
import { createDepacketizer } from "../../_rtsp/rtp/create_packetizer.ts";
import { MAX_RTCP_COUNT, parseRtcpCompound } from "../../_rtsp/rtp/rtcp.ts";
import {
  buildRtpPacket,
  MAX_RTP_PAYLOAD_TYPE,
  parseRtpPacket,
  RTP_HEADER_SIZE,
  RTP_TIMESTAMP_MODULUS,
} from "../../_rtsp/rtp/rtp_packet.ts";
import { check, type FuzzTarget } from "../check.ts";
import { splitPackets } from "../packet_stream.ts";
import { fnv1a } from "../prng.ts";
import { rtcpSeeds, rtpSeeds, streamSeeds } from "../seeds.ts";

/** RFC 3550 5.1: CC is a 4-bit field. */
const MAX_CSRCS = 15;
/** RFC 5761 §4: RTCP packet types seen as RTP payload types, which the assembler drops. */
const RTCP_AS_PAYLOAD_TYPES = { first: 72, last: 76 };

/** `parseRtpPacket` target: views stay inside the input; a plain packet rebuilds to itself. */
export const rtpTarget: FuzzTarget = {
  name: "rtp",
  seeds: rtpSeeds,
  run(input) {
    const result = parseRtpPacket(input);
    if (!result.ok) return;
    const { header, payload, csrcs, extension } = result.packet;
    check(header.payloadType >= 0 && header.payloadType <= MAX_RTP_PAYLOAD_TYPE, "payload type");
    check(csrcs.length <= MAX_CSRCS, `${csrcs.length} CSRCs`);
    check(payload.buffer === input.buffer, "payload is not a view of the input");
    const offset = payload.byteOffset - input.byteOffset;
    check(
      offset >= RTP_HEADER_SIZE && offset + payload.length <= input.length,
      "payload outside the packet",
    );
    if (extension) {
      const at = extension.data.byteOffset - input.byteOffset;
      check(at >= RTP_HEADER_SIZE && at + extension.data.length <= offset, "extension overlaps");
    }
    if (csrcs.length === 0 && !extension && (input[0] & 0x20) === 0) {
      const rebuilt = buildRtpPacket(header, payload);
      check(
        rebuilt.length === input.length && fnv1a(rebuilt) === fnv1a(input),
        "a plain packet does not rebuild to itself",
      );
    }
  },
};

/** `parseRtcpCompound` target. */
export const rtcpTarget: FuzzTarget = {
  name: "rtcp",
  seeds: rtcpSeeds,
  run(input) {
    const result = parseRtcpCompound(input);
    if (!result.ok) return;
    check(result.packets.length > 0, "a compound of no packets");
    check(result.packets.length <= input.length / 4, `${result.packets.length} packets`);
    for (const packet of result.packets) {
      if (packet.type === "sr" || packet.type === "rr") {
        check(packet.reports.length <= MAX_RTCP_COUNT, `${packet.reports.length} report blocks`);
        for (const r of packet.reports) {
          check(r.cumulativeLost >= -0x80_0000 && r.cumulativeLost < 0x80_0000, "lost not 24-bit");
        }
      }
      if (packet.type === "sr") check(!Number.isNaN(packet.ntpTimeMs), "NTP time NaN");
      if (packet.type === "sdes") check(packet.chunks.length <= MAX_RTCP_COUNT, "SDES chunks");
      if (packet.type === "bye") check(packet.ssrcs.length <= MAX_RTCP_COUNT, "BYE SSRCs");
    }
  },
};

/** Checks the frames of an assembler against the packets pushed. */
function checkFrames(
  frames: readonly AssembledFrame[],
  accepted: readonly Uint8Array[],
  video: boolean,
  codec: "H264" | "H265" | undefined,
): void {
  const out = frames.flatMap((f) => f.packets);
  check(out.length === accepted.length, `${accepted.length} packets in, ${out.length} out`);
  for (let i = 0; i < out.length; i++) {
    check(out[i] === accepted[i], `packet ${i} reordered or copied`);
  }
  for (const frame of frames) {
    check(frame.packets.length > 0, "an empty frame");
    check(frame.packets.length <= MAX_FRAME_PACKETS, `${frame.packets.length} packets in a frame`);
    const bytes = frame.packets.reduce((n, p) => n + p.length, 0);
    check(frame.bytes === bytes, `frame says ${frame.bytes} bytes, holds ${bytes}`);
    const last = frame.packets[frame.packets.length - 1].length;
    check(frame.bytes < MAX_FRAME_BYTES + last, `frame of ${frame.bytes} bytes`);
    check(frame.video === video, "video flag changed");
    if (!video || codec === undefined) check(frame.keyframe, "an unreadable frame not a keyframe");
    if (codec) {
      const sets = codec === "H264"
        ? parameterSetsInFrame(codec, frame.packets)
        : parameterSetsInFrame(codec, frame.packets);
      for (const nal of Object.values(sets ?? {}) as Uint8Array[]) {
        check(!frame.packets.some((p) => p.buffer === nal.buffer), "parameter set not copied");
      }
    }
  }
}

/** An assembler target for one codec (undefined: one it cannot read), video or audio. */
function assemblerTarget(
  name: string,
  codec: "H264" | "H265" | undefined,
  seeds: () => Uint8Array[],
): FuzzTarget {
  return {
    name,
    seeds,
    run(input) {
      // Video or audio, chosen by the input so a saved input replays exactly.
      const video = codec !== undefined || (fnv1a(input) & 1) === 0;
      const assembler = new RtpFrameAssembler(3, codec, video);
      const frames: AssembledFrame[] = [];
      const accepted: Uint8Array[] = [];
      let dropped = 0;
      for (const packet of splitPackets(input)) {
        const parsed = parseRtpPacket(packet);
        const pt = parsed.ok ? parsed.packet.header.payloadType : 0;
        const rtcp = pt >= RTCP_AS_PAYLOAD_TYPES.first && pt <= RTCP_AS_PAYLOAD_TYPES.last;
        if (parsed.ok && !rtcp) accepted.push(packet);
        else dropped++;
        const done = assembler.push(packet);
        check(done.length <= 2, `${done.length} frames from one packet`);
        for (const frame of done) check(frame.trackIndex === 3, "track index changed");
        frames.push(...done);
      }
      frames.push(...assembler.flush());
      check(assembler.flush().length === 0, "flush twice gave frames");
      check(
        assembler.droppedPackets === dropped,
        `${assembler.droppedPackets} dropped, ${dropped}`,
      );
      check(assembler.lostPackets >= 0, "negative loss");
      checkFrames(frames, accepted, video, codec);
    },
  };
}

/** A SourceTrack-like description of a publisher's track, as an ANNOUNCE would give. */
function track(codec: CodecId, fmtp?: string): SourceTrack {
  const audio = codec === "AAC";
  return {
    codec,
    description: {
      media: audio ? "audio" : "video",
      payloadType: 96,
      encoding: audio ? "mpeg4-generic" : codec,
      clockRate: audio ? 48000 : 90000,
      ...(fmtp ? { fmtp } : {}),
      control: "trackID=0",
    },
  };
}

/**
 * RFC 3640 AU-header widths for AAC, picked by the input (hbr, lbr, or odd
 * widths up to 16 bits), so fmtp parsing and the bit reader are fuzzed too.
 */
function aacFmtp(input: Uint8Array): string {
  const hash = fnv1a(input);
  const size = 1 + (hash & 0xf);
  const index = (hash >>> 4) & 0xf;
  const delta = (hash >>> 8) & 0xf;
  switch ((hash >>> 12) & 3) {
    case 0:
      return "streamtype=5;mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3";
    case 1:
      return "streamtype=5;mode=AAC-lbr;sizelength=6;indexlength=2;indexdeltalength=2";
    default:
      return `mode=AAC-hbr;SizeLength=${size};IndexLength=${index};IndexDeltaLength=${delta}`;
  }
}

/** Checks access units: copies, not views of the input; sane timestamps; bounded sizes. */
function checkUnits(units: readonly AccessUnit[], input: Uint8Array): number {
  let bytes = 0;
  for (const au of units) {
    check(
      Number.isInteger(au.timestamp) && au.timestamp >= 0 && au.timestamp < RTP_TIMESTAMP_MODULUS,
      `timestamp ${au.timestamp}`,
    );
    for (const unit of au.units) {
      check(unit.buffer !== input.buffer, "an access unit is a view of the packet");
      bytes += unit.length;
    }
  }
  return bytes;
}

/** A depacketizer target for one codec. */
function depacketizerTarget(name: string, codec: "H264" | "H265" | "AAC"): FuzzTarget {
  return {
    name,
    seeds: () => streamSeeds(codec),
    run(input) {
      const depacketizer = createDepacketizer(
        track(codec, codec === "AAC" ? aacFmtp(input) : undefined),
        { initialTimestamp: fnv1a(input) & 0xffff },
      );
      let bytes = 0;
      for (const packet of splitPackets(input)) {
        const parsed = parseRtpPacket(packet);
        if (!parsed.ok) continue;
        bytes += checkUnits(depacketizer.push(parsed.packet), input);
      }
      bytes += checkUnits(depacketizer.flush(), input);
      check(depacketizer.flush().length === 0, "flush twice gave units");
      // Units come from payload bytes; FU headers are rebuilt from what they replace.
      check(bytes <= input.length, `${bytes} bytes of units from ${input.length} input bytes`);
      check(depacketizer.droppedPackets >= 0, "negative drop count");
    },
  };
}

/** Every media target. */
export const mediaTargets: readonly FuzzTarget[] = [
  rtpTarget,
  rtcpTarget,
  assemblerTarget("assembler-h264", "H264", () => streamSeeds("H264")),
  assemblerTarget("assembler-h265", "H265", () => streamSeeds("H265")),
  assemblerTarget("assembler-other", undefined, () => streamSeeds("OTHER")),
  depacketizerTarget("depacketizer-h264", "H264"),
  depacketizerTarget("depacketizer-h265", "H265"),
  depacketizerTarget("depacketizer-aac", "AAC"),
];
