/**
 * One stream's readers: every frame goes to all of them (the interleaved form
 * built once per channel), and the current GOP is kept so a new reader starts
 * at the last keyframe at once. Shared by live sources and relayed publishers.
 *
 * Optionally, audio (any non-video frame) of a stream that also has video is
 * held back from readers that join writes (TCP readers, whose connection
 * writes what it is given in one task as one write) and handed to them just
 * before the next video frame, as one {@linkcode FrameBatch} whose bytes are
 * joined once and shared, so the two leave in one write. A source that
 * sends each AAC frame in its own RTP packet (gst-rtsp-server: about 47 a
 * second, against 25 pictures) otherwise costs every TCP reader a write per
 * audio packet, and writes are what a reader costs. The order of all frames,
 * across tracks too, stays the order they arrived in: held frames only wait,
 * nothing overtakes them, so no reader sees audio after later video. RFC 2326
 * 10.12 frames each interleaved packet on its own, so how packets are grouped
 * into TCP writes is ours to choose.
 * @module
 */

import type { Cancel, Scheduler } from "../_rtsp/scheduler.ts";
import { GopCache } from "./fanout/gop_cache.ts";
import { FrameBatch, FrameDelivery, type MediaFrame } from "./fanout/media_frame.ts";
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

/**
 * Longest a held audio frame waits for a video frame. Above a video frame's
 * interval at 25 fps (40 ms), so at usual rates it is the next picture that
 * takes the audio along; the bound lets audio flow when the video stalls.
 */
export const MAX_AUDIO_HOLD_MS = 50;

/** Options of {@linkcode Broadcast}. */
export interface BroadcastOptions {
  /**
   * Hold audio for readers that join writes until the next video frame, at
   * most `maxHoldMs` (one timer per stream, on `scheduler`). Off when absent.
   */
  readonly holdAudio?: { readonly scheduler: Scheduler; readonly maxHoldMs: number };
}

/** Frames handed over together, to a reader that can take them as one. */
function handOver(reader: Reader, batch: FrameBatch): void {
  if (reader.deliverBatch) reader.deliverBatch(batch);
  else for (const delivery of batch.deliveries) reader.deliver(delivery);
}

/** Fans frames out to readers. */
export class Broadcast {
  #readers = new Map<string, Reader>();
  #gop = new GopCache();
  #holdAudio: BroadcastOptions["holdAudio"];
  /** Attached readers with `joinsWrites`: nothing is held while there are none. */
  #joiners = 0;
  /** Audio frames not yet given to the readers that join writes, oldest first. */
  #held: FrameDelivery[] = [];
  #cancelHold: Cancel | undefined;
  /** Whether the source has sent video (since the last `forgetGop`): audio-only streams are never held. */
  #videoSeen = false;

  /** @param options see {@linkcode BroadcastOptions} */
  constructor(options: BroadcastOptions = {}) {
    this.#holdAudio = options.holdAudio;
  }

  /** Readers attached now. */
  get readerCount(): number {
    return this.#readers.size;
  }

  /** The attached readers. */
  readers(): IterableIterator<Reader> {
    return this.#readers.values();
  }

  /** Audio frames waiting for the next video frame (for tests and stats). */
  get heldFrames(): number {
    return this.#held.length;
  }

  /**
   * Sends a frame to every reader and keeps it for readers yet to come. Audio
   * may wait for the next video frame for readers that join writes (see the
   * module's doc); the GOP cache gets every frame at once, in arrival order.
   */
  send(frame: MediaFrame): void {
    const delivery = new FrameDelivery(frame);
    this.#gop.add(delivery);
    if (frame.video) {
      this.#videoSeen = true;
      if (this.#held.length > 0) {
        // Held audio arrived before this picture: it goes first, with it, as
        // one batch, so each TCP reader queues both in one write.
        const batch = this.#takeHeld(delivery);
        for (const reader of this.#readers.values()) {
          if (reader.joinsWrites) handOver(reader, batch);
          else reader.deliver(delivery);
        }
        return;
      }
    } else if (this.#holdAudio && this.#videoSeen && this.#joiners > 0) {
      for (const reader of this.#readers.values()) {
        if (!reader.joinsWrites) reader.deliver(delivery);
      }
      this.#held.push(delivery);
      const { scheduler, maxHoldMs } = this.#holdAudio;
      this.#cancelHold ??= scheduler.after(maxHoldMs, () => {
        this.#cancelHold = undefined;
        this.flush();
      });
      return;
    }
    for (const reader of this.#readers.values()) reader.deliver(delivery);
  }

  /**
   * Gives the held audio to the readers that join writes now. Called before
   * anything that must not overtake it: a video frame, a Sender Report (kept
   * in the order the source sent it, RFC 3550 6.4.1), a new reader, a new source.
   */
  flush(): void {
    if (this.#held.length === 0) return;
    const batch = this.#takeHeld();
    for (const reader of this.#readers.values()) {
      if (reader.joinsWrites) handOver(reader, batch);
    }
  }

  /** The held audio (and `next` after it) as one batch; nothing is held after. */
  #takeHeld(next?: FrameDelivery): FrameBatch {
    this.#cancelHold?.();
    this.#cancelHold = undefined;
    const held = this.#held;
    this.#held = [];
    if (next) held.push(next);
    return new FrameBatch(held);
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
    // The cached GOP holds the held audio already: the readers here get theirs
    // first, so the new one, which gets it through the GOP, is not sent it twice.
    this.flush();
    if (reader.catchUp) reader.catchUp(this.#gop.frames());
    else if (reader.startAtGop) reader.startAtGop(this.#gop);
    else for (const delivery of this.#gop.frames()) reader.deliver(delivery);
    this.#remember(reader);
  }

  #remember(reader: Reader): void {
    const previous = this.#readers.get(reader.session.id);
    if (previous?.joinsWrites) this.#joiners--;
    if (reader.joinsWrites) this.#joiners++;
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
    if (reader?.joinsWrites && --this.#joiners === 0) this.#drop();
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
    // The old source's audio goes before anything of the new one.
    this.flush();
    this.#videoSeen = false;
    this.#gop = new GopCache();
  }

  /** Removes every reader. */
  clear(): void {
    this.#drop();
    for (const reader of this.#readers.values()) reader.stop?.();
    this.#readers.clear();
    this.#joiners = 0;
  }

  /** Forgets the held audio: no reader is left to take it. */
  #drop(): void {
    this.#cancelHold?.();
    this.#cancelHold = undefined;
    this.#held = [];
  }
}
