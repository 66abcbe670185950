/**
 * The pulled paths of a server: made when a reader first asks for a path that
 * a pull source matches (or at start for always-on ones), bounded in number,
 * and the loop check of RFC 2326, 12.43 `Via`: a request whose chain already
 * names this server came back through other proxies and is refused (508)
 * instead of starting one more upstream session.
 * @module
 */

import type { LookupContext } from "../../_rtsp/catalogue.ts";
import type { Scheduler } from "../../_rtsp/scheduler.ts";
import type { EngineLog } from "../ports.ts";
import type { RelayStream } from "../relay_stream.ts";
import { PulledPath, type PullOutcome } from "./pulled_path.ts";
import {
  isAlwaysOn,
  isWildcardPattern,
  type PullSourceEntry,
  type PullSources,
  type PullSourceSpec,
} from "./pull_sources.ts";
import type { UpstreamConnector } from "./upstream_port.ts";

/** Pulled paths held at once, at most (an edge's `/**` would otherwise grow with every name asked). */
export const MAX_PULLED_PATHS = 1024;
/** A `Via` chain longer than this is taken as a loop (each hop adds about 30 bytes). */
export const MAX_VIA_LENGTH = 2048;

/** What the registry needs from the server. */
export interface PullRegistryOptions {
  readonly sources: PullSources;
  readonly connector: UpstreamConnector;
  readonly scheduler: Scheduler;
  readonly log: EngineLog;
  /** This server's own token in `Via` (unique per running server). */
  readonly viaToken: string;
  /** Serve a relay at its path, and stop serving it. */
  readonly publish: (relay: RelayStream) => void;
  readonly unpublish: (relay: RelayStream) => void;
  readonly random?: () => number;
}

/** Why a source could not be added at run time. */
export type AddSourceRefusal =
  | { readonly reason: "exists"; readonly message: string }
  | { readonly reason: "pulled"; readonly message: string };

/** This server's `Via` entry (RFC 2326, 12.43: protocol version and a host or pseudonym). */
export function viaEntry(token: string): string {
  return `RTSP/1.0 ${token}`;
}

/** Whether a `Via` header lists `token` as one of its hops. */
export function viaNames(via: string, token: string): boolean {
  return via.split(",").some((hop) => hop.trim().split(/\s+/)[1] === token);
}

/** Every pulled path, by path. */
export class PullRegistry {
  #options: PullRegistryOptions;
  #paths = new Map<string, PulledPath>();

  /** @param options see {@linkcode PullRegistryOptions} */
  constructor(options: PullRegistryOptions) {
    this.#options = options;
  }

  /** Whether `path` is pulled (so never published to, and never a file). */
  isPulled(path: string): boolean {
    return this.#options.sources.match(path) !== undefined;
  }

  /** The pulled path at `path`, if one is running or was asked for. */
  get(path: string): PulledPath | undefined {
    return this.#paths.get(path);
  }

  /** The pulled paths held now. */
  paths(): IterableIterator<PulledPath> {
    return this.#paths.values();
  }

  /** Every pull source, in match order, with where it was defined. */
  sources(): PullSourceEntry[] {
    return this.#options.sources.entries();
  }

  /**
   * Adds a source at run time (the JSON API); an always-on one starts now.
   * Refused when the pattern is already a source, or when the one path it
   * names is being pulled from another source now (remove that one first:
   * a running path never changes upstream under its readers).
   */
  addSource(spec: PullSourceSpec): AddSourceRefusal | undefined {
    if (this.#options.sources.find(spec.pattern)) {
      return { reason: "exists", message: `${spec.pattern} is already a pull source` };
    }
    if (!isWildcardPattern(spec.pattern) && this.#paths.has(spec.pattern)) {
      return {
        reason: "pulled",
        message: `${spec.pattern} is being pulled from another source now`,
      };
    }
    this.#options.sources.add(spec);
    if (isAlwaysOn(spec)) this.#pathFor(spec.pattern)?.startAlwaysOn();
    return undefined;
  }

  /**
   * Removes the source with exactly this pattern and stops every path pulled
   * from it now (their readers' sessions end). What was removed, if anything.
   */
  removeSource(pattern: string): PullSourceEntry | undefined {
    const removed = this.#options.sources.remove(pattern);
    if (!removed) return undefined;
    for (const [path, pulled] of this.#paths) {
      if (pulled.target.spec !== removed.spec) continue;
      pulled.close();
      this.#paths.delete(path);
    }
    return removed;
  }

  /** Starts the always-on sources. */
  start(): void {
    for (const target of this.#options.sources.alwaysOn()) {
      this.#pathFor(target.path)?.startAlwaysOn();
    }
  }

  /**
   * A reader asks for `path`: its description once the upstream plays, or why
   * not. `undefined` when no source matches the path.
   */
  describe(path: string, context?: LookupContext): Promise<PullOutcome> | PullOutcome | undefined {
    if (!this.isPulled(path)) return undefined;
    const via = context?.via;
    if (via !== undefined) {
      if (via.length > MAX_VIA_LENGTH) {
        return { error: "loop", message: `Via longer than ${MAX_VIA_LENGTH} bytes` };
      }
      if (viaNames(via, this.#options.viaToken)) {
        this.#options.log.warn(`${path}: request came back through proxies (Via ${via}); refused`);
        return { error: "loop", message: "this server is already in the Via chain" };
      }
    }
    const pulled = this.#pathFor(path);
    if (!pulled) return { error: "upstream", status: 503, message: "too many pulled paths" };
    return pulled.demand(via);
  }

  /** A reader of `path` left (an on-demand path may go idle). */
  readerLeft(path: string): void {
    this.#paths.get(path)?.readerLeft();
  }

  /** Stops every pulled path. */
  close(): void {
    for (const pulled of this.#paths.values()) pulled.close();
    this.#paths.clear();
  }

  #pathFor(path: string): PulledPath | undefined {
    const existing = this.#paths.get(path);
    if (existing) return existing;
    const target = this.#options.sources.match(path);
    if (!target) return undefined;
    if (this.#paths.size >= MAX_PULLED_PATHS && !this.#evictOne()) return undefined;
    const pulled = new PulledPath({
      target,
      connector: this.#options.connector,
      scheduler: this.#options.scheduler,
      log: this.#options.log,
      via: viaEntry(this.#options.viaToken),
      publish: this.#options.publish,
      unpublish: this.#options.unpublish,
      random: this.#options.random,
    });
    this.#paths.set(path, pulled);
    return pulled;
  }

  /** Forgets one path that serves no one (idle, or failed and never played). */
  #evictOne(): boolean {
    for (const [path, pulled] of this.#paths) {
      if (pulled.relay === undefined && pulled.state !== "starting") {
        pulled.close();
        this.#paths.delete(path);
        return true;
      }
    }
    return false;
  }
}
