/**
 * Helpers for tests of the HTTP listener: an RTSP reader to look at, raw
 * HTTP requests that `fetch` would refuse or tidy up, and scrapes.
 */

import { RawClient } from "./raw_client.ts";
import { type Exposition, parsePrometheusText } from "./prometheus.ts";

/** A reader playing a path over TCP (interleaved), and its session id. */
export interface TcpReader {
  readonly client: RawClient;
  readonly sessionId: string;
}

/**
 * DESCRIBE, SETUP of track 0 interleaved on channels 0-1, and PLAY of `path`
 * on a new connection; `headers` (e.g. an `Authorization: ...\r\n` line) go in every request.
 */
export async function playOverTcp(port: number, path: string, headers = ""): Promise<TcpReader> {
  const client = await RawClient.connect(port);
  const url = `rtsp://127.0.0.1:${port}${path}`;
  const describe = await client.request(`DESCRIBE ${url} RTSP/1.0\r\nCSeq: 1\r\n${headers}\r\n`);
  if (describe.status !== 200) throw new Error(`DESCRIBE ${path}: ${describe.status}`);
  const setup = await client.request(
    `SETUP ${url}/trackID=0 RTSP/1.0\r\nCSeq: 2\r\n${headers}` +
      `Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\r\n`,
  );
  if (setup.status !== 200) throw new Error(`SETUP ${path}: ${setup.status}`);
  const sessionId = setup.headers.get("session")!.split(";")[0];
  const play = await client.request(
    `PLAY ${url} RTSP/1.0\r\nCSeq: 3\r\nSession: ${sessionId}\r\n${headers}\r\n`,
  );
  if (play.status !== 200) throw new Error(`PLAY ${path}: ${play.status}`);
  return { client, sessionId };
}

/** TEARDOWN of a reader's session; resolves with the status. */
export async function teardown(port: number, reader: TcpReader, path = "/test"): Promise<number> {
  const response = await reader.client.request(
    `TEARDOWN rtsp://127.0.0.1:${port}${path} RTSP/1.0\r\nCSeq: 9\r\nSession: ${reader.sessionId}\r\n\r\n`,
  );
  return response.status;
}

/** A raw HTTP/1.1 exchange: the request as written, the status and body as read. */
export async function rawHttp(
  port: number,
  requestHead: string,
): Promise<{ status: number; head: string; body: string }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode(requestHead));
    const chunks: Uint8Array[] = [];
    const buf = new Uint8Array(65536);
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      chunks.push(buf.slice(0, n));
    }
    const text = new TextDecoder().decode(
      chunks.reduce((a, b) => {
        const out = new Uint8Array(a.length + b.length);
        out.set(a);
        out.set(b, a.length);
        return out;
      }, new Uint8Array(0)),
    );
    const end = text.indexOf("\r\n\r\n");
    return {
      status: Number(text.split(" ")[1]),
      head: text.slice(0, end),
      body: text.slice(end + 4),
    };
  } finally {
    try {
      conn.close();
    } catch { /* closed */ }
  }
}

/** Scrapes `/metrics` at `url` and parses it (throws if the format is broken). */
export async function scrape(url: string, headers: HeadersInit = {}): Promise<Exposition> {
  const response = await fetch(url, { headers });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`GET ${url}: ${response.status} ${text}`);
  if (response.headers.get("content-type") !== "text/plain; version=0.0.4; charset=utf-8") {
    throw new Error(`unexpected content type ${response.headers.get("content-type")}`);
  }
  return parsePrometheusText(text);
}

/** Polls `check` every 50 ms until it returns true or `timeoutMs` passes. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return await check();
}
