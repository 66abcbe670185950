/**
 * Batched UDP on one libc socket: every datagram queued during one turn of the
 * event loop (a frame's packets for every reader) leaves in `sendmmsg(2)` calls
 * of up to {@linkcode SEND_BATCH} datagrams, and receives take up to
 * {@linkcode RECEIVE_SLOTS} datagrams per `recvmmsg(2)`.
 *
 * No payload is copied for sending: each datagram's iovec points at the
 * packet's own bytes, so N readers of one packet are N headers and one
 * payload. Packets shorter than {@linkcode INLINE_BYTES} (RTCP, tiny audio)
 * are copied into the batch area instead, which costs less than asking for
 * their address and keeps small, possibly movable buffers out of the kernel's
 * hands.
 * @module
 */

import {
  type DatagramSyscalls,
  ERRNO_AGAIN,
  ERRNO_INTR,
  ERRNO_NOBUFS,
  IOVEC_SIZE,
  MMSGHDR_SIZE,
  MSG_FLAGS,
  MSG_IOV,
  MSG_IOVLEN,
  MSG_LEN,
  MSG_NAME,
  MSG_NAMELEN,
  MSG_TRUNC,
  SOCKADDR_IN_SIZE,
} from "./libc_udp.ts";

/** Datagrams per `sendmmsg` call (the kernel takes at most UIO_MAXIOV = 1024). */
export const SEND_BATCH = 512;
/** Packets up to this size are copied into the batch area rather than pointed at. */
export const INLINE_BYTES = 256;
/** Datagrams per `recvmmsg` call. */
export const RECEIVE_SLOTS = 8;
/** Receive buffer per slot: the largest UDP payload over IPv4. */
export const RECEIVE_SLOT_BYTES = 65_536;
/** How long one wait for a full send buffer lasts before trying again. */
const WRITABLE_WAIT_MS = 100;

/** Where datagrams go: one client address and port, with what waits for it. */
export class DatagramTarget {
  readonly address: string;
  readonly port: number;
  /** `address:port`, for maps keyed by destination. */
  readonly key: string;
  /** The IPv4 address's four bytes; undefined when it is not IPv4. */
  readonly ipv4: Uint8Array | undefined;
  /** `sin_port` and `sin_addr` as they sit in a `sockaddr_in` (bytes 2–7). */
  readonly sockaddr: Uint8Array;
  /** Bytes queued for this target and not yet handed to the kernel (batched sender). */
  pendingBytes = 0;

  /**
   * @param address the address as the client gave it
   * @param port its port
   * @param ipv4 the address's bytes, when it is IPv4
   */
  constructor(address: string, port: number, ipv4: Uint8Array | undefined) {
    this.address = address;
    this.port = port;
    this.key = `${address}:${port}`;
    this.ipv4 = ipv4;
    this.sockaddr = new Uint8Array([port >> 8, port & 0xff, ...(ipv4 ?? [0, 0, 0, 0])]);
  }
}

function setPointer(words: Uint32Array, byteOffset: number, pointer: number): void {
  words[byteOffset >> 2] = pointer >>> 0;
  words[(byteOffset >> 2) + 1] = Math.floor(pointer / 0x1_0000_0000);
}

/** Called with a datagram that came in: its bytes, sender address and port. */
export type DatagramHandler = (bytes: Uint8Array, address: string, port: number) => void;

/** Queues datagrams and sends them in batches; receives in batches. */
export class MmsgSocket {
  #sys: DatagramSyscalls;
  /** Queued datagrams and their targets, from `#head` on. */
  #packets: Uint8Array[] = [];
  #targets: DatagramTarget[] = [];
  #head = 0;
  #flushScheduled = false;
  /** A wait for room in the send buffer is under way. */
  #waiting: Promise<void> | undefined;
  #receiving: Promise<void> | undefined;
  #closed = false;
  /** Datagrams the kernel refused (bad destination, or dropped on close). */
  dropped = 0;
  /** Datagrams handed to the kernel. */
  sent = 0;
  /** `sendmmsg` calls made. */
  calls = 0;

