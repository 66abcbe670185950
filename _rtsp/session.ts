/**
 * Session state (RFC 2326, Appendix A.1, server state machine).
 * @module
 */

import type { AnnouncedTrack } from "./sdp_parse.ts";
import type { TransportSpec } from "./transport.ts";

/** What a publisher announced (RFC 2326, 10.3): kept per connection until its SETUPs. */
export interface Announcement {
  /** The path published to. */
  readonly path: string;
  /** The SDP as sent. */
  readonly sdp: string;
  /** Its tracks, described as readers will see them. */
  readonly tracks: readonly AnnouncedTrack[];
}

/**
 * The states of a server session: RFC 2326, A.1's Init, Ready, Playing and
 * Recording, with Ready split by what the session was set up for (as
 * gortsplib's PrePlay and PreRecord): a session is made for playing or for
 * recording by its first SETUP, and a method of the other kind is not valid
 * in it. A session is born in `init` (to play) or `announced` (to record what
 * its connection ANNOUNCEd) and leaves both with its first SETUP.
 */
export type SessionState =
  | "init"
  | "announced"
  | "ready-to-play"
  | "playing"
  | "ready-to-record"
  | "recording";

/** Every state, in table order. */
export const SESSION_STATES: readonly SessionState[] = [
  "init",
  "announced",
  "ready-to-play",
  "playing",
  "ready-to-record",
  "recording",
];

/** The methods that move a session between states (RFC 2326, A.1). */
export type StateMethod = "SETUP" | "PLAY" | "PAUSE" | "RECORD" | "TEARDOWN";

/** Every state method. */
export const STATE_METHODS: readonly StateMethod[] = [
  "SETUP",
  "PLAY",
  "PAUSE",
  "RECORD",
  "TEARDOWN",
];

/**
 * RFC 2326, A.1 transition table. A method missing from a state's row is
 * answered with 455 Method Not Valid in This State: PLAY in a session set up
 * to record and RECORD in one set up to play, PAUSE before PLAY or RECORD, and
 * SETUP while playing or recording (a transport change, which A.1 allows a
 * server to refuse). TEARDOWN ends the session (its state is then `init` and
 * it is gone).
 */
export const SESSION_TRANSITIONS: Readonly<
  Record<SessionState, Readonly<Partial<Record<StateMethod, SessionState>>>>
> = {
  "init": { SETUP: "ready-to-play", TEARDOWN: "init" },
  "announced": { SETUP: "ready-to-record", TEARDOWN: "init" },
  "ready-to-play": { SETUP: "ready-to-play", PLAY: "playing", TEARDOWN: "init" },
  "playing": { PLAY: "playing", PAUSE: "ready-to-play", TEARDOWN: "init" },
  "ready-to-record": { SETUP: "ready-to-record", RECORD: "recording", TEARDOWN: "init" },
  "recording": { RECORD: "recording", PAUSE: "ready-to-record", TEARDOWN: "init" },
};

/**
 * The state after `method` in `state`, or `undefined` when the method is not
 * valid there (455).
 */
export function nextSessionState(
  state: SessionState,
  method: StateMethod,
): SessionState | undefined {
  return SESSION_TRANSITIONS[state][method];
}

/**
 * Moves `session` on by `method` through {@linkcode SESSION_TRANSITIONS}, the
 * only way its state changes after birth. Returns false, changing nothing,
 * when the method is not valid in its state.
 */
export function applyTransition(session: Session, method: StateMethod): boolean {
  const next = nextSessionState(session.state, method);
  if (next === undefined) return false;
  session.state = next;
  return true;
}

/** The state a new session is born in: `announced` when it publishes an announcement. */
export function initialSessionState(mode: "play" | "record"): SessionState {
  return mode === "record" ? "announced" : "init";
}

/** Whether a session is past SETUP and not yet playing or recording (RFC 2326, A.1 Ready). */
export function isReady(state: SessionState): boolean {
  return state === "ready-to-play" || state === "ready-to-record";
}

/** One track set up in a session. */
export interface SessionTrack {
  /** Index of the track in the stream description. */
  readonly trackIndex: number;
  /** The transport as answered to the client (with server ports or channels and SSRC). */
  readonly transport: TransportSpec;
  /** The client's address, for UDP delivery. */
  readonly clientAddress: string;
  /** Our SSRC for this track (RFC 3550, 8.1: chosen at random). */
  readonly ssrc: number;
  /** First RTP sequence number (RFC 3550, 5.1: random). */
  readonly initialSequenceNumber: number;
  /** First RTP timestamp (RFC 3550, 5.1: random). */
  readonly initialTimestamp: number;
}

/**
 * What the stream engine attached to a session to send it media: its reader
 * and what feeds it (a shared stream, a file's own timeline, a multicast
 * group). Set and cleared by the engine only; opaque to the protocol, which
 * cannot import the engine's types.
 */
export interface MediaAttachment {
  readonly kind: string;
}

/** A session: created by the first SETUP, ended by TEARDOWN, timeout or (TCP) connection close. */
export interface Session {
  readonly id: string;
  /** The stream's path, e.g. `/test`. */
  readonly path: string;
  /** The connection that created it; interleaved data flows only there. */
  readonly connectionId: number;
  /** Reading (PLAY) or publishing (RECORD), fixed by the first SETUP's transport mode. */
  readonly mode: "play" | "record";
  /** For a publishing session: what was announced. */
  readonly announcement?: Announcement;
  state: SessionState;
  /** Tracks by index. */
  readonly tracks: Map<number, SessionTrack>;
  /** Milliseconds on the injected clock of the last request or RTCP packet. */
  lastActivityMs: number;
  /**
   * RFC 2326, 12.37: idle time after which the session is ended. Shorter until
   * the session first plays or records (a SETUP alone holds a slot briefly).
   */
  timeoutMs: number;
  /** What sends this session media, while something does (from PLAY until PAUSE or its end). */
  media?: MediaAttachment;
}

/** Whether any track of the session is interleaved on its RTSP connection. */
export function isInterleaved(session: Session): boolean {
  for (const track of session.tracks.values()) if (track.transport.lower === "TCP") return true;
  return false;
}

/** Reads the session id from a `Session` header value (`id;timeout=60`, RFC 2326 12.37). */
export function parseSessionHeader(value: string): string {
  return value.split(";")[0].trim();
}
