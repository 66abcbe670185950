/**
 * One client connection: read bytes, frame them, answer requests in order,
 * write all answers to one read in one write.
 * @module
 */

import { MessageFramer } from "../_rtsp/framer.ts";
import type { MessageLimits } from "../_rtsp/limits.ts";
import type { ConnectionInfo, RtspResponder } from "../_rtsp/responder.ts";
import { ConnectionWriter } from "./connection_writer.ts";
import type { Logger } from "./log.ts";

/** Bytes asked for per read. */
export const READ_BUFFER_BYTES = 64 * 1024;

/** What a connection needs from the server. */
export interface ConnectionContext {
  readonly responder: RtspResponder;
  readonly log: Logger;
  readonly limits?: Partial<MessageLimits>;
  /** Called with interleaved data the client sends (RTCP receiver reports, published RTP). */
  readonly onInterleaved?: (info: ConnectionInfo, channel: number, payload: Uint8Array) => void;
  /** Where media finds this connection's writer while it is open. */
  readonly writers?: Map<number, ConnectionWriter>;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  let total = 0;
  for (const c of chunks) total += c.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * Serves one connection until the client closes it, a framing error closes it,
 * or the server shuts down. Never throws: errors end only this connection.
 */
export async function serveConnection(
  conn: Deno.Conn,
  info: ConnectionInfo,
  context: ConnectionContext,
): Promise<void> {
  const { responder, log } = context;
  const framer = new MessageFramer(context.limits);
  const buf = new Uint8Array(READ_BUFFER_BYTES);
  const writer = new ConnectionWriter(conn);
  context.writers?.set(info.id, writer);
  try {
    while (true) {
      const n = await conn.read(buf);
      if (n === null) break;
      framer.push(buf.subarray(0, n));
      const out: Uint8Array[] = [];
      const after: Array<() => void> = [];
      let close = false;
      for (let frame = framer.next(); frame !== undefined; frame = framer.next()) {
        if (frame.kind === "request") {
          const reply = await responder.respond(frame.request, info);
          const { response } = reply;
          log.debug(
            `#${info.id} ${frame.request.method} ${frame.request.uri} -> ${response.status}`,
          );
          out.push(responder.serialize(response));
          if (reply.afterWrite) after.push(reply.afterWrite);
        } else if (frame.kind === "interleaved") {
          context.onInterleaved?.(info, frame.channel, frame.payload);
        } else if (frame.kind === "error") {
          log.warn(`#${info.id} ${info.remoteAddress}: ${frame.message}; closing`);
          out.push(responder.serialize(responder.frameError(frame).response));
          close = true;
        }
      }
      if (out.length > 0) await writer.writeResponse(concat(out));
      for (const start of after) start();
      if (close) break;
    }
  } catch (e) {
    if (
      !(e instanceof Deno.errors.BadResource || e instanceof Deno.errors.ConnectionReset ||
        e instanceof Deno.errors.BrokenPipe || e instanceof Deno.errors.Interrupted)
    ) {
      log.warn(`#${info.id} ${info.remoteAddress}: ${e instanceof Error ? e.message : e}`);
    }
  } finally {
    writer.close();
    context.writers?.delete(info.id);
    for (const session of responder.connectionClosed(info.id)) {
      log.info(`session ${session.id} ended: connection closed`);
    }
    try {
      conn.close();
    } catch { /* already closed */ }
  }
}
