/**
 * All live sessions, with idle expiry on an injected clock.
 * @module
 */

import type { Session } from "./session.ts";

/**
 * Sessions by id. Time is always passed in, so tests drive expiry without sleeping.
 */
export class SessionTable {
  #sessions = new Map<string, Session>();
  /** The same sessions by the connection that made them. */
  #byConnection = new Map<number, Set<Session>>();

  /** The number of sessions held. */
  get size(): number {
    return this.#sessions.size;
  }

  /** Adds a new session. */
  add(session: Session): void {
    this.#sessions.set(session.id, session);
    let mine = this.#byConnection.get(session.connectionId);
    if (!mine) this.#byConnection.set(session.connectionId, mine = new Set());
    mine.add(session);
  }

  /** Whether an id is taken (expired or not). */
  has(id: string): boolean {
    return this.#sessions.has(id);
  }

  /**
   * The live session with `id`, refreshed to `nowMs`; `undefined` when unknown
   * or idle past its timeout (RFC 2326, 12.37), in which case the next
   * {@linkcode expire} removes it.
   */
  touch(id: string, nowMs: number): Session | undefined {
    const session = this.#sessions.get(id);
    if (session === undefined) return undefined;
    // Left in the table for expire(): its owner must hear of the end (media
    // stopped, ports and slots given back), which a silent delete here skipped.
    if (nowMs - session.lastActivityMs > session.timeoutMs) return undefined;
    session.lastActivityMs = nowMs;
    return session;
  }

  /** The live session with `id`, without refreshing it; undefined when unknown or idle past its timeout. */
  get(id: string, nowMs: number): Session | undefined {
    const session = this.#sessions.get(id);
    if (session === undefined || nowMs - session.lastActivityMs > session.timeoutMs) {
      return undefined;
    }
    return session;
  }

  /** The session with `id`, expired or not (for the operator's view and tests). */
  byId(id: string): Session | undefined {
    return this.#sessions.get(id);
  }

  /** Removes a session; returns it if it was there. */
  delete(id: string): Session | undefined {
    const session = this.#sessions.get(id);
    if (session) this.#forget(session);
    return session;
  }

  /** Removes and returns every session idle longer than its timeout at `nowMs`. */
  expire(nowMs: number): Session[] {
    const gone: Session[] = [];
    for (const session of this.#sessions.values()) {
      if (nowMs - session.lastActivityMs > session.timeoutMs) gone.push(session);
    }
    for (const session of gone) this.#forget(session);
    return gone;
  }

  /** Sessions created on one connection. */
  byConnection(connectionId: number): Session[] {
    return [...this.#byConnection.get(connectionId) ?? []];
  }

  #forget(session: Session): void {
    this.#sessions.delete(session.id);
    const mine = this.#byConnection.get(session.connectionId);
    mine?.delete(session);
    if (mine?.size === 0) this.#byConnection.delete(session.connectionId);
  }

  /** Every session. */
  values(): IterableIterator<Session> {
    return this.#sessions.values();
  }
}
