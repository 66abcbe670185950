/**
 * The shell's media catalogue: live streams and published paths (shared by
 * their readers) and, with `--root`, files (one timeline per reader).
 * @module
 */

import type { LookupFailure, MediaCatalogue, StreamDescription } from "../_rtsp/catalogue.ts";
import type { PlayStart } from "../_rtsp/responder.ts";
import type { FileLibrary, OpenedFile } from "./file_library.ts";
import type { Reader } from "./reader.ts";

/** A stream all its readers share: a live source or a relayed publisher. */
export interface SharedStream {
  readonly path: string;
  readonly description: StreamDescription;
  /** The SSRC readers of a track see, when known. */
  ssrc(trackIndex: number): number | undefined;
  /** Starts sending to a reader once its PLAY answer is written (`begin`). */
  attach(reader: Reader): PlayStart;
  /** Where the next packets of these tracks start. */
  position(trackIndices: Iterable<number>): PlayStart;
  /** Stops sending to a reader; with `bye`, sends RTCP BYE. */
  detach(sessionId: string, bye: boolean): Reader | undefined;
  close(): void;
}

/** Everything the server can play. */
export class MediaLibrary implements MediaCatalogue {
  #shared = new Map<string, SharedStream>();
  #files: FileLibrary | undefined;

  /** @param files files under `--root`, if any */
  constructor(files?: FileLibrary) {
    this.#files = files;
  }

  /** Serves a shared stream at its path (a live source, or a path being published). */
  addShared(stream: SharedStream): void {
    this.#shared.set(stream.path, stream);
  }

  /** Stops serving a shared stream. */
  removeShared(stream: SharedStream): void {
    if (this.#shared.get(stream.path) === stream) this.#shared.delete(stream.path);
    stream.close();
  }

  /** The shared stream at `path`, if any. */
  shared(path: string): SharedStream | undefined {
    return this.#shared.get(path);
  }

  /** Opens the file at `path` for one session. */
  async openFile(path: string): Promise<OpenedFile | LookupFailure> {
    return this.#files ? await this.#files.open(path) : { error: "not-found" };
  }

  async describe(path: string): Promise<StreamDescription | LookupFailure> {
    const shared = this.#shared.get(path);
    if (shared) return shared.description;
    return this.#files ? await this.#files.describe(path) : { error: "not-found" };
  }

  /** Stops every stream. */
  close(): void {
    for (const stream of this.#shared.values()) stream.close();
    this.#shared.clear();
  }
}
