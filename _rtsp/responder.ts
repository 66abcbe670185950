/**
 * The pure RTSP responder: one request in, one response (and what changed) out.
 * No I/O: the clock, ids and randomness are injected, so tests drive it byte for byte.
 * @module
 */

import type { LookupFailure, MediaCatalogue, StreamDescription } from "./catalogue.ts";
import type { Frame } from "./framer.ts";
import { isMethod, type Method } from "./method.ts";
import {
  RTSP_VERSION,
  type RtspRequest,
  type RtspResponse,
  type SerializeOptions,
  serializeResponse,
  serializeResponseInto,
} from "./message.ts";
import { formatRange, type NptRange, parseRange } from "./range.ts";
import { buildSdp } from "./sdp.ts";
import { announcedTracks, matchSetupTrack, parseSdp } from "./sdp_parse.ts";
import type { Authenticator } from "./auth/authenticator.ts";
import { authorizeRequest } from "./auth/gate.ts";
import type { Permissions } from "./auth/permissions.ts";
import {
  type Announcement,
  applyTransition,
  initialSessionState,
  isInterleaved,
  nextSessionState,
  parseSessionHeader,
  type Session,
  type SessionTrack,
  type StateMethod,
} from "./session.ts";
import type { MediaController, PlayStart, SessionEndReason } from "./media_port.ts";
import { AnnouncementStore } from "./announcement_store.ts";
import { type SessionCaps, SessionQuota } from "./session_quota.ts";
import { SessionTable } from "./session_table.ts";
import { UdpClaims } from "./udp_claims.ts";
import { STATUS, type StatusCode } from "./status.ts";
import { formatTransport, parseTransport, type TransportSpec } from "./transport.ts";
import { type ServedTarget, servedTarget } from "./served_target.ts";
import { parseRequestTarget, type RequestTarget } from "./url.ts";

/** RFC 2326, 12.37: the default session timeout is 60 seconds. */
export const DEFAULT_SESSION_TIMEOUT_MS = 60_000;
/** The `Server` header value. */
export const SERVER_NAME = "rtsp.ts/0.1";

/** The connection a request arrived on. */
export interface ConnectionInfo {
  /** Unique per connection for the life of the server. */
  readonly id: number;
  /** The client's IP address. */
  readonly remoteAddress: string;
  /** Our address as the client reached it. */
  readonly localAddress: string;
}

export type {
  MediaController,
  MulticastGroup,
  PlayStart,
  PublishVerdict,
  SessionEndReason,
  UdpPorts,
} from "./media_port.ts";
export { MAX_ANNOUNCEMENTS_PER_CONNECTION } from "./announcement_store.ts";

/** Options of {@linkcode RtspResponder}; everything with I/O or chance in it is injected. */
export interface RtspResponderOptions {
  /** Where streams are found. */
  readonly catalogue: MediaCatalogue;
  /** What acts on media. @default {} (no media) */
  readonly media?: MediaController;
  /** Milliseconds since the Unix epoch. @default Date.now */
  readonly now?: () => number;
  /** A new session id (RFC 2326, 3.4: at least 8 octets of randomness). */
  readonly newSessionId?: () => string;
  /** A random unsigned 32-bit number (SSRC, initial sequence number and timestamp). */
  readonly random32?: () => number;
  /** @default {DEFAULT_SESSION_TIMEOUT_MS} */
  readonly sessionTimeoutMs?: number;
  /** @default {SERVER_NAME} */
  readonly serverName?: string;
  /** Sessions allowed at once; a SETUP that would create one more gets 503. 0 = no limit. */
  readonly maxSessions?: number;
  /**
   * Sessions one client address / one connection may hold at once; past either
   * a SETUP that would create one more gets 503. 0 = no limit.
   * @default {perAddress: 0, perConnection: 0}
   */
  readonly sessionCaps?: SessionCaps;
  /**
   * Idle time after which a session that has never played or recorded ends
   * (a SETUP alone should not hold a slot for the whole session timeout).
   * @default the session timeout
   */
  readonly unplayedSessionTimeoutMs?: number;
  /** Retry-After (seconds) sent with a 503. @default 5 */
  readonly retryAfterSeconds?: number;
  /** Credentials and per-path rules; without them anyone may read and publish. */
  readonly auth?: {
    readonly authenticator: Authenticator;
    readonly permissions: Permissions;
  };
  /** Failed-login bookkeeping per client address (lockout and growing delays). */
  readonly authFailures?: AuthFailureHooks;
}

