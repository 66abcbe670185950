/**
 * The last requests and answers of one RTSP connection, heads only, for the
 * HTTP API (`GET /v1/sessions/<id>/transcript`): what a client sent and was
 * told, without a packet capture. Credentials never enter it, and its size is
 * bounded however a client writes its requests.
 * @module
 */

import type { RtspRequest } from "../_rtsp/message.ts";

/** Exchanges kept per connection, newest last. */
export const TRANSCRIPT_EXCHANGES = 20;
/** Characters kept of one head; the rest is cut and the cut said. */
export const MAX_TRANSCRIPT_HEAD_CHARS = 1024;
/** Characters kept per connection in all: 4096 connections hold at most 32 MiB of transcripts. */
export const MAX_TRANSCRIPT_CHARS = 8 * 1024;

/** One request head and the head of its answer. */
export interface TranscriptExchange {
  /** When the answer was made, in milliseconds since the epoch. */
  readonly atMs: number;
  readonly request: string;
  readonly response: string;
}

/** What replaces credentials in a transcript. */
export const MASKED = "<masked>";

/** Header fields that carry credentials (RFC 2326, 12.5; RFC 7617, 2; RFC 7616, 3.4). */
const CREDENTIAL_FIELDS: ReadonlySet<string> = new Set(["Authorization", "Proxy-Authorization"]);

/** `rtsp://user:password@host/...`: the userinfo (RFC 3986, 3.2.1) is masked too. */
const USERINFO = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/@?#]*@/;

/** `text` cut to `max` characters, saying how much was cut. */
function capped(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…[${text.length - max} more characters]`;
}

/**
 * A request head as text (request line and header fields, no body), with the
 * credentials of `Authorization`, `Proxy-Authorization` and the URL's
 * userinfo replaced by {@linkcode MASKED} (the scheme is kept: it helps to
 * know that a client tried Basic), cut to {@linkcode MAX_TRANSCRIPT_HEAD_CHARS}.
 */
export function maskedRequestHead(request: RtspRequest): string {
  let head = `${request.method} ${
    request.uri.replace(USERINFO, `$1${MASKED}@`)
  } ${request.version}\r\n`;
  for (const [name, value] of request.headers.entries()) {
    if (CREDENTIAL_FIELDS.has(name)) {
      const scheme = /^\s*([A-Za-z0-9!#$%&'*+.^_`|~-]{1,32})/.exec(value)?.[1] ?? "";
      head += `${name}: ${scheme} ${MASKED}\r\n`;
    } else head += `${name}: ${value}\r\n`;
    if (head.length > MAX_TRANSCRIPT_HEAD_CHARS) break;
  }
  return capped(head, MAX_TRANSCRIPT_HEAD_CHARS);
}

/** One connection's transcript: the last {@linkcode TRANSCRIPT_EXCHANGES}, at most {@linkcode MAX_TRANSCRIPT_CHARS}. */
export class Transcript {
  /** The client's address. */
  readonly remoteAddress: string;
  #exchanges: TranscriptExchange[] = [];
  #chars = 0;

  /** @param remoteAddress the client's address */
  constructor(remoteAddress: string) {
    this.remoteAddress = remoteAddress;
  }

  /** Adds an exchange, dropping the oldest past either bound. */
  record(request: RtspRequest, responseHead: string, atMs: number): void {
    const exchange = {
      atMs,
      request: maskedRequestHead(request),
      response: capped(responseHead, MAX_TRANSCRIPT_HEAD_CHARS),
    };
    this.#exchanges.push(exchange);
    this.#chars += exchange.request.length + exchange.response.length;
    while (
      this.#exchanges.length > TRANSCRIPT_EXCHANGES ||
      (this.#chars > MAX_TRANSCRIPT_CHARS && this.#exchanges.length > 1)
    ) {
      const old = this.#exchanges.shift()!;
      this.#chars -= old.request.length + old.response.length;
    }
  }

  /** The exchanges kept, oldest first. */
  exchanges(): readonly TranscriptExchange[] {
    return this.#exchanges;
  }
}
