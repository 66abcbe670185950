/**
 * One pulled path: one upstream session however many readers, fanned out
 * through a {@linkcode RelayStream} as if the upstream were a publisher. When
 * the upstream is lost the relay keeps its readers (no grace expiry) and each
 * reconnection is a takeover, so readers see one continuous stream (sequence
 * numbers and timestamps follow on, RFC 3550 5.1). Reconnects back off (1 s
 * doubling to 30 s); an on-demand path stops when it has had no reader for its
 * idle time.
 * @module
 */

import type { StreamDescription } from "../../_rtsp/catalogue.ts";
import type { UpstreamLookupFailure } from "../../_rtsp/catalogue.ts";
import { type Cancel, every, type Scheduler } from "../../_rtsp/scheduler.ts";
import type { AnnouncedTrack } from "../../_rtsp/sdp_parse.ts";
import type { EngineLog } from "../ports.ts";
import { RelayStream } from "../relay_stream.ts";
import { RetryBackoff } from "./retry_backoff.ts";
import type { PullTarget } from "./pull_sources.ts";
import type {
  UpstreamConnector,
  UpstreamEvents,
  UpstreamFailure,
  UpstreamHandle,
} from "./upstream_port.ts";

/** Readers waiting at once for one path's upstream to start, at most. */
export const MAX_WAITERS_PER_PATH = 256;

/** Where a pulled path stands. */
export type PulledPathState =
  /** Not running (on demand, no reader yet, or stopped after its idle time). */
  | "idle"
  /** An upstream session is being opened. */
  | "starting"
  | "playing"
  /** Waiting to try the upstream again after a failure. */
  | "retrying"
  | "closed";

/** What a pulled path needs from the engine around it. */
export interface PulledPathOptions {
  readonly target: PullTarget;
  readonly connector: UpstreamConnector;
  readonly scheduler: Scheduler;
  readonly log: EngineLog;
  /** The `Via` entry of this server (RFC 2326, 12.43), added to what the reader's request carried. */
  readonly via: string;
  /** The relay goes into the library while the path plays, and out when it stops. */
  readonly publish: (relay: RelayStream) => void;
  readonly unpublish: (relay: RelayStream) => void;
  /** Source of jitter for the back-off, [0, 1). */
  readonly random?: () => number;
}

/** What a waiting reader gets: the description to answer DESCRIBE with, or why not. */
export type PullOutcome = StreamDescription | UpstreamLookupFailure;

/** The lookup failure a reader gets for an upstream failure (see the README's "Proxy cameras"). */
export function lookupFailureOf(failure: UpstreamFailure): UpstreamLookupFailure {
  switch (failure.kind) {
    case "not-found":
      return { error: "not-found" };
    case "timeout":
      return { error: "upstream", status: 504, message: failure.message };
    case "loop":
      return { error: "loop", message: failure.message };
    default:
      // Unreachable, refused credentials (ours, not the reader's: 502, not 401), garbage, lost.
      return { error: "upstream", status: 502, message: failure.message };
  }
}

/** One path read from an upstream. */
export class PulledPath {
  readonly target: PullTarget;
  #options: PulledPathOptions;
  #state: PulledPathState = "idle";
  #relay: RelayStream | undefined;
  #handle: UpstreamHandle | undefined;
  /** Counts upstream sessions, to name each as the relay's publisher. */
  #attempt = 0;
  #backoff: RetryBackoff;
  #waiters = new Set<(outcome: PullOutcome) => void>();
  #lastFailure: UpstreamFailure | undefined;
  /** When an on-demand path that never played may be tried again. */
  #retryAtMs = 0;
  #cancelRetry: Cancel | undefined;
  #cancelStartTimeout: Cancel | undefined;
  #cancelStallWatch: Cancel | undefined;
  #cancelIdle: Cancel | undefined;
  /** Packets received, and the count and time when the stall watch last saw it move. */
  #packets = 0;
  #packetsSeen = 0;
  #lastPacketMs = 0;

