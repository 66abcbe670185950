/**
 * The shell's media catalogue: live streams by path (and, with `--root`, files).
 * @module
 */

import type { LookupFailure, MediaCatalogue, StreamDescription } from "../_rtsp/catalogue.ts";
import type { LiveStream } from "./live_stream.ts";

/** Everything the server can play. */
export class MediaLibrary implements MediaCatalogue {
  #live = new Map<string, LiveStream>();

  /** Serves a live stream at its path. */
  addLive(stream: LiveStream): void {
    this.#live.set(stream.path, stream);
  }

  /** The live stream at `path`, if any. */
  live(path: string): LiveStream | undefined {
    return this.#live.get(path);
  }

  describe(path: string): StreamDescription | LookupFailure {
    return this.#live.get(path)?.description ?? { error: "not-found" };
  }

  /** Stops every stream. */
  close(): void {
    for (const stream of this.#live.values()) stream.close();
  }
}
