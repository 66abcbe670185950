/**
 * One browser reading a stream as fragmented MP4 over a WebSocket
 * (RFC 6455), for W3C Media Source Extensions. What it sends:
 *
 * 1. a text message, JSON: `{ "codecs": "avc1.64001f,mp4a.40.2",
 *    "mime": "video/mp4; codecs=\"avc1.64001f,mp4a.40.2\"", "timeline": "live" }`,
 *    the type to check with `MediaSource.isTypeSupported` and give
 *    `addSourceBuffer`, and whether the stream is shared and live or a file
 *    played from its start for this socket alone (see `Fmp4Timeline`);
 * 2. a binary message: the init segment (`ftyp` + `moov`, ISO/IEC 14496-12, 8.2/8.3);
 * 3. binary messages: one fragment (`moof` + `mdat`, 8.8) each, starting at a keyframe.
 *
 * When the stream's parameters change, a new text message and a new init
 * segment come before the next fragments. When the backlog of unsent bytes
 * (`bufferedAmount`) passes a bound, fragments are dropped up to the next
 * keyframe (`Fmp4SendGate`) and counted. The socket is closed with 1000 when
 * the stream ends (a publisher gone; a file's end, after its last fragment),
 * 1001 when the server shuts down, 1008 when an operator kicks the reader,
 * and 1013 ("try again later", IANA WebSocket close code registry) when no
 * init segment came in time. Each reader counts what it sent, for the
 * operator's view (`snapshot.ts`).
 * @module
 */

import type { Scheduler } from "../../_rtsp/scheduler.ts";
import type { Fmp4Event } from "../../_engine/fmp4_stream.ts";
import type { Fmp4Feed, Fmp4Lease, Fmp4Timeline } from "../../_engine/fmp4_feed.ts";
import type { Fmp4Registry } from "../../_engine/fmp4_registry.ts";
import { Fmp4SendGate, MAX_BUFFERED_BYTES } from "../../_engine/fmp4_send_gate.ts";
import { type AbuseLimits, ConnectionGuard } from "../abuse_limits.ts";
import type { Logger } from "../log.ts";
import type { BrowserTraffic } from "./browser_traffic.ts";
import { safeJson } from "./json.ts";

const UTF8 = new TextEncoder();

/** How long a reader waits for the stream's first init segment. */
export const INIT_WAIT_MS = 10_000;

/** Close codes used (RFC 6455, 7.4.1; 1013 from the IANA registry, RFC 6455, 11.7). */
export const CLOSE_CODE = {
  /** The stream ended. */
  normal: 1000,
  /** The server is shutting down. */
  goingAway: 1001,
  /**
   * An operator kicked the reader (`DELETE /v1/sessions/<id>`): 1008, "policy
   * violation", the generic code for a server that ends a connection on its
   * own terms (RFC 6455, 7.4.1); the player page does not reconnect after it.
   */
  kicked: 1008,
  /** No init segment in time: the player should retry. */
  tryAgainLater: 1013,
} as const;
export type CloseCode = typeof CLOSE_CODE[keyof typeof CLOSE_CODE];

/** Where a reader is. */
export type WebSocketReaderState =
  /** Subscribed; no init segment yet. */
  | "waiting-for-init"
  /** Sending. */
  | "streaming"
  /** Closed (by either side); nothing more is sent. */
  | "closed";

/** What a {@linkcode WebSocketReader} needs. */
export interface WebSocketReaderOptions {
  readonly scheduler: Scheduler;
  readonly log: Logger;
  /** The client's address, for log lines. */
  readonly address: string;
  /** Backlog bound @default {MAX_BUFFERED_BYTES} */
  readonly maxBufferedBytes?: number;
  /** @default {INIT_WAIT_MS} */
  readonly initWaitMs?: number;
}

/** The first text message, and the one before each new init segment. */
export interface StreamTypeMessage {
  /** RFC 6381 `codecs` of the muxed tracks. */
  readonly codecs: string;
  /** The full MIME type for `MediaSource.isTypeSupported`. */
  readonly mime: string;
  /**
   * `"live"`: a shared stream joined where it is; `"file"`: this socket's own
   * playback of a file, from its start: a close with 1000 is its end, after
   * which a player should not reconnect (that would start it again).
   */
  readonly timeline: Fmp4Timeline;
}