  /** @param options see {@linkcode PulledPathOptions} */
  constructor(options: PulledPathOptions) {
    this.#options = options;
    this.target = options.target;
    this.#backoff = new RetryBackoff(options.random);
  }

  get state(): PulledPathState {
    return this.#state;
  }

  /** The relay readers attach to, once the upstream has played. */
  get relay(): RelayStream | undefined {
    return this.#relay;
  }

  /** Upstream sessions opened so far. */
  get attempts(): number {
    return this.#attempt;
  }

  /**
   * A reader wants the path (DESCRIBE, SETUP): the description at once when
   * the relay exists (also while reconnecting: the readers' SDP stays valid),
   * else after the upstream starts, or why it cannot.
   * @param via the `Via` header of the reader's request, if any
   */
  demand(via: string | undefined): Promise<PullOutcome> | PullOutcome {
    if (this.#state === "closed") return { error: "not-found" };
    if (this.#relay) {
      this.#armIdle();
      return this.#relay.description;
    }
    if (this.#state === "retrying" && this.#lastFailure) {
      // Never played, and tried again later on its own (always on) or at the
      // next demand after the back-off: a dead camera is not hammered by readers.
      if (!this.target.spec.onDemand || this.#options.scheduler.now() < this.#retryAtMs) {
        return lookupFailureOf(this.#lastFailure);
      }
    }
    if (this.#waiters.size >= MAX_WAITERS_PER_PATH) {
      return { error: "upstream", status: 503, message: "too many readers waiting" };
    }
    const { promise, resolve } = Promise.withResolvers<PullOutcome>();
    this.#waiters.add(resolve);
    if (this.#state === "idle" || this.#state === "retrying") this.#start(via);
    return promise;
  }

  /** Starts an always-on path. */
  startAlwaysOn(): void {
    if (this.#state === "idle") this.#start(undefined);
  }

  /**
   * A reader left: an on-demand path with no reader left stops after its idle
   * time (the check is made when the timer fires, so a reader that came meanwhile keeps it).
   */
  readerLeft(): void {
    if ((this.#relay?.readerCount ?? 0) === 0) this.#armIdle();
  }

  /** Stops for good (server shutdown, path removed from the config). */
  close(): void {
    this.#stop();
    this.#state = "closed";
    this.#settle({ error: "not-found" });
  }

  #start(via: string | undefined): void {
    this.#cancelRetry?.();
    this.#cancelRetry = undefined;
    this.#state = "starting";
    const attempt = ++this.#attempt;
    const publisherId = `pull:${this.target.path}#${attempt}`;
    const current = () => this.#attempt === attempt && this.#state !== "closed";
    const events: UpstreamEvents = {
      playing: (tracks, sdp) => current() && this.#playing(publisherId, tracks, sdp),
      rtp: (trackIndex, packet) => {
        if (!current()) return;
        // Counted, not timed: the stall watch reads the clock, not every packet.
        this.#packets++;
        this.#relay?.receiveRtp(trackIndex, packet);
      },
      rtcp: (trackIndex, bytes) => current() && this.#relay?.receiveRtcp(trackIndex, bytes),
      failed: (failure) => current() && this.#failed(publisherId, failure),
    };
    const chain = via ? `${via}, ${this.#options.via}` : this.#options.via;
    this.#options.log.info(`${this.target.path}: pulling ${redactUrl(this.target.url)}`);
    this.#cancelStartTimeout = this.#options.scheduler.after(
      this.target.spec.startTimeoutMs,
      () => {
        if (!current() || this.#state !== "starting") return;
        this.#handle?.close();
        this.#failed(publisherId, {
          kind: "timeout",
          message: `no answer within ${this.target.spec.startTimeoutMs} ms`,
        });
      },
    );
    this.#handle = this.#options.connector.open(
      { url: this.target.url, transport: this.target.spec.transport, via: chain },
      events,
    );
  }

  #playing(publisherId: string, tracks: readonly AnnouncedTrack[], sdp: string): void {
    if (this.#state !== "starting") return;
    this.#cancelStartTimeout?.();
    this.#state = "playing";
    this.#backoff.reset();
    this.#lastFailure = undefined;
    const announcement = { path: this.target.path, sdp, tracks };
    if (!this.#relay) {
      this.#relay = new RelayStream({
        path: this.target.path,
        kind: "pulled",
        announcement,
        // Readers wait through reconnections; the path ends only when it stops.
        graceMs: Infinity,
        scheduler: this.#options.scheduler,
        cname: "rtsp.ts",
        onExpired: () => {},
      });
      this.#options.publish(this.#relay);
    }
    this.#relay.startPublisher(publisherId, announcement);
    this.#options.log.info(`${this.target.path}: upstream playing (${tracks.length} tracks)`);
    this.#settle(this.#relay.description);
    this.#lastPacketMs = this.#options.scheduler.now();
    const stallMs = this.target.spec.stallMs;
    this.#packetsSeen = this.#packets;
    this.#cancelStallWatch = every(this.#options.scheduler, Math.max(100, stallMs / 4), () => {
      const now = this.#options.scheduler.now();
      if (this.#packets !== this.#packetsSeen) {
        this.#packetsSeen = this.#packets;
        this.#lastPacketMs = now;
      }
      if (now - this.#lastPacketMs < stallMs) return;
      this.#handle?.close();
      this.#failed(publisherId, { kind: "lost", message: `no packets for ${stallMs} ms` });
    });
    if (this.#relay.readerCount === 0) this.#armIdle();
  }

