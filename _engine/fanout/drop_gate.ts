/**
 * What a slow reader loses: whole frames, and after a lost video frame every
 * frame until the next keyframe, never random packets mid-frame (a decoder can
 * do nothing with a P frame whose reference is gone).
 * @module
 */

import type { MediaFrame } from "./media_frame.ts";

/** The drop decisions for one reader, per track. */
export class DropGate {
  #waiting = new Set<number>();
  /** RTP packets not sent to this reader, per track: how far its numbering lags the source's. */
  #skipped = new Map<number, number>();
  /** Frames not sent to this reader. */
  droppedFrames = 0;

  /**
   * How many packets of `trackIndex` this reader missed, modulo 2^16: the
   * amount to subtract from the source's sequence numbers so the reader's stay
   * continuous (RFC 3550, 5.1: a gap means loss to the receiver, and these were
   * left out on purpose, at frame boundaries).
   */
  sequenceShift(trackIndex: number): number {
    return this.#skipped.get(trackIndex) ?? 0;
  }

  #skip(frame: MediaFrame): void {
    this.droppedFrames++;
    const before = this.#skipped.get(frame.trackIndex) ?? 0;
    this.#skipped.set(frame.trackIndex, (before + frame.packets.length) & 0xffff);
  }

  /** Whether some video track waits for a keyframe after a drop. */
  get waiting(): boolean {
    return this.#waiting.size > 0;
  }

  /** Whether to try sending `frame`; false while a video track waits for a keyframe. */
  admit(frame: MediaFrame): boolean {
    if (!frame.video || !this.#waiting.has(frame.trackIndex)) return true;
    if (frame.keyframe) {
      this.#waiting.delete(frame.trackIndex);
      return true;
    }
    this.#skip(frame);
    return false;
  }

  /** The frame could not be queued: count it, and for video wait for the next keyframe. */
  rejected(frame: MediaFrame): void {
    this.#skip(frame);
    if (frame.video) this.#waiting.add(frame.trackIndex);
  }
}