/** The MIME type of fMP4 with `codecs` (RFC 6381, 3.2). */
export function fmp4Mime(codecs: string): string {
  return `video/mp4; codecs="${codecs}"`;
}

/** A path as shown in a log line: JSON-quoted and cut short (it came from a URL). */
function shownPath(path: string): string {
  return JSON.stringify(path.length > 100 ? `${path.slice(0, 100)}…` : path);
}

/** Feeds one WebSocket from a path's Fmp4Stream (shared, or a file's own). */
export class WebSocketReader {
  readonly #socket: WebSocket;
  readonly #feed: Fmp4Feed;
  readonly #options: WebSocketReaderOptions;
  readonly #gate: Fmp4SendGate;
  #state: WebSocketReaderState = "waiting-for-init";
  #lease: Fmp4Lease | undefined;
  #unsubscribe: () => void = () => {};
  #cancelWait: () => void = () => {};
  #fragmentsSent = 0;
  #bytesSent = 0;
  #messagesSent = 0;
  #startedAtMs = 0;
  #ended: () => void = () => {};

  /**
   * @param socket an open WebSocket (after `open`)
   * @param feed where the stream to read comes from
   * @param options see {@linkcode WebSocketReaderOptions}
   */
  constructor(socket: WebSocket, feed: Fmp4Feed, options: WebSocketReaderOptions) {
    this.#socket = socket;
    this.#feed = feed;
    this.#options = options;
    this.#gate = new Fmp4SendGate(options.maxBufferedBytes ?? MAX_BUFFERED_BYTES);
  }

  /** Where it is. */
  get state(): WebSocketReaderState {
    return this.#state;
  }

  /** Its drop gate, for its counters. */
  get gate(): Fmp4SendGate {
    return this.#gate;
  }

  /** Fragments sent so far. */
  get fragmentsSent(): number {
    return this.#fragmentsSent;
  }

  /** Bytes handed to the socket so far: message payloads, text and binary (not frame headers). */
  get bytesSent(): number {
    return this.#bytesSent;
  }

  /** Messages handed to the socket so far, text and binary. */
  get messagesSent(): number {
    return this.#messagesSent;
  }

  /** The path it reads. */
  get path(): string {
    return this.#feed.path;
  }

  /** The client's address. */
  get address(): string {
    return this.#options.address;
  }

  /** When it started, on its scheduler's clock. */
  get startedAtMs(): number {
    return this.#startedAtMs;
  }

  /**
   * Subscribes and starts sending; `ended` is called once when it closes.
   */
  start(ended: () => void): void {
    this.#ended = ended;
    this.#startedAtMs = this.#options.scheduler.now();
    this.#socket.addEventListener("close", () => this.#finish());
    this.#socket.addEventListener("error", () => this.#finish());
    const why = this.#feed.timeline === "file" ? "the file ended" : "the stream ended";
    this.#lease = this.#feed.acquire(() => this.close(CLOSE_CODE.normal, why));
    this.#cancelWait = this.#options.scheduler.after(
      this.#options.initWaitMs ?? INIT_WAIT_MS,
      () => {
        if (this.#state !== "waiting-for-init") return;
        this.close(CLOSE_CODE.tryAgainLater, "the stream gave no init segment in time");
      },
    );
    this.#unsubscribe = this.#lease.stream.subscribe((event) => this.#onEvent(event));
  }

  /** Closes the socket (if open) and lets go of the stream. */
  close(code: CloseCode, reason: string): void {
    if (this.#state === "closed") return;
    try {
      this.#socket.close(code, reason);
    } catch { /* already closing */ }
    this.#finish();
  }

  #finish(): void {
    if (this.#state === "closed") return;
    this.#state = "closed";
    this.#cancelWait();
    this.#unsubscribe();
    this.#lease?.release();
    const { log, address } = this.#options;
    if (this.#gate.dropped > 0) {
      log.info(
        `${address}: WebSocket reader of ${shownPath(this.#feed.path)} was too slow: ` +
          `dropped ${this.#gate.dropped} fragments (${this.#gate.droppedBytes} bytes) ` +
          `in ${this.#gate.dropRuns} runs, sent ${this.#fragmentsSent}`,
      );
    }
    this.#ended();
  }

  #send(data: string | Uint8Array): void {
    try {
      this.#socket.send(data);
    } catch {
      this.#finish(); // closing under us
      return;
    }
    this.#messagesSent++;
    // A text message is sent as UTF-8 (RFC 6455, 5.6).
    this.#bytesSent += typeof data === "string" ? UTF8.encode(data).length : data.length;
  }

