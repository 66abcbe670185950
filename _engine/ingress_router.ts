/**
 * Where what a client sends goes: a publisher's RTP and RTCP into its relay,
 * a reader's RTCP to its session. Datagrams are told apart by source address
 * and port (the server's ports are shared by every session, RFC 2326 12.39
 * `client_port`), interleaved frames by connection and channel (10.12).
 * @module
 */

import type { Session } from "../_rtsp/session.ts";

/** The destination of one client port or channel. */
export interface Route<Relay> {
  /** The session whose port or channel this is. */
  readonly session: Session;
  readonly trackIndex: number;
  /** Publisher RTP/RTCP go to this relay; without it, a reader's RTCP. */
  readonly relay?: Relay;
  readonly rtcp: boolean;
}

/** Routes by UDP source and by interleaved channel. */
export class IngressRouter<Relay> {
  /** UDP sources `address:port` of client RTP and RTCP. */
  #udp = new Map<string, Route<Relay>>();
  /** Interleaved channels per connection. */
  #tcp = new Map<number, Map<number, Route<Relay>>>();

  /**
   * Routes a session's tracks: RTCP always; RTP too when it publishes into
   * `relay`. The responder has made sure no other session holds these ports.
   */
  add(session: Session, relay?: Relay): void {
    for (const track of session.tracks.values()) {
      const t = track.transport;
      const route = (rtcp: boolean): Route<Relay> => ({
        session,
        trackIndex: track.trackIndex,
        relay,
        rtcp,
      });
      if (t.interleaved) {
        let routes = this.#tcp.get(session.connectionId);
        if (!routes) this.#tcp.set(session.connectionId, routes = new Map());
        if (relay) routes.set(t.interleaved[0], route(false));
        routes.set(t.interleaved[1], route(true));
      } else if (t.clientPorts) {
        if (relay) this.#udp.set(`${track.clientAddress}:${t.clientPorts[0]}`, route(false));
        this.#udp.set(`${track.clientAddress}:${t.clientPorts[1]}`, route(true));
      }
    }
  }

  /** Removes a session's routes (only those still its own). */
  remove(session: Session): void {
    for (const track of session.tracks.values()) {
      const t = track.transport;
      if (t.interleaved) {
        const routes = this.#tcp.get(session.connectionId);
        if (routes?.get(t.interleaved[0])?.session === session) {
          routes.delete(t.interleaved[0]);
        }
        if (routes?.get(t.interleaved[1])?.session === session) {
          routes.delete(t.interleaved[1]);
        }
        if (routes?.size === 0) this.#tcp.delete(session.connectionId);
      } else if (t.clientPorts) {
        for (const port of t.clientPorts) {
          const key = `${track.clientAddress}:${port}`;
          if (this.#udp.get(key)?.session === session) this.#udp.delete(key);
        }
      }
    }
  }

  /** The route of a datagram from `address`:`port`, if any. */
  fromUdp(address: string, port: number): Route<Relay> | undefined {
    return this.#udp.get(`${address}:${port}`);
  }

  /** The route of an interleaved frame on `channel` of `connectionId`, if any. */
  fromInterleaved(connectionId: number, channel: number): Route<Relay> | undefined {
    return this.#tcp.get(connectionId)?.get(channel);
  }
}
