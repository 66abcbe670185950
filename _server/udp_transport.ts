/**
 * The server's UDP sockets for RTP and RTCP (RFC 3550, 11: RTP on an even
 * port, RTCP on the next odd one), shared by every UDP session: readers are
 * told apart by their address and ports, as mediamtx does.
 *
 * Three ways to the same sockets, best first ("auto" takes the first the
 * runtime allows):
 * - libc through FFI (`--allow-ffi`, Linux): datagrams queued in one turn go
 *   out in one `sendmmsg(2)` call, every reader's copy pointing at the same
 *   payload; see `mmsg_socket.ts`.
 * - `Deno.listenDatagram` (`--unstable-net`): one async op per datagram, half
 *   the CPU of node:dgram (measured 7.4 µs against 15.8 µs).
 * - `node:dgram`: stable under plain `deno run --allow-net`. Multicast always
 *   uses it, the one that can choose the sending interface.
 * @module
 */

import type { UdpSockets } from "../_engine/ports.ts";
import dgram from "node:dgram";
import { bindLibcUdp, libcUdpAvailable, parseIpv4 } from "./libc_udp.ts";
import { DatagramTarget, MmsgSocket } from "./mmsg_socket.ts";

export { DatagramTarget };

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

/** A socket that sends one datagram per call (Deno's or Node's API). */
interface SingleSendSocket {
  readonly port: number;
  /** Sends one datagram; `done` runs once the kernel has it (or refused it). */
  send(bytes: Uint8Array, port: number, address: string, done: (failed: boolean) => void): void;
  close(): void;
  /** The `node:dgram` socket, for multicast settings; absent on the Deno API. */
  readonly node?: dgram.Socket;
}

/** One bound UDP socket with its send queues, whichever API is behind it. */
interface DatagramSocket {
  readonly port: number;
  /** Queues one datagram for `target`. */
  send(bytes: Uint8Array, target: DatagramTarget): void;
  /** Bytes queued for `target` and not yet with the kernel. */
  queuedBytes(target: DatagramTarget): number;
  /** Datagrams that could not be sent. */
  readonly dropped: number;
  /** Closes the socket once nothing of ours is in flight on it. */
  close(): Promise<void>;
  readonly node?: dgram.Socket;
}

/** The shape of the unstable `Deno.listenDatagram` this file uses. */
export interface DenoDatagramConn
  extends AsyncIterable<[Uint8Array, { hostname: string; port: number }]> {
  readonly addr: { port: number };
  send(
    bytes: Uint8Array,
    to: { transport: "udp"; hostname: string; port: number },
  ): Promise<number>;
  close(): void;
}
export type ListenDatagram = (
  options: { transport: "udp"; hostname: string; port: number },
) => DenoDatagramConn;

/** `Deno.listenDatagram`, when `--unstable-net` made it available. */
export function denoListenDatagram(): ListenDatagram | undefined {
  const candidate = (Deno as unknown as { listenDatagram?: ListenDatagram }).listenDatagram;
  return typeof candidate === "function" ? candidate : undefined;
}