/**
 * What the responder reports about logins, so the shell can slow and lock out
 * guessing. `user` is the name the credentials claim (Basic user-id or Digest
 * `username`, "" when unreadable), known before they are checked, so a lockout
 * can be per (address, user). Requests without credentials are never reported.
 */
export interface AuthFailureHooks {
  /** Whether `user` is locked out at `address` now (its requests get 403, unverified). */
  lockedOut(address: string, user: string): boolean;
  /**
   * Failed credentials from `address` claiming `user`; undefined: refused
   * before verifying (past the PBKDF2 budget), no user to charge.
   * Returns how long to hold the answer (ms).
   */
  failed(address: string, user: string | undefined): number;
  /** Good credentials for `user` from `address`. */
  succeeded(address: string, user: string): void;
}

/** A response plus what the shell must do after writing it. */
export interface Reply {
  readonly response: RtspResponse;
  /** Close the connection after writing (a framing error). */
  readonly close: boolean;
  /** Run once the response is written (starts media after a PLAY answer). */
  readonly afterWrite?: () => void;
  /** Hold the answer this long first (a failed login: guessing gets slow). */
  readonly delayMs?: number;
}

/** Methods listed in `Public` (RFC 2326, 10.1). */
const PUBLIC_METHODS: readonly Method[] = [
  "OPTIONS",
  "DESCRIBE",
  "ANNOUNCE",
  "SETUP",
  "PLAY",
  "PAUSE",
  "RECORD",
  "TEARDOWN",
  "GET_PARAMETER",
  "SET_PARAMETER",
];
const PUBLIC = PUBLIC_METHODS.join(", ");
/** `Public` of a server that does not take publishers. */
const PUBLIC_PLAY_ONLY = PUBLIC_METHODS.filter((m) => m !== "ANNOUNCE" && m !== "RECORD")
  .join(", ");

function defaultRandom32(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}

function defaultSessionId(): string {
  // 64 random bits as 16 hex digits: RFC 2326 3.4 asks for at least 8 octets.
  const words = crypto.getRandomValues(new Uint32Array(2));
  return [...words].map((w) => w.toString(16).padStart(8, "0")).join("").toUpperCase();
}

function reply(status: StatusCode, cseq: string | undefined, extra: Partial<RtspResponse> = {}) {
  return {
    response: { status, headers: { cseq, ...extra.headers }, body: extra.body },
    close: false,
  };
}

/** Lower 16 bits: RTP sequence numbers are 16 bits (RFC 3550, 5.1). */
const SEQUENCE_MASK = 0xffff;

/**
 * Answers RTSP requests. Holds the session table; shared by all connections of a server.
 *
 * @example
 * ```ts
 * const responder = new RtspResponder({ catalogue: new StaticCatalogue([]) });
 * const reply = await responder.respond(request, { id: 1, remoteAddress: "127.0.0.1", localAddress: "127.0.0.1" });
 * const bytes = responder.serialize(reply.response);
 * ```
 */
export class RtspResponder {
  readonly sessions: SessionTable = new SessionTable();
  #catalogue: MediaCatalogue;
  #media: MediaController;
  #now: () => number;
  #newSessionId: () => string;
  #random32: () => number;
  #timeoutMs: number;
  #serverName: string;
  #maxSessions: number;
  #quota: SessionQuota;
  #unplayedTimeoutMs: number;
  /** Client UDP ports and the session each feeds (RFC 2326, 12.39 `client_port`). */
  #udpClaims = new UdpClaims();
  #auth: RtspResponderOptions["auth"];
  #authFailures: AuthFailureHooks | undefined;
  #retryAfter: string;
  #dateSecond = -1;
  #options: SerializeOptions = { date: "", server: "" };
  /** Announcements per connection, by path, waiting for their SETUPs. */
  #announcements = new AnnouncementStore();

