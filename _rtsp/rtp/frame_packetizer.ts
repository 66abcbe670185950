/**
 * One codec frame per RTP packet, payload = the frame bytes: Opus (RFC 7587,
 * 4.2: one Opus packet per RTP packet) and G.711 PCMU/PCMA (RFC 3551, 4.5.14).
 *
 * @module
 */

import type { AccessUnit } from "../media/access_unit.ts";
import {
  type Depacketizer,
  mediaTimestamp,
  type Packetizer,
  PAYLOAD_OFFSET,
  type RtpDepacketizerOptions,
  type RtpPacketizerOptions,
  RtpPacketWriter,
} from "./packetizer.ts";
import type { RtpPacket } from "./rtp_packet.ts";

/** Codecs carried one frame per packet. */
export const FrameCodec = {
  /** RFC 7587: Opus, 48 kHz RTP clock. */
  Opus: "opus",
  /** RFC 3551, 4.5.14: G.711 mu-law, static payload type 0, 8 kHz. */
  Pcmu: "pcmu",
  /** RFC 3551, 4.5.14: G.711 A-law, static payload type 8, 8 kHz. */
  Pcma: "pcma",
} as const;

/** One of the {@linkcode FrameCodec} values. */
export type FrameCodec = typeof FrameCodec[keyof typeof FrameCodec];

/** RFC 6716, 3.1: TOC config field, top 5 bits. */
const OPUS_CONFIG_SHIFT_BITS = 3;
/** RFC 6716, 3.1: TOC frame-count code c, low 2 bits. */
const OPUS_FRAME_COUNT_CODE_MASK = 0x03;
/** RFC 6716, 3.2.5: code 3 frame count M, low 6 bits of the second byte. */
const OPUS_CODE3_FRAME_COUNT_MASK = 0x3f;
/** RFC 6716, 3.2: frame-count codes. */
const OpusFrameCountCode = { One: 0, TwoEqual: 1, TwoDifferent: 2, Arbitrary: 3 } as const;
/**
 * RFC 6716, 3.1 Table 2: frame size per TOC config, in 48 kHz ticks
 * (RFC 7587, 4.1: the Opus RTP clock is always 48 kHz). Configs 0-11 SILK
 * (10/20/40/60 ms), 12-15 Hybrid (10/20 ms), 16-31 CELT (2.5/5/10/20 ms).
 */
const OPUS_FRAME_TICKS_BY_CONFIG: readonly number[] = [
  ...[0, 1, 2].flatMap(() => [480, 960, 1920, 2880]),
  ...[0, 1].flatMap(() => [480, 960]),
  ...[0, 1, 2, 3].flatMap(() => [120, 240, 480, 960]),
];

/**
 * Duration of an Opus packet in 48 kHz ticks, from its TOC byte (RFC 6716, 3.1)
 * and frame count (3.2). Returns 0 for an empty or truncated packet.
 */
export function opusPacketDuration(packet: Uint8Array): number {
  if (packet.length === 0) return 0;
  const toc = packet[0];
  const frameTicks = OPUS_FRAME_TICKS_BY_CONFIG[toc >>> OPUS_CONFIG_SHIFT_BITS];
  switch (toc & OPUS_FRAME_COUNT_CODE_MASK) {
    case OpusFrameCountCode.One:
      return frameTicks;
    case OpusFrameCountCode.TwoEqual:
    case OpusFrameCountCode.TwoDifferent:
      return 2 * frameTicks;
    default:
      return packet.length < 2 ? 0 : (packet[1] & OPUS_CODE3_FRAME_COUNT_MASK) * frameTicks;
  }
}

/** Duration of one frame in RTP ticks: Opus from its TOC, G.711 one sample per byte. */
export function frameDuration(codec: FrameCodec, frame: Uint8Array): number {
  // RFC 3551, 4.5.14: G.711 is 8 bits per sample at the 8 kHz RTP clock.
  return codec === FrameCodec.Opus ? opusPacketDuration(frame) : frame.length;
}

/** Options of {@linkcode FramePacketizer}. */
export interface FramePacketizerOptions extends RtpPacketizerOptions {
  /** Which codec, for timing several frames of one access unit. */
  readonly codec: FrameCodec;
  /**
   * Set the marker on the very first packet. RFC 3551, 4.1: audio senders mark
   * the first packet of a talkspurt; a continuous stream has one, at its start.
   * Default false: every packet has the marker clear.
   */
  readonly markFirstPacket?: boolean;
}

/**
 * Packetizer for frame-per-packet audio. The 2nd, 3rd, ... frame of an access
 * unit is timed after the duration of the frames before it. A frame larger than
 * `maxPayloadSize` is still sent whole: these codecs have no fragmentation.
 */
export class FramePacketizer implements Packetizer {
  readonly #writer: RtpPacketWriter;
  readonly #codec: FrameCodec;
  #markNext: boolean;

  /**
   * Creates a packetizer for one Opus or G.711 stream.
   * @throws {RangeError} when `maxPayloadSize` is too small.
   */
  constructor(options: FramePacketizerOptions) {
    this.#writer = new RtpPacketWriter(options);
    this.#codec = options.codec;
    this.#markNext = options.markFirstPacket ?? false;
  }

  /** See {@linkcode Packetizer.nextSequenceNumber}. */
  get nextSequenceNumber(): number {
    return this.#writer.nextSequenceNumber;
  }

  /** One packet per non-empty frame. */
  packetize(au: AccessUnit): Uint8Array[] {
    const packets: Uint8Array[] = [];
    let offset = 0;
    for (const frame of au.units) {
      if (frame.length === 0) continue;
      const rtpTimestamp = this.#writer.rtpTimestamp(au.timestamp + offset);
      const packet = this.#writer.next(frame.length, rtpTimestamp, this.#markNext);
      this.#markNext = false;
      packet.set(frame, PAYLOAD_OFFSET);
      packets.push(packet);
      offset += frameDuration(this.#codec, frame);
    }
    return packets;
  }
}

/** Depacketizer for frame-per-packet audio: each packet is one access unit. */
export class FrameDepacketizer implements Depacketizer {
  readonly #initialTimestamp: number;
  #dropped = 0;

  /** Creates a depacketizer for one received Opus or G.711 stream. */
  constructor(options: RtpDepacketizerOptions = {}) {
    this.#initialTimestamp = options.initialTimestamp ?? 0;
  }

  /** Packets dropped because their payload was empty: no frame to deliver. */
  get droppedPackets(): number {
    return this.#dropped;
  }

  /** See {@linkcode Depacketizer.push}. */
  push(packet: RtpPacket): AccessUnit[] {
    if (packet.payload.length === 0) {
      this.#dropped++;
      return [];
    }
    return [{
      timestamp: mediaTimestamp(packet.header.timestamp, this.#initialTimestamp),
      units: [packet.payload.slice()],
      keyframe: true,
    }];
  }

  /** Nothing is ever pending. */
  flush(): AccessUnit[] {
    return [];
  }
}
