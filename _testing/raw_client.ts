/**
 * Raw-socket helpers for integration tests: send exact bytes, read whole responses.
 */

import {
  INTERLEAVED_HEADER_BYTES,
  INTERLEAVED_MAGIC,
  interleavedLength,
} from "../_rtsp/interleaved.ts";

const enc = new TextEncoder();
const MAX_KEPT_FRAMES = 100_000;
const dec = new TextDecoder();

/** A response as read off the wire. */
export interface RawResponse {
  readonly status: number;
  readonly head: string;
  readonly headers: Map<string, string>;
  readonly body: string;
}

/** Reads whole RTSP responses from a connection, skipping interleaved frames. */
export class RawClient {
  readonly conn: Deno.TcpConn;
  #buf = new Uint8Array(0);
  #pending: RawResponse[] = [];
  /** A read that outlived a timeout: its bytes must not be lost. */
  #inflight: Promise<Uint8Array | null> | undefined;

  /** Reads once, waiting at most `ms`; a read cut short by the timeout is resumed next time. */
  async #readSome(ms: number): Promise<Uint8Array | null | "timeout"> {
    this.#inflight ??= (async () => {
      const chunk = new Uint8Array(65536);
      const n = await this.conn.read(chunk).catch(() => null);
      return n === null ? null : chunk.subarray(0, n);
    })();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const result = await Promise.race([
      this.#inflight,
      new Promise<"timeout">((r) => timer = setTimeout(() => r("timeout"), Math.max(1, ms))),
    ]);
    clearTimeout(timer);
    if (result !== "timeout") this.#inflight = undefined;
    return result;
  }

  #append(bytes: Uint8Array): void {
    const grown = new Uint8Array(this.#buf.length + bytes.length);
    grown.set(this.#buf);
    grown.set(bytes, this.#buf.length);
    this.#buf = grown;
  }
  /** Interleaved frames seen so far, oldest first (at most MAX_KEPT_FRAMES). */
  readonly frames: Array<{ channel: number; payload: Uint8Array }> = [];

  private constructor(conn: Deno.TcpConn) {
    this.conn = conn;
  }

  /** Connects to `hostname`:`port` (127.0.0.1 unless told). */
  static async connect(port: number, hostname = "127.0.0.1"): Promise<RawClient> {
    return new RawClient(await Deno.connect({ hostname, port }));
  }

  /** Writes a string or bytes. */
  async send(data: string | Uint8Array): Promise<void> {
    const bytes = typeof data === "string" ? enc.encode(data) : data;
    let off = 0;
    while (off < bytes.length) off += await this.conn.write(bytes.subarray(off));
  }

  #take(): RawResponse | undefined {
    const header = INTERLEAVED_HEADER_BYTES;
    while (this.#buf.length >= header && this.#buf[0] === INTERLEAVED_MAGIC) {
      const len = interleavedLength(this.#buf, 0);
      if (this.#buf.length < header + len) return undefined;
      if (this.frames.length < MAX_KEPT_FRAMES) {
        this.frames.push({ channel: this.#buf[1], payload: this.#buf.slice(header, header + len) });
      }
      this.#buf = this.#buf.slice(header + len);
    }
    const text = dec.decode(this.#buf.subarray(0, Math.min(this.#buf.length, 65536)));
    const end = text.indexOf("\r\n\r\n");
    if (end < 0) return undefined;
    const head = text.slice(0, end);
    const headers = new Map<string, string>();
    for (const line of head.split("\r\n").slice(1)) {
      const colon = line.indexOf(":");
      headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
    }
    const length = Number(headers.get("content-length") ?? 0);
    const headBytes = enc.encode(head).length + 4;
    if (this.#buf.length < headBytes + length) return undefined;
    const body = dec.decode(this.#buf.subarray(headBytes, headBytes + length));
    this.#buf = this.#buf.slice(headBytes + length);
    return { status: Number(head.split(" ")[1]), head, headers, body };
  }

  /** Reads `count` responses, or throws after `timeoutMs` or on EOF. */
  async read(count = 1, timeoutMs = 5000): Promise<RawResponse[]> {
    const out: RawResponse[] = [];
    const deadline = Date.now() + timeoutMs;
    while (out.length < count) {
      const r = this.#pending.shift() ?? this.#take();
      if (r) {
        out.push(r);
        continue;
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `timed out after ${out.length} of ${count} responses; holding ${this.#buf.length} bytes starting ${[
            ...this.#buf.subarray(0, 8),
          ]}`,
        );
      }
      const got = await this.#readSome(left);
      if (got === "timeout") continue;
      if (got === null) {
        throw new Error(`connection closed after ${out.length} of ${count} responses`);
      }
      this.#append(got);
    }
    return out;
  }

  /**
   * Reads until `count` interleaved frames have been kept in total, or
   * `timeoutMs` passes; returns the frames kept so far.
   */
  async collect(
    count: number,
    timeoutMs: number,
  ): Promise<Array<{ channel: number; payload: Uint8Array }>> {
    const deadline = Date.now() + timeoutMs;
    // Frames that came in the same read as the last response are in the buffer
    // already: take them before waiting for more bytes, or a caller waiting for
    // one frame waits for the packet after it.
    for (let r = this.#take(); r; r = this.#take()) this.#pending.push(r);
    while (this.frames.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      const got = await this.#readSome(left);
      if (got === "timeout" || got === null) break;
      this.#append(got);
      // Frames are taken off the buffer as a side effect; a response stays queued.
      const response = this.#take();
      if (response) this.#pending.push(response);
    }
    return this.frames;
  }

  /** Sends a request and reads its response. */
  async request(text: string): Promise<RawResponse> {
    await this.send(text);
    return (await this.read(1))[0];
  }

  /** Resolves true when the server closes the connection within `timeoutMs`. */
  async closedByServer(timeoutMs = 3000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const got = await this.#readSome(deadline - Date.now());
      if (got === null) return true;
      if (got === "timeout") return false;
    }
    return false;
  }

  /** Closes the socket, ignoring errors. */
  close(): void {
    try {
      this.conn.close();
    } catch { /* closed */ }
  }
}

/** One DESCRIBE on a new connection to `hostname` (::1 is another client address than 127.0.0.1). */
export async function describeOnce(
  port: number,
  path: string,
  authorization?: string,
  hostname = "127.0.0.1",
): Promise<RawResponse> {
  const c = await RawClient.connect(port, hostname);
  try {
    return await c.request(
      `DESCRIBE rtsp://127.0.0.1:${port}${path} RTSP/1.0\r\nCSeq: 5\r\n${
        authorization ? `Authorization: ${authorization}\r\n` : ""
      }\r\n`,
    );
  } finally {
    c.close();
  }
}

/** Sets up every track of `path` over TCP and plays; returns the session id and PLAY's send time. */
export async function playTcp(
  c: RawClient,
  url: string,
  tracks: number,
): Promise<{ session: string; sentAt: number }> {
  let session = "";
  for (let i = 0; i < tracks; i++) {
    const r = await c.request(
      `SETUP ${url}/trackID=${i} RTSP/1.0\r\nCSeq: ${
        i + 1
      }\r\nTransport: RTP/AVP/TCP;unicast;interleaved=${2 * i}-${2 * i + 1}\r\n${
        session ? `Session: ${session}\r\n` : ""
      }\r\n`,
    );
    if (r.status !== 200) throw new Error(`SETUP ${url}/trackID=${i}: ${r.status}`);
    session = r.headers.get("session")!.split(";")[0];
  }
  const sentAt = performance.now();
  const play = await c.request(`PLAY ${url} RTSP/1.0\r\nCSeq: 9\r\nSession: ${session}\r\n\r\n`);
  if (play.status !== 200) throw new Error(`PLAY ${url}: ${play.status}`);
  return { session, sentAt };
}
