/**
 * The port between the protocol and the stream engine: what the responder
 * asks of media (ports, groups, SSRCs, play, pause, publish, end), as plain
 * data and verdicts. The responder imports only this module, never the
 * engine; the engine implements {@linkcode MediaController} and never calls
 * the responder.
 * @module
 */

import type { NptRange } from "./range.ts";
import type { Session } from "./session.ts";

/** A pair of server UDP ports for one track (RFC 2326, 12.39 `server_port`). */
export interface UdpPorts {
  readonly rtp: number;
  readonly rtcp: number;
}

/** Where the first packets of each track start, for `RTP-Info` (RFC 2326, 12.33). */
export interface PlayStart {
  /** The range actually played. */
  readonly range: NptRange;
  /** Per set-up track: the sequence number and RTP timestamp of its next packet. */
  readonly tracks: ReadonlyArray<{ trackIndex: number; sequenceNumber: number; rtpTime: number }>;
  /** Starts delivery; called by the shell once the PLAY response is written. */
  readonly begin?: () => void;
}

/** A multicast group for one track (RFC 2326, 12.39 `destination`, `port`, `ttl`). */
export interface MulticastGroup {
  readonly address: string;
  readonly rtp: number;
  readonly rtcp: number;
  readonly ttl: number;
}

/**
 * What the server shell does with media; the responder decides, the controller acts.
 * Every method may be left out: then PLAY answers from the SETUP values and streams nothing.
 */
export interface MediaController {
  /** SETUP of a UDP track: ports to answer with, or `undefined` when UDP is unavailable (461). */
  udpPorts?(session: Session, trackIndex: number): UdpPorts | undefined;
  /** SETUP of a multicast track: its group, or `undefined` when the stream has none (461). */
  multicast?(session: Session, trackIndex: number): MulticastGroup | undefined;
  /**
   * The SSRC a track is sent with, when the source fixes it (a live stream shared
   * by all readers); otherwise the responder picks one at random.
   */
  ssrc?(session: Session, trackIndex: number): number | undefined;
  /** PLAY accepted: start or resume sending from `range` (undefined: from where it paused). */
  play?(session: Session, range: NptRange | undefined): Promise<PlayStart> | PlayStart;
  /** PAUSE accepted. */
  pause?(session: Session): void;
  /** The session ended (TEARDOWN, timeout, connection closed). */
  end?(session: Session, reason: SessionEndReason): void;
  /**
   * ANNOUNCE: may `path` be published to? Without this method publishing is
   * not offered (405). "busy": someone else publishes there; "reserved": a
   * file or a live source is served there (both 403).
   */
  canPublish?(path: string): PublishVerdict | Promise<PublishVerdict>;
  /** RECORD accepted: take the publisher's media from now on. "busy" refuses it (403). */
  record?(session: Session): PublishVerdict;
}

/** Whether a path may be published to now. */
export type PublishVerdict = "ok" | "busy" | "reserved";

/** Why a session ended. */
export type SessionEndReason =
  | "teardown"
  | "timeout"
  | "connection-closed"
  | "shutdown"
  /** The stream it read ended (a publisher left and no one took over). */
  | "source-ended"
  /** A publisher replaced by a newer one on a path configured for it. */
  | "replaced"
  /** An administrator ended it (`DELETE /v1/sessions/<id>` on the HTTP API). */
  | "kicked";

/**
 * What the engine asks the rest of the server to do, as data: it never calls
 * the responder or touches a connection itself. The shell carries each out.
 */
export type EngineEffect =
  /** End a session (its source is gone for good, or its publisher was replaced). */
  | { readonly kind: "end-session"; readonly sessionId: string; readonly reason: SessionEndReason }
  /** A session showed signs of life (RTCP, or a publisher's RTP): refresh it (RFC 2326, 12.37). */
  | { readonly kind: "refresh-session"; readonly sessionId: string }
  /** Close an RTSP connection (a replaced publisher's, so that it stops sending). */
  | { readonly kind: "close-connection"; readonly connectionId: number };