  /** @param options see {@linkcode RtspResponderOptions} */
  constructor(options: RtspResponderOptions) {
    this.#catalogue = options.catalogue;
    this.#media = options.media ?? {};
    this.#now = options.now ?? Date.now;
    this.#newSessionId = options.newSessionId ?? defaultSessionId;
    this.#random32 = options.random32 ?? defaultRandom32;
    this.#timeoutMs = options.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS;
    this.#serverName = options.serverName ?? SERVER_NAME;
    this.#maxSessions = options.maxSessions ?? 0;
    this.#quota = new SessionQuota(options.sessionCaps ?? { perAddress: 0, perConnection: 0 });
    this.#unplayedTimeoutMs = Math.min(
      options.unplayedSessionTimeoutMs ?? this.#timeoutMs,
      this.#timeoutMs,
    );
    this.#auth = options.auth;
    this.#authFailures = options.authFailures;
    this.#retryAfter = String(options.retryAfterSeconds ?? 5);
  }

  /** Replaces the media controller (the shell sets it once its sockets exist). */
  setMediaController(media: MediaController): void {
    this.#media = media;
  }

  /** The bytes of a response, with `Date` from the injected clock and `Server`. */
  serialize(response: RtspResponse): Uint8Array {
    return serializeResponse(response, this.#serializeOptions());
  }

  /**
   * Writes a response into `out` at `offset` without allocating; returns the
   * bytes written, or `undefined` when `out` is too small.
   */
  serializeInto(response: RtspResponse, out: Uint8Array, offset: number): number | undefined {
    return serializeResponseInto(response, this.#serializeOptions(), out, offset);
  }

  #serializeOptions(): SerializeOptions {
    const second = Math.floor(this.#now() / 1000);
    if (second !== this.#dateSecond) {
      this.#dateSecond = second;
      this.#options = { date: new Date(second * 1000).toUTCString(), server: this.#serverName };
    }
    return this.#options;
  }

  /** The answer to a framing error: its status, the CSeq if known, and close. */
  frameError(frame: Extract<Frame, { kind: "error" }>): Reply {
    return { response: { status: frame.status, headers: { cseq: frame.cseq } }, close: true };
  }

  /**
   * Answers one request. Never throws for anything a client sends. Answers that
   * need the catalogue (DESCRIBE, SETUP, PLAY) come as a promise; the rest at
   * once, so a keep-alive costs no trip through the event loop.
   */
  respond(request: RtspRequest, connection: ConnectionInfo): Reply | Promise<Reply> {
    const cseq = request.headers.get("cseq");
    if (request.version !== RTSP_VERSION) {
      // RFC 2326, 11.5.6; CSeq is still echoed if it can be read.
      return reply(STATUS.RtspVersionNotSupported, cseq);
    }
    // RFC 2326, 12.17: CSeq is required in every request and is a number.
    if (cseq === undefined || !/^\d{1,10}$/.test(cseq)) return reply(STATUS.BadRequest, cseq);
    if (!isMethod(request.method)) return reply(STATUS.NotImplemented, cseq);
    const require = request.headers.get("require") ?? request.headers.get("proxy-require");
    if (require !== undefined && require.trim() !== "") {
      // RFC 2326, 12.32: no option tags are supported, so each is listed back.
      return reply(STATUS.OptionNotSupported, cseq, { headers: { unsupported: require } });
    }
    const target = parseRequestTarget(request.uri);
    if (target === undefined) return reply(STATUS.BadRequest, cseq);
    if (target.path === "*" && request.method !== "OPTIONS") return reply(STATUS.BadRequest, cseq);
    const now = this.#now();
    // SETUP's Transport is parsed once, here, by the one parser: the mode it
    // asks for decides both the rule applied and what is set up.
    const transportText = request.method === "SETUP" ? request.headers.get("transport") : undefined;
    const transports = transportText === undefined ? undefined : parseTransport(transportText);
    const choices = transports === undefined || "error" in transports ? undefined : transports;
    const served = this.#servedTarget(request, target, choices, connection, now);
    if (this.#auth && request.method !== "OPTIONS") {
      // Before any lookup, so a 401 or 403 never tells whether a path exists.
      const refused = this.#authorize(request, cseq, served, connection);
      if (refused) return refused;
    }
    switch (request.method) {
      case "OPTIONS":
        // A Session header refreshes its session; an unknown one is no error here.
        this.#sessionOf(request, now);
        return reply(STATUS.Ok, cseq, { headers: { public: this.#public() } });
      case "DESCRIBE":
        return this.#describe(cseq, target, connection);
      case "SETUP":
        return this.#setup(request, cseq, target, served, choices, connection, now);
      case "PLAY":
        return this.#play(request, cseq, target, now);
      case "PAUSE":
        return this.#pause(request, cseq, now);
      case "TEARDOWN":
        return this.#teardown(request, cseq, now);
      case "GET_PARAMETER":
      case "SET_PARAMETER": {
        const found = this.#sessionOf(request, now);
        if (found === "unknown") return reply(STATUS.SessionNotFound, cseq);
        const session = found ? { session: found.id } : {};
        // An empty body is a keep-alive (RFC 2326, 10.8); no parameters are defined.
        if (request.body.length > 0) {
          return reply(STATUS.ParameterNotUnderstood, cseq, { headers: session });
        }
        return reply(STATUS.Ok, cseq, { headers: session });
      }
      case "ANNOUNCE":
        return this.#announce(request, cseq, target, connection);
      case "RECORD":
        return this.#record(request, cseq, now);
    }
  }

  /**
   * Ends the sessions a closed connection owned that were interleaved on it,
   * and its publishing sessions (a publisher that hangs up is gone, whatever
   * its transport, so the path can be taken over at once).
   */
  connectionClosed(connectionId: number): Session[] {
    this.#announcements.dropConnection(connectionId);
    const ended: Session[] = [];
    for (const session of this.sessions.byConnection(connectionId)) {
      if (!isInterleaved(session) && session.mode !== "record") continue;
      this.sessions.delete(session.id);
      this.#forget(session);
      this.#media.end?.(session, "connection-closed");
      ended.push(session);
    }
    return ended;
  }

  /** Ends sessions idle past their timeout (RFC 2326, 12.37); call periodically. */
  expireSessions(): Session[] {
    const gone = this.sessions.expire(this.#now());
    for (const session of gone) {
      this.#forget(session);
      this.#media.end?.(session, "timeout");
    }
    return gone;
  }

  /** Ends one session from the media side (its source is gone). */
  endSession(id: string, reason: SessionEndReason): Session | undefined {
    const session = this.sessions.delete(id);
    if (!session) return undefined;
    this.#forget(session);
    this.#media.end?.(session, reason);
    return session;
  }

  /** Ends every session (server shutdown). */
  endAll(): void {
    for (const session of [...this.sessions.values()]) {
      this.sessions.delete(session.id);
      this.#forget(session);
      this.#media.end?.(session, "shutdown");
    }
  }

  /** Refreshes a session by id (RTCP received for it, RFC 2326 12.37 / RFC 3550 6). */
  touchSession(id: string): Session | undefined {
    return this.sessions.touch(id, this.#now());
  }

  async #lookup(path: string): Promise<StreamDescription | LookupFailure> {
    return await this.#catalogue.describe(path);
  }

  /**
   * The stream and track a reading SETUP names: the track whose control ends
   * the URL, or the aggregate URL of a single-track stream.
   */
  async #resolve(
    served: ServedTarget,
  ): Promise<{ stream: StreamDescription; trackIndex?: number } | LookupFailure> {
    const stream = await this.#lookup(served.path);
    if ("error" in stream) return stream;
    if (served.control === undefined) return { stream };
    const trackIndex = stream.tracks.findIndex((t) => t.control === served.control);
    return trackIndex < 0 ? { error: "not-found" } : { stream, trackIndex };
  }

  async #describe(cseq: string, target: RequestTarget, connection: ConnectionInfo): Promise<Reply> {
    const found = await this.#lookup(target.path);
    if ("error" in found) return this.#lookupFailure(cseq, found);
    const sdp = buildSdp(found, {
      sessionId: String(Math.floor(this.#now() / 1000)),
      version: "1",
      address: connection.localAddress,
    });
    return reply(STATUS.Ok, cseq, {
      headers: { contentBase: `${target.base}/`, contentType: "application/sdp" },
      body: new TextEncoder().encode(sdp),
    });
  }

  #lookupFailure(cseq: string, failure: LookupFailure): Reply {
    return reply(
      failure.error === "unsupported" ? STATUS.UnsupportedMediaType : STATUS.NotFound,
      cseq,
    );
  }

  /**
   * The session a request names. `undefined`: no Session header; "unknown": a
   * header naming no live session (454). Finding it refreshes it.
   */
  #sessionOf(request: RtspRequest, now: number): Session | undefined | "unknown" {
    const header = request.headers.get("session");
    if (header === undefined) return undefined;
    return this.sessions.touch(parseSessionHeader(header), now) ?? "unknown";
  }

  /** Checks credentials and permissions; returns the refusal, or undefined to go on. */
  #authorize(
    request: RtspRequest,
    cseq: string,
    served: ServedTarget,
    connection: ConnectionInfo,
  ): Reply | undefined {
    const hooks = this.#authFailures;
    const address = connection.remoteAddress;
    const authorization = request.headers.get("authorization");
    // A first request without credentials is how every client starts: no user
    // to check a lockout for, and never a failed login.
    const claimed = authorization === undefined || authorization.trim() === ""
      ? undefined
      : this.#auth!.authenticator.claimedUser(authorization);
    // Before verifying: a locked-out (address, user) learns nothing, not even
    // with the right password, or guessing would go on through the lockout.
    if (claimed !== undefined && hooks?.lockedOut(address, claimed)) {
      return reply(STATUS.Forbidden, cseq);
    }
    const { action, path } = served;
    const result = authorizeRequest(this.#auth!, {
      method: request.method,
      uri: request.uri,
      path,
      authorization,
      action,
      client: address,
    });
    switch (result.verdict) {
      case "allow":
        if (result.user !== undefined) hooks?.succeeded(address, result.user);
        return undefined;
      case "unauthorized": {
        // A stale nonce with the right password (RFC 7616, 3.3) is no failure either.
        const counted = claimed !== undefined && result.reason !== undefined &&
          result.reason !== "missing" && result.reason !== "stale";
        const delayMs = counted ? hooks?.failed(address, claimed) ?? 0 : 0;
        const answer = reply(STATUS.Unauthorized, cseq, {
          headers: { wwwAuthenticate: result.wwwAuthenticate },
        });
        return delayMs > 0 ? { ...answer, delayMs } : answer;
      }
      case "unavailable": {
        // Past this address's PBKDF2 budget nothing was verified. 503 with
        // Retry-After (RFC 2326, 11.5.4 and 12.31), not 401: a 401 would tell a
        // client its password is wrong (it may ask its user again, or give up),
        // and charging the claimed user would let whoever else shares the address
        // lock that user out. It counts for the address's slow-down only.
        const delayMs = hooks?.failed(address, undefined) ?? 0;
        const answer = reply(STATUS.ServiceUnavailable, cseq, {
          headers: { retryAfter: this.#retryAfter },
        });
        return delayMs > 0 ? { ...answer, delayMs } : answer;
      }
      case "bad-request":
        return reply(STATUS.BadRequest, cseq);
      case "forbidden":
        return reply(STATUS.Forbidden, cseq);
    }
  }

  /** The stream a request is authorized for and served from (see {@linkcode servedTarget}). */
  #servedTarget(
    request: RtspRequest,
    target: RequestTarget,
    transports: readonly TransportSpec[] | undefined,
    connection: ConnectionInfo,
    now: number,
  ): ServedTarget {
    const header = request.headers.get("session");
    const session = header === undefined
      ? undefined
      : this.sessions.get(parseSessionHeader(header), now);
    return servedTarget({
      method: request.method,
      path: target.path,
      transports,
      session,
      announcedPath: (path) =>
        this.#announcedTrack(connection.id, path, undefined)?.announcement.path,
    });
  }

  #public(): string {
    return this.#media.canPublish ? PUBLIC : PUBLIC_PLAY_ONLY;
  }

  /** RFC 2326, 10.3: a publisher describes what it will RECORD. */
  async #announce(
    request: RtspRequest,
    cseq: string,
    target: RequestTarget,
    connection: ConnectionInfo,
  ): Promise<Reply> {
    if (!this.#media.canPublish) {
      return reply(STATUS.MethodNotAllowed, cseq, { headers: { allow: this.#public() } });
    }
    const type = request.headers.get("content-type");
    if (type !== undefined && !/^\s*application\/sdp\s*(;|$)/i.test(type)) {
      return reply(STATUS.UnsupportedMediaType, cseq);
    }
    if (target.path === "/" || request.body.length === 0) return reply(STATUS.BadRequest, cseq);
    const text = new TextDecoder().decode(request.body);
    const parsed = parseSdp(text);
    if (!parsed.ok) return reply(STATUS.BadRequest, cseq);
    const tracks = announcedTracks(parsed.sdp);
    if (tracks.length === 0) return reply(STATUS.UnsupportedMediaType, cseq);
    if (await this.#media.canPublish(target.path) !== "ok") return reply(STATUS.Forbidden, cseq);
    if (!this.#announcements.hold(connection.id, { path: target.path, sdp: text, tracks })) {
      // Announcements waiting for their SETUPs hold too much memory in all:
      // try again later (RFC 2326, 11.5.4).
      return reply(STATUS.ServiceUnavailable, cseq, { headers: { retryAfter: this.#retryAfter } });
    }
    return reply(STATUS.Ok, cseq);
  }

  /** The announced stream and track a publisher's SETUP names. */
  #announcedTrack(
    connectionId: number,
    path: string,
    session: Session | undefined,
  ): { announcement: Announcement; trackIndex: number } | undefined {
    const candidates = session?.announcement
      ? [session.announcement]
      : [...this.#announcements.of(connectionId)];
    for (const announcement of candidates) {
      const trackIndex = matchSetupTrack(announcement.path, path, announcement.tracks);
      if (trackIndex !== undefined) return { announcement, trackIndex };
    }
    return undefined;
  }

  async #setup(
    request: RtspRequest,
    cseq: string,
    target: RequestTarget,
    served: ServedTarget,
    choices: readonly TransportSpec[] | undefined,
    connection: ConnectionInfo,
    now: number,
  ): Promise<Reply> {
    let session = this.#sessionOf(request, now);
    if (session === "unknown") return reply(STATUS.SessionNotFound, cseq);
    if (session && nextSessionState(session.state, "SETUP") === undefined) {
      return reply(STATUS.MethodNotValidInThisState, cseq, { headers: { session: session.id } });
    }
    if (choices === undefined) return reply(STATUS.UnsupportedTransport, cseq);
    // RFC 2326, 12.39: mode=record asks to publish; the first SETUP fixes the session's mode.
    const mode = served.action === "publish" ? "record" : "play";
    const withSession = session ? { headers: { session: session.id } } : {};

    let trackIndex: number;
    let path: string;
    let announcement: Announcement | undefined;
    if (mode === "record") {
      const match = this.#announcedTrack(connection.id, target.path, session);
      // A SETUP for recording needs an ANNOUNCE first (RFC 2326, 10.3 and A.1).
      if (!match) return reply(STATUS.MethodNotValidInThisState, cseq, withSession);
      ({ trackIndex, announcement } = match);
      path = announcement.path;
    } else {
      const found = await this.#resolve(served);
      if ("error" in found) return this.#lookupFailure(cseq, found);
      if (found.trackIndex === undefined) {
        // RFC 2326, 10.4 / C.1.1: SETUP names one track; the aggregate URL is
        // only meaningful for a single-track stream (live555 answers 459 too).
        if (found.stream.tracks.length !== 1) {
          return reply(STATUS.AggregateOperationNotAllowed, cseq);
        }
        trackIndex = 0;
      } else {
        trackIndex = found.trackIndex;
      }
      path = found.stream.path;
    }
    if (session && session.path !== path) {
      return reply(STATUS.AggregateOperationNotAllowed, cseq, withSession);
    }

    const isNew = session === undefined;
    if (
      isNew &&
      ((this.#maxSessions > 0 && this.sessions.size >= this.#maxSessions) ||
        this.#quota.admit(connection.remoteAddress, connection.id) !== "ok")
    ) {
      // RFC 2326, 11.5.4 and 12.31: full for now (for everyone, or for this
      // client's address or connection); try again later.
      return reply(STATUS.ServiceUnavailable, cseq, { headers: { retryAfter: this.#retryAfter } });
    }
    if (session === undefined) {
      let id = this.#newSessionId();
      while (this.sessions.has(id)) id = this.#newSessionId();
      session = {
        id,
        path,
        connectionId: connection.id,
        mode,
        ...(announcement ? { announcement } : {}),
        state: initialSessionState(mode),
        tracks: new Map(),
        lastActivityMs: now,
        timeoutMs: this.#unplayedTimeoutMs,
      };
    }
    const ssrc = this.#media.ssrc?.(session, trackIndex) ?? this.#random32();
    const chosen = this.#chooseTransport(choices, session, trackIndex, connection, ssrc);
    if (chosen === undefined) {
      return reply(
        STATUS.UnsupportedTransport,
        cseq,
        isNew ? {} : { headers: { session: session.id } },
      );
    }
    const old = session.tracks.get(trackIndex);
    if (old?.transport.clientPorts) {
      this.#udpClaims.release(session.id, old.clientAddress, old.transport.clientPorts);
    }
    if (chosen.delivery === "unicast" && chosen.clientPorts) {
      this.#udpClaims.claim(session.id, connection.remoteAddress, chosen.clientPorts);
    }
    const track: SessionTrack = {
      trackIndex,
      transport: chosen,
      // Unicast goes to whoever asked, never to a `destination=` a client names
      // (RFC 2326, 12.39 warns of using the server to flood a third party).
      clientAddress: connection.remoteAddress,
      ssrc,
      initialSequenceNumber: this.#random32() & SEQUENCE_MASK,
      initialTimestamp: this.#random32() >>> 0,
    };
    session.tracks.set(trackIndex, track);
    applyTransition(session, "SETUP");
    if (isNew) {
      this.sessions.add(session);
      this.#quota.add(session.id, connection.remoteAddress, connection.id);
    }
    return reply(STATUS.Ok, cseq, {
      headers: {
        // The timeout a playing session has: the client's keep-alive interval.
        session: `${session.id};timeout=${Math.round(this.#timeoutMs / 1000)}`,
        transport: formatTransport(chosen),
      },
    });
  }

  /**
   * The interleaved RTP channels in use on a connection (RFC 2326, 10.12),
   * read off its sessions' tracks, and those of `session` (which may be new),
   * but for the track `trackIndex` being set up again.
   */
  #channelsInUse(connectionId: number, session: Session, trackIndex: number): Set<number> {
    const used = new Set<number>();
    const sessions = this.sessions.byConnection(connectionId);
    if (!sessions.includes(session)) sessions.push(session);
    for (const s of sessions) {
      for (const track of s.tracks.values()) {
        if (s === session && track.trackIndex === trackIndex) continue;
        if (track.transport.interleaved) used.add(track.transport.interleaved[0]);
      }
    }
    return used;
  }

  /** Gives back what an ended session held: client UDP ports and its quota slot. */
  #forget(session: Session): void {
    this.#udpClaims.releaseSession(session.id);
    this.#quota.remove(session.id);
  }

  /** Takes the first choice we can serve (RFC 2326, 12.39: in the client's order). */
  #chooseTransport(
    choices: readonly TransportSpec[],
    session: Session,
    trackIndex: number,
    connection: ConnectionInfo,
    ssrc: number,
  ): TransportSpec | undefined {
    const record = session.mode === "record";
    for (const choice of choices) {
      if (choice.profile !== "RTP/AVP") continue;
      if ((choice.mode === "record") !== record) continue;
      if (choice.delivery === "multicast") {
        if (record) continue;
        if (choice.lower !== "UDP") continue;
        const group = this.#media.multicast?.(session, trackIndex);
        if (!group) continue;
        return {
          profile: "RTP/AVP",
          lower: "UDP",
          delivery: "multicast",
          destination: group.address,
          ports: [group.rtp, group.rtcp],
          ttl: group.ttl,
          ssrc,
        };
      }
      if (choice.lower === "TCP") {
        const used = this.#channelsInUse(connection.id, session, trackIndex);
        let rtp = choice.interleaved?.[0];
        // Clients without interleaved= (some cameras) or with a clash get the next free pair.
        if (rtp === undefined || used.has(rtp) || rtp === 255) {
          rtp = 0;
          while (used.has(rtp)) rtp += 2;
          if (rtp > 254) continue;
        }
        return {
          profile: "RTP/AVP",
          lower: "TCP",
          delivery: "unicast",
          interleaved: [rtp, rtp + 1],
          ...(record ? { mode: "record" } : { ssrc }),
        };
      }
      if (!choice.clientPorts) continue;
      // Ports another session receives on are refused (461), never taken over:
      // its RTP or RTCP would come to this session instead.
      if (this.#udpClaims.heldByOther(connection.remoteAddress, choice.clientPorts, session.id)) {
        continue;
      }
      const ports = this.#media.udpPorts?.(session, trackIndex);
      if (!ports) continue;
      return {
        profile: "RTP/AVP",
        lower: "UDP",
        delivery: "unicast",
        clientPorts: choice.clientPorts,
        serverPorts: [ports.rtp, ports.rtcp],
        ...(record ? { mode: "record" } : { ssrc }),
      };
    }
    return undefined;
  }

  /** Finds the session of a state-changing request and checks the transition. */
  #stateful(
    request: RtspRequest,
    cseq: string,
    method: StateMethod,
    now: number,
  ): { session: Session } | Reply {
    const found = this.#sessionOf(request, now);
    if (found === undefined || found === "unknown") return reply(STATUS.SessionNotFound, cseq);
    if (nextSessionState(found.state, method) === undefined) {
      return reply(STATUS.MethodNotValidInThisState, cseq, { headers: { session: found.id } });
    }
    return { session: found };
  }

  async #play(
    request: RtspRequest,
    cseq: string,
    target: RequestTarget,
    now: number,
  ): Promise<Reply> {
    const found = this.#stateful(request, cseq, "PLAY", now);
    if ("response" in found) return found;
    const session = found.session;
    if (session.tracks.size > 1 && target.path !== session.path) {
      // RFC 2326, 11.3.10: a multi-track session plays as a whole.
      return reply(STATUS.OnlyAggregateOperationAllowed, cseq, {
        headers: { session: session.id },
      });
    }
    const rangeText = request.headers.get("range");
    let range: NptRange | undefined;
    if (rangeText !== undefined) {
      range = parseRange(rangeText);
      if (range === undefined) {
        return reply(STATUS.InvalidRange, cseq, { headers: { session: session.id } });
      }
    }
    let start: PlayStart;
    try {
      start = this.#media.play
        ? await this.#media.play(session, range)
        : this.#defaultPlayStart(session, range);
    } catch {
      // The media side could not start (a file vanished or is unreadable).
      return reply(STATUS.InternalServerError, cseq, { headers: { session: session.id } });
    }
    applyTransition(session, "PLAY");
    session.timeoutMs = this.#timeoutMs;
    // RTP-Info URLs are track URLs under the aggregate URL (RFC 2326, 12.33).
    const base = target.path === session.path
      ? target.base
      : target.base.slice(0, target.base.lastIndexOf("/"));
    const stream = await this.#lookup(session.path);
    const rtpInfo = start.tracks.map((t) => {
      const control = "error" in stream
        ? `trackID=${t.trackIndex}`
        : stream.tracks[t.trackIndex]?.control;
      return `url=${base}/${control};seq=${t.sequenceNumber & SEQUENCE_MASK};rtptime=${
        t.rtpTime >>> 0
      }`;
    });
    const answer = reply(STATUS.Ok, cseq, {
      headers: {
        session: session.id,
        range: formatRange(start.range),
        rtpInfo: rtpInfo.length > 0 ? rtpInfo.join(",") : undefined,
      },
    });
    return start.begin ? { ...answer, afterWrite: start.begin } : answer;
  }

  #defaultPlayStart(session: Session, range: NptRange | undefined): PlayStart {
    return {
      range: range ?? { start: 0 },
      tracks: [...session.tracks.values()].map((t) => ({
        trackIndex: t.trackIndex,
        sequenceNumber: t.initialSequenceNumber,
        rtpTime: t.initialTimestamp,
      })),
    };
  }

  /** RFC 2326, 10.11: a publisher starts sending. */
  #record(request: RtspRequest, cseq: string, now: number): Reply {
    const found = this.#stateful(request, cseq, "RECORD", now);
    if ("response" in found) return found;
    const session = found.session;
    const withSession = { headers: { session: session.id } };
    if (session.state !== "recording" && (this.#media.record?.(session) ?? "ok") !== "ok") {
      return reply(STATUS.Forbidden, cseq, withSession);
    }
    applyTransition(session, "RECORD");
    session.timeoutMs = this.#timeoutMs;
    return reply(STATUS.Ok, cseq, withSession);
  }

  #pause(request: RtspRequest, cseq: string, now: number): Reply {
    const found = this.#stateful(request, cseq, "PAUSE", now);
    if ("response" in found) return found;
    applyTransition(found.session, "PAUSE");
    this.#media.pause?.(found.session);
    return reply(STATUS.Ok, cseq, { headers: { session: found.session.id } });
  }

  #teardown(request: RtspRequest, cseq: string, now: number): Reply {
    const found = this.#stateful(request, cseq, "TEARDOWN", now);
    if ("response" in found) return found;
    const session = found.session;
    applyTransition(session, "TEARDOWN");
    this.sessions.delete(session.id);
    this.#forget(session);
    this.#media.end?.(session, "teardown");
    return reply(STATUS.Ok, cseq, { headers: { session: session.id } });
  }
}
