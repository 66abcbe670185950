/**
 * The shell's media catalogue: live streams by path and, with `--root`, files.
 * @module
 */

import type { LookupFailure, MediaCatalogue, StreamDescription } from "../_rtsp/catalogue.ts";
import type { FileLibrary, OpenedFile } from "./file_library.ts";
import type { LiveStream } from "./live_stream.ts";

/** Everything the server can play. */
export class MediaLibrary implements MediaCatalogue {
  #live = new Map<string, LiveStream>();
  #files: FileLibrary | undefined;

  /** @param files files under `--root`, if any */
  constructor(files?: FileLibrary) {
    this.#files = files;
  }

  /** Serves a live stream at its path. */
  addLive(stream: LiveStream): void {
    this.#live.set(stream.path, stream);
  }

  /** The live stream at `path`, if any. */
  live(path: string): LiveStream | undefined {
    return this.#live.get(path);
  }

  /** Opens the file at `path` for one session. */
  async openFile(path: string): Promise<OpenedFile | LookupFailure> {
    return this.#files ? await this.#files.open(path) : { error: "not-found" };
  }

  async describe(path: string): Promise<StreamDescription | LookupFailure> {
    const live = this.#live.get(path);
    if (live) return live.description;
    return this.#files ? await this.#files.describe(path) : { error: "not-found" };
  }

  /** Stops every stream. */
  close(): void {
    for (const stream of this.#live.values()) stream.close();
  }
}