function bindDeno(
  listen: ListenDatagram,
  port: number,
  hostname: string,
  onMessage: RtcpHandler,
): SingleSendSocket | undefined {
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
): Promise<SingleSendSocket | undefined> {
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

function bindMmsg(
  port: number,
  hostname: string,
  onMessage: RtcpHandler,
): DatagramSocket | undefined {
  const socket = bindLibcUdp(hostname, port);
  if (!socket) return undefined;
  const mmsg = new MmsgSocket(socket.syscalls);
  mmsg.receive(onMessage);
  return {
    port: socket.port,
    send: (bytes, target) => {
      // A target the socket cannot address (IPv6) is dropped, not sent wrong.
      if (target.ipv4) mmsg.send(bytes, target);
      else mmsg.dropped++;
    },
    queuedBytes: (target) => target.pendingBytes,
    get dropped() {
      return mmsg.dropped;
    },
    async close() {
      await mmsg.close(() => socket.shutdown());
      socket.close();
    },
  };
}

/**
 * Which API to bind with: "auto" takes the best the runtime allows (libc
 * batches, then `Deno.listenDatagram`, then `node:dgram`); the others force one.
 */
export type UdpBackend = "auto" | "mmsg" | "deno" | "node";

/** The name of each API, for logs. */
export type UdpBackendName = "sendmmsg (FFI)" | "Deno.listenDatagram" | "node:dgram";

/** Why `backend` cannot be used in this runtime, or undefined when it can. */
export function udpBackendProblem(backend: UdpBackend): string | undefined {
  if (backend === "mmsg" && !libcUdpAvailable()) {
    return "--udp-api mmsg needs --allow-ffi on 64-bit Linux";
  }
  if (backend === "deno" && !denoListenDatagram()) return "--udp-api deno needs --unstable-net";
  return undefined;
}

async function bindDatagram(
  port: number,
  hostname: string,
  onMessage: RtcpHandler,
  backend: UdpBackend,
): Promise<[DatagramSocket, UdpBackendName] | undefined> {
  const problem = udpBackendProblem(backend);
  if (problem) throw new Error(problem);
  if (backend === "mmsg" || (backend === "auto" && libcUdpAvailable())) {
    const socket = bindMmsg(port, hostname, onMessage);
    return socket ? [socket, "sendmmsg (FFI)"] : undefined;
  }
  const listen = backend !== "node" ? denoListenDatagram() : undefined;
  const single = listen
    ? bindDeno(listen, port, hostname, onMessage)
    : await bindNode(port, hostname, onMessage);
  return single
    ? [new QueuedSocket(single), listen ? "Deno.listenDatagram" : "node:dgram"]
    : undefined;
}

/**
 * Sends one socket's datagrams to one destination strictly one after another.
 * Each send is its own async operation, and several in flight at once arrive
 * out of order (measured with `node:dgram`: up to 48% of packets reordered at
 * 50 readers), so each destination keeps one in flight; different
 * destinations go in parallel, since order between readers does not matter.
 */
class DatagramQueue {
  #socket: SingleSendSocket;
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
    socket: SingleSendSocket,
    target: DatagramTarget,
    counters: { dropped: number },
    idle: () => void,
  ) {
    this.#socket = socket;
    this.#port = target.port;
    this.#address = target.address;
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

/** A one-datagram-per-call socket with its send queues, one per destination, made on demand. */
class QueuedSocket implements DatagramSocket {
  #socket: SingleSendSocket;
  #queues = new Map<string, DatagramQueue>();
  #counters = { dropped: 0 };

  constructor(socket: SingleSendSocket) {
    this.#socket = socket;
  }

  get port(): number {
    return this.#socket.port;
  }

  get node(): dgram.Socket | undefined {
    return this.#socket.node;
  }

  get dropped(): number {
    return this.#counters.dropped;
  }

  queuedBytes(target: DatagramTarget): number {
    return this.#queues.get(target.key)?.queuedBytes ?? 0;
  }

  send(bytes: Uint8Array, target: DatagramTarget): void {
    const key = target.key;
    let queue = this.#queues.get(key);
    if (!queue) {
      queue = new DatagramQueue(this.#socket, target, this.#counters, () => {
        this.#queues.delete(key);
      });
      this.#queues.set(key, queue);
    }
    queue.send(bytes);
  }

  close(): Promise<void> {
    for (const queue of this.#queues.values()) queue.close();
    this.#queues.clear();
    this.#socket.close();
    return Promise.resolve();
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

/** Makes the target for `address:port`, IPv4-mapped IPv6 addresses included. */
export function datagramTarget(address: string, port: number): DatagramTarget {
  const mapped = address.toLowerCase().startsWith("::ffff:") ? address.slice(7) : address;
  return new DatagramTarget(address, port, parseIpv4(mapped));
}

/** The RTP and RTCP sockets. */
export class UdpPair implements UdpSockets<DatagramTarget> {
  readonly rtpPort: number;
  readonly rtcpPort: number;
  /** Which API the sockets use, for logs. */
  readonly backend: UdpBackendName;
  #rtp: DatagramSocket;
  #rtcp: DatagramSocket;
  #onRtcp: RtcpHandler | undefined;
  #onRtp: RtcpHandler | undefined;

  private constructor(
    rtp: DatagramSocket,
    rtcp: DatagramSocket,
    handlers: Handlers,
    backend: UdpBackendName,
  ) {
    this.#rtp = rtp;
    this.#rtcp = rtcp;
    this.rtpPort = rtp.port;
    this.rtcpPort = rtcp.port;
    this.backend = backend;
    // Publishers send RTP here; readers send a packet or two to open NAT mappings.
    handlers.rtp = (bytes, address, port) => this.#onRtp?.(bytes, address, port);
    handlers.rtcp = (bytes, address, port) => this.#onRtcp?.(bytes, address, port);
  }

  /** Datagrams that could not be sent. */
  get droppedDatagrams(): number {
    return this.#rtp.dropped + this.#rtcp.dropped;
  }

  /** Whether `bytes` more RTP for `target` would still fit in its send queue. */
  hasRoomFor(bytes: number, target: DatagramTarget): boolean {
    return this.#rtp.queuedBytes(target) + bytes <= MAX_QUEUED_DATAGRAM_BYTES;
  }

  /**
   * Binds the first free even/odd pair in `range`, or an OS-chosen pair when
   * `range` is undefined. Returns undefined when none is free.
   * @param backend which API; "node" forces `node:dgram` (multicast needs it)
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
      const rtcp = rtp[0].port % 2 === 0
        ? await bindDatagram(rtp[0].port + 1, hostname, onRtcp, backend)
        : undefined;
      if (rtcp) return new UdpPair(rtp[0], rtcp[0], handlers, rtp[1]);
      await rtp[0].close();
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

  /** The destination `address`:`port` in the form the sockets send to. */
  target(address: string, port: number): DatagramTarget {
    return datagramTarget(address, port);
  }

  /** Queues one RTP packet (check {@linkcode hasRoomFor} first). */
  sendRtp(bytes: Uint8Array, target: DatagramTarget): void {
    this.#rtp.send(bytes, target);
  }

  /** Queues one RTCP packet. */
  sendRtcp(bytes: Uint8Array, target: DatagramTarget): void {
    this.#rtcp.send(bytes, target);
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

  /** Closes both sockets; resolves once nothing is in flight on them. */
  async close(): Promise<void> {
    await Promise.all([this.#rtp.close(), this.#rtcp.close()]);
  }
}

/** Where a pair's sockets deliver, set once the pair exists. */
interface Handlers {
  rtp: RtcpHandler;
  rtcp: RtcpHandler;
}
