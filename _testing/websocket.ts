/**
 * Reading `/ws/<path>` in tests: Deno's own WebSocket client collecting what
 * comes, a raw handshake for answers given before the upgrade, and a look
 * into the fMP4 boxes received.
 */

import { parseFragment } from "../_rtsp/media/fmp4/_test_helpers.ts";

/** One message as received, with its arrival time since the socket was made (before the handshake). */
export interface Received {
  readonly atMs: number;
  readonly data: string | Uint8Array;
}

/** The type of an ISO BMFF box at `offset` (ISO/IEC 14496-12, 4.2). */
export function boxType(bytes: Uint8Array, offset = 0): string {
  return new TextDecoder().decode(bytes.subarray(offset + 4, offset + 8));
}

/**
 * Opens `url`, collects messages for `ms` after it is made (or until the
 * server closes it), closes; also how it closed.
 */
export async function readWebSocket(
  url: string,
  ms: number,
  headers?: Record<string, string>,
): Promise<{ messages: Received[]; close: CloseEvent | undefined }> {
  const startedAt = performance.now();
  // Deno's WebSocket takes request headers as a second-argument option.
  const socket = headers
    ? new WebSocket(url, { headers } as unknown as string[])
    : new WebSocket(url);
  socket.binaryType = "arraybuffer";
  const messages: Received[] = [];
  let close: CloseEvent | undefined;
  const closed = Promise.withResolvers<void>();
  socket.onmessage = (e) => {
    messages.push({
      atMs: performance.now() - startedAt,
      data: typeof e.data === "string" ? e.data : new Uint8Array(e.data),
    });
  };
  socket.onclose = (e) => {
    close = e;
    closed.resolve();
  };
  socket.onerror = () => {};
  const timer = setTimeout(() => socket.close(), ms);
  await closed.promise;
  clearTimeout(timer);
  return { messages, close };
}

/** A WebSocket opening handshake for `target` (RFC 6455, 4.1), as raw HTTP/1.1 that closes after the answer. */
export function handshake(target: string, extraHeaders = ""): string {
  return `GET ${target} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade, close\r\n` +
    `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extraHeaders}\r\n`;
}

/** The binary messages of a reading: the init segment, then the fragments. */
export function binaryOf(messages: readonly Received[]): Uint8Array[] {
  return messages.flatMap((m) => (typeof m.data === "string" ? [] : [m.data]));
}

/** The base decode time (`tfdt`, ISO/IEC 14496-12, 8.8.12) of each track run of a fragment, in its timescale, by track_ID. */
export function baseDecodeTimes(fragment: Uint8Array): Map<number, number> {
  return new Map(parseFragment(fragment).runs.map((run) => [run.trackId, run.baseDecodeTime]));
}
