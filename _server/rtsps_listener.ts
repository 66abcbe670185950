/**
 * The RTSPS listener: TCP accepted with `Deno.listen`, TLS by `node:tls` on
 * top, with a handshake deadline after which the TCP socket is really closed.
 *
 * Why not `Deno.listenTls`: its handshake runs in a task of its own, and
 * `TlsConn.close()` while the handshake is pending leaves the socket open
 * (measured on Deno 2.9: 50 connections that sent 5 bytes of a ClientHello
 * kept 50 descriptors after close() until the clients went away). Here the
 * server owns the plain `Deno.TcpConn`, and closing it frees the descriptor
 * whatever state TLS is in.
 *
 * A connection is handed to the server as soon as TCP accepts it, so it is
 * counted against the connection limits (and refused past them) before its
 * handshake, like any connection.
 * @module
 */

import { Duplex } from "node:stream";
import tls from "node:tls";

/** Bytes asked for per TCP read under TLS (a TLS record is at most 16 KiB plus overhead). */
const TCP_READ_BYTES = 17 * 1024;
/** Decrypted bytes held for a reader before TLS stops reading from TCP. */
const MAX_BUFFERED_BYTES = 64 * 1024;

/** Options of {@linkcode listenRtsps}. */
export interface RtspsListenOptions {
  readonly hostname: string;
  readonly port: number;
  /** PEM certificate chain. */
  readonly cert: string;
  /** PEM private key. */
  readonly key: string;
  /** The TLS handshake must end this long after accept, or the socket is closed; 0 = no deadline. */
  readonly handshakeTimeoutMs: number;
}

/** Listens for RTSPS; throws like `Deno.listen` (AddrInUse...) or on a bad certificate or key. */
export function listenRtsps(options: RtspsListenOptions): RtspsListener {
  const context = tls.createSecureContext({ cert: options.cert, key: options.key });
  const tcp = Deno.listen({ hostname: options.hostname, port: options.port });
  return new RtspsListener(tcp, context, options.handshakeTimeoutMs);
}

/** A `Deno.Listener` whose connections speak TLS; see the module doc. */
export class RtspsListener implements Deno.Listener<Deno.Conn<Deno.NetAddr>, Deno.NetAddr> {
  #tcp: Deno.TcpListener;
  #context: tls.SecureContext;
  #handshakeTimeoutMs: number;

  /** Use {@linkcode listenRtsps}. */
  constructor(tcp: Deno.TcpListener, context: tls.SecureContext, handshakeTimeoutMs: number) {
    this.#tcp = tcp;
    this.#context = context;
    this.#handshakeTimeoutMs = handshakeTimeoutMs;
  }

  /** The TCP address listened on. */
  get addr(): Deno.NetAddr {
    return this.#tcp.addr;
  }

  /** The next TCP connection, its TLS handshake started; accept errors (EMFILE) pass through. */
  async accept(): Promise<Deno.Conn<Deno.NetAddr>> {
    const tcp = await this.#tcp.accept();
    try {
      return new TlsServerConn(tcp, this.#context, this.#handshakeTimeoutMs);
    } catch (e) {
      tcp.close();
      throw e;
    }
  }

  /** Stops listening; connections already accepted stay open. */
  close(): void {
    this.#tcp.close();
  }

  /** Iterates accepted connections until the listener is closed. */
  async *[Symbol.asyncIterator](): AsyncIterableIterator<Deno.Conn<Deno.NetAddr>> {
    while (true) {
      try {
        yield await this.accept();
      } catch (e) {
        if (e instanceof Deno.errors.BadResource || e instanceof Deno.errors.Interrupted) return;
        throw e;
      }
    }
  }

  /** Keeps the event loop alive while listening. */
  ref(): void {
    this.#tcp.ref();
  }

  /** Lets the event loop end while listening. */
  unref(): void {
    this.#tcp.unref();
  }

  /** Same as {@linkcode RtspsListener.close}. */
  [Symbol.dispose](): void {
    try {
      this.close();
    } catch { /* already closed */ }
  }
}

/** A `node:stream` Duplex over a `Deno.TcpConn`: what `tls.TLSSocket` reads and writes. */
function duplexOf(tcp: Deno.TcpConn): Duplex {
  let reading = false;
  const duplex: Duplex = new Duplex({
    read() {
      if (reading) return;
      reading = true;
      (async () => {
        try {
          while (!duplex.destroyed) {
            const buf = new Uint8Array(TCP_READ_BYTES);
            const n = await tcp.read(buf);
            if (duplex.destroyed) return;
            if (n === null) {
              duplex.push(null);
              return;
            }
            if (!duplex.push(buf.subarray(0, n))) return;
          }
        } catch (e) {
          duplex.destroy(e as Error);
        } finally {
          reading = false;
        }
      })();
    },
    write(chunk: Uint8Array, _encoding, done) {
      (async () => {
        let offset = 0;
        while (offset < chunk.length) offset += await tcp.write(chunk.subarray(offset));
      })().then(() => done(), (e) => done(e));
    },
    final(done) {
      tcp.closeWrite().then(() => done(), () => done());
    },
    destroy(error, done) {
      try {
        tcp.close();
      } catch { /* already closed */ }
      done(error);
    },
  });
  return duplex;
}

/**
 * One RTSPS connection, read and written like a `Deno.Conn`. Reads fail with
 * `TimedOut` when the handshake misses its deadline; close() closes the TCP
 * socket, handshake or not.
 */
class TlsServerConn implements Deno.Conn<Deno.NetAddr> {
  readonly localAddr: Deno.NetAddr;
  readonly remoteAddr: Deno.NetAddr;
  #tcp: Deno.TcpConn;
  #socket: tls.TLSSocket;
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #ended = false;
  #failure: Error | undefined;
  #closed = false;
  #wake: (() => void) | undefined;
  #deadline: ReturnType<typeof setTimeout> | undefined;
  #readable: ReadableStream<Uint8Array<ArrayBuffer>> | undefined;
  #writable: WritableStream<Uint8Array> | undefined;

