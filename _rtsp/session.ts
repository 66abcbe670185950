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

/** RFC 2326, A.1: the states of a server session. */
export type SessionState = "init" | "ready" | "playing" | "recording";

/** The methods that move a session between states (RFC 2326, A.1). */
export type StateMethod = "SETUP" | "PLAY" | "PAUSE" | "RECORD" | "TEARDOWN";

/**
 * RFC 2326, A.1 transition table. A method missing from a state's row is
 * answered with 455 Method Not Valid in This State. SETUP while playing or
 * recording (a transport change) is refused with 455, which A.1 allows.
 */
export const SESSION_TRANSITIONS: Readonly<
  Record<SessionState, Readonly<Partial<Record<StateMethod, SessionState>>>>
> = {
  init: { SETUP: "ready", TEARDOWN: "init" },
  ready: { SETUP: "ready", PLAY: "playing", RECORD: "recording", TEARDOWN: "init" },
  playing: { PLAY: "playing", PAUSE: "ready", TEARDOWN: "init" },
  recording: { RECORD: "recording", PAUSE: "ready", TEARDOWN: "init" },
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