  /** A subscriber of the Fmp4Stream: must not throw. */
  #onEvent(event: Fmp4Event): void {
    if (this.#state === "closed") return;
    if (event.kind === "init") {
      const codecs = this.#lease!.stream.codecs();
      const message: StreamTypeMessage = {
        codecs,
        mime: fmp4Mime(codecs),
        timeline: this.#feed.timeline,
      };
      this.#send(safeJson(message));
      this.#send(event.bytes);
      if (this.#state === "waiting-for-init") {
        this.#state = "streaming";
        this.#cancelWait();
      }
      return;
    }
    if (this.#state !== "streaming") return;
    const runs = this.#gate.dropRuns;
    if (this.#gate.admit(event.fragment, this.#socket.bufferedAmount)) {
      this.#send(event.fragment.bytes);
      this.#fragmentsSent++;
    } else if (this.#gate.dropRuns > runs) {
      this.#options.log.warn(
        `${this.#options.address}: WebSocket reader of ${shownPath(this.#feed.path)} ` +
          `is too slow (${this.#socket.bufferedAmount} bytes unsent): dropping to the next keyframe`,
      );
    }
  }
}

/** The id prefix of WebSocket readers as listed beside RTSP sessions (`ws-1`, `ws-2`, ...). */
export const WEBSOCKET_ID_PREFIX = "ws-";

/**
 * The WebSocket readers of one HTTP listener, so shutting down closes them
 * and operators see (and kick) them by id. An open socket outlives its
 * request, so it is not among the requests in flight the listener counts:
 * readers get their own count under the same limits as RTSP connections
 * (`--max-connections`, `--max-connections-per-ip`). When one closes, what it
 * sent joins its path's totals in `traffic`.
 */
export class WebSocketReaders {
  readonly registry: Fmp4Registry;
  readonly traffic: BrowserTraffic;
  readonly #open = new Map<string, WebSocketReader>();
  readonly #guard: ConnectionGuard;
  #lastId = 0;

  /**
   * @param registry the Fmp4Streams they share
   * @param limits the connection limits they count against
   * @param traffic where closed readers' counts go
   */
  constructor(registry: Fmp4Registry, limits: AbuseLimits, traffic: BrowserTraffic) {
    this.registry = registry;
    this.traffic = traffic;
    this.#guard = new ConnectionGuard(limits);
  }

  /** Open readers by id, oldest first. */
  readers(): IterableIterator<[string, WebSocketReader]> {
    return this.#open.entries();
  }

  /** The open reader with `id`, if any. */
  get(id: string): WebSocketReader | undefined {
    return this.#open.get(id);
  }

  /** Readers open now. */
  get size(): number {
    return this.#open.size;
  }

  /**
   * Counts a reader from `address` about to be upgraded, or says which limit
   * it would break; an admitted one must be {@linkcode start}ed or {@linkcode cancel}led.
   */
  admit(address: string): "ok" | "total" | "address" {
    return this.#guard.admit(address);
  }

  /** An admitted reader that never started (the upgrade failed, or the socket never opened). */
  cancel(address: string): void {
    this.#guard.release(address);
  }

  /** Starts an admitted `reader` and keeps it until it closes; returns its id. */
  start(reader: WebSocketReader, address: string): string {
    const id = `${WEBSOCKET_ID_PREFIX}${++this.#lastId}`;
    this.#open.set(id, reader);
    reader.start(() => {
      // Moved from live to ended in one step, so no snapshot counts it twice or not at all.
      this.#open.delete(id);
      this.traffic.websocketEnded(
        reader.path,
        reader.bytesSent,
        reader.messagesSent,
        reader.gate.dropped,
      );
      this.#guard.release(address);
    });
    return id;
  }

  /** Closes every reader with 1001 (going away). */
  closeAll(): void {
    for (const reader of [...this.#open.values()]) {
      reader.close(CLOSE_CODE.goingAway, "the server is shutting down");
    }
  }
}