  constructor(tcp: Deno.TcpConn, context: tls.SecureContext, handshakeTimeoutMs: number) {
    this.#tcp = tcp;
    this.localAddr = tcp.localAddr;
    this.remoteAddr = tcp.remoteAddr;
    const raw = duplexOf(tcp);
    // Errors end this connection only; they surface through read() and write().
    raw.on("error", (e) => this.#fail(e));
    const socket = new tls.TLSSocket(raw, { isServer: true, secureContext: context });
    this.#socket = socket;
    socket.on("error", (e) => this.#fail(e));
    socket.on("data", (chunk: Uint8Array) => {
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
      if (this.#buffered > MAX_BUFFERED_BYTES) socket.pause();
      this.#notify();
    });
    socket.on("end", () => {
      this.#ended = true;
      this.#notify();
    });
    socket.on("close", () => {
      this.#ended = true;
      this.#notify();
    });
    if (handshakeTimeoutMs > 0) {
      this.#deadline = setTimeout(() => {
        this.#fail(
          new Deno.errors.TimedOut(`TLS handshake not complete within ${handshakeTimeoutMs} ms`),
        );
        this.close();
      }, handshakeTimeoutMs);
      socket.once("secure", () => clearTimeout(this.#deadline));
    }
  }

  #fail(e: Error): void {
    // Errors from tearing down a connection the server closed are not news.
    if (this.#closed) return;
    this.#failure ??= e;
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /** Reads decrypted bytes; null at the end of the stream or once closed. */
  async read(p: Uint8Array): Promise<number | null> {
    while (this.#chunks.length === 0) {
      if (this.#failure) throw this.#failure;
      if (this.#ended || this.#closed) return null;
      await new Promise<void>((r) => this.#wake = r);
    }
    const head = this.#chunks[0];
    const n = Math.min(p.length, head.length);
    p.set(head.subarray(0, n));
    if (n === head.length) this.#chunks.shift();
    else this.#chunks[0] = head.subarray(n);
    this.#buffered -= n;
    if (this.#buffered <= MAX_BUFFERED_BYTES && this.#socket.isPaused()) this.#socket.resume();
    return n;
  }

  /** Encrypts and writes all of `p`; resolves once TLS has taken it (so `p` may be reused). */
  write(p: Uint8Array): Promise<number> {
    if (this.#closed) return Promise.reject(new Deno.errors.BadResource("connection closed"));
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      this.#socket.write(p, (e) => e ? reject(e) : resolve(p.length));
    });
  }

  /** Closes the TLS session and the TCP socket under it, whatever the handshake's state. */
  close(): void {
    if (this.#closed) throw new Deno.errors.BadResource("connection closed");
    this.#closed = true;
    clearTimeout(this.#deadline);
    this.#socket.destroy();
    try {
      this.#tcp.close();
    } catch { /* the Duplex closed it */ }
    this.#notify();
  }

  /** Sends close_notify and shuts down the write side. */
  closeWrite(): Promise<void> {
    return new Promise((resolve) => this.#socket.end(resolve));
  }

  /** Passes Nagle's setting to the TCP socket. */
  setNoDelay(noDelay?: boolean): void {
    this.#tcp.setNoDelay(noDelay);
  }

  /** Keeps the event loop alive while open. */
  ref(): void {
    this.#tcp.ref();
  }

  /** Lets the event loop end while open. */
  unref(): void {
    this.#tcp.unref();
  }

  /** The decrypted bytes as a stream. */
  get readable(): ReadableStream<Uint8Array<ArrayBuffer>> {
    return this.#readable ??= new ReadableStream({
      pull: async (controller) => {
        const buf = new Uint8Array(TCP_READ_BYTES);
        const n = await this.read(buf);
        if (n === null) controller.close();
        else controller.enqueue(buf.subarray(0, n));
      },
      cancel: () => this[Symbol.dispose](),
    });
  }

  /** A stream that encrypts and sends what is written to it. */
  get writable(): WritableStream<Uint8Array> {
    return this.#writable ??= new WritableStream({
      write: async (chunk) => {
        await this.write(chunk);
      },
      close: () => this.closeWrite(),
    });
  }

  /** Same as {@linkcode TlsServerConn.close}, without throwing when closed. */
  [Symbol.dispose](): void {
    if (!this.#closed) this.close();
  }
}
