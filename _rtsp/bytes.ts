/**
 * Byte-array helpers shared by the core, its tests and the fuzzer.
 * @module
 */

/**
 * Joins byte arrays into one new array.
 * @param parts the arrays, in order
 * @returns a copy of them, back to back
 */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const part of parts) size += part.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
