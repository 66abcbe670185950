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
  /** Frames not sent to this reader. */
  droppedFrames = 0;

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
    this.droppedFrames++;
    return false;
  }

  /** The frame could not be queued: count it, and for video wait for the next keyframe. */
  rejected(frame: MediaFrame): void {
    this.droppedFrames++;
    if (frame.video) this.#waiting.add(frame.trackIndex);
  }
}
