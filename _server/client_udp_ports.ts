/**
 * UDP ports of an RTSP client: one even/odd pair per track (RFC 3550, 11: RTP
 * on an even port, RTCP on the next), bound with `Deno.listenDatagram`
 * (`--unstable-net`). Datagrams from any address other than the server's are
 * dropped, so a third party cannot inject media into the session.
 * @module
 */

import { type DenoDatagramConn, denoListenDatagram } from "./udp_transport.ts";

/** Tries at an OS-chosen even port whose odd neighbour is free too. */
const PAIR_ATTEMPTS = 20;

/** Called with a datagram from the server for `track`. */
export type DatagramHandler = (track: number, rtcp: boolean, bytes: Uint8Array) => void;

/** Binds an even/odd pair on `hostname`, or undefined. */
function bindPair(hostname: string): [DenoDatagramConn, DenoDatagramConn] | undefined {
  const listen = denoListenDatagram();
  if (!listen) return undefined;
  for (let attempt = 0; attempt < PAIR_ATTEMPTS; attempt++) {
    let rtp: DenoDatagramConn;
    try {
      rtp = listen({ transport: "udp", hostname, port: 0 });
    } catch {
      return undefined;
    }
    const port = rtp.addr.port;
    if (port % 2 === 0 && port < 65535) {
      try {
        return [rtp, listen({ transport: "udp", hostname, port: port + 1 })];
      } catch { /* taken: try another pair */ }
    }
    rtp.close();
  }
  return undefined;
}

/** The UDP sockets of one client session. */
export class ClientUdpPorts {
  /** RTP and RTCP socket per track, in track order. */
  readonly #sockets: DenoDatagramConn[] = [];
  readonly #serverAddress: string;
  readonly #loops: Promise<void>[] = [];
  /** The pairs, one per track, in track order. */
  readonly pairs: Array<readonly [number, number]> = [];

  /**
   * Binds `tracks` pairs and receives on them. Binding stops at the first
   * failure: fewer pairs than tracks means UDP is not available.
   * @param serverAddress only datagrams from it are passed on
   */
  constructor(tracks: number, serverAddress: string, onDatagram: DatagramHandler) {
    this.#serverAddress = serverAddress;
    const hostname = serverAddress.includes(":") ? "::" : "0.0.0.0";
    for (let track = 0; track < tracks; track++) {
      const pair = bindPair(hostname);
      if (!pair) break;
      this.pairs.push([pair[0].addr.port, pair[1].addr.port]);
      pair.forEach((socket, i) => {
        this.#sockets.push(socket);
        this.#loops.push(
          this.#receive(socket, serverAddress, (bytes) => onDatagram(track, i === 1, bytes)),
        );
      });
    }
  }

  async #receive(
    socket: DenoDatagramConn,
    serverAddress: string,
    handle: (bytes: Uint8Array) => void,
  ): Promise<void> {
    try {
      for await (const [bytes, from] of socket) {
        if (from.hostname === serverAddress) handle(bytes);
      }
    } catch { /* closed */ }
  }

  /** Sends `bytes` from track `track`'s RTP or RTCP socket to the server's `port`; failures are dropped. */
  send(track: number, rtcp: boolean, port: number, bytes: Uint8Array): void {
    const socket = this.#sockets[2 * track + (rtcp ? 1 : 0)];
    if (!socket) return;
    socket.send(bytes, { transport: "udp", hostname: this.#serverAddress, port })
      .catch(() => {/* UDP: a lost report or punch is no error */});
  }

  /** Closes every socket and waits for the receive loops to end. */
  async close(): Promise<void> {
    for (const socket of this.#sockets.splice(0)) {
      try {
        socket.close();
      } catch { /* already closed */ }
    }
    await Promise.all(this.#loops);
  }
}
