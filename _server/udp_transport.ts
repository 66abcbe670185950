/**
 * The server's UDP sockets for RTP and RTCP (RFC 3550, 11: RTP on an even
 * port, RTCP on the next odd one), shared by every UDP session: readers are
 * told apart by their address and ports, as mediamtx does.
 *
 * Two ways to the same sockets: `Deno.listenDatagram` when the runtime offers
 * it (`--unstable-net`, as `deno task start` passes), because it costs half the
 * CPU per datagram (measured 7.4 µs against 15.8 µs); `node:dgram` otherwise,
 * which is stable under plain `deno run --allow-net`. Multicast always uses
 * `node:dgram`, the one that can choose the sending interface.
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
 * Datagram bytes waiting to be sent to one destination. Past it, that reader
 * drops whole frames (as TCP readers do) instead of the server growing without bound.
 */
export const MAX_QUEUED_DATAGRAM_BYTES = 1024 * 1024;

/** Called with a datagram a client sent us (RTP or RTCP). */
export type RtcpHandler = (bytes: Uint8Array, address: string, port: number) => void;

/** One bound UDP socket, whichever API is behind it. */
interface DatagramSocket {
  readonly port: number;
  /** Sends one datagram; `done` runs once the kernel has it (or refused it). */
  send(bytes: Uint8Array, port: number, address: string, done: (failed: boolean) => void): void;
  close(): void;
  /** The `node:dgram` socket, for multicast settings; absent on the Deno API. */
  readonly node?: dgram.Socket;
}

/** The shape of the unstable `Deno.listenDatagram` this file uses. */
interface DenoDatagramConn extends AsyncIterable<[Uint8Array, { hostname: string; port: number }]> {
  readonly addr: { port: number };
  send(
    bytes: Uint8Array,
    to: { transport: "udp"; hostname: string; port: number },
  ): Promise<number>;
  close(): void;
}
type ListenDatagram = (
  options: { transport: "udp"; hostname: string; port: number },
) => DenoDatagramConn;

/** `Deno.listenDatagram`, when `--unstable-net` made it available. */
function denoListenDatagram(): ListenDatagram | undefined {
  const candidate = (Deno as unknown as { listenDatagram?: ListenDatagram }).listenDatagram;
  return typeof candidate === "function" ? candidate : undefined;
}

function bindDeno(
  listen: ListenDatagram,
  port: number,
  hostname: string,
  onMessage: RtcpHandler,
): DatagramSocket | undefined {
  let conn: DenoDatagramConn;
  try {
    conn = listen({ transport: "udp", hostname, port });
  } catch {
    return undefined;
  }
  (async () => {
    for await (const [data, from] of conn) onMessage(data, from.hostname, from.port);
  })().catch(() => {/* closed */});
  return {
    port: conn.addr.port,
    send(bytes, port, address, done) {
      conn.send(bytes, { transport: "udp", hostname: address, port }).then(
        () => done(false),
        () => done(true),
      );
    },
    close() {
      try {
        conn.close();
      } catch { /* closed */ }
    },
  };
}

async function bindNode(
  port: number,
  hostname: string,
  onMessage: RtcpHandler,
): Promise<DatagramSocket | undefined> {
  const socket = await bindSocket(port, hostname);
  if (!socket) return undefined;
  socket.on("message", (msg: Uint8Array, info: dgram.RemoteInfo) => {
    onMessage(msg, info.address, info.port);
  });
  socket.on("error", () => {});
  return {
    port: socket.address().port,
    node: socket,
    send(bytes, port, address, done) {
      socket.send(bytes, port, address, (error) => done(error !== null && error !== undefined));
    },
    close() {
      try {
        socket.close();
      } catch { /* closed */ }
    },
  };
}

/** Which API to bind with. */
export type UdpBackend = "auto" | "node";

async function bindDatagram(
  port: number,
  hostname: string,
  onMessage: RtcpHandler,
  backend: UdpBackend,
): Promise<DatagramSocket | undefined> {
  const listen = backend === "auto" ? denoListenDatagram() : undefined;
  return listen
    ? bindDeno(listen, port, hostname, onMessage)
    : await bindNode(port, hostname, onMessage);
}

/**
 * Sends one socket's datagrams to one destination strictly one after another.
 * Each send is its own async operation, and several in flight at once arrive
 * out of order (measured with `node:dgram`: up to 48% of packets reordered at
 * 50 readers), so each destination keeps one in flight; different
 * destinations go in parallel, since order between readers does not matter.
 */
class DatagramQueue {
  #socket: DatagramSocket;
  #port: number;
  #address: string;
  #items: Uint8Array[] = [];
  #head = 0;
  #bytes = 0;
  #busy = false;
  #closed = false;
  #idle: () => void;
  #counters: { dropped: number };

  constructor(
    socket: DatagramSocket,
    port: number,
    address: string,
    counters: { dropped: number },
    idle: () => void,
  ) {
    this.#socket = socket;
    this.#port = port;
    this.#address = address;
    this.#counters = counters;
    this.#idle = idle;
  }

  get queuedBytes(): number {
    return this.#bytes;
  }

