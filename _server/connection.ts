/**
 * One client connection: read bytes, frame them, answer requests in order,
 * write all answers to one read in one write.
 * @module
 */

import { MessageFramer } from "../_rtsp/framer.ts";
import type { MessageLimits } from "../_rtsp/limits.ts";
import type { RtspResponse } from "../_rtsp/message.ts";
import type { ConnectionInfo, RtspResponder } from "../_rtsp/responder.ts";
import { ConnectionWriter } from "./connection_writer.ts";
import type { Logger } from "./log.ts";

/** Bytes asked for per read. */
export const READ_BUFFER_BYTES = 64 * 1024;
/** Starting size of the buffer the answers to one read are written into. */
const ANSWER_BUFFER_BYTES = 16 * 1024;

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

/**
 * The answers to one read, serialized into one reused buffer (allocating a
 * buffer per answer costs more than building it) and written in one write.
 */
class AnswerBuffer {
  #bytes = new Uint8Array(ANSWER_BUFFER_BYTES);
  used = 0;

  add(responder: RtspResponder, response: RtspResponse): void {
    let n = responder.serializeInto(response, this.#bytes, this.used);
    while (n === undefined) {
      const grown = new Uint8Array(this.#bytes.length * 2);
      grown.set(this.#bytes.subarray(0, this.used));
      this.#bytes = grown;
      n = responder.serializeInto(response, this.#bytes, this.used);
    }
    this.used += n;
  }

  /** The bytes to write; valid until the next `add` after `clear`. */
  view(): Uint8Array {
    return this.#bytes.subarray(0, this.used);
  }

  clear(): void {
    this.used = 0;
    // Give back memory a burst of pipelined answers made us take.
    if (this.#bytes.length > 16 * ANSWER_BUFFER_BYTES) {
      this.#bytes = new Uint8Array(ANSWER_BUFFER_BYTES);
    }
  }
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
  const answers = new AnswerBuffer();
  context.writers?.set(info.id, writer);
  try {
    while (true) {
      const n = await conn.read(buf);
      if (n === null) break;
      framer.push(buf.subarray(0, n));
      const after: Array<() => void> = [];
      let close = false;
      for (let frame = framer.next(); frame !== undefined; frame = framer.next()) {
        if (frame.kind === "request") {
          const pending = responder.respond(frame.request, info);
          const reply = pending instanceof Promise ? await pending : pending;
          const { response } = reply;
          log.debug(
            `#${info.id} ${frame.request.method} ${frame.request.uri} -> ${response.status}`,
          );
          answers.add(responder, response);
          if (reply.afterWrite) after.push(reply.afterWrite);
        } else if (frame.kind === "interleaved") {
          context.onInterleaved?.(info, frame.channel, frame.payload);
        } else if (frame.kind === "error") {
          log.warn(`#${info.id} ${info.remoteAddress}: ${frame.message}; closing`);
          answers.add(responder, responder.frameError(frame).response);
          close = true;
        }
      }
      if (answers.used > 0) {
        await writer.writeResponse(answers.view());
        answers.clear();
      }
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
