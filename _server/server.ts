/**
 * The accept loop: takes a listener, serves each connection concurrently,
 * and closes everything on shutdown.
 * @module
 */

import { type Cancel, every, type Scheduler } from "../_rtsp/scheduler.ts";
import { SYSTEM_SCHEDULER } from "./system_scheduler.ts";
import { AcceptBackoff } from "./accept_backoff.ts";
import type { MessageLimits } from "../_rtsp/limits.ts";
import type { RtspResponder } from "../_rtsp/responder.ts";
import { type AbuseLimits, ConnectionGuard, DEFAULT_ABUSE_LIMITS } from "./abuse_limits.ts";
import { type ConnectionContext, refuseConnection, serveConnection } from "./connection.ts";
import type { ConnectionWriter } from "./connection_writer.ts";
import type { Logger } from "./log.ts";
import { type OperatorCounters, refusalReason } from "./operator_counters.ts";
import { Transcript } from "./transcript.ts";

/** How often idle sessions are looked for (RFC 2326, 12.37 timeouts are in seconds). */
export const SESSION_SWEEP_INTERVAL_MS = 1000;

/** Options of {@linkcode RtspServer}. */
export interface RtspServerOptions {
  readonly responder: RtspResponder;
  readonly log: Logger;
  readonly limits?: Partial<MessageLimits>;
  readonly onInterleaved?: ConnectionContext["onInterleaved"];
  /** The clock and the timer of the session sweep. @default {SYSTEM_SCHEDULER} */
  readonly scheduler?: Scheduler;
  /** Connection counts, deadlines and rates. @default {DEFAULT_ABUSE_LIMITS} */
  readonly abuse?: AbuseLimits;
  /** Where refused connections are counted. */
  readonly counters?: OperatorCounters;
}

/** How long an over-limit connection may take to send the request it is refused. */
const REFUSAL_WAIT_MS = 2000;

function hostOf(addr: Deno.Addr): string {
  return "hostname" in addr ? addr.hostname : "unix";
}

/** Serves RTSP on one or more listeners until {@linkcode RtspServer.close}. */
export class RtspServer {
  #options: RtspServerOptions;
  #listeners = new Set<Deno.Listener>();
  #conns = new Map<number, Deno.Conn>();
  /** Writers of open connections, by connection id, for interleaved media. */
  readonly writers: Map<number, ConnectionWriter> = new Map();
  /** The last requests and answers of each open connection, by connection id (for the HTTP API). */
  readonly transcripts: Map<number, Transcript> = new Map();
  #tasks = new Set<Promise<void>>();
  #nextId = 1;
  #stopSweep: Cancel;
  #closed = false;
  /** Resolved by close(), to cut short an accept loop's pause. */
  #closing = Promise.withResolvers<void>();
  #abuse: AbuseLimits;
  #guard: ConnectionGuard;

  /** @param options see {@linkcode RtspServerOptions} */
  constructor(options: RtspServerOptions) {
    this.#options = options;
    this.#abuse = options.abuse ?? DEFAULT_ABUSE_LIMITS;
    this.#guard = new ConnectionGuard(this.#abuse);
    this.#stopSweep = every(
      options.scheduler ?? SYSTEM_SCHEDULER,
      SESSION_SWEEP_INTERVAL_MS,
      () => {
        for (const s of options.responder.expireSessions()) {
          options.log.info(`session ${s.id} ended: timeout`);
        }
      },
    );
  }

  /** Open connections. */
  get connectionCount(): number {
    return this.#conns.size;
  }

  /**
   * Accepts connections from `listener` until it or the server is closed. A
   * failed accept (EMFILE when out of file descriptors) pauses accepting and
   * is retried ({@linkcode AcceptBackoff}); it never ends the process.
   */
  async serve(listener: Deno.Listener): Promise<void> {
    this.#listeners.add(listener);
    const backoff = new AcceptBackoff();
    try {
      while (!this.#closed) {
        let conn: Deno.Conn;
        try {
          conn = await listener.accept();
        } catch (e) {
          if (
            this.#closed || e instanceof Deno.errors.BadResource ||
            e instanceof Deno.errors.Interrupted
          ) break;
          const { delayMs, message } = backoff.failed(e, Date.now());
          if (message) this.#options.log.error(message);
          await this.#pause(delayMs);
          continue;
        }
        if (this.#closed) {
          conn.close();
          break;
        }
        const recovered = backoff.succeeded(Date.now());
        if (recovered) this.#options.log.info(recovered);
        this.#accept(conn);
      }
    } finally {
      this.#listeners.delete(listener);
    }
  }

  /** Waits `ms`, or less when the server closes meanwhile. */
  async #pause(ms: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      new Promise((r) => timer = setTimeout(r, ms)),
      this.#closing.promise,
    ]);
    clearTimeout(timer);
  }

  #accept(conn: Deno.Conn): void {
    const remoteAddress = hostOf(conn.remoteAddr);
    const verdict = this.#guard.admit(remoteAddress);
    if (verdict !== "ok") {
      this.#options.counters?.refused(refusalReason(verdict));
      this.#options.log.warn(
        `${remoteAddress}: refused, ${
          verdict === "total" ? "too many connections" : "too many connections from this address"
        } (503)`,
      );
      const refusal = refuseConnection(
        conn,
        this.#options.responder,
        this.#abuse.retryAfterSeconds,
        REFUSAL_WAIT_MS,
      ).finally(() => this.#tasks.delete(refusal));
      this.#tasks.add(refusal);
      return;
    }
    const id = this.#nextId++;
    try {
      // Answers must not wait for Nagle's algorithm (40 ms on Linux).
      (conn as Deno.TcpConn).setNoDelay?.(true);
    } catch { /* not TCP */ }
    this.#conns.set(id, conn);
    const info = { id, remoteAddress, localAddress: hostOf(conn.localAddr) };
    const task = serveConnection(conn, info, {
      responder: this.#options.responder,
      log: this.#options.log,
      limits: this.#options.limits,
      onInterleaved: this.#options.onInterleaved,
      writers: this.writers,
      abuse: this.#abuse,
      transcripts: this.transcripts,
    })
      .catch((e) => this.#options.log.error(`#${id}: ${e}`))
      .finally(() => {
        this.#guard.release(remoteAddress);
        this.#conns.delete(id);
        this.#tasks.delete(task);
      });
    this.#tasks.add(task);
  }

  /** Stops accepting, ends every session, closes every connection, and waits for them. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#closing.resolve();
    this.#stopSweep();
    for (const listener of this.#listeners) {
      try {
        listener.close();
      } catch { /* already closed */ }
    }
    this.#options.responder.endAll();
    for (const conn of this.#conns.values()) {
      try {
        conn.close();
      } catch { /* already closed */ }
    }
    await Promise.allSettled([...this.#tasks]);
  }
}
