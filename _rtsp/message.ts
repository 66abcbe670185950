/**
 * RTSP messages as plain data, and their serialization (RFC 2326, 6 and 7).
 * @module
 */

import { RtspHeaders } from "./headers.ts";
import { REASON_PHRASE, type StatusCode } from "./status.ts";

/** The only protocol version served (RFC 2326, 3.1). */
export const RTSP_VERSION = "RTSP/1.0";

/** A request as received (RFC 2326, 6). */
export interface RtspRequest {
  /** The method token, case-sensitive (RFC 2326, 6.1); may be one this server does not know. */
  readonly method: string;
  /** The Request-URI as sent: an absolute `rtsp://` URL or `*`. */
  readonly uri: string;
  /** The version token, e.g. `RTSP/1.0`. */
  readonly version: string;
  /** Header fields. */
  readonly headers: RtspHeaders;
  /** The body (`Content-Length` bytes); empty when there is none. */
  readonly body: Uint8Array;
}

/** A response as received by a client (RFC 2326, 7). */
export interface RtspResponseMessage {
  /** The Status-Code; 0 when the status line holds no number. */
  readonly status: number;
  /** The Reason-Phrase as sent (RFC 2326, 7.1.1); may be empty. */
  readonly reason: string;
  /** Header fields. */
  readonly headers: RtspHeaders;
  /** The body (`Content-Length` bytes); empty when there is none. */
  readonly body: Uint8Array;
}

/**
 * The header fields a response may carry, in the fixed order they are written.
 * Typed fields instead of a string map so every layer agrees on spelling.
 */
export interface ResponseHeaders {
  /** RFC 2326, 12.17: echoed from the request. */
  cseq?: string;
  /** RFC 2326, 12.37 */
  session?: string;
  /** RFC 2326, 12.39 */
  transport?: string;
  /** RFC 2326, 12.29 */
  range?: string;
  /** RFC 2326, 12.33 */
  rtpInfo?: string;
  /** RFC 2326, 12.28 (the list of methods of OPTIONS) */
  public?: string;
  /** RFC 2326, 12.4 */
  allow?: string;
  /** RFC 2326, 12.41 */
  unsupported?: string;
  /** RFC 2326, 12.44: one challenge per entry. */
  wwwAuthenticate?: readonly string[];
  /** RFC 2326, 12.31 */
  retryAfter?: string;
  /** RFC 2326, 12.11 */
  contentBase?: string;
  /** RFC 2326, 12.16 */
  contentType?: string;
}

/** A response to be written (RFC 2326, 7). */
export interface RtspResponse {
  readonly status: StatusCode;
  readonly headers: ResponseHeaders;
  /** Body bytes; `Content-Length` is derived from it. */
  readonly body?: Uint8Array;
}

/** What the serializer adds to every response. */
export interface SerializeOptions {
  /** The `Date` value (RFC 2326, 12.18), from the injected clock. */
  readonly date: string;
  /** The `Server` value (RFC 2326, 12.36). */
  readonly server: string;
}

const encoder = new TextEncoder();

/**
 * Writes a response with canonical header names in a fixed order: CSeq, Date,
 * Server, Session, Transport, Range, RTP-Info, Public, Allow, Unsupported,
 * WWW-Authenticate, Retry-After, Content-Base, Content-Type, Content-Length.
 * @returns the bytes to send
 */
export function serializeResponse(response: RtspResponse, options: SerializeOptions): Uint8Array {
  const head = responseHead(response, options);
  const body = response.body;
  if (body === undefined || body.length === 0) return encoder.encode(head);
  const headBytes = encoder.encode(head);
  const out = new Uint8Array(headBytes.length + body.length);
  out.set(headBytes);
  out.set(body, headBytes.length);
  return out;
}

/**
 * Writes a response into `out` at `offset`, as {@linkcode serializeResponse}
 * would, without allocating. Returns the bytes written, or `undefined` when it
 * does not fit (grow `out` and call again).
 */
export function serializeResponseInto(
  response: RtspResponse,
  options: SerializeOptions,
  out: Uint8Array,
  offset: number,
): number | undefined {
  const head = responseHead(response, options);
  // Heads are ASCII, so one character is one byte.
  const bodyLength = response.body?.length ?? 0;
  if (offset + head.length + bodyLength > out.length) return undefined;
  const { read, written } = encoder.encodeInto(head, out.subarray(offset));
  if (read !== head.length) return undefined;
  if (response.body && bodyLength > 0) out.set(response.body, offset + written);
  return written + bodyLength;
}

/** The status line and header fields, ending with the blank line. */
export function responseHead(response: RtspResponse, options: SerializeOptions): string {
  const h = response.headers;
  let head = `${RTSP_VERSION} ${response.status} ${REASON_PHRASE[response.status]}\r\n`;
  if (h.cseq !== undefined) head += `CSeq: ${h.cseq}\r\n`;
  head += `Date: ${options.date}\r\nServer: ${options.server}\r\n`;
  if (h.session !== undefined) head += `Session: ${h.session}\r\n`;
  if (h.transport !== undefined) head += `Transport: ${h.transport}\r\n`;
  if (h.range !== undefined) head += `Range: ${h.range}\r\n`;
  if (h.rtpInfo !== undefined) head += `RTP-Info: ${h.rtpInfo}\r\n`;
  if (h.public !== undefined) head += `Public: ${h.public}\r\n`;
  if (h.allow !== undefined) head += `Allow: ${h.allow}\r\n`;
  if (h.unsupported !== undefined) head += `Unsupported: ${h.unsupported}\r\n`;
  for (const challenge of h.wwwAuthenticate ?? []) head += `WWW-Authenticate: ${challenge}\r\n`;
  if (h.retryAfter !== undefined) head += `Retry-After: ${h.retryAfter}\r\n`;
  if (h.contentBase !== undefined) head += `Content-Base: ${h.contentBase}\r\n`;
  if (h.contentType !== undefined) head += `Content-Type: ${h.contentType}\r\n`;
  const body = response.body;
  if (body !== undefined && body.length > 0) head += `Content-Length: ${body.length}\r\n`;
  return head + "\r\n";
}

/**
 * Writes a request with canonical header names in insertion order, adding
 * `Content-Length` for a body. Used by tests and by clients built on this module.
 */
export function serializeRequest(request: RtspRequest): Uint8Array {
  let head = `${request.method} ${request.uri} ${request.version}\r\n`;
  for (const [name, value] of request.headers.entries()) {
    if (name === "Content-Length") continue;
    head += `${name}: ${value}\r\n`;
  }
  if (request.body.length > 0) head += `Content-Length: ${request.body.length}\r\n`;
  head += "\r\n";
  const headBytes = encoder.encode(head);
  if (request.body.length === 0) return headBytes;
  const out = new Uint8Array(headBytes.length + request.body.length);
  out.set(headBytes);
  out.set(request.body, headBytes.length);
  return out;
}
