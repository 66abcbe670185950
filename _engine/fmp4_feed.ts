/**
 * Where one consumer of fragmented MP4 (a browser's WebSocket) gets its
 * {@linkcode Fmp4Stream}: a shared stream's, joined at its latest keyframe
 * (`fmp4_registry.ts`), or a file's, on a timeline of its own from the file's
 * start (`file_fmp4_feed.ts`). The consumer holds a lease while it reads and
 * is told if the stream ends under it.
 * @module
 */

import type { Fmp4Stream } from "./fmp4_stream.ts";

/** One reader's hold on an Fmp4Stream. */
export interface Fmp4Lease {
  readonly stream: Fmp4Stream;
  /** Lets go (once): a shared stream is detached when its last holder lets go, a file's stops. */
  release(): void;
}

/**
 * What a feed's timeline is:
 * - `"live"`: shared by every reader of the path (live `/test`, published,
 *   pulled); a reader joins it where it is now, and it ends only when its
 *   source goes (a publisher may come back: readers may reconnect);
 * - `"file"`: this reader's own, from the file's start to its end (or on
 *   for ever with `--loop`); connecting again starts the file again.
 */
export type Fmp4Timeline = "live" | "file";

/** A source of leases on one path's Fmp4Stream. */
export interface Fmp4Feed {
  /** The path read, for log lines. */
  readonly path: string;
  readonly timeline: Fmp4Timeline;
  /**
   * Takes a hold on the stream: subscribe to `lease.stream` at once, as its
   * first init segment may come as soon as control returns to the event loop.
   * @param ended called once if the stream ends while held (not after release)
   */
  acquire(ended: () => void): Fmp4Lease;
}
