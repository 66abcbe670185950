/**
 * One client connection: read bytes, frame them, answer requests in order,
 * write all answers to one read in one write.
 * @module
 */

import { MessageFramer } from "../_rtsp/framer.ts";
import type { MessageLimits } from "../_rtsp/limits.ts";
import type { RtspResponse } from "../_rtsp/message.ts";
import type { ConnectionInfo, RtspResponder } from "../_rtsp/responder.ts";
import type { AbuseLimits } from "./abuse_limits.ts";
import { TokenBucket } from "../_rtsp/token_bucket.ts";
import { ConnectionWriter } from "./connection_writer.ts";
import type { Logger } from "./log.ts";
import { Transcript } from "./transcript.ts";

/** Bytes asked for per read. */
export const READ_BUFFER_BYTES = 4 * 1024;
/** Starting size of the buffer the answers to one read are written into. */
const ANSWER_BUFFER_BYTES = 4 * 1024;

/** What a connection needs from the server. */
export interface ConnectionContext {
  readonly responder: RtspResponder;
  readonly log: Logger;
  readonly limits?: Partial<MessageLimits>;
  /** Called with interleaved data the client sends (RTCP receiver reports, published RTP). */
  readonly onInterleaved?: (info: ConnectionInfo, channel: number, payload: Uint8Array) => void;
  /** Where media finds this connection's writer while it is open. */
  readonly writers?: Map<number, ConnectionWriter>;
  /** Deadlines and rates; none when undefined. */
  readonly abuse?: AbuseLimits;
  /** Milliseconds clock. @default Date.now */
  readonly now?: () => number;
  /** Where this connection's transcript is kept while it is open. */
  readonly transcripts?: Map<number, Transcript>;
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
  const abuse = context.abuse;
  const now = context.now ?? Date.now;
  const framer = new MessageFramer(context.limits);
  const buf = new Uint8Array(READ_BUFFER_BYTES);
  const writer = new ConnectionWriter(conn);
  const answers = new AnswerBuffer();
  const rate = abuse && abuse.maxRequestsPerSecond > 0
    ? new TokenBucket(abuse.maxRequestsPerSecond, 2 * abuse.maxRequestsPerSecond, now)
    : undefined;
  let rateLogged = false;
  const closeFor = (why: string) => {
    log.warn(`#${info.id} ${info.remoteAddress}: ${why}; closing`);
    try {
      conn.close();
    } catch { /* already closed */ }
  };
  // A slow client must finish each request head in time (slowloris).
  let headTimer: ReturnType<typeof setTimeout> | undefined;
  // A connection with no session must not sit idle forever. Reads only note
  // the time; the one timer, when it fires, waits again for whatever is left.
  // (A new timer per read cost more than a request's parsing.)
  let idleTimer: ReturnType<typeof setTimeout> | undefined;
  let lastReadMs = now();
  const waitIdle = (ms: number) => {
    idleTimer = setTimeout(() => {
      const left = lastReadMs + abuse!.idleTimeoutMs - now();
      if (left > 0) waitIdle(left);
      else if (responder.sessions.byConnection(info.id).length === 0) {
        closeFor(`idle for ${abuse!.idleTimeoutMs} ms without a session`);
      } else waitIdle(abuse!.idleTimeoutMs);
    }, ms);
  };
  context.writers?.set(info.id, writer);
  const transcript = context.transcripts && new Transcript(info.remoteAddress);
  if (transcript) context.transcripts!.set(info.id, transcript);
  if (abuse && abuse.idleTimeoutMs > 0) waitIdle(abuse.idleTimeoutMs);
  try {
    while (true) {
      const n = await conn.read(buf);
      if (n === null) break;
      lastReadMs = now();
      framer.push(buf.subarray(0, n));
      let completed = false;
      const after: Array<() => void> = [];
      let close = false;
      for (let frame = framer.next(); frame !== undefined; frame = framer.next()) {
        if (frame.kind === "request") {
          completed = true;
          if (rate && !rate.take()) {
            if (!rateLogged) log.warn(`#${info.id} ${info.remoteAddress}: request rate limit hit`);
            rateLogged = true;
            const refusal = {
              status: 503,
              headers: {
                cseq: frame.request.headers.get("cseq"),
                retryAfter: String(abuse!.retryAfterSeconds),
              },
            } as const;
            answers.add(responder, refusal);
            transcript?.record(frame.request, refusal, now());
            continue;
          }
          const pending = responder.respond(frame.request, info);
          const reply = pending instanceof Promise ? await pending : pending;
          // A failed login is answered late, so guessing passwords is slow.
          if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
          const { response } = reply;
          log.debug(
            `#${info.id} ${frame.request.method} ${frame.request.uri} -> ${response.status}`,
          );
          answers.add(responder, response);
          transcript?.record(frame.request, response, now());
          if (reply.afterWrite) after.push(reply.afterWrite);
        } else if (frame.kind === "interleaved") {
          context.onInterleaved?.(info, frame.channel, frame.payload);
        } else if (frame.kind === "error") {
          log.warn(`#${info.id} ${info.remoteAddress}: ${frame.message}; closing`);
          answers.add(responder, responder.frameError(frame).response);
          close = true;
        }
      }
      if (abuse && abuse.headTimeoutMs > 0) {
        if (!framer.pendingMessage || completed) {
          clearTimeout(headTimer);
          headTimer = undefined;
        }
        if (framer.pendingMessage && headTimer === undefined) {
          headTimer = setTimeout(
            () => closeFor(`request head not complete within ${abuse.headTimeoutMs} ms`),
            abuse.headTimeoutMs,
          );
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
    clearTimeout(headTimer);
    clearTimeout(idleTimer);
    writer.close();
    context.writers?.delete(info.id);
    context.transcripts?.delete(info.id);
    for (const session of responder.connectionClosed(info.id)) {
      log.info(`session ${session.id} ended: connection closed`);
    }
    try {
      conn.close();
    } catch { /* already closed */ }
  }
}

/**
 * Serves a connection that is over a connection limit: its first request gets
 * 503 with Retry-After (and its CSeq), then the connection closes. A client
 * that sends nothing is dropped after `waitMs`.
 */
export async function refuseConnection(
  conn: Deno.Conn,
  responder: RtspResponder,
  retryAfterSeconds: number,
  waitMs: number,
): Promise<void> {
  const framer = new MessageFramer();
  const buf = new Uint8Array(READ_BUFFER_BYTES);
  const timer = setTimeout(() => {
    try {
      conn.close();
    } catch { /* closed */ }
  }, waitMs);
  try {
    while (true) {
      const n = await conn.read(buf);
      if (n === null) return;
      framer.push(buf.subarray(0, n));
      const frame = framer.next();
      if (frame === undefined) continue;
      const cseq = frame.kind === "request"
        ? frame.request.headers.get("cseq")
        : frame.kind === "error"
        ? frame.cseq
        : undefined;
      const bytes = responder.serialize({
        status: 503,
        headers: { cseq, retryAfter: String(retryAfterSeconds) },
      });
      let offset = 0;
      while (offset < bytes.length) offset += await conn.write(bytes.subarray(offset));
      return;
    }
  } catch {
    // The client went away or the timer closed it.
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch { /* closed */ }
  }
}
