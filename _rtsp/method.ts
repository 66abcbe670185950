/**
 * RTSP methods (RFC 2326, 10).
 * @module
 */

/** Methods a client may send to this server (RFC 2326, 10, Table 2). */
export const METHODS = [
  "OPTIONS",
  "DESCRIBE",
  "ANNOUNCE",
  "SETUP",
  "PLAY",
  "PAUSE",
  "RECORD",
  "TEARDOWN",
  "GET_PARAMETER",
  "SET_PARAMETER",
] as const;

/** A method from {@linkcode METHODS}. */
export type Method = typeof METHODS[number];

const KNOWN = new Set<string>(METHODS);

/** Whether `name` is a method this server knows (methods are case-sensitive, RFC 2326 6.1). */
export function isMethod(name: string): name is Method {
  return KNOWN.has(name);
}
