/**
 * Hard limits on what a client may send. Past any of them the server answers
 * with the status named beside the limit and closes the connection, so the
 * memory held for one connection stays bounded whatever it sends.
 * @module
 */

/** Longest request line (method, URL and version) accepted; past it: 414. */
export const MAX_REQUEST_LINE_BYTES = 4096;
/** Longest request URL accepted; past it: 414. */
export const MAX_URL_LENGTH = 2048;
/** Most header fields in one request; past it: 400. */
export const MAX_HEADER_COUNT = 100;
/** Largest request head (request line, headers and the blank line); past it: 400. */
export const MAX_HEAD_BYTES = 16 * 1024;
/** Largest request body (an ANNOUNCE SDP, a SET_PARAMETER body); past it: 413. */
export const MAX_BODY_BYTES = 128 * 1024;
/**
 * Largest interleaved frame payload (RFC 2326, 10.12). The length field is 16 bits,
 * so no frame can exceed this; it bounds the bytes held for one frame.
 */
export const MAX_INTERLEAVED_PAYLOAD_BYTES = 0xffff;

/** The limits one framer enforces; tests and configuration may lower them. */
export interface MessageLimits {
  /** @default {MAX_REQUEST_LINE_BYTES} */
  readonly maxRequestLineBytes: number;
  /** @default {MAX_URL_LENGTH} */
  readonly maxUrlLength: number;
  /** @default {MAX_HEADER_COUNT} */
  readonly maxHeaderCount: number;
  /** @default {MAX_HEAD_BYTES} */
  readonly maxHeadBytes: number;
  /** @default {MAX_BODY_BYTES} */
  readonly maxBodyBytes: number;
}

/** The default limits. */
export const DEFAULT_LIMITS: MessageLimits = {
  maxRequestLineBytes: MAX_REQUEST_LINE_BYTES,
  maxUrlLength: MAX_URL_LENGTH,
  maxHeaderCount: MAX_HEADER_COUNT,
  maxHeadBytes: MAX_HEAD_BYTES,
  maxBodyBytes: MAX_BODY_BYTES,
};
