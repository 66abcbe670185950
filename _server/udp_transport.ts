/**
 * The server's UDP sockets for RTP and RTCP (RFC 3550, 11: RTP on an even
 * port, RTCP on the next odd one), shared by every UDP session: readers are
 * told apart by their address and ports, as mediamtx does.
 *
 * `node:dgram` is used because it is stable under `deno run --allow-net`;
 * `Deno.listenDatagram` still needs `--unstable-net`.
 * @module
 */

import dgram from "node:dgram";

/** A port range for `--rtp-ports`; `first` is rounded up to even. */
export interface PortRange {
  readonly first: number;
  readonly last: number;
}

/** Attempts at an OS-chosen even/odd pair before giving up. */
const ANY_PAIR_ATTEMPTS = 20;

function bindSocket(port: number, hostname: string): Promise<dgram.Socket | undefined> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket({ type: "udp4", reuseAddr: false });
    const fail = () => {
      try {
        socket.close();
      } catch { /* never bound */ }
      resolve(undefined);
    };
    socket.once("error", fail);
    socket.bind(port, hostname, () => {
      socket.off("error", fail);
      resolve(socket);
    });
  });
}

/** Called with a datagram a client sent us (RTP or RTCP). */
export type RtcpHandler = (bytes: Uint8Array, address: string, port: number) => void;

/** The RTP and RTCP sockets. */
export class UdpPair {
  readonly rtpPort: number;
  readonly rtcpPort: number;
  #rtp: dgram.Socket;
  #rtcp: dgram.Socket;
  #onRtcp: RtcpHandler | undefined;
  #onRtp: RtcpHandler | undefined;
  /** Datagrams the kernel refused (buffer full). */
  sendErrors = 0;

  private constructor(rtp: dgram.Socket, rtcp: dgram.Socket) {
    this.#rtp = rtp;
    this.#rtcp = rtcp;
    this.rtpPort = rtp.address().port;
    this.rtcpPort = rtcp.address().port;
    rtcp.on("message", (msg: Uint8Array, info: dgram.RemoteInfo) => {
      this.#onRtcp?.(msg, info.address, info.port);
    });
    // Publishers send RTP here; readers send a packet or two to open NAT mappings.
    rtp.on("message", (msg: Uint8Array, info: dgram.RemoteInfo) => {
      this.#onRtp?.(msg, info.address, info.port);
    });
    for (const s of [rtp, rtcp]) s.on("error", () => this.sendErrors++);
  }

  /**
   * Binds the first free even/odd pair in `range`, or an OS-chosen pair when
   * `range` is undefined. Returns undefined when none is free.
   */
  static async bind(hostname: string, range?: PortRange): Promise<UdpPair | undefined> {
    if (range === undefined) {
      for (let i = 0; i < ANY_PAIR_ATTEMPTS; i++) {
        const rtp = await bindSocket(0, hostname);
        if (!rtp) return undefined;
        const port = rtp.address().port;
        const rtcp = port % 2 === 0 ? await bindSocket(port + 1, hostname) : undefined;
        if (rtcp) return new UdpPair(rtp, rtcp);
        rtp.close();
      }
      return undefined;
    }
    for (let port = range.first + (range.first % 2); port + 1 <= range.last; port += 2) {
      const rtp = await bindSocket(port, hostname);
      if (!rtp) continue;
      const rtcp = await bindSocket(port + 1, hostname);
      if (rtcp) return new UdpPair(rtp, rtcp);
      rtp.close();
    }
    return undefined;
  }

  /** Sets where RTP from clients (publishers) goes. */
  onRtp(handler: RtcpHandler): void {
    this.#onRtp = handler;
  }

  /** Sets where client RTCP goes. */
  onRtcp(handler: RtcpHandler): void {
    this.#onRtcp = handler;
  }

  /** Sends one RTP packet. */
  sendRtp(bytes: Uint8Array, port: number, address: string): void {
    this.#rtp.send(bytes, port, address);
  }

  /** Sends one RTCP packet. */
  sendRtcp(bytes: Uint8Array, port: number, address: string): void {
    this.#rtcp.send(bytes, port, address);
  }

  /**
   * Prepares both sockets to send to multicast groups: the TTL (RFC 2326,
   * 12.39 `ttl`) and, when given, the interface to send on (e.g. 127.0.0.1 keeps
   * the traffic on this machine).
   */
  setMulticast(ttl: number, interfaceAddress?: string): void {
    for (const s of [this.#rtp, this.#rtcp]) {
      s.setMulticastTTL(ttl);
      s.setMulticastLoopback(true);
      if (interfaceAddress) s.setMulticastInterface(interfaceAddress);
    }
  }

  /** Closes both sockets. */
  close(): void {
    for (const s of [this.#rtp, this.#rtcp]) {
      try {
        s.close();
      } catch { /* closed */ }
    }
  }
}
