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

/**
 * Small chunks queued behind each other are joined into one write, up to this
 * many bytes. A PLAY is followed by two Sender Reports and the cached GOP, a
 * TEARDOWN answer by BYEs: a write each cost more CPU than the rest of a short
 * session (profiled with `rtspload churn`), copying them into one buffer little.
 */
export const MAX_WRITE_BATCH_BYTES = 64 * 1024;
/** Chunks larger than this are written as they are: their copy would cost more than a write. */
export const MAX_JOINED_CHUNK_BYTES = 16 * 1024;

/** Anything that accepts writes like a `Deno.Conn`. */
export interface Writable {
  write(bytes: Uint8Array): Promise<number>;
  /** Closing ends the connection's read loop too, which ends its sessions. */
  close?(): void;
}

/** Serializes writes to one connection and bounds the media waiting for it. */
export class ConnectionWriter {
  #conn: Writable;
  #queue: Uint8Array[] = [];
  /** Responses waiting to be written, and who waits for them. */
  #responses = new Map<Uint8Array, PromiseWithResolvers<void>>();
  #head = 0;
  #queuedBytes = 0;
  #maxQueuedBytes: number;
  #running = false;
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
    this.#responses.set(bytes, written);
    this.#push(bytes);
    await written.promise;
  }

  /**
   * Queues media if it fits under the bound. Returns false when it does not
   * (the reader decides what to drop) or the connection is gone. Allocates
   * nothing per call: with a thousand readers, garbage per frame is memory.
   */
  offerMedia(bytes: Uint8Array): boolean {
    if (this.#closed) return false;
    if (this.#queuedBytes + bytes.length > this.#maxQueuedBytes) return false;
    this.#push(bytes);
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
    if (this.#responses.size > 0) {
      // Made only when someone waits: an error's stack trace costs more than
      // the rest of closing (every connection closes).
      const failure = this.#failure ?? new Deno.errors.BrokenPipe("connection closed");
      for (const waiter of this.#responses.values()) waiter.reject(failure);
      this.#responses.clear();
    }
    this.#queue = [];
    this.#head = 0;
    this.#queuedBytes = 0;
  }

  #push(bytes: Uint8Array): void {
    this.#queue.push(bytes);
    this.#queuedBytes += bytes.length;
    if (!this.#running) {
      this.#running = true;
      // Started once the current task is done, so what it queues more (a
      // PLAY's Sender Reports and cached GOP, a TEARDOWN's BYEs and answer)
      // goes out in the same write.
      queueMicrotask(() => this.#run());
    }
  }

  async #run(): Promise<void> {
    try {
      while (this.#head < this.#queue.length && !this.#closed) {
        const end = this.#batchEnd();
        const bytes = end === this.#head + 1
          ? this.#queue[this.#head]
          : joinChunks(this.#queue, this.#head, end);
        let offset = await this.#conn.write(bytes);
        while (offset < bytes.length) offset += await this.#conn.write(bytes.subarray(offset));
        if (this.#closed) return;
        for (let i = this.#head; i < end; i++) {
          const chunk = this.#queue[i];
          this.#queue[i] = DONE;
          this.#queuedBytes -= chunk.length;
          const waiter = this.#responses.get(chunk);
          if (waiter) {
            this.#responses.delete(chunk);
            waiter.resolve();
          }
        }
        this.#head = end;
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
    } finally {
      this.#running = false;
    }
  }

  /**
   * The end (exclusive) of the chunks the next write takes: one large chunk,
   * or small ones as long as they fit in {@linkcode MAX_WRITE_BATCH_BYTES}.
   */
  #batchEnd(): number {
    let end = this.#head + 1;
    let bytes = this.#queue[this.#head].length;
    if (bytes > MAX_JOINED_CHUNK_BYTES) return end;
    while (end < this.#queue.length) {
      const next = this.#queue[end].length;
      if (next > MAX_JOINED_CHUNK_BYTES || bytes + next > MAX_WRITE_BATCH_BYTES) break;
      bytes += next;
      end++;
    }
    return end;
  }
}

/** `chunks[start..end)` copied into one buffer. */
function joinChunks(chunks: readonly Uint8Array[], start: number, end: number): Uint8Array {
  let total = 0;
  for (let i = start; i < end; i++) total += chunks[i].length;
  const out = new Uint8Array(total);
  let at = 0;
  for (let i = start; i < end; i++) {
    out.set(chunks[i], at);
    at += chunks[i].length;
  }
  return out;
}

const DONE = new Uint8Array(0);
