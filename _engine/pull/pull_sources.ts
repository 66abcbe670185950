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

/** The configured pull sources, matched in order. */
export class PullSources {
  #specs: Array<{ spec: PullSourceSpec; regex: RegExp }>;

  /** @param specs in order of precedence; patterns must be valid */
  constructor(specs: readonly PullSourceSpec[]) {
    this.#specs = specs.map((spec) => ({ spec, regex: compilePathPattern(spec.pattern) }));
  }

  get size(): number {
    return this.#specs.length;
  }

  /** The source of `path` (canonical), if one is configured. */
  match(path: string): PullTarget | undefined {
    for (const { spec, regex } of this.#specs) {
      if (regex.test(path)) return { path, url: sourceUrl(spec.source, path), spec };
    }
    return undefined;
  }

  /** The always-on sources: each names one path (wildcards are on demand). */
  alwaysOn(): PullTarget[] {
    return this.#specs
      .filter(({ spec }) => !spec.onDemand && !isWildcardPattern(spec.pattern))
      .map(({ spec }) => ({ path: spec.pattern, url: sourceUrl(spec.source, spec.pattern), spec }));
  }
}
