/**
 * Which paths are pulled from where: per path pattern a source URL (with
 * `$path` standing for the requested path, for edges that pull any path from
 * an origin), on demand or always on, the transport preference, and the
 * timeouts. The first spec whose pattern matches a path wins.
 * @module
 */

import { compilePathPattern } from "../../_rtsp/auth/permissions.ts";
import type { PullTransport } from "./upstream_port.ts";

/** Default time an on-demand source keeps running with no reader. */
export const DEFAULT_PULL_IDLE_MS = 10_000;
/** Default time a reader waits for an upstream to start before it gets 504. */
export const DEFAULT_PULL_START_TIMEOUT_MS = 10_000;
/** Default time without any packet from a playing upstream before it is taken as lost. */
export const DEFAULT_PULL_STALL_MS = 5_000;

/** One configured pull source. */
export interface PullSourceSpec {
  /** Path pattern, as in the permission rules (`/cam1`, `/cams/*`, `/**`). */
  readonly pattern: string;
  /** `rtsp://` or `rtsps://` URL; `$path` is replaced by the path without its leading `/`. */
  readonly source: string;
  /** Start when the first reader comes, stop `idleMs` after the last one left; else always on. */
  readonly onDemand: boolean;
  readonly idleMs: number;
  /** How long a reader waits for the upstream to play (504 after). */
  readonly startTimeoutMs: number;
  /** How long a playing upstream may send nothing before it is reconnected. */
  readonly stallMs: number;
  readonly transport: PullTransport;
}

/** A spec as written in the config or on the command line; the rest takes defaults. */
export type PullSourceInput =
  & Pick<PullSourceSpec, "pattern" | "source">
  & Partial<Omit<PullSourceSpec, "pattern" | "source">>;

/** The source of one path. */
export interface PullTarget {
  readonly path: string;
  readonly url: string;
  readonly spec: PullSourceSpec;
}

/** Whether a pattern names more than one path (a wildcard). */
export function isWildcardPattern(pattern: string): boolean {
  return pattern.includes("*");
}

/** The upstream URL of `path` under `source`: `$path` replaced, each segment percent-encoded. */
export function sourceUrl(source: string, path: string): string {
  const encoded = path.split("/").filter((s) => s !== "").map(encodeURIComponent).join("/");
  return source.replaceAll("$path", encoded);
}

/** Fills the defaults in. */
export function pullSourceSpec(input: PullSourceInput): PullSourceSpec {
  return {
    ...input,
    onDemand: input.onDemand ?? true,
    idleMs: input.idleMs ?? DEFAULT_PULL_IDLE_MS,
    startTimeoutMs: input.startTimeoutMs ?? DEFAULT_PULL_START_TIMEOUT_MS,
    stallMs: input.stallMs ?? DEFAULT_PULL_STALL_MS,
    transport: input.transport ?? "auto",
  };
}

/** Where a pull source was defined: at start (config file, flags) or through the API at run time. */
export type PullSourceOrigin = "start" | "api";

/** A pull source as listed. */
export interface PullSourceEntry {
  readonly spec: PullSourceSpec;
  readonly origin: PullSourceOrigin;
}

interface CompiledSource extends PullSourceEntry {
  readonly regex: RegExp;
}

/**
 * The pull sources, matched in order: those given at start in their order;
 * one added at run time goes before every pattern with `*` when it names one
 * path (so `/cam9` added to an edge whose config has `/**` is pulled from its
 * own source), and after all others when it has a wildcard.
 */
export class PullSources {
  #sources: CompiledSource[];

  /** @param specs in order of precedence; patterns must be valid */
  constructor(specs: readonly PullSourceSpec[]) {
    this.#sources = specs.map((spec) => compile(spec, "start"));
  }

  get size(): number {
    return this.#sources.length;
  }

  /** Every source, in match order. */
  entries(): PullSourceEntry[] {
    return this.#sources.map(({ spec, origin }) => ({ spec, origin }));
  }

  /** The source whose pattern is exactly `pattern`. */
  find(pattern: string): PullSourceEntry | undefined {
    return this.#sources.find((s) => s.spec.pattern === pattern);
  }

  /** Adds a source at run time; false when its pattern is already there. */
  add(spec: PullSourceSpec): boolean {
    if (this.find(spec.pattern)) return false;
    const compiled = compile(spec, "api");
    if (isWildcardPattern(spec.pattern)) {
      this.#sources.push(compiled);
    } else {
      const firstWildcard = this.#sources.findIndex((s) => isWildcardPattern(s.spec.pattern));
      this.#sources.splice(firstWildcard < 0 ? this.#sources.length : firstWildcard, 0, compiled);
    }
    return true;
  }

  /** Removes the source with exactly this pattern; what it was, if any. */
  remove(pattern: string): PullSourceEntry | undefined {
    const i = this.#sources.findIndex((s) => s.spec.pattern === pattern);
    if (i < 0) return undefined;
    const [{ spec, origin }] = this.#sources.splice(i, 1);
    return { spec, origin };
  }

  /** The source of `path` (canonical), if one is configured. */
  match(path: string): PullTarget | undefined {
    for (const { spec, regex } of this.#sources) {
      if (regex.test(path)) return { path, url: sourceUrl(spec.source, path), spec };
    }
    return undefined;
  }

  /** The always-on sources: each names one path (wildcards are on demand). */
  alwaysOn(): PullTarget[] {
    return this.#sources
      .filter(({ spec }) => isAlwaysOn(spec))
      .map(({ spec }) => ({ path: spec.pattern, url: sourceUrl(spec.source, spec.pattern), spec }));
  }
}

/** Whether a source runs without readers: not on demand, and naming one path. */
export function isAlwaysOn(spec: PullSourceSpec): boolean {
  return !spec.onDemand && !isWildcardPattern(spec.pattern);
}

function compile(spec: PullSourceSpec, origin: PullSourceOrigin): CompiledSource {
  return { spec, origin, regex: compilePathPattern(spec.pattern) };
}
