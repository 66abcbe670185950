/**
 * A map with a fixed maximum size that forgets the least recently used entry,
 * for per-client state that must stay bounded whatever clients send.
 * @module
 */

/** A bounded least-recently-used map. */
export class LruMap<K, V> {
  /** Map iteration order is insertion order: the first key is the least recently used. */
  #map = new Map<K, V>();
  readonly #capacity: number;
  readonly #onEvict: ((key: K, value: V) => void) | undefined;

  /**
   * @param capacity most entries kept (at least 1)
   * @param onEvict told of each entry dropped to make room
   */
  constructor(capacity: number, onEvict?: (key: K, value: V) => void) {
    this.#capacity = Math.max(1, Math.floor(capacity));
    this.#onEvict = onEvict;
  }

  /** The value of `key`, marking it as recently used. */
  get(key: K): V | undefined {
    const value = this.#map.get(key);
    if (value === undefined) return undefined;
    this.#map.delete(key);
    this.#map.set(key, value);
    return value;
  }

  /** Whether `key` is present (does not mark it as used). */
  has(key: K): boolean {
    return this.#map.has(key);
  }

  /** Sets `key`, dropping the least recently used entry when full. */
  set(key: K, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, value);
    if (this.#map.size > this.#capacity) {
      const [oldKey, oldValue] = this.#map.entries().next().value as [K, V];
      this.#map.delete(oldKey);
      this.#onEvict?.(oldKey, oldValue);
    }
  }

  /** Removes `key`. */
  delete(key: K): boolean {
    return this.#map.delete(key);
  }

  /** The number of entries. */
  get size(): number {
    return this.#map.size;
  }
}
