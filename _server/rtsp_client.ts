/**
 * The Deno shell of the RTSP client: carries out what `RtspClientMachine`
 * asks (TCP or TLS connections with `Deno.connect` / `Deno.connectTls`, UDP
 * ports, timers) and turns its events into promises and callbacks.
 *
 * ```ts
 * const client = await RtspClient.connect("rtsp://user:pass@camera:554/stream");
 * console.log(client.description.tracks.map((t) => t.codec));
 * client.onFrame = (frame) => console.log(frame.track, frame.timestamp, frame.keyframe);
 * await client.play();
 * await client.close();
 * ```
 * @module
 */

import {
  type ClientError,
  type ClientEvent,
  type ClientFrame,
  type ClientOutput,
  type ClientTransport,
} from "../_rtsp/client/client_outputs.ts";
import type { ClientDescription } from "../_rtsp/client/client_tracks.ts";
import type { RtpInfoEntry } from "../_rtsp/client/response_headers.ts";
import { RtspClientMachine } from "../_rtsp/client/rtsp_client_machine.ts";
import type { RtpPacket } from "../_rtsp/rtp/rtp_packet.ts";
import type { Scheduler } from "../_rtsp/scheduler.ts";
import { ClientUdpPorts } from "./client_udp_ports.ts";
import { SYSTEM_SCHEDULER } from "./system_scheduler.ts";

/** Bytes read from the connection at once. */
const READ_BUFFER_BYTES = 64 * 1024;

/** Options of {@linkcode RtspClient.connect}. */
export interface RtspClientOptions {
  /** @default {"auto"}: UDP, falling back to TCP */
  readonly transport?: ClientTransport;
  /** Deadline of each response, ms. @default 10000 */
  readonly timeoutMs?: number;
  /** Wait for the first UDP packet after PLAY, ms. @default 3000 */
  readonly udpTimeoutMs?: number;
  /** Silence while playing before the client gives up, ms (0: never). @default 10000 */
  readonly mediaTimeoutMs?: number;
  /** PEM certificates trusted for `rtsps://`, besides the system's. */
  readonly caCerts?: string[];
  /** @default "rtsp.ts" */
  readonly userAgent?: string;
  /** The clock and timers. @default the system's */
  readonly scheduler?: Scheduler;
  /** Header fields sent with every request (e.g. `Via`, RFC 2326 12.43). */
  readonly extraHeaders?: ReadonlyArray<readonly [string, string]>;
  /** Every event, as it happens (lifecycle and media). */
  readonly onEvent?: (event: ClientEvent) => void;
}

/** A {@linkcode ClientError} as an exception, for the promise API. */
export class RtspClientError extends Error {
  override name = "RtspClientError";
  /** What went wrong, typed. */
  readonly error: ClientError;

  constructor(error: ClientError) {
    super(`RTSP client: ${JSON.stringify(error)}`);
    this.error = error;
  }
}

/** What PLAY answered. */
export interface PlayInfo {
  /** Per track, the RTP-Info entry (first sequence number and RTP time), when sent. */
  readonly rtpInfo: ReadonlyArray<RtpInfoEntry | undefined>;
  /** `TCP` or `UDP`: how media travels now. */
  readonly transport: "TCP" | "UDP";
}

/** One promise and its handlers. */
interface Waiter<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: Error): void;
}

function waiter<T>(): Waiter<T> {
  const { promise, resolve, reject } = Promise.withResolvers<T>();
  // Nobody may be waiting (e.g. close() without play()): no unhandled rejection.
  promise.catch(() => {});
  return { promise, resolve, reject };
}

/**
 * Runs a user callback. What it throws is dropped: it would otherwise unwind
 * through the state machine mid-input, or end the process from a read loop.
 */
function guarded(callback: () => void): void {
  try {
    callback();
  } catch { /* the callback's own business */ }
}

