/**
 * The one writer of a TCP connection: RTSP responses and interleaved media
 * (RFC 2326, 10.12) share the socket, so every write goes through here, in order.
 * Media is queued up to a byte bound; past it, the caller is told to drop.
 * @module
 */

/**
 * Media bytes a reader may have queued before frames are dropped. About two
 * seconds of a 8 Mbit/s stream: enough to ride out a hiccup, small enough that
 * 1000 stuck readers cost 2 GB at most... and in practice the kernel's socket
 * buffer absorbs most bursts first.
 */
export const MAX_QUEUED_MEDIA_BYTES = 2 * 1024 * 1024;

/** Anything that accepts writes like a `Deno.Conn`. */
export interface Writable {
  write(bytes: Uint8Array): Promise<number>;
  /** Closing ends the connection's read loop too, which ends its sessions. */
  close?(): void;
}

/** Serializes writes to one connection and bounds the media waiting for it. */
export class ConnectionWriter {
  #conn: Writable;
  #queue: QueuedWrite[] = [];
  #head = 0;
  #queuedBytes = 0;
  #maxQueuedBytes: number;
  #draining: Promise<void> | undefined;
  #closed = false;
  #failure: unknown;

  /**
   * @param conn the connection
   * @param maxQueuedBytes media bytes allowed to wait @default {MAX_QUEUED_MEDIA_BYTES}
   */
  constructor(conn: Writable, maxQueuedBytes = MAX_QUEUED_MEDIA_BYTES) {
    this.#conn = conn;
    this.#maxQueuedBytes = maxQueuedBytes;
  }

  /** Bytes waiting to be written. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /** Whether a write failed or the writer was closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Queues an RTSP response (never dropped) and resolves once it is written, so
   * a client that pipelines without reading is slowed by TCP, not by our memory.
   */
  async writeResponse(bytes: Uint8Array): Promise<void> {
    if (this.#closed) throw this.#failure ?? new Deno.errors.BrokenPipe("connection closed");
    const written = Promise.withResolvers<void>();
    this.#push({ bytes, written });
    this.#drain().catch(() => {});
    await written.promise;
  }

  /**
   * Queues media if it fits under the bound. Returns false when it does not
   * (the reader decides what to drop) or the connection is gone.
   */
  offerMedia(bytes: Uint8Array): boolean {
    if (this.#closed) return false;
    if (this.#queuedBytes + bytes.length > this.#maxQueuedBytes) return false;
    this.#push({ bytes });
    this.#drain().catch(() => {});
    return true;
  }

  /** Drops the connection: stops writing and closes it (a reader too slow to keep). */
  abort(): void {
    this.close();
    try {
      this.#conn.close?.();
    } catch { /* already closed */ }
  }

  /** Stops writing; queued bytes are discarded. */
  close(): void {
    this.#closed = true;
    const failure = this.#failure ?? new Deno.errors.BrokenPipe("connection closed");
    for (let i = this.#head; i < this.#queue.length; i++) this.#queue[i].written?.reject(failure);
    this.#queue = [];
    this.#head = 0;
    this.#queuedBytes = 0;
  }

  #push(item: QueuedWrite): void {
    this.#queue.push(item);
    this.#queuedBytes += item.bytes.length;
  }

  #drain(): Promise<void> {
    this.#draining ??= this.#run().finally(() => this.#draining = undefined);
    return this.#draining;
  }

  async #run(): Promise<void> {
    try {
      while (this.#head < this.#queue.length && !this.#closed) {
        const item = this.#queue[this.#head];
        const bytes = item.bytes;
        let offset = 0;
        while (offset < bytes.length) offset += await this.#conn.write(bytes.subarray(offset));
        if (this.#closed) return;
        this.#queue[this.#head++] = DONE;
        this.#queuedBytes -= bytes.length;
        item.written?.resolve();
        if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
          this.#queue = this.#queue.slice(this.#head);
          this.#head = 0;
        }
      }
      this.#queue.length = 0;
      this.#head = 0;
    } catch (e) {
      this.#failure = e;
      this.close();
      throw e;
    }
  }
}

/** One queued write; responses carry a promise resolved once written. */
interface QueuedWrite {
  readonly bytes: Uint8Array;
  readonly written?: PromiseWithResolvers<void>;
}

const DONE: QueuedWrite = { bytes: new Uint8Array(0) };
