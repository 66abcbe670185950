/**
 * The port between a pulled path and the RTSP client that reads its upstream:
 * the engine asks for an upstream to be opened and gets events back; the
 * shell drives the client (sockets, TLS, timers) behind {@linkcode UpstreamConnector}.
 * @module
 */

import type { AnnouncedTrack } from "../../_rtsp/sdp_parse.ts";

/** How the upstream's media is carried: UDP first then TCP (`auto`), or only one. */
export type PullTransport = "auto" | "tcp" | "udp";

/** Transport preferences accepted in the config, in the order the README lists them. */
export const PULL_TRANSPORTS: readonly PullTransport[] = ["auto", "tcp", "udp"];

/** Why an upstream could not be read, or stopped being read. */
export type UpstreamFailure =
  /** The upstream answered 404 for the path. */
  | { readonly kind: "not-found"; readonly message: string }
  /** The upstream refused our credentials (401 after answering its challenge, or 403). */
  | { readonly kind: "unauthorized"; readonly message: string }
  /** No connection (refused, no route, name not resolved, TLS failed). */
  | { readonly kind: "unreachable"; readonly message: string }
  /** No answer, or no media, in time. */
  | { readonly kind: "timeout"; readonly message: string }
  /** The request came back to this server through a chain of proxies (RFC 2326, 12.43 Via). */
  | { readonly kind: "loop"; readonly message: string }
  /** The upstream answered something we cannot use (other status, bad SDP, garbage). */
  | { readonly kind: "protocol"; readonly message: string }
  /** It played, then stopped: connection reset, RTCP BYE, no packets for a while. */
  | { readonly kind: "lost"; readonly message: string };

/** What to open. */
export interface UpstreamRequest {
  /** The upstream URL, credentials in its userinfo if any. */
  readonly url: string;
  readonly transport: PullTransport;
  /**
   * The `Via` header to send (RFC 2326, 12.43): the readers' chain plus this
   * server, so that a server that finds itself in it can refuse the loop.
   */
  readonly via: string;
}

/** What an open upstream reports, in this order: `playing` once, media, then at most one `failed`. */
export interface UpstreamEvents {
  /** PLAY was answered: these tracks (control rewritten to `trackID=<i>`) will carry media. */
  playing(tracks: readonly AnnouncedTrack[], sdp: string): void;
  /** One RTP packet of track `trackIndex`; the receiver owns `packet`. */
  rtp(trackIndex: number, packet: Uint8Array): void;
  /** One RTCP compound packet about track `trackIndex`. */
  rtcp(trackIndex: number, bytes: Uint8Array): void;
  /** The upstream failed or ended; no event follows. */
  failed(failure: UpstreamFailure): void;
}

/** An open upstream session. */
export interface UpstreamHandle {
  /** Tears the session down (TEARDOWN when it is up) and sends no more events. */
  close(): void;
}

/** Opens upstream sessions (the shell's RTSP client). */
export interface UpstreamConnector {
  open(request: UpstreamRequest, events: UpstreamEvents): UpstreamHandle;
}
