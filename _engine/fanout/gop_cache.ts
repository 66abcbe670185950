/**
 * The current group of pictures of a live stream, so a new reader starts at
 * the last keyframe at once instead of waiting up to a GOP for the next one.
 * @module
 */

import { channelLayoutKey, type FrameDelivery } from "./media_frame.ts";

/** A GOP larger than this is not kept (new readers then wait for a keyframe). */
export const MAX_GOP_CACHE_BYTES = 8 * 1024 * 1024;
/** Channel layouts whose interleaved GOP is kept up to date (see {@linkcode GopCache.interleaved}). */
export const MAX_INTERLEAVED_LAYOUTS = 4;

/**
 * The GOP interleaved for one channel layout, as one buffer that grows as
 * frames arrive. Bytes once written never change: a view handed out stays
 * valid while more is appended (growing copies into a new buffer).
 */
class InterleavedGop {
  readonly channels: ReadonlyMap<number, number>;
  #bytes = new Uint8Array(0);
  #used = 0;

  constructor(channels: ReadonlyMap<number, number>, frames: readonly FrameDelivery[]) {
    this.channels = channels;
    for (const frame of frames) this.append(frame);
  }

  append(delivery: FrameDelivery): void {
    const channel = this.channels.get(delivery.frame.trackIndex);
    if (channel === undefined) return;
    const chunk = delivery.interleaved(channel);
    if (this.#used + chunk.length > this.#bytes.length) {
      const grown = new Uint8Array(Math.max(2 * this.#bytes.length, this.#used + chunk.length));
      grown.set(this.#bytes.subarray(0, this.#used));
      this.#bytes = grown;
    }
    this.#bytes.set(chunk, this.#used);
    this.#used += chunk.length;
  }

  view(): Uint8Array {
    return this.#bytes.subarray(0, this.#used);
  }
}

/**
 * Frames of every track since the last video keyframe. They are kept as the
 * deliveries that went to the live readers, so their interleaved form is built
 * once per channel for everyone, not again for each new reader.
 */
export class GopCache {
  #frames: FrameDelivery[] = [];
  #bytes = 0;
  #maxBytes: number;
  #started = false;
  /** Interleaved forms asked for, by channel layout; rebuilt from each keyframe on. */
  #layouts = new Map<string, InterleavedGop>();

  /** @param maxBytes bound on the bytes kept @default {MAX_GOP_CACHE_BYTES} */
  constructor(maxBytes = MAX_GOP_CACHE_BYTES) {
    this.#maxBytes = maxBytes;
  }

  /** Bytes held. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Records a frame that was just sent live. */
  add(delivery: FrameDelivery): void {
    const frame = delivery.frame;
    if (frame.video && frame.keyframe) {
      this.#frames = [];
      this.#bytes = 0;
      this.#started = true;
      this.#renewLayouts();
    }
    if (!this.#started) return;
    if (this.#bytes + frame.bytes > this.#maxBytes) {
      // Too big to replay: forget it and start again at the next keyframe.
      this.#frames = [];
      this.#bytes = 0;
      this.#started = false;
      this.#layouts.clear();
      return;
    }
    this.#frames.push(delivery);
    this.#bytes += frame.bytes;
    for (const layout of this.#layouts.values()) layout.append(delivery);
  }

  /** The frames a new reader should get first, oldest first. */
  frames(): readonly FrameDelivery[] {
    return this.#frames.slice();
  }

  /**
   * The frames as one interleaved buffer for a TCP reader with these channels
   * (track index → RTP channel); frames of other tracks are left out. The
   * buffer is kept and extended as frames arrive, so new readers with the same
   * channels (all of them, usually) cost no copy and one write. Do not modify it.
   */
  interleaved(channels: ReadonlyMap<number, number>): Uint8Array {
    const key = channelLayoutKey(channels);
    let layout = this.#layouts.get(key);
    if (layout === undefined) {
      if (this.#layouts.size >= MAX_INTERLEAVED_LAYOUTS) {
        // Rare (clients choosing unusual channels): forget the oldest.
        this.#layouts.delete(this.#layouts.keys().next().value!);
      }
      layout = new InterleavedGop(channels, this.#frames);
      this.#layouts.set(key, layout);
    }
    return layout.view();
  }

  /** A new GOP: the layouts in use start again, empty, in new buffers (old views stay valid). */
  #renewLayouts(): void {
    for (const [key, layout] of this.#layouts) {
      this.#layouts.set(key, new InterleavedGop(layout.channels, []));
    }
  }
}