/** An RTSP client session to one URL. */
export class RtspClient {
  readonly #machine: RtspClientMachine;
  readonly #caCerts: string[] | undefined;
  readonly #onEvent: ((event: ClientEvent) => void) | undefined;
  #conn: Deno.Conn | undefined;
  /** Bumped per connection, so a stale read loop or write never touches a newer one. */
  #generation = 0;
  #writing: Promise<void> = Promise.resolve();
  #udp: ClientUdpPorts | undefined;
  #udpClosing: Promise<void> = Promise.resolve();
  #ready = waiter<void>();
  #playing = waiter<PlayInfo>();
  #closed = waiter<ClientError | undefined>();
  #error: ClientError | undefined;
  #isClosed = false;

  /** Called with every access unit assembled (H.264, H.265, AAC, Opus, G.711); what it throws is dropped. */
  onFrame: ((frame: ClientFrame) => void) | undefined;
  /** Called with every RTP packet of every track; `packet.payload` is valid only during the call. */
  onPacket: ((track: number, packet: RtpPacket) => void) | undefined;

  private constructor(url: string, options: RtspClientOptions) {
    this.#caCerts = options.caCerts;
    this.#onEvent = options.onEvent;
    this.#machine = new RtspClientMachine(url, {
      output: (output) => this.#carryOut(output),
      scheduler: options.scheduler ?? SYSTEM_SCHEDULER,
      ...(options.transport ? { transport: options.transport } : {}),
      ...(options.timeoutMs !== undefined ? { responseTimeoutMs: options.timeoutMs } : {}),
      ...(options.udpTimeoutMs !== undefined ? { udpTimeoutMs: options.udpTimeoutMs } : {}),
      ...(options.mediaTimeoutMs !== undefined ? { mediaTimeoutMs: options.mediaTimeoutMs } : {}),
      ...(options.userAgent !== undefined ? { userAgent: options.userAgent } : {}),
      ...(options.extraHeaders ? { extraHeaders: options.extraHeaders } : {}),
    });
  }

  /**
   * Connects, DESCRIBEs and SETUPs every track.
   * @throws {RtspClientError} when that fails (the client is closed then)
   * @throws {TypeError} when `url` is not an `rtsp://` or `rtsps://` URL
   */
  static async connect(url: string, options: RtspClientOptions = {}): Promise<RtspClient> {
    const client = new RtspClient(url, options);
    client.#machine.start();
    await client.#ready.promise;
    return client;
  }

  /** What DESCRIBE answered: the SDP and its tracks (codec, control URL, fmtp). */
  get description(): ClientDescription {
    return this.#machine.description!;
  }

  /** The URL in use (after redirects), without credentials. */
  get url(): string {
    return this.#machine.url;
  }

  /** Per track: RTP packets received, input discarded, packets lost to the depacketizer. */
  get trackStats(): Array<{ packets: number; invalid: number; dropped: number }> {
    return this.#machine.trackStats;
  }

  /** Resolves when the client has closed: with the error that closed it, or undefined. */
  get closed(): Promise<ClientError | undefined> {
    return this.#closed.promise;
  }

  /**
   * Sends PLAY; resolves when it is answered.
   * @throws {RtspClientError} when it fails
   */
  play(): Promise<PlayInfo> {
    this.#machine.play();
    return this.#playing.promise;
  }

  /** TEARDOWN, then closes the connection and UDP ports. */
  async close(): Promise<void> {
    this.#machine.close();
    await this.#closed.promise;
    await this.#writing;
    await this.#udpClosing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #carryOut(output: ClientOutput): void {
    switch (output.kind) {
      case "connect":
        this.#closeConnection();
        this.#open(output.hostname, output.port, output.secure, ++this.#generation)
          .catch(() => this.#machine.connectionClosed());
        return;
      case "write":
        this.#write(output.bytes);
        return;
      case "close-connection":
        this.#closeConnection();
        return;
      case "open-udp":
        this.#openUdp(output.tracks);
        return;
      case "close-udp":
        this.#closeUdp();
        return;
      case "send-datagram":
        this.#udp?.send(output.track, output.rtcp, output.port, output.bytes);
        return;
      default:
        this.#onEventOutput(output);
    }
  }

  #onEventOutput(event: ClientEvent): void {
    switch (event.kind) {
      case "frame":
        guarded(() => this.onFrame?.(event.frame));
        break;
      case "rtp":
        guarded(() => this.onPacket?.(event.track, event.packet));
        break;
      case "ready":
        this.#ready.resolve();
        break;
      case "playing":
        this.#playing.resolve({
          rtpInfo: event.rtpInfo,
          transport: event.transports[0]?.lower ?? "TCP",
        });
        break;
      case "error":
        this.#error = event.error;
        break;
      case "closed": {
        this.#isClosed = true;
        const error = new RtspClientError(this.#error ?? { kind: "connection-closed" });
        this.#ready.reject(error);
        this.#playing.reject(error);
        this.#closed.resolve(this.#error);
        break;
      }
    }
    guarded(() => this.#onEvent?.(event));
  }

  async #open(hostname: string, port: number, secure: boolean, generation: number): Promise<void> {
    let conn: Deno.Conn;
    try {
      if (secure) {
        const tls = await Deno.connectTls({
          hostname,
          port,
          ...(this.#caCerts ? { caCerts: this.#caCerts } : {}),
        });
        conn = tls;
        // Handshake now, so an untrusted certificate is a failure to connect.
        try {
          await tls.handshake();
        } catch (error) {
          tls.close();
          throw error;
        }
      } else {
        conn = await Deno.connect({ hostname, port });
      }
    } catch (error) {
      if (generation === this.#generation) {
        this.#machine.connectFailed(error instanceof Error ? error.message : String(error));
      }
      return;
    }
    if (generation !== this.#generation || this.#isClosed) {
      conn.close();
      return;
    }
    this.#conn = conn;
    this.#writing = Promise.resolve();
    this.#machine.connected();
    await this.#read(conn, generation);
  }

  async #read(conn: Deno.Conn, generation: number): Promise<void> {
    const buffer = new Uint8Array(READ_BUFFER_BYTES);
    while (true) {
      let n: number | null;
      try {
        n = await conn.read(buffer);
      } catch {
        n = null;
      }
      if (generation !== this.#generation) return;
      if (n === null) {
        this.#conn = undefined;
        this.#machine.connectionClosed();
        return;
      }
      // The framer copies what it keeps, so the buffer is reused.
      this.#machine.receive(buffer.subarray(0, n));
    }
  }

  #write(bytes: Uint8Array): void {
    const conn = this.#conn;
    const generation = this.#generation;
    if (!conn) return;
    this.#writing = this.#writing.then(async () => {
      try {
        for (let at = 0; at < bytes.length;) at += await conn.write(bytes.subarray(at));
      } catch {
        if (generation === this.#generation) this.#machine.connectionClosed();
      }
    });
  }

  #closeConnection(): void {
    const conn = this.#conn;
    this.#conn = undefined;
    this.#generation++;
    if (!conn) return;
    // Close after queued writes (a TEARDOWN) have gone out.
    this.#writing = this.#writing.then(() => {
      try {
        conn.close();
      } catch { /* already closed */ }
    });
  }

  #openUdp(tracks: number): void {
    const server = this.#conn?.remoteAddr;
    const address = server && server.transport === "tcp" ? server.hostname : undefined;
    // Bound after this turn: the machine is still in the call that asked.
    queueMicrotask(() => {
      if (this.#isClosed) return;
      if (address === undefined) return this.#machine.useUdpPorts([]);
      this.#udp = new ClientUdpPorts(tracks, address, (track, rtcp, bytes) => {
        this.#machine.receiveDatagram(track, rtcp, bytes);
      });
      this.#machine.useUdpPorts(this.#udp.pairs);
    });
  }

  #closeUdp(): void {
    const udp = this.#udp;
    this.#udp = undefined;
    if (udp) this.#udpClosing = this.#udpClosing.then(() => udp.close());
  }
}
