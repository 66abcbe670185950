/**
 * The current group of pictures of a live stream, so a new reader starts at
 * the last keyframe at once instead of waiting up to a GOP for the next one.
 * @module
 */

import type { MediaFrame } from "./media_frame.ts";

/** A GOP larger than this is not kept (new readers then wait for a keyframe). */
export const MAX_GOP_CACHE_BYTES = 8 * 1024 * 1024;

/** Frames of every track since the last video keyframe. */
export class GopCache {
  #frames: MediaFrame[] = [];
  #bytes = 0;
  #maxBytes: number;
  #started = false;

  /** @param maxBytes bound on the bytes kept @default {MAX_GOP_CACHE_BYTES} */
  constructor(maxBytes = MAX_GOP_CACHE_BYTES) {
    this.#maxBytes = maxBytes;
  }

  /** Bytes held. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Records a frame that was just sent live. */
  add(frame: MediaFrame): void {
    if (frame.video && frame.keyframe) {
      this.#frames = [];
      this.#bytes = 0;
      this.#started = true;
    }
    if (!this.#started) return;
    if (this.#bytes + frame.bytes > this.#maxBytes) {
      // Too big to replay: forget it and start again at the next keyframe.
      this.#frames = [];
      this.#bytes = 0;
      this.#started = false;
      return;
    }
    this.#frames.push(frame);
    this.#bytes += frame.bytes;
  }

  /** The frames a new reader should get first, oldest first. */
  frames(): readonly MediaFrame[] {
    return this.#frames.slice();
  }
}
