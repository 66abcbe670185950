/**
 * Interleaved binary data on the RTSP connection (RFC 2326, 10.12): each
 * packet behind `$`, a one-byte channel and a 16-bit big-endian length.
 *
 * ```text
 * +------+---------+-----------------+------------------+
 * | 0x24 | channel | length (16 bit) | length bytes ... |
 * +------+---------+-----------------+------------------+
 * ```
 * @module
 */

/** RFC 2326, 10.12: an interleaved frame starts with ASCII `$`. */
export const INTERLEAVED_MAGIC = 0x24;
/** `$`, channel byte, 16-bit length (RFC 2326, 10.12). */
export const INTERLEAVED_HEADER_BYTES = 4;

/**
 * Writes the 4-byte header of a frame carrying `length` bytes on `channel`
 * into `into` at `at`.
 * @returns the offset just past the header, where the payload goes
 */
export function writeInterleavedHeader(
  into: Uint8Array,
  at: number,
  channel: number,
  length: number,
): number {
  into[at] = INTERLEAVED_MAGIC;
  into[at + 1] = channel;
  into[at + 2] = length >> 8;
  into[at + 3] = length & 0xff;
  return at + INTERLEAVED_HEADER_BYTES;
}

/** The payload length in the header of the frame at `at` (the header must be there). */
export function interleavedLength(bytes: Uint8Array, at: number): number {
  return (bytes[at + 2] << 8) | bytes[at + 3];
}

/** A copy of `payload` behind its header on `channel`: one frame. */
export function interleavedFrame(channel: number, payload: Uint8Array): Uint8Array {
  const framed = new Uint8Array(INTERLEAVED_HEADER_BYTES + payload.length);
  framed.set(payload, writeInterleavedHeader(framed, 0, channel, payload.length));
  return framed;
}
