/**
 * Who publishes where (RFC 2326, 10.3 ANNOUNCE and 10.11 RECORD), and the
 * policy: a path that serves a file or a live source is never published to
 * ("reserved"); a path someone publishes to is "busy" unless it is configured
 * for replacement (`--replace-publisher`) or its publisher left and the path is
 * in its grace period (a takeover: readers carry on); RECORD again after PAUSE
 * resumes the session's own path.
 * @module
 */

import type { PublishVerdict } from "../_rtsp/media_port.ts";
import type { Scheduler } from "../_rtsp/scheduler.ts";
import type { Announcement, Session } from "../_rtsp/session.ts";
import type { MediaLibrary } from "./library.ts";
import { RelayStream } from "./relay_stream.ts";

/** Options of {@linkcode PublisherRegistry}. */
export interface PublisherRegistryOptions {
  /** Where published paths are served. */
  readonly library: MediaLibrary;
  readonly scheduler: Scheduler;
  /** How long readers of a published path wait for a new publisher. */
  readonly graceMs: number;
  /** Whether a new publisher on `path` replaces the current one. @default never */
  readonly replacePublisher?: (path: string) => boolean;
  /** A path's grace period ended with no publisher: its readers must end. */
  readonly onExpired: (relay: RelayStream) => void;
}

/** The publishing sessions and the relay each feeds. */
export class PublisherRegistry {
  #options: PublisherRegistryOptions;
  #relays = new Map<string, RelayStream>();
  #sessions = new Map<string, Session>();

  /** @param options see {@linkcode PublisherRegistryOptions} */
  constructor(options: PublisherRegistryOptions) {
    this.#options = options;
  }

  /** The verdict from what `path` serves now (files are checked by the caller). */
  verdict(path: string): PublishVerdict {
    const shared = this.#options.library.shared(path);
    if (shared === undefined) return "ok";
    // A live source is never replaced; a relayed path in its grace period, or
    // at any time where the path is configured so.
    if (!(shared instanceof RelayStream)) return "reserved";
    return !shared.hasPublisher || this.#options.replacePublisher?.(path) ? "ok" : "busy";
  }

  /** Whether `session` publishes now (RECORD again after PAUSE resumes it). */
  isPublishing(session: Session): boolean {
    return this.#relays.get(session.id)?.publisherId === session.id;
  }

  /** The session publishing to `path` now, other than `except`, if any. */
  currentPublisher(path: string, except: string): Session | undefined {
    const shared = this.#options.library.shared(path);
    const id = shared instanceof RelayStream ? shared.publisherId : undefined;
    return id === undefined || id === except ? undefined : this.#sessions.get(id);
  }

  /**
   * `session` starts publishing (check {@linkcode verdict} first, and end the
   * {@linkcode currentPublisher} it replaces): onto the path's relay, made now
   * or kept from a publisher that left within the grace period.
   */
  start(session: Session, announcement: Announcement): RelayStream {
    const library = this.#options.library;
    let relay = library.shared(session.path) as RelayStream | undefined;
    if (!relay) {
      relay = new RelayStream({
        path: session.path,
        announcement,
        graceMs: this.#options.graceMs,
        scheduler: this.#options.scheduler,
        cname: "rtsp.ts",
        onExpired: (r) => this.#options.onExpired(r),
      });
      library.addShared(relay);
    }
    relay.startPublisher(session.id, announcement);
    this.#relays.set(session.id, relay);
    this.#sessions.set(session.id, session);
    return relay;
  }

  /**
   * A publishing session ended: its relay waits for another publisher for the
   * grace period. Returns false when `session` was not publishing.
   */
  left(session: Session): boolean {
    const relay = this.#relays.get(session.id);
    if (!relay) return false;
    this.#relays.delete(session.id);
    this.#sessions.delete(session.id);
    relay.publisherLeft(session.id);
    return true;
  }
}
