/**
 * What the responder asks about a path: does a stream live there, and what are its tracks.
 * @module
 */

/** One RTP track of a stream, as described in SDP (RFC 8866, 5.14). */
export interface TrackDescription {
  /** SDP media type. */
  readonly media: "video" | "audio" | "application";
  /** RTP payload type (RFC 3551): static (0 PCMU, 8 PCMA) or dynamic 96-127. */
  readonly payloadType: number;
  /** Encoding name for `a=rtpmap` (e.g. `H264`, `PCMU`, `mpeg4-generic`, `opus`). */
  readonly encoding: string;
  /** RTP clock rate in Hz. */
  readonly clockRate: number;
  /** Audio channels for `a=rtpmap`, when not 1. */
  readonly channels?: number;
  /** `a=fmtp` parameters, when the format has any. */
  readonly fmtp?: string;
  /** The track's control suffix (RFC 2326, C.1.1), e.g. `trackID=0`. */
  readonly control: string;
  /** Extra SDP attribute lines for this media, without `a=` (e.g. `framerate:25`). */
  readonly attributes?: readonly string[];
}

/** A stream found at a path. */
export interface StreamDescription {
  /** The stream's own path, e.g. `/test`. */
  readonly path: string;
  /** Session name for SDP `s=`. */
  readonly name: string;
  /** Tracks in SDP order. */
  readonly tracks: readonly TrackDescription[];
  /** Duration in seconds for files; `undefined` for a live stream. */
  readonly durationSeconds?: number;
}

/** Why a pulled path has no stream: what its upstream did (see `_engine/pull/`). */
export type UpstreamLookupFailure =
  /** The upstream has no such path (404). */
  | { readonly error: "not-found" }
  /**
   * The upstream could not be read: 502 Bad Gateway (unreachable, refused our
   * credentials, answered garbage), 504 Gateway Time-out (no answer in time),
   * 503 (too many readers waiting already); RFC 2326, 11.5.3, 11.5.5.
   */
  | { readonly error: "upstream"; readonly status: 502 | 503 | 504; readonly message: string }
  /** The request came back through a chain of proxies (its `Via` names this server): 508. */
  | { readonly error: "loop"; readonly message: string };

/** Why a lookup found no playable stream. */
export type LookupFailure =
  | UpstreamLookupFailure
  /** The file exists but cannot be served (415). */
  | { readonly error: "unsupported"; readonly message: string };

/** What a lookup knows of the request that asked. */
export interface LookupContext {
  /** The request's `Via` header (RFC 2326, 12.43), passed on to an upstream and checked for loops. */
  readonly via?: string;
}

/** The media catalogue the responder consults. Implementations may do I/O. */
export interface MediaCatalogue {
  /** The stream at exactly `path`. */
  describe(
    path: string,
    context?: LookupContext,
  ): Promise<StreamDescription | LookupFailure> | StreamDescription | LookupFailure;
}

/** A catalogue of fixed descriptions, for tests and simple setups. */
export class StaticCatalogue implements MediaCatalogue {
  #streams: Map<string, StreamDescription>;

  /** @param streams the streams served, by their `path`. */
  constructor(streams: readonly StreamDescription[]) {
    this.#streams = new Map(streams.map((s) => [s.path, s]));
  }

  /** The stream at `path`, or not-found. */
  describe(path: string): StreamDescription | LookupFailure {
    return this.#streams.get(path) ?? { error: "not-found" };
  }
}