  #failed(publisherId: string, failure: UpstreamFailure): void {
    const wasPlaying = this.#state === "playing";
    this.#clearAttempt();
    this.#handle = undefined;
    this.#lastFailure = failure;
    this.#relay?.publisherLeft(publisherId);
    const delay = this.#backoff.next();
    this.#options.log.warn(
      `${this.target.path}: upstream ${
        wasPlaying ? "lost" : "failed"
      } (${failure.kind}: ${failure.message}); retrying in ${delay} ms`,
    );
    this.#settle(lookupFailureOf(failure));
    this.#state = "retrying";
    this.#retryAtMs = this.#options.scheduler.now() + delay;
    // An on-demand path that never played waits for its next reader; one that
    // has readers (or is always on) tries again by itself.
    if (this.target.spec.onDemand && !this.#relay) return;
    this.#cancelRetry = this.#options.scheduler.after(delay, () => {
      this.#cancelRetry = undefined;
      if (this.#state === "retrying") this.#start(undefined);
    });
  }

  /** Resolves every waiting reader. */
  #settle(outcome: PullOutcome): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const resolve of waiters) resolve(outcome);
  }

  #armIdle(): void {
    if (!this.target.spec.onDemand || this.#state === "closed") return;
    this.#cancelIdle?.();
    this.#cancelIdle = this.#options.scheduler.after(this.target.spec.idleMs, () => {
      this.#cancelIdle = undefined;
      if ((this.#relay?.readerCount ?? 0) > 0 || this.#waiters.size > 0) return;
      this.#options.log.info(
        `${this.target.path}: no reader for ${this.target.spec.idleMs} ms; stopping`,
      );
      this.#stop();
    });
  }

  /** Closes the upstream and the relay; the path is idle again. */
  #stop(): void {
    this.#clearAttempt();
    this.#cancelRetry?.();
    this.#cancelRetry = undefined;
    this.#cancelIdle?.();
    this.#cancelIdle = undefined;
    this.#handle?.close();
    this.#handle = undefined;
    // Events of the closed session are ignored from now on.
    this.#attempt++;
    if (this.#relay) this.#options.unpublish(this.#relay);
    this.#relay = undefined;
    this.#lastFailure = undefined;
    this.#state = "idle";
  }

  #clearAttempt(): void {
    this.#cancelStartTimeout?.();
    this.#cancelStartTimeout = undefined;
    this.#cancelStallWatch?.();
    this.#cancelStallWatch = undefined;
  }
}

/** A URL for the log: the password in its userinfo replaced by `***`. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:@/]*):[^@/]*@/i, "$1:***@");
}
