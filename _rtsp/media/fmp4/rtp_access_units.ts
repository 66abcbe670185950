/**
 * RTP packets back into access units, per track, for the muxer: H.264
 * (RFC 6184: single NAL unit, STAP-A, FU-A) and H.265 (RFC 7798: single, AP,
 * FU) through `../../rtp/nal_depacketizer.ts`, AAC (RFC 3640 AU headers,
 * AAC-hbr or the fmtp's sizes), Opus (RFC 7587: one packet, one frame) and
 * G.711 (RFC 3551 §4.5.14: one packet, its samples)
 * through the depacketizers that already exist. Timestamps stay raw RTP
 * timestamps (32-bit); `rtp_timeline.ts` extends them.
 *
 * @module
 */

import type { TrackDescription } from "../../catalogue.ts";
import type { AccessUnit } from "../access_unit.ts";
import { createDepacketizer } from "../../rtp/create_packetizer.ts";
import type { Depacketizer } from "../../rtp/packetizer.ts";
import { parseRtpPacket } from "../../rtp/rtp_packet.ts";
import type { Fmp4Codec } from "./codec_config.ts";

/** Depacketizes one track's packets into access units. */
export class RtpAccessUnits {
  readonly #depacketizer: Depacketizer;
  #malformed = 0;

  /**
   * @param codec the track's codec
   * @param track its SDP description (AAC reads its AU-header sizes from the fmtp)
   */
  constructor(codec: Fmp4Codec, track: TrackDescription) {
    this.#depacketizer = createDepacketizer({ codec, description: track });
  }

  /** Packets that were not RTP, or that the depacketizer discarded. */
  get droppedPackets(): number {
    return this.#malformed + this.#depacketizer.droppedPackets;
  }

  /** The access units completed by these packets (one frame's packets, usually one unit). */
  push(packets: readonly Uint8Array[]): AccessUnit[] {
    const out: AccessUnit[] = [];
    for (const bytes of packets) {
      const parsed = parseRtpPacket(bytes);
      if (!parsed.ok) {
        this.#malformed++;
        continue;
      }
      out.push(...this.#depacketizer.push(parsed.packet));
    }
    return out;
  }
}
