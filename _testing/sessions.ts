/**
 * Sessions for unit tests of the engine, made the way the responder makes
 * them: one per transport, tracks numbered from 0.
 */

import type { Session } from "../_rtsp/session.ts";
import type { TransportSpec } from "../_rtsp/transport.ts";

/** Interleaved on channels 2i, 2i+1 (RFC 2326, 10.12). */
export function tcpTransport(trackIndex = 0): TransportSpec {
  return {
    profile: "RTP/AVP",
    lower: "TCP",
    delivery: "unicast",
    interleaved: [2 * trackIndex, 2 * trackIndex + 1],
  };
}

/** UDP to client ports 5000 + 2i and the next (RFC 2326, 12.39 `client_port`). */
export function udpTransport(trackIndex = 0): TransportSpec {
  return {
    profile: "RTP/AVP",
    lower: "UDP",
    delivery: "unicast",
    clientPorts: [5000 + 2 * trackIndex, 5001 + 2 * trackIndex],
  };
}

/** A session with one track per transport, playing `/test` from 127.0.0.1 unless told otherwise. */
export function testSession(
  options: Partial<Omit<Session, "tracks">> & { transports?: readonly TransportSpec[] } = {},
): Session {
  const { transports = [tcpTransport()], ...fields } = options;
  return {
    id: "S",
    path: "/test",
    connectionId: 1,
    mode: "play",
    state: "playing",
    lastActivityMs: 0,
    timeoutMs: 60_000,
    ...fields,
    tracks: new Map(transports.map((transport, trackIndex) => [trackIndex, {
      trackIndex,
      transport,
      clientAddress: "127.0.0.1",
      ssrc: 1 + trackIndex,
      initialSequenceNumber: 0,
      initialTimestamp: 0,
    }])),
  };
}
