/**
 * Comparison of secrets whose running time does not depend on where they differ,
 * so that a client cannot find a correct digest byte by byte by timing answers.
 * @module
 */

import { utf8 } from "./encoding.ts";

/**
 * Whether `a` and `b` are equal, looking at every byte (or UTF-16 code unit for
 * two strings) before answering. A length difference answers `false` at once:
 * that reveals the length, which for the digests compared here is public anyway,
 * but nothing of the content. A string compared with bytes is taken as UTF-8.
 */
export function timingSafeEqual(a: string | Uint8Array, b: string | Uint8Array): boolean {
  if (typeof a === "string" && typeof b === "string") {
    if (a.length !== b.length) return false;
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
    return diff === 0;
  }
  const x = typeof a === "string" ? utf8(a) : a;
  const y = typeof b === "string" ? utf8(b) : b;
  if (x.length !== y.length) return false;
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i] ^ y[i];
  return diff === 0;
}
