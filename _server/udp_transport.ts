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
/**
 * Datagram bytes one socket may have waiting to be sent. Past it, readers drop
 * whole frames (as TCP readers do) instead of the server growing without bound.
 */
export const MAX_QUEUED_DATAGRAM_BYTES = 4 * 1024 * 1024;

/**
 * Sends datagrams from one socket strictly one after another. `node:dgram` in
 * Deno runs each send as its own async operation, and many in flight at once
 * arrive out of order (measured: up to 48% of packets reordered at 50 readers),
 * so the queue keeps one in flight, and bounds what waits.
 */
class DatagramQueue {
  #socket: dgram.Socket;
  #items: Array<{ bytes: Uint8Array; port: number; address: string }> = [];
  #head = 0;
  #bytes = 0;
  #busy = false;
  #closed = false;
  /** Datagrams not queued because the queue was full, or refused by the kernel. */
  dropped = 0;

  constructor(socket: dgram.Socket) {
    this.#socket = socket;
  }

  get queuedBytes(): number {
    return this.#bytes;
  }

  send(bytes: Uint8Array, port: number, address: string): void {
    if (this.#closed) return;
    this.#items.push({ bytes, port, address });
    this.#bytes += bytes.length;
    if (!this.#busy) this.#next();
  }

  close(): void {
    this.#closed = true;
    this.#items = [];
    this.#head = 0;
    this.#bytes = 0;
  }

  #next(): void {
    if (this.#closed || this.#head >= this.#items.length) {
      this.#busy = false;
      this.#items.length = 0;
      this.#head = 0;
      return;
    }
    this.#busy = true;
    const item = this.#items[this.#head++];
    if (this.#head > 4096 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    this.#bytes -= item.bytes.length;
    try {
      this.#socket.send(item.bytes, item.port, item.address, (error) => {
        if (error) this.dropped++;
        this.#next();
      });
    } catch {
      this.dropped++;
      queueMicrotask(() => this.#next());
    }
  }
}

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
  #rtpQueue: DatagramQueue;
  #rtcpQueue: DatagramQueue;

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
    this.#rtpQueue = new DatagramQueue(rtp);
    this.#rtcpQueue = new DatagramQueue(rtcp);
    for (const s of [rtp, rtcp]) s.on("error", () => {});
  }

  /** Datagrams that could not be sent. */
  get droppedDatagrams(): number {
    return this.#rtpQueue.dropped + this.#rtcpQueue.dropped;
  }

  /** Whether `bytes` more RTP would still fit in the send queue. */
  hasRoomFor(bytes: number): boolean {
    return this.#rtpQueue.queuedBytes + bytes <= MAX_QUEUED_DATAGRAM_BYTES;
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

  /** Queues one RTP packet (check {@linkcode hasRoomFor} first). */
  sendRtp(bytes: Uint8Array, port: number, address: string): void {
    this.#rtpQueue.send(bytes, port, address);
  }

  /** Queues one RTCP packet. */
  sendRtcp(bytes: Uint8Array, port: number, address: string): void {
    this.#rtcpQueue.send(bytes, port, address);
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
    this.#rtpQueue.close();
    this.#rtcpQueue.close();
    for (const s of [this.#rtp, this.#rtcp]) {
      try {
        s.close();
      } catch { /* closed */ }
    }
  }
}
