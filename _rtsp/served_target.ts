/**
 * What a request asks to do, and to which stream: computed once per request,
 * from the parsed request alone, and used both to authorize it and to serve
 * it. A request is never checked against one path and answered from another.
 * @module
 */

import type { Action } from "./auth/permissions.ts";
import type { TransportSpec } from "./transport.ts";
import { splitLastSegment } from "./url.ts";

/** The stream a request is authorized for and served from. */
export interface ServedTarget {
  readonly action: Action;
  /** The stream's canonical path. */
  readonly path: string;
  /**
   * For a reading SETUP of a track URL: the track's control (`trackID=N`).
   * Absent for the aggregate URL (RFC 2326, C.1.1).
   */
  readonly control?: string;
}

/** The session a request names, as far as the target is concerned. */
export interface TargetSession {
  readonly mode: "play" | "record";
  readonly path: string;
}

/** What {@linkcode servedTarget} needs from a request. */
export interface TargetRequest {
  readonly method: string;
  /** The canonical request path (`parseRequestTarget(uri).path`). */
  readonly path: string;
  /** SETUP's `Transport`, parsed by `parseTransport`; undefined when absent or invalid. */
  readonly transports?: readonly TransportSpec[];
  /** The live session the `Session` header names, if any. */
  readonly session?: TargetSession;
  /**
   * For a publishing SETUP without a session: the path of this connection's
   * announcement that the request path falls under, if any.
   */
  readonly announcedPath?: (path: string) => string | undefined;
}

/**
 * Every track this server serves has the control `trackID=<index>` (files,
 * the test source, and relayed paths, whose publisher controls are renamed):
 * so a track URL is known by its form, without asking the catalogue.
 */
const TRACK_CONTROL = /^trackID=\d{1,3}$/;

/** Methods that act on the stream of the session they name, whatever the URL. */
const SESSION_METHODS: ReadonlySet<string> = new Set([
  "PLAY",
  "PAUSE",
  "RECORD",
  "TEARDOWN",
  "GET_PARAMETER",
  "SET_PARAMETER",
]);

/** Whether a SETUP asks to publish (RFC 2326, 12.39 `mode=record`), as the Transport parser read it. */
export function isRecordSetup(transports: readonly TransportSpec[] | undefined): boolean {
  return transports?.some((t) => t.mode === "record") ?? false;
}

/**
 * The action and stream of a request:
 * - a method acting on a session (PLAY, PAUSE, RECORD, TEARDOWN, GET/SET_PARAMETER)
 *   with a live session: that session's stream, publishing if it publishes;
 * - ANNOUNCE and RECORD: publishing the request path;
 * - SETUP in a publishing session, or asking `mode=record` without one: publishing
 *   the announced stream the URL falls under (else the request path);
 * - SETUP otherwise: reading; a URL whose last segment is `trackID=N` names
 *   that track of its parent, any other URL the aggregate stream;
 * - everything else (DESCRIBE, OPTIONS, ...): reading the request path.
 */
export function servedTarget(request: TargetRequest): ServedTarget {
  const { method, path, session } = request;
  if (session && SESSION_METHODS.has(method)) {
    return { action: session.mode === "record" ? "publish" : "read", path: session.path };
  }
  if (method === "ANNOUNCE" || method === "RECORD") return { action: "publish", path };
  if (method !== "SETUP") return { action: "read", path };
  const record = session ? session.mode === "record" : isRecordSetup(request.transports);
  if (record) {
    return { action: "publish", path: session?.path ?? request.announcedPath?.(path) ?? path };
  }
  const split = splitLastSegment(path);
  if (split && TRACK_CONTROL.test(split[1])) {
    return { action: "read", path: split[0], control: split[1] };
  }
  return { action: "read", path };
}
