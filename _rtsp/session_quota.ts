/**
 * Sessions counted per client address and per connection, so that one client
 * cannot take every session slot (one anonymous connection pipelining
 * thousands of UDP SETUPs, or many connections from one address).
 * @module
 */

/** The caps; 0 switches one off. */
export interface SessionCaps {
  /** Sessions one client address may hold at once. */
  readonly perAddress: number;
  /** Sessions one RTSP connection may create and hold at once. */
  readonly perConnection: number;
}

/** Which cap a new session would break, or "ok". */
export type QuotaVerdict = "ok" | "address" | "connection";

/** Counts of live sessions by the address and the connection that created them. */
export class SessionQuota {
  #caps: SessionCaps;
  #owners = new Map<string, { readonly address: string; readonly connectionId: number }>();
  #byAddress = new Map<string, number>();
  #byConnection = new Map<number, number>();

  /** @param caps the caps to enforce */
  constructor(caps: SessionCaps) {
    this.#caps = caps;
  }

  /** Whether a session made by `address` on `connectionId` fits now. */
  admit(address: string, connectionId: number): QuotaVerdict {
    const { perAddress, perConnection } = this.#caps;
    if (perConnection > 0 && (this.#byConnection.get(connectionId) ?? 0) >= perConnection) {
      return "connection";
    }
    if (perAddress > 0 && (this.#byAddress.get(address) ?? 0) >= perAddress) return "address";
    return "ok";
  }

  /** Counts a new session. */
  add(sessionId: string, address: string, connectionId: number): void {
    if (this.#owners.has(sessionId)) return;
    this.#owners.set(sessionId, { address, connectionId });
    this.#byAddress.set(address, (this.#byAddress.get(address) ?? 0) + 1);
    this.#byConnection.set(connectionId, (this.#byConnection.get(connectionId) ?? 0) + 1);
  }

  /** A session ended; unknown ids are ignored. */
  remove(sessionId: string): void {
    const owner = this.#owners.get(sessionId);
    if (!owner) return;
    this.#owners.delete(sessionId);
    decrement(this.#byAddress, owner.address);
    decrement(this.#byConnection, owner.connectionId);
  }

  /** Sessions held by `address`. */
  countForAddress(address: string): number {
    return this.#byAddress.get(address) ?? 0;
  }
}

function decrement<K>(counts: Map<K, number>, key: K): void {
  const left = (counts.get(key) ?? 1) - 1;
  if (left <= 0) counts.delete(key);
  else counts.set(key, left);
}
