/**
 * Paced catch-up for a new UDP reader. The cached GOP (up to a few seconds of
 * video) would otherwise leave in one burst, and UDP has no flow control: a
 * player's receive buffer (ffmpeg asks for 64 KiB) overflows while it is still
 * decoding the keyframe, and the packets lost are the ones the next frames
 * need. Measured with ffmpeg reading a 2.8 Mbit/s relay over UDP: 7 datagrams
 * dropped by the kernel per join and "RTP: missed packets" errors; TCP readers
 * need none of this, TCP's own flow control paces them.
 *
 * So the keyframe goes at once (the first picture is not delayed), and the
 * rest of the backlog, with live frames that arrive meanwhile, follows at a
 * bounded byte rate that is always at least twice the live rate, so the reader
 * catches up in a bounded time.
 * @module
 */

import type { FrameDelivery } from "./media_frame.ts";

/** The slowest the backlog is sent: 2 MB/s (16 Mbit/s), what a player decoding at several times real time takes in. */
export const CATCH_UP_MIN_BYTES_PER_SECOND = 2_000_000;
/** Backlog beyond this is dropped (whole frames; the caller's gate waits for a keyframe). */
export const CATCH_UP_MAX_BACKLOG_BYTES = 8 * 1024 * 1024;

/** One reader's catch-up: what is still to send, and how much may go now. */
export class CatchUpPacer {
  #queue: FrameDelivery[] = [];
  #head = 0;
  #backlogBytes = 0;
  /** Bytes of live frames that came in since the last {@linkcode take}. */
  #liveBytes = 0;
  #minBytesPerSecond: number;
  #maxBacklogBytes: number;

  /**
   * @param minBytesPerSecond the slowest rate the backlog leaves at @default {CATCH_UP_MIN_BYTES_PER_SECOND}
   * @param maxBacklogBytes backlog bound @default {CATCH_UP_MAX_BACKLOG_BYTES}
   */
  constructor(
    minBytesPerSecond = CATCH_UP_MIN_BYTES_PER_SECOND,
    maxBacklogBytes = CATCH_UP_MAX_BACKLOG_BYTES,
  ) {
    this.#minBytesPerSecond = minBytesPerSecond;
    this.#maxBacklogBytes = maxBacklogBytes;
  }

  /** Whether frames still wait: live frames must queue behind them. */
  get catchingUp(): boolean {
    return this.#head < this.#queue.length;
  }

  /** Bytes waiting. */
  get backlogBytes(): number {
    return this.#backlogBytes;
  }

  /**
   * Starts with the cached frames; returns the ones to send at once (the
   * first frame, a keyframe).
   */
  start(cached: readonly FrameDelivery[]): FrameDelivery[] {
    this.#queue = cached.slice(1);
    this.#head = 0;
    this.#backlogBytes = 0;
    for (const d of this.#queue) this.#backlogBytes += d.frame.bytes;
    this.#liveBytes = 0;
    return cached.slice(0, 1);
  }

  /**
   * Queues a live frame behind the backlog. Returns false when there is no
   * room (the caller drops it as a slow reader's frame).
   */
  push(delivery: FrameDelivery): boolean {
    const bytes = delivery.frame.bytes;
    if (this.#backlogBytes + bytes > this.#maxBacklogBytes) return false;
    this.#queue.push(delivery);
    this.#backlogBytes += bytes;
    this.#liveBytes += bytes;
    return true;
  }

  /**
   * The frames that may go after `elapsedMs` more milliseconds: at least one,
   * and as many as fit in the larger of the minimum rate and twice the live
   * bytes that came in meanwhile.
   */
  take(elapsedMs: number): FrameDelivery[] {
    const budget = Math.max(this.#minBytesPerSecond * elapsedMs / 1000, 2 * this.#liveBytes);
    this.#liveBytes = 0;
    const out: FrameDelivery[] = [];
    let sent = 0;
    while (this.#head < this.#queue.length) {
      const next = this.#queue[this.#head];
      if (out.length > 0 && sent + next.frame.bytes > budget) break;
      out.push(next);
      sent += next.frame.bytes;
      this.#backlogBytes -= next.frame.bytes;
      this.#head++;
    }
    if (this.#head >= this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    }
    return out;
  }
}
