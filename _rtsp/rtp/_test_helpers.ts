/**
 * Helpers for the tests of this folder (not part of the module's API).
 *
 * @module
 */

import { parseRtpPacket, type RtpPacket } from "./rtp_packet.ts";

/** Bytes from a hex string; spaces are ignored ("80 60 00 01"). */
export function hex(text: string): Uint8Array {
  const digits = text.replace(/\s+/g, "");
  const bytes = new Uint8Array(digits.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

/** Hex string of bytes, space separated, for readable assertion diffs. */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join(" ");
}

/** Parses packets that must be valid. */
export function parseAll(packets: readonly Uint8Array[]): RtpPacket[] {
  return packets.map((bytes) => {
    const result = parseRtpPacket(bytes);
    if (!result.ok) throw new Error(`own packet failed to parse: ${result.error}`);
    return result.packet;
  });
}

/** Deterministic pseudo-random integers in [0, n) (xorshift32). */
export function pseudoRandom(seed: number): (n: number) => number {
  let state = seed >>> 0 || 1;
  return (n) => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state % n;
  };
}

/** A NAL-like unit: `header` bytes then `size - header.length` counting bytes. */
export function unit(header: readonly number[], size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  bytes.set(header);
  for (let i = header.length; i < size; i++) bytes[i] = i & 0xff;
  return bytes;
}

/** Deep copies of units, to check later that inputs were not modified. */
export function snapshot(units: readonly Uint8Array[]): Uint8Array[] {
  return units.map((u) => u.slice());
}

/** Deterministic pseudo-random bytes, for reproducible fuzz tests. */
export function pseudoRandomBytes(length: number, seed: number): Uint8Array {
  const next = pseudoRandom(seed);
  return Uint8Array.from({ length }, () => next(256));
}
