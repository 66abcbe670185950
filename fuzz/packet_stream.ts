/**
 * How a sequence of RTP packets is written as one fuzz input: each packet
 * behind a 16-bit big-endian length, as on an RTSP interleaved channel but
 * without the `$` and channel bytes. Mutations then hit lengths, headers and
 * payloads alike.
 * @module
 */

/** The length prefix of each packet. */
const LENGTH_BYTES = 2;

/** Packets joined into one input, each behind its 16-bit length. */
export function packetStream(packets: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const p of packets) size += LENGTH_BYTES + Math.min(p.length, 0xffff);
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of packets) {
    const length = Math.min(p.length, 0xffff);
    out[at] = length >>> 8;
    out[at + 1] = length & 0xff;
    out.set(p.subarray(0, length), at + LENGTH_BYTES);
    at += LENGTH_BYTES + length;
  }
  return out;
}

/**
 * The packets of an input written by {@linkcode packetStream}. Any bytes
 * parse: a length running past the end takes what is left. Packets are views
 * into `input`, not copies.
 */
export function splitPackets(input: Uint8Array): Uint8Array[] {
  const packets: Uint8Array[] = [];
  let at = 0;
  while (at + LENGTH_BYTES <= input.length) {
    const length = (input[at] << 8) | input[at + 1];
    at += LENGTH_BYTES;
    const end = Math.min(input.length, at + length);
    packets.push(input.subarray(at, end));
    at = end;
  }
  return packets;
}
