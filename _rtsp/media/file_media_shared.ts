/**
 * What the file formats of `openMediaFile` (file_media.ts) share: failure results,
 * bounded chunked reads of raw streams, and the compact index arrays.
 *
 * @module
 */

import type { AccessUnit } from "./access_unit.ts";
import type { OpenMediaResult, ReadAt } from "./file_media.ts";

/** Bytes per read of a raw (Annex-B / ADTS) stream: large enough to be cheap, far below any limit. */
export const READ_CHUNK_BYTES = 256 * 1024;
/** Slack when comparing a time with a frame time, seconds (float rounding of index / fps). */
export const TIME_EPSILON_SECONDS = 1e-9;
/** Initial capacity of the growable index arrays, entries. */
export const INITIAL_INDEX_CAPACITY = 64;

/** Failure results. */
export function unsupported(error: string): OpenMediaResult {
  return { ok: false, kind: "unsupported", error };
}
export function corrupt(error: string): OpenMediaResult {
  return { ok: false, kind: "corrupt", error };
}

/** A message for anything thrown by `readAt` (or by a bug), which must not escape. */
export function describeError(e: unknown): string {
  return `read failed: ${e instanceof Error ? e.message : String(e)}`;
}

/** Reads the chunk at `offset` (at most {@link READ_CHUNK_BYTES}); an empty read before `size` is an error. */
export async function readChunk(readAt: ReadAt, offset: number, size: number): Promise<Uint8Array> {
  const chunk = await readAt(offset, Math.min(READ_CHUNK_BYTES, size - offset));
  if (chunk.length === 0) throw new Error(`file ended at ${offset}, expected ${size} bytes`);
  return chunk;
}

/** An incremental elementary-stream reader: Annex-B or ADTS. */
export interface ChunkReader {
  push(chunk: Uint8Array): { readonly ok: true } | { readonly ok: false; readonly error: string };
  end(): { readonly ok: true } | { readonly ok: false; readonly error: string };
  takeAccessUnits(): AccessUnit[];
}

/**
 * Access units read from a raw stream in {@linkcode READ_CHUNK_BYTES} chunks
 * from a byte offset: what the Annex-B and ADTS cursors share.
 */
export class ChunkedUnits {
  readonly #reader: ChunkReader;
  readonly #readAt: ReadAt;
  readonly #size: number;
  #offset: number;
  #ready: AccessUnit[] = [];
  #readyPos = 0;
  #ended = false;
  #error: string | undefined;

  constructor(reader: ChunkReader, readAt: ReadAt, size: number, offset: number) {
    this.#reader = reader;
    this.#readAt = readAt;
    this.#size = size;
    this.#offset = offset;
  }

  /** The next access unit, `undefined` at the end, or the (sticky) error. */
  async next(): Promise<AccessUnit | undefined | { readonly error: string }> {
    while (this.#readyPos === this.#ready.length) {
      if (this.#error !== undefined) return { error: this.#error };
      if (this.#ended) return undefined;
      await this.#fill();
    }
    return this.#ready[this.#readyPos++];
  }

  async #fill(): Promise<void> {
    try {
      let result;
      if (this.#offset < this.#size) {
        const chunk = await readChunk(this.#readAt, this.#offset, this.#size);
        this.#offset += chunk.length;
        result = this.#reader.push(chunk);
      } else {
        this.#ended = true;
        result = this.#reader.end();
      }
      if (!result.ok) this.#error = result.error;
      this.#ready = this.#reader.takeAccessUnits();
      this.#readyPos = 0;
    } catch (e) {
      this.#error = describeError(e);
    }
  }
}

/** A Float64Array that grows by doubling: a compact list of offsets or indices. */
export class NumberList {
  #data = new Float64Array(INITIAL_INDEX_CAPACITY);
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(value: number): void {
    if (this.#length === this.#data.length) {
      const grown = new Float64Array(this.#data.length * 2);
      grown.set(this.#data);
      this.#data = grown;
    }
    this.#data[this.#length++] = value;
  }

  /** The values, trimmed to their length (a copy, so the spare capacity is freed). */
  finish(): Float64Array {
    return this.#data.slice(0, this.#length);
  }
}

/**
 * Keyframe times kept at least `minSpacing` apart: a time is kept when it is
 * at least that long after the last one kept (see `FileMedia.keyframeTimes`).
 */
export class SpacedTimes {
  readonly #kept = new NumberList();
  readonly #minSpacing: number;
  #last = -Infinity;

  /** @param minSpacing seconds; 0 (or less, or NaN) keeps every time, Infinity only the first */
  constructor(minSpacing: number) {
    this.#minSpacing = minSpacing > 0 ? minSpacing : 0;
  }

  /** Offers the next time (ascending); earlier or equal times than the last kept are dropped. */
  push(seconds: number): void {
    if (seconds <= this.#last) return;
    if (seconds + TIME_EPSILON_SECONDS < this.#last + this.#minSpacing) return;
    this.#kept.push(seconds);
    this.#last = seconds;
  }

  finish(): Float64Array {
    return this.#kept.finish();
  }
}

/** Index of the last entry of the ascending `values` that is <= `target`; 0 when none is. */
export function lastAtOrBefore(values: Float64Array, target: number): number {
  let lo = 0;
  let hi = values.length - 1;
  let found = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid] <= target) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}
