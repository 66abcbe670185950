/**
 * Which session receives from which client UDP port. Datagrams from clients
 * are told apart only by source address and port (RFC 2326, 12.39
 * `client_port`; the server's ports are shared by all sessions), so a port
 * pair belongs to one session at a time: a SETUP claiming ports another
 * session holds is refused, never allowed to take that session's packets.
 * @module
 */

function keyOf(address: string, port: number): string {
  return `${address}:${port}`;
}

/** Client `address:port` claims by session. */
export class UdpClaims {
  #owner = new Map<string, string>();
  #bySession = new Map<string, Set<string>>();

  /** Whether any of `ports` at `address` is held by a session other than `sessionId`. */
  heldByOther(address: string, ports: readonly number[], sessionId: string): boolean {
    return ports.some((port) => {
      const owner = this.#owner.get(keyOf(address, port));
      return owner !== undefined && owner !== sessionId;
    });
  }

  /** Gives `ports` at `address` to `sessionId` (check {@linkcode heldByOther} first). */
  claim(sessionId: string, address: string, ports: readonly number[]): void {
    let keys = this.#bySession.get(sessionId);
    if (!keys) this.#bySession.set(sessionId, keys = new Set());
    for (const port of ports) {
      const key = keyOf(address, port);
      this.#owner.set(key, sessionId);
      keys.add(key);
    }
  }

  /** Gives back `ports` at `address` if `sessionId` holds them (a track set up again). */
  release(sessionId: string, address: string, ports: readonly number[]): void {
    const keys = this.#bySession.get(sessionId);
    for (const port of ports) {
      const key = keyOf(address, port);
      if (this.#owner.get(key) !== sessionId) continue;
      this.#owner.delete(key);
      keys?.delete(key);
    }
  }

  /** Gives back everything `sessionId` holds (it ended). */
  releaseSession(sessionId: string): void {
    for (const key of this.#bySession.get(sessionId) ?? []) {
      if (this.#owner.get(key) === sessionId) this.#owner.delete(key);
    }
    this.#bySession.delete(sessionId);
  }

  /** Ports held, for tests. */
  get size(): number {
    return this.#owner.size;
  }
}
