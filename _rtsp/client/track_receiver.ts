/**
 * What arrives for one track once it plays: RTP packets parsed (RFC 3550, 5.1)
 * and, where a depacketizer exists (H.264, H.265, AAC, Opus, G.711), assembled
 * into access units; RTCP compounds parsed (RFC 3550, 6), BYE noticed.
 * @module
 */

import type { AccessUnit } from "../media/access_unit.ts";
import type { CodecId } from "../media/source_track.ts";
import { createDepacketizer } from "../rtp/create_packetizer.ts";
import type { Depacketizer } from "../rtp/packetizer.ts";
import { parseRtcpCompound, type RtcpPacket } from "../rtp/rtcp.ts";
import { parseRtpPacket, type RtpPacket } from "../rtp/rtp_packet.ts";
import type { ReportBlock } from "../rtp/rtcp.ts";
import type { ClientTrack } from "./client_tracks.ts";
import { ReceptionStats } from "./reception_stats.ts";

const DEPACKETIZED_CODECS: ReadonlySet<string> = new Set<CodecId>([
  "H264",
  "H265",
  "AAC",
  "OPUS",
  "PCMU",
  "PCMA",
]);

/** What one datagram or interleaved frame gave. */
export interface Received {
  /** The RTP packet (a view into the input bytes), when RTP was valid. */
  readonly packet?: RtpPacket;
  /** Access units it completed. */
  readonly units: readonly AccessUnit[];
  /** RTCP packets, when RTCP was valid. */
  readonly rtcp?: readonly RtcpPacket[];
}

const NOTHING: Received = { units: [] };

/** Receives the RTP and RTCP of one track. */
export class TrackReceiver {
  readonly track: ClientTrack;
  readonly #depacketizer: Depacketizer | undefined;
  readonly #stats: ReceptionStats;
  #packets = 0;
  #invalid = 0;

  constructor(track: ClientTrack) {
    this.track = track;
    this.#stats = new ReceptionStats(track.description.clockRate);
    const codec = track.codec;
    this.#depacketizer = codec !== undefined && DEPACKETIZED_CODECS.has(codec)
      ? createDepacketizer({ codec: codec as CodecId, description: track.description })
      : undefined;
  }

  /** RTP packets accepted. */
  get packets(): number {
    return this.#packets;
  }

  /** Datagrams or frames that were neither valid RTP nor valid RTCP, or of another payload type. */
  get invalid(): number {
    return this.#invalid;
  }

  /** Packets the depacketizer dropped (loss, malformed payloads). */
  get dropped(): number {
    return this.#depacketizer?.droppedPackets ?? 0;
  }

  /** Reads bytes that came on the track's RTP channel at `arrivalMs`. */
  rtp(bytes: Uint8Array, arrivalMs: number): Received {
    const parsed = parseRtpPacket(bytes);
    // RFC 3550, 5.1: a packet of another payload type is not this track's media.
    if (!parsed.ok || parsed.packet.header.payloadType !== this.track.description.payloadType) {
      this.#invalid++;
      return NOTHING;
    }
    this.#packets++;
    this.#stats.onRtp(parsed.packet.header, arrivalMs);
    const units = this.#depacketizer?.push(parsed.packet) ?? [];
    return { packet: parsed.packet, units };
  }

  /** Reads bytes that came on the track's RTCP channel at `arrivalMs`. */
  rtcp(bytes: Uint8Array, arrivalMs: number): Received {
    const parsed = parseRtcpCompound(bytes);
    if (!parsed.ok) {
      this.#invalid++;
      return NOTHING;
    }
    for (const packet of parsed.packets) {
      if (packet.type === "sr") this.#stats.onSenderReport(packet, arrivalMs);
    }
    return { units: [], rtcp: parsed.packets };
  }

  /** The reception report block on the server's source, once a packet came (RFC 3550, 6.4.2). */
  reportBlock(nowMs: number): ReportBlock | undefined {
    return this.#stats.reportBlock(nowMs);
  }
}