  // The send area: headers, then iovecs, then socket addresses, then inline copies.
  #area: Uint8Array;
  #words: Uint32Array;
  #iovOffset = SEND_BATCH * MMSGHDR_SIZE;
  #nameOffset = this.#iovOffset + SEND_BATCH * IOVEC_SIZE;
  #inlineOffset = this.#nameOffset + SEND_BATCH * SOCKADDR_IN_SIZE;
  #areaPointer: number;
  /** Addresses of packet buffers already asked for, by buffer. */
  #bufferPointers = new WeakMap<ArrayBufferLike, number>();

  constructor(syscalls: DatagramSyscalls) {
    this.#sys = syscalls;
    this.#area = new Uint8Array(this.#inlineOffset + SEND_BATCH * INLINE_BYTES);
    this.#words = new Uint32Array(this.#area.buffer);
    this.#areaPointer = syscalls.pointerOf(this.#area);
    const view = new DataView(this.#area.buffer);
    // What never changes between batches: each header's name and iovec slot.
    for (let i = 0; i < SEND_BATCH; i++) {
      const header = i * MMSGHDR_SIZE;
      setPointer(this.#words, header + MSG_NAME, this.#areaPointer + this.#nameOffset + i * 16);
      view.setUint32(header + MSG_NAMELEN, SOCKADDR_IN_SIZE, true);
      setPointer(this.#words, header + MSG_IOV, this.#areaPointer + this.#iovOffset + i * 16);
      view.setUint32(header + MSG_IOVLEN, 1, true);
      view.setUint16(this.#nameOffset + i * SOCKADDR_IN_SIZE, 2, true); // AF_INET
    }
  }

  /** Datagrams queued and not yet sent. */
  get queued(): number {
    return this.#packets.length - this.#head;
  }

  /** Queues one datagram for `target`; the batch leaves at the end of this turn. */
  send(bytes: Uint8Array, target: DatagramTarget): void {
    if (this.#closed) return;
    this.#packets.push(bytes);
    this.#targets.push(target);
    target.pendingBytes += bytes.length;
    if (!this.#flushScheduled && !this.#waiting) {
      this.#flushScheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  /** Sends what is queued, as far as the kernel takes it. */
  flush(): void {
    this.#flushScheduled = false;
    while (!this.#closed && this.#head < this.#packets.length) {
      const count = Math.min(SEND_BATCH, this.#packets.length - this.#head);
      this.#fill(count);
      const { sent, errno } = this.#sys.sendmmsg(this.#area, count);
      this.calls++;
      if (sent > 0) {
        this.#settle(sent, false);
        continue;
      }
      // Nothing went: the first datagram of the batch failed.
      if (errno === ERRNO_INTR) continue;
      if (errno === ERRNO_AGAIN || errno === ERRNO_NOBUFS) {
        this.#waitForRoom();
        return;
      }
      // Its destination is refused (unreachable, not permitted): skip that one.
      this.#settle(1, true);
    }
    this.#packets.length = 0;
    this.#targets.length = 0;
    this.#head = 0;
  }

  /** Fills the send area with the next `count` queued datagrams. */
  #fill(count: number): void {
    const area = this.#area;
    const words = this.#words;
    for (let i = 0; i < count; i++) {
      const bytes = this.#packets[this.#head + i];
      const target = this.#targets[this.#head + i];
      area.set(target.sockaddr, this.#nameOffset + i * SOCKADDR_IN_SIZE + 2);
      let pointer: number;
      if (bytes.length <= INLINE_BYTES) {
        const at = this.#inlineOffset + i * INLINE_BYTES;
        area.set(bytes, at);
        pointer = this.#areaPointer + at;
      } else {
        pointer = this.#pointerOf(bytes);
      }
      const iov = this.#iovOffset + i * IOVEC_SIZE;
      setPointer(words, iov, pointer);
      words[(iov >> 2) + 2] = bytes.length;
      words[(iov >> 2) + 3] = 0;
    }
  }

  #pointerOf(bytes: Uint8Array): number {
    let base = this.#bufferPointers.get(bytes.buffer);
    if (base === undefined) {
      base = this.#sys.pointerOf(bytes.buffer as ArrayBuffer);
      this.#bufferPointers.set(bytes.buffer, base);
    }
    return base + bytes.byteOffset;
  }

  /** Takes `count` datagrams off the front of the queue, sent or failed. */
  #settle(count: number, failed: boolean): void {
    for (let i = 0; i < count; i++) {
      const at = this.#head + i;
      this.#targets[at].pendingBytes -= this.#packets[at].length;
    }
    if (failed) this.dropped += count;
    else this.sent += count;
    this.#head += count;
    if (this.#head > 4 * SEND_BATCH && this.#head * 2 > this.#packets.length) {
      this.#packets = this.#packets.slice(this.#head);
      this.#targets = this.#targets.slice(this.#head);
      this.#head = 0;
    }
  }

  /** The send buffer is full: wait (off the main thread) until it drains, then go on. */
  #waitForRoom(): void {
    this.#waiting = this.#sys.writable(WRITABLE_WAIT_MS).then(() => {
      this.#waiting = undefined;
      this.flush();
    }, () => {
      this.#waiting = undefined;
    });
  }

  /** Starts delivering incoming datagrams to `handler` until {@linkcode close}. */
  receive(handler: DatagramHandler): void {
    if (this.#receiving) throw new Error("already receiving");
    this.#receiving = this.#receiveLoop(handler);
  }

  async #receiveLoop(handler: DatagramHandler): Promise<void> {
    const slots = new Uint8Array(RECEIVE_SLOTS * RECEIVE_SLOT_BYTES);
    const rest = new Uint8Array(RECEIVE_SLOTS * (MMSGHDR_SIZE + IOVEC_SIZE + SOCKADDR_IN_SIZE));
    const view = new DataView(rest.buffer);
    const words = new Uint32Array(rest.buffer);
    const restPointer = this.#sys.pointerOf(rest);
    const slotsPointer = this.#sys.pointerOf(slots);
    const iovAt = RECEIVE_SLOTS * MMSGHDR_SIZE;
    const nameAt = iovAt + RECEIVE_SLOTS * IOVEC_SIZE;
    for (let i = 0; i < RECEIVE_SLOTS; i++) {
      const header = i * MMSGHDR_SIZE;
      setPointer(words, header + MSG_NAME, restPointer + nameAt + i * SOCKADDR_IN_SIZE);
      setPointer(words, header + MSG_IOV, restPointer + iovAt + i * IOVEC_SIZE);
      view.setUint32(header + MSG_IOVLEN, 1, true);
      setPointer(words, iovAt + i * IOVEC_SIZE, slotsPointer + i * RECEIVE_SLOT_BYTES);
      view.setUint32(iovAt + i * IOVEC_SIZE + 8, RECEIVE_SLOT_BYTES, true);
    }
    while (!this.#closed) {
      for (let i = 0; i < RECEIVE_SLOTS; i++) {
        // The kernel writes these back: reset them for every call.
        view.setUint32(i * MMSGHDR_SIZE + MSG_NAMELEN, SOCKADDR_IN_SIZE, true);
        view.setInt32(i * MMSGHDR_SIZE + MSG_FLAGS, 0, true);
      }
      const count = await this.#sys.recvmmsg(rest, RECEIVE_SLOTS);
      if (this.#closed) break;
      if (count < 0) {
        // Nothing to learn from errno here (it lives on the worker thread); do not spin.
        await new Promise((r) => setTimeout(r, 10));
        continue;
      }
      for (let i = 0; i < count; i++) {
        const header = i * MMSGHDR_SIZE;
        if (view.getInt32(header + MSG_FLAGS, true) & MSG_TRUNC) continue;
        const length = view.getUint32(header + MSG_LEN, true);
        const name = nameAt + i * SOCKADDR_IN_SIZE;
        const address = `${rest[name + 4]}.${rest[name + 5]}.${rest[name + 6]}.${rest[name + 7]}`;
        const port = (rest[name + 2] << 8) | rest[name + 3];
        const from = i * RECEIVE_SLOT_BYTES;
        try {
          handler(slots.slice(from, from + length), address, port);
        } catch { /* one bad datagram must not stop the loop */ }
      }
    }
  }

  /**
   * Stops sending and receiving; resolves once no call into the kernel is in
   * flight (the caller may then close the fd).
   * @param wake makes a blocked receive return (shutdown of the fd)
   */
  async close(wake: () => void): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (let i = this.#head; i < this.#packets.length; i++) {
      this.#targets[i].pendingBytes -= this.#packets[i].length;
    }
    this.dropped += this.#packets.length - this.#head;
    this.#packets = [];
    this.#targets = [];
    this.#head = 0;
    wake();
    await Promise.allSettled([this.#receiving, this.#waiting]);
  }
}
