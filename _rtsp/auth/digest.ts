/**
 * The Digest computations of RFC 7616 (3.4.1-3.4.3), shared by the
 * authenticator and by tools that make stored HA1 values.
 * @module
 */

import { md5Hex } from "./md5.ts";
import { sha256Hex } from "./sha256.ts";

/** The Digest algorithms served (RFC 7616, 3.3; the `-sess` variants are not). */
export type DigestAlgorithm = "MD5" | "SHA-256";

/** Hex length of H() per algorithm: the length a `response` must have. */
export const DIGEST_HEX_LENGTH: Readonly<Record<DigestAlgorithm, number>> = {
  "MD5": 32,
  "SHA-256": 64,
};

/**
 * The algorithm named by an `algorithm` parameter, case-insensitively.
 * Absent means MD5 (RFC 7616, 3.3: "If this is not present, it is assumed to be MD5").
 * @returns `undefined` for an algorithm not served (MD5-sess, SHA-512-256, ...)
 */
export function parseDigestAlgorithm(value: string | undefined): DigestAlgorithm | undefined {
  if (value === undefined) return "MD5";
  const upper = value.toUpperCase();
  if (upper === "MD5") return "MD5";
  if (upper === "SHA-256") return "SHA-256";
  return undefined;
}

/** H(data) of RFC 7616, 3.4.1 as lower-case hex; text is hashed as UTF-8. */
export function digestHash(algorithm: DigestAlgorithm, text: string): string {
  return algorithm === "MD5" ? md5Hex(text) : sha256Hex(text);
}

/**
 * HA1 = H(username ":" realm ":" password) (RFC 7616, 3.4.2), lower-case hex:
 * what a config file may store instead of the password.
 */
export function digestHa1(
  user: string,
  realm: string,
  password: string,
  algorithm: DigestAlgorithm,
): string {
  return digestHash(algorithm, `${user}:${realm}:${password}`);
}

/** What {@linkcode digestResponse} needs. */
export interface DigestResponseInput {
  readonly algorithm: DigestAlgorithm;
  /** H(A1), lower-case hex. */
  readonly ha1: string;
  readonly nonce: string;
  /** The request method (RTSP method for RTSP). */
  readonly method: string;
  /** The `uri` parameter exactly as the client sent it: that is what it hashed. */
  readonly uri: string;
  /**
   * With qop: `nc` and `cnonce` are required. Without: the RFC 2069 form
   * H(HA1:nonce:HA2), which old clients such as live555 still send.
   */
  readonly qop?: {
    readonly nc: string;
    readonly cnonce: string;
    /** The qop token as the client wrote it; `auth` when left out. */
    readonly value?: string;
  };
}

/**
 * The expected `response` (RFC 7616, 3.4.1, qop=auth, A2 = method ":" uri per 3.4.3),
 * lower-case hex.
 */
export function digestResponse(input: DigestResponseInput): string {
  const ha2 = digestHash(input.algorithm, `${input.method}:${input.uri}`);
  const middle = input.qop === undefined
    ? input.nonce
    : `${input.nonce}:${input.qop.nc}:${input.qop.cnonce}:${input.qop.value ?? "auth"}`;
  return digestHash(input.algorithm, `${input.ha1}:${middle}:${ha2}`);
}
