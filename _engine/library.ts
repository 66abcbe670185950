/**
 * The shell's media catalogue: live streams and published paths (shared by
 * their readers) and, with `--root`, files (one timeline per reader).
 * @module
 */

import type { Scheduler } from "../_rtsp/scheduler.ts";
import type {
  LookupContext,
  LookupFailure,
  MediaCatalogue,
  StreamDescription,
} from "../_rtsp/catalogue.ts";
import type { PlayStart } from "../_rtsp/media_port.ts";
import type { FileSource, OpenedFile } from "./ports.ts";
import type { Reader } from "./reader.ts";

/** What serves a path: the live test source, a file, a publisher, or an upstream server. */
export type StreamKind = "test" | "file" | "published" | "pulled";

/** A stream all its readers share: a live source or a relayed publisher. */
export interface SharedStream {
  readonly path: string;
  readonly kind: StreamKind;
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

/** Paths read from upstream servers (`_engine/pull/`), as the library consults them. */
export interface PulledPaths {
  /** Whether a pull source matches `path`. */
  isPulled(path: string): boolean;
  /** The description once the upstream plays, or why not; `undefined` when `path` is not pulled. */
  describe(
    path: string,
    context?: LookupContext,
  ):
    | Promise<StreamDescription | LookupFailure>
    | StreamDescription
    | LookupFailure
    | undefined;
}

/** Readers waiting for a publisher at once, at most (each holds a timer and a request). */
export const MAX_WAITING_READERS = 1000;

/** Everything the server can play. */
export class MediaLibrary implements MediaCatalogue {
  #shared = new Map<string, SharedStream>();
  #files: FileSource | undefined;
  #waitMs: number;
  #scheduler: Scheduler;
  #waiting = new Map<string, Set<() => void>>();
  #waitingCount = 0;
  #pulls: PulledPaths | undefined;

  /**
   * @param scheduler the timer of a reader's wait for a publisher
   * @param files files under `--root`, if any
   * @param waitForPublisherMs how long a DESCRIBE of an empty path waits for a publisher
   */
  constructor(scheduler: Scheduler, files?: FileSource, waitForPublisherMs = 0) {
    this.#files = files;
    this.#waitMs = waitForPublisherMs;
    this.#scheduler = scheduler;
  }

  /** Consults `pulls` first for the paths it pulls. */
  pullFrom(pulls: PulledPaths): void {
    this.#pulls = pulls;
  }

  /** Whether `path` is pulled from an upstream (never published to, never a file). */
  isPulled(path: string): boolean {
    return this.#pulls?.isPulled(path) ?? false;
  }

  /** Serves a shared stream at its path (a live source, or a path being published). */
  addShared(stream: SharedStream): void {
    this.#shared.set(stream.path, stream);
    for (const wake of this.#waiting.get(stream.path) ?? []) wake();
  }

  /** Waits up to the configured time for a stream to appear at `path`. */
  async #waitFor(path: string): Promise<void> {
    if (this.#waitMs <= 0 || this.#waitingCount >= MAX_WAITING_READERS) return;
    let set = this.#waiting.get(path);
    if (!set) this.#waiting.set(path, set = new Set());
    const waiters = set;
    const done = Promise.withResolvers<void>();
    const wake = () => done.resolve();
    const cancel = this.#scheduler.after(this.#waitMs, wake);
    waiters.add(wake);
    this.#waitingCount++;
    try {
      await done.promise;
    } finally {
      cancel();
      waiters.delete(wake);
      if (waiters.size === 0) this.#waiting.delete(path);
      this.#waitingCount--;
    }
  }

  /** Stops serving a shared stream. */
  removeShared(stream: SharedStream): void {
    if (this.#shared.get(stream.path) === stream) this.#shared.delete(stream.path);
    stream.close();
  }

  /** Every shared stream served now (for stats). */
  sharedStreams(): IterableIterator<SharedStream> {
    return this.#shared.values();
  }

  /** The shared stream at `path`, if any. */
  shared(path: string): SharedStream | undefined {
    return this.#shared.get(path);
  }

  /** Whether `path` names a file under the root (which can never be published to). */
  async hasFile(path: string): Promise<boolean> {
    return this.#files ? (await this.#files.resolve(path)) !== undefined : false;
  }

  /** Opens the file at `path` for one session. */
  async openFile(path: string): Promise<OpenedFile | LookupFailure> {
    return this.#files ? await this.#files.open(path) : { error: "not-found" };
  }

  async describe(
    path: string,
    context?: LookupContext,
  ): Promise<StreamDescription | LookupFailure> {
    const pulled = this.#pulls?.describe(path, context);
    if (pulled !== undefined) return await pulled;
    const shared = this.#shared.get(path);
    if (shared) return shared.description;
    const file = this.#files ? await this.#files.describe(path) : { error: "not-found" as const };
    if (!("error" in file) || file.error !== "not-found" || this.#waitMs <= 0) return file;
    // A reader that came before its publisher may wait for it (--wait-for-publisher).
    await this.#waitFor(path);
    return this.#shared.get(path)?.description ?? file;
  }

  /** Stops every stream and wakes every waiting reader. */
  close(): void {
    for (const set of this.#waiting.values()) for (const wake of set) wake();
    for (const stream of this.#shared.values()) stream.close();
    this.#shared.clear();
  }
}
