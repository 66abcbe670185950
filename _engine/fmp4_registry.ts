/**
 * One {@linkcode Fmp4Stream} per shared stream, for however many readers want
 * it as fragmented MP4 (browsers over WebSocket): made when the first reader
 * arrives, detached when the last leaves, so a stream nobody watches in a
 * browser is never muxed. When the source ends (publisher gone, server
 * closing), every holder is told, and the next reader of the path gets a new
 * Fmp4Stream on whatever stream serves it then.
 *
 * ```ts
 * const lease = registry.acquire(library.shared("/test")!, () => socket.close());
 * const unsubscribe = lease.stream.subscribe(send);
 * // ... when the reader leaves:
 * unsubscribe();
 * lease.release();
 * ```
 * @module
 */

import type { Scheduler } from "../_rtsp/scheduler.ts";
import type { Fmp4Feed, Fmp4Lease } from "./fmp4_feed.ts";
import { type Fmp4Source, Fmp4Stream } from "./fmp4_stream.ts";

export type { Fmp4Lease } from "./fmp4_feed.ts";

/** A stream the registry can share: a live or relayed stream with its path. */
export interface SharedFmp4Source extends Fmp4Source {
  readonly path: string;
}

/** An Fmp4Stream that says when its source stopped it (stream closed, or detached). */
class StoppableFmp4Stream extends Fmp4Stream {
  onStop: () => void = () => {};

  override stop(): void {
    super.stop();
    this.onStop();
  }
}

interface Entry {
  readonly source: SharedFmp4Source;
  readonly stream: StoppableFmp4Stream;
  readonly detach: () => void;
  /** What each holder wants called when the source ends. */
  readonly holders: Set<() => void>;
}

/** Options of {@linkcode Fmp4Registry}. */
export interface Fmp4RegistryOptions {
  /** The clock of the streams made (see `Fmp4StreamOptions.scheduler`). */
  readonly scheduler: Scheduler;
}

/** Fmp4Streams by path, shared by their readers. */
export class Fmp4Registry {
  readonly #options: Fmp4RegistryOptions;
  readonly #entries = new Map<string, Entry>();

  /** @param options see {@linkcode Fmp4RegistryOptions} */
  constructor(options: Fmp4RegistryOptions) {
    this.#options = options;
  }

  /** Paths muxed now. */
  get size(): number {
    return this.#entries.size;
  }

  /** Readers of `path` now (0 when it is not muxed). */
  holders(path: string): number {
    return this.#entries.get(path)?.holders.size ?? 0;
  }

  /**
   * Takes a hold on `source`'s Fmp4Stream, making and attaching it if this is
   * the first reader.
   * @param source the stream serving the path now
   * @param ended called once if the source ends while held (not after release)
   * @returns the stream and what lets go of it
   */
  acquire(source: SharedFmp4Source, ended: () => void): Fmp4Lease {
    let entry = this.#entries.get(source.path);
    if (entry && entry.source !== source) {
      // The path is served by a new stream; the old one is ending or ended.
      this.#end(entry);
      entry = undefined;
    }
    entry ??= this.#make(source);
    const holder = () => ended();
    entry.holders.add(holder);
    const held = entry;
    let released = false;
    return {
      stream: held.stream,
      release: () => {
        if (released) return;
        released = true;
        held.holders.delete(holder);
        if (held.holders.size === 0 && this.#entries.get(held.source.path) === held) {
          this.#entries.delete(held.source.path);
          held.stream.onStop = () => {};
          held.detach();
        }
      },
    };
  }

  /** `source` as a feed: each lease a hold on its shared stream ({@linkcode acquire}). */
  feed(source: SharedFmp4Source): Fmp4Feed {
    return {
      path: source.path,
      timeline: "live",
      acquire: (ended) => this.acquire(source, ended),
    };
  }

  #make(source: SharedFmp4Source): Entry {
    const stream = new StoppableFmp4Stream(source.description, {
      scheduler: this.#options.scheduler,
    });
    const entry: Entry = { source, stream, detach: stream.attachTo(source), holders: new Set() };
    stream.onStop = () => this.#end(entry);
    this.#entries.set(source.path, entry);
    return entry;
  }

  /** The source ended: forget the entry and tell its holders. */
  #end(entry: Entry): void {
    if (this.#entries.get(entry.source.path) === entry) this.#entries.delete(entry.source.path);
    entry.stream.onStop = () => {};
    const holders = [...entry.holders];
    entry.holders.clear();
    for (const ended of holders) ended();
  }
}
