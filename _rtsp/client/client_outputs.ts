/**
 * What the client state machine hands its shell: typed states, typed errors,
 * effects to carry out (connect, write, close, open UDP ports) and events to
 * pass on (lifecycle, media).
 * @module
 */

import type { RtcpPacket } from "../rtp/rtcp.ts";
import type { RtpPacket } from "../rtp/rtp_packet.ts";
import type { ClientDescription } from "./client_tracks.ts";
import type { ChallengeRefusal } from "./client_auth.ts";
import type { RtpInfoEntry } from "./response_headers.ts";

/** Where the session to one URL stands (RFC 2326, A.1 seen from the client). */
export const ClientState = {
  /** Created; `start()` not called. */
  Idle: "idle",
  /** Waiting for the shell to open the connection. */
  Connecting: "connecting",
  /** OPTIONS sent. */
  Options: "options",
  /** DESCRIBE sent. */
  Describing: "describing",
  /** Waiting for the shell's UDP ports (`useUdpPorts`). */
  AwaitingPorts: "awaiting-ports",
  /** SETUP of the tracks under way. */
  SettingUp: "setting-up",
  /** Every track set up; PLAY not sent (RFC 2326, A.1 Ready). */
  Ready: "ready",
  /** PLAY sent. */
  Starting: "starting",
  /** PLAY answered (RFC 2326, A.1 Playing). */
  Playing: "playing",
  /** TEARDOWN sent by `close()`. */
  TearingDown: "tearing-down",
  /** Finished: nothing more happens. */
  Closed: "closed",
} as const;

/** One of the {@linkcode ClientState} values. */
export type ClientState = typeof ClientState[keyof typeof ClientState];

/** How RTP travels: `auto` tries UDP and falls back to TCP. */
export type ClientTransport = "auto" | "tcp" | "udp";

/** Why the client stopped. Every one of them is final. */
export type ClientError =
  /** A final status answered a request (RFC 2326, 7.1.1). */
  | {
    readonly kind: "http-status";
    readonly method: string;
    readonly status: number;
    readonly reason: string;
  }
  /** No answer in time (`what: "response"`), or no media while playing (`"media"`). */
  | { readonly kind: "timeout"; readonly what: "response" | "media"; readonly method?: string }
  /** A 401 that cannot be answered, or credentials refused (RFC 7235, 3.1). */
  | { readonly kind: "auth-failed"; readonly reason: ChallengeRefusal }
  /** The server sent something that is not RTSP, breaks a limit, or contradicts itself. */
  | { readonly kind: "malformed"; readonly detail: string }
  /** More 3xx answers in a row than allowed. */
  | { readonly kind: "too-many-redirects"; readonly count: number }
  /** More media in the SDP than allowed. */
  | { readonly kind: "too-many-tracks"; readonly count: number }
  /** The connection ended while it was needed. */
  | { readonly kind: "connection-closed" }
  /** The shell could not open the connection. */
  | { readonly kind: "connect-failed"; readonly detail: string };

/** How one track travels once set up. */
export type TrackTransport =
  | { readonly lower: "TCP"; readonly channels: readonly [number, number] }
  | {
    readonly lower: "UDP";
    readonly clientPorts: readonly [number, number];
    readonly serverPorts?: readonly [number, number];
    readonly source?: string;
  };

/** An access unit of one track: a picture (NAL units) or audio frames. */
export interface ClientFrame {
  readonly track: number;
  /** The RTP timestamp of the unit, as sent (RFC 3550, 5.1), in the track's clock rate. */
  readonly timestamp: number;
  /** NAL units without start codes (video), or codec frames (audio). */
  readonly units: readonly Uint8Array[];
  /** An IDR/IRAP picture; every audio frame is one. */
  readonly keyframe: boolean;
}

/** Effects: what the shell must do. */
export type ClientEffect =
  /** Open a connection (closing any previous one first). */
  | {
    readonly kind: "connect";
    readonly hostname: string;
    readonly port: number;
    readonly secure: boolean;
  }
  /** Write bytes on the connection. */
  | { readonly kind: "write"; readonly bytes: Uint8Array }
  /** Close the connection. */
  | { readonly kind: "close-connection" }
  /** Bind `tracks` even/odd UDP port pairs, then call `useUdpPorts`. */
  | { readonly kind: "open-udp"; readonly tracks: number }
  /** Close the UDP ports. */
  | { readonly kind: "close-udp" }
  /** Send a datagram from track `track`'s RTP (or RTCP) port to the server's `port`. */
  | {
    readonly kind: "send-datagram";
    readonly track: number;
    readonly rtcp: boolean;
    readonly port: number;
    readonly bytes: Uint8Array;
  };

/** Events: what happened. */
export type ClientEvent =
  /** The connection is open (again, after a redirect). */
  | { readonly kind: "connected"; readonly url: string }
  /** A 3xx sent the client elsewhere (RFC 2326, 11.3). */
  | { readonly kind: "redirected"; readonly url: string }
  /** DESCRIBE answered. */
  | { readonly kind: "described"; readonly description: ClientDescription }
  /** UDP was given up for TCP: a 461 (RFC 2326, 11.3.9) or no UDP media arrived in time. */
  | {
    readonly kind: "transport-fallback";
    readonly reason: "unsupported-transport" | "no-udp-data";
  }
  /** Every track is set up. */
  | { readonly kind: "ready"; readonly transports: readonly TrackTransport[] }
  /** PLAY answered; `rtpInfo` per track (RFC 2326, 12.33), when the server sent it. */
  | {
    readonly kind: "playing";
    readonly transports: readonly TrackTransport[];
    readonly rtpInfo: ReadonlyArray<RtpInfoEntry | undefined>;
  }
  /** An RTP packet of a track; `packet.payload` is valid only during the call. */
  | {
    readonly kind: "rtp";
    readonly track: number;
    readonly packet: RtpPacket;
    /** The whole packet as received (a view valid only during the call), for relaying. */
    readonly bytes: Uint8Array;
  }
  /** An access unit assembled from a track's packets. */
  | { readonly kind: "frame"; readonly frame: ClientFrame }
  /** An RTCP compound from the server for a track. */
  | {
    readonly kind: "rtcp";
    readonly track: number;
    readonly packets: readonly RtcpPacket[];
    /** The compound as received (a view valid only during the call). */
    readonly bytes: Uint8Array;
  }
  /** RTCP BYE (RFC 3550, 6.6): the server's source left. */
  | { readonly kind: "bye"; readonly track: number; readonly reason?: string }
  /** The client stopped for `error`; `closed` follows. */
  | { readonly kind: "error"; readonly error: ClientError }
  /** Finished (after TEARDOWN, or after an error). */
  | { readonly kind: "closed" };

/** Everything the machine outputs. */
export type ClientOutput = ClientEffect | ClientEvent;
