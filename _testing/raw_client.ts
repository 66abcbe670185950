/**
 * Raw-socket helpers for integration tests: send exact bytes, read whole responses.
 */

const enc = new TextEncoder();
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
  /** Interleaved frames seen, by channel. */
  readonly interleaved = new Map<number, number>();

  private constructor(conn: Deno.TcpConn) {
    this.conn = conn;
  }

  /** Connects to 127.0.0.1:`port`. */
  static async connect(port: number): Promise<RawClient> {
    return new RawClient(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  /** Writes a string or bytes. */
  async send(data: string | Uint8Array): Promise<void> {
    const bytes = typeof data === "string" ? enc.encode(data) : data;
    let off = 0;
    while (off < bytes.length) off += await this.conn.write(bytes.subarray(off));
  }

  #take(): RawResponse | undefined {
    while (this.#buf.length >= 4 && this.#buf[0] === 0x24) {
      const len = (this.#buf[2] << 8) | this.#buf[3];
      if (this.#buf.length < 4 + len) return undefined;
      this.interleaved.set(this.#buf[1], (this.interleaved.get(this.#buf[1]) ?? 0) + 1);
      this.#buf = this.#buf.slice(4 + len);
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
    const chunk = new Uint8Array(65536);
    while (out.length < count) {
      const r = this.#take();
      if (r) {
        out.push(r);
        continue;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${out.length} of ${count} responses`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const n = await Promise.race([
        this.conn.read(chunk),
        new Promise<"timeout">((resolve) => timer = setTimeout(() => resolve("timeout"), left)),
      ]);
      clearTimeout(timer);
      if (n === "timeout") continue;
      if (n === null) {
        throw new Error(`connection closed after ${out.length} of ${count} responses`);
      }
      const grown = new Uint8Array(this.#buf.length + n);
      grown.set(this.#buf);
      grown.set(chunk.subarray(0, n), this.#buf.length);
      this.#buf = grown;
    }
    return out;
  }

  /** Sends a request and reads its response. */
  async request(text: string): Promise<RawResponse> {
    await this.send(text);
    return (await this.read(1))[0];
  }

  /** Resolves true when the server closes the connection within `timeoutMs`. */
  async closedByServer(timeoutMs = 3000): Promise<boolean> {
    const chunk = new Uint8Array(65536);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const n = await Promise.race([
        this.conn.read(chunk).catch(() => null),
        new Promise<"timeout">((r) =>
          timer = setTimeout(() => r("timeout"), deadline - Date.now())
        ),
      ]);
      clearTimeout(timer);
      if (n === null) return true;
      if (n === "timeout") return false;
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