  send(bytes: Uint8Array): void {
    if (this.#closed) return;
    this.#items.push(bytes);
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
      if (!this.#closed) this.#idle();
      return;
    }
    this.#busy = true;
    const bytes = this.#items[this.#head++];
    if (this.#head > 4096 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    this.#bytes -= bytes.length;
    try {
      this.#socket.send(bytes, this.#port, this.#address, (failed) => {
        if (failed) this.#counters.dropped++;
        this.#next();
      });
    } catch {
      this.#counters.dropped++;
      queueMicrotask(() => this.#next());
    }
  }
}

/** A socket's send queues, one per destination, made on demand and dropped when empty. */
class SocketSender {
  #socket: DatagramSocket;
  #queues = new Map<string, DatagramQueue>();
  readonly counters = { dropped: 0 };

  constructor(socket: DatagramSocket) {
    this.#socket = socket;
  }

  queuedBytes(port: number, address: string): number {
    return this.#queues.get(`${address}:${port}`)?.queuedBytes ?? 0;
  }

  send(bytes: Uint8Array, port: number, address: string): void {
    const key = `${address}:${port}`;
    let queue = this.#queues.get(key);
    if (!queue) {
      queue = new DatagramQueue(this.#socket, port, address, this.counters, () => {
        this.#queues.delete(key);
      });
      this.#queues.set(key, queue);
    }
    queue.send(bytes);
  }

  close(): void {
    for (const queue of this.#queues.values()) queue.close();
    this.#queues.clear();
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

/** The RTP and RTCP sockets. */
export class UdpPair {
  readonly rtpPort: number;
  readonly rtcpPort: number;
  /** Which API the sockets use, for logs. */
  readonly backend: "Deno.listenDatagram" | "node:dgram";
  #rtp: DatagramSocket;
  #rtcp: DatagramSocket;
  #onRtcp: RtcpHandler | undefined;
  #onRtp: RtcpHandler | undefined;
  #rtpQueue: SocketSender;
  #rtcpQueue: SocketSender;

  private constructor(rtp: DatagramSocket, rtcp: DatagramSocket, handlers: Handlers) {
    this.#rtp = rtp;
    this.#rtcp = rtcp;
    this.rtpPort = rtp.port;
    this.rtcpPort = rtcp.port;
    this.backend = rtp.node ? "node:dgram" : "Deno.listenDatagram";
    // Publishers send RTP here; readers send a packet or two to open NAT mappings.
    handlers.rtp = (bytes, address, port) => this.#onRtp?.(bytes, address, port);
    handlers.rtcp = (bytes, address, port) => this.#onRtcp?.(bytes, address, port);
    this.#rtpQueue = new SocketSender(rtp);
    this.#rtcpQueue = new SocketSender(rtcp);
  }

  /** Datagrams that could not be sent. */
  get droppedDatagrams(): number {
    return this.#rtpQueue.counters.dropped + this.#rtcpQueue.counters.dropped;
  }

  /** Whether `bytes` more RTP for one destination would still fit in its send queue. */
  hasRoomFor(bytes: number, port: number, address: string): boolean {
    return this.#rtpQueue.queuedBytes(port, address) + bytes <= MAX_QUEUED_DATAGRAM_BYTES;
  }

  /**
   * Binds the first free even/odd pair in `range`, or an OS-chosen pair when
   * `range` is undefined. Returns undefined when none is free.
   * @param backend "node" forces `node:dgram` (multicast needs it)
   */
  static async bind(
    hostname: string,
    range?: PortRange,
    backend: UdpBackend = "auto",
  ): Promise<UdpPair | undefined> {
    // Sockets deliver to these until the pair exists; early datagrams are dropped.
    const handlers: Handlers = { rtp: () => {}, rtcp: () => {} };
    const onRtp: RtcpHandler = (b, a, p) => handlers.rtp(b, a, p);
    const onRtcp: RtcpHandler = (b, a, p) => handlers.rtcp(b, a, p);
    const tryPair = async (port: number): Promise<UdpPair | undefined> => {
      const rtp = await bindDatagram(port, hostname, onRtp, backend);
      if (!rtp) return undefined;
      const rtcp = rtp.port % 2 === 0
        ? await bindDatagram(rtp.port + 1, hostname, onRtcp, backend)
        : undefined;
      if (rtcp) return new UdpPair(rtp, rtcp, handlers);
      rtp.close();
      return undefined;
    };
    if (range === undefined) {
      for (let i = 0; i < ANY_PAIR_ATTEMPTS; i++) {
        const pair = await tryPair(0);
        if (pair) return pair;
      }
      return undefined;
    }
    for (let port = range.first + (range.first % 2); port + 1 <= range.last; port += 2) {
      const pair = await tryPair(port);
      if (pair) return pair;
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
    for (const socket of [this.#rtp, this.#rtcp]) {
      const s = socket.node;
      if (!s) throw new Error('multicast needs node:dgram sockets (bind with backend "node")');
      s.setMulticastTTL(ttl);
      s.setMulticastLoopback(true);
      if (interfaceAddress) s.setMulticastInterface(interfaceAddress);
    }
  }

  /** Closes both sockets. */
  close(): void {
    this.#rtpQueue.close();
    this.#rtcpQueue.close();
    this.#rtp.close();
    this.#rtcp.close();
  }
}

/** Where a pair's sockets deliver, set once the pair exists. */
interface Handlers {
  rtp: RtcpHandler;
  rtcp: RtcpHandler;
}
