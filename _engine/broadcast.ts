/**
 * One stream's readers: every frame goes to all of them (the interleaved form
 * built once per channel), and the current GOP is kept so a new reader starts
 * at the last keyframe at once. Shared by live sources and relayed publishers.
 * @module
 */

import { GopCache } from "./fanout/gop_cache.ts";
import { FrameDelivery, type MediaFrame } from "./fanout/media_frame.ts";
import { RtcpSender } from "../_rtsp/rtp/rtcp_sender.ts";
import { RtpHeaderView } from "../_rtsp/rtp/rtp_header_view.ts";
import type { Reader } from "./reader.ts";

/** Where a new reader's first packet of a track is: sequence number and RTP timestamp. */
export interface TrackPosition {
  readonly sequenceNumber: number;
  readonly rtpTime: number;
}

function positionOf(packet: Uint8Array): TrackPosition {
  const header = new RtpHeaderView(packet);
  return { sequenceNumber: header.sequenceNumber, rtpTime: header.timestamp };
}

/** Fans frames out to readers. */
export class Broadcast {
  #readers = new Map<string, Reader>();
  #gop = new GopCache();

  /** Readers attached now. */
  get readerCount(): number {
    return this.#readers.size;
  }

  /** The attached readers. */
  readers(): IterableIterator<Reader> {
    return this.#readers.values();
  }

  /** Sends a frame to every reader and keeps it for readers yet to come. */
  send(frame: MediaFrame): void {
    const delivery = new FrameDelivery(frame);
    this.#gop.add(delivery);
    for (const reader of this.#readers.values()) reader.deliver(delivery);
  }

  /** Where a new reader of `trackIndex` would start: the cached GOP's first packet, if any. */
  cachedStart(trackIndex: number): TrackPosition | undefined {
    const first = this.#gop.frames().find((d) => d.frame.trackIndex === trackIndex)?.frame
      .packets[0];
    return first ? positionOf(first) : undefined;
  }

  /**
   * Sends the cached GOP to `reader` (at once, or paced when the reader asks
   * for it), then adds it for live frames.
   */
  attach(reader: Reader): void {
    if (reader.catchUp) reader.catchUp(this.#gop.frames());
    else if (reader.startAtGop) reader.startAtGop(this.#gop);
    else for (const delivery of this.#gop.frames()) reader.deliver(delivery);
    this.#readers.set(reader.session.id, reader);
  }

  /**
   * Removes a reader; returns it if it was attached. With `byeSsrc`, each of
   * its tracks whose SSRC is known gets an RTCP BYE (RFC 3550, 6.6).
   */
  detach(
    sessionId: string,
    byeSsrc?: (trackIndex: number) => number | undefined,
  ): Reader | undefined {
    const reader = this.#readers.get(sessionId);
    this.#readers.delete(sessionId);
    reader?.stop?.();
    if (reader && byeSsrc) {
      for (const trackIndex of reader.session.tracks.keys()) {
        const ssrc = byeSsrc(trackIndex);
        if (ssrc !== undefined) reader.rtcp(trackIndex, RtcpSender.bye(ssrc));
      }
    }
    return reader;
  }

  /** Forgets the GOP (the source changed) but keeps the readers. */
  forgetGop(): void {
    this.#gop = new GopCache();
  }

  /** Removes every reader. */
  clear(): void {
    for (const reader of this.#readers.values()) reader.stop?.();
    this.#readers.clear();
  }
}
