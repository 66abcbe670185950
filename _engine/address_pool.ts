/**
 * The multicast addresses of `--multicast-range`, handed out to groups and
 * taken back when a group's last holder leaves (RFC 2326, 12.39 `destination`).
 * @module
 */

/**
 * A fixed range of IPv4 addresses (as 32-bit numbers), each held by at most
 * one group at a time.
 *
 * Addresses never handed out go first, then given-back ones, oldest first: an
 * address is reused as late as possible, so a client that is slow to leave an
 * old group (IGMP leave, RFC 3376) is unlikely to get another stream's packets.
 */
export class AddressPool {
  readonly #first: number;
  readonly #count: number;
  /** Addresses `#first .. #first + #handedOut - 1` have been handed out at least once. */
  #handedOut = 0;
  /** Given back and free again, in the order they came back (a Set keeps insertion order). */
  readonly #free = new Set<number>();

  /**
   * @param firstAddress the range's first address, as a 32-bit number
   * @param count how many addresses the range holds
   */
  constructor(firstAddress: number, count: number) {
    this.#first = firstAddress >>> 0;
    this.#count = Math.max(0, Math.floor(count));
  }

  /** Addresses held now. */
  get inUse(): number {
    return this.#handedOut - this.#free.size;
  }

  /** A free address, or undefined when every one is held. */
  allocate(): number | undefined {
    if (this.#handedOut < this.#count) return (this.#first + this.#handedOut++) >>> 0;
    const oldest = this.#free.values().next();
    if (oldest.done) return undefined;
    this.#free.delete(oldest.value);
    return oldest.value;
  }

  /**
   * Gives an address back. Addresses outside the range, never handed out or
   * already free are ignored, so a double release cannot hand one out twice.
   */
  release(address: number): void {
    const offset = ((address >>> 0) - this.#first) >>> 0;
    if (offset >= this.#handedOut) return;
    this.#free.add(address >>> 0);
  }
}
