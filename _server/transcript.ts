/**
 * The last requests and answers of one RTSP connection, heads only, for the
 * HTTP API (`GET /v1/sessions/<id>/transcript`): what a client sent and was
 * told, without a packet capture. Credentials never leave it, and what it
 * holds is bounded however a client writes its requests.
 *
 * Recording is on every request's path, so it only keeps references (the
 * parsed request's line and header fields, the response's status and header
 * fields, never a body); the text is written when someone asks for it.
 * @module
 */

import { responseHead, type RtspRequest, type RtspResponse } from "../_rtsp/message.ts";
import { SERVER_NAME } from "../_rtsp/responder.ts";

/** Exchanges kept per connection, newest last. */
export const TRANSCRIPT_EXCHANGES = 20;
/** Characters shown of one head; the rest is cut and the cut said. */
export const MAX_TRANSCRIPT_HEAD_CHARS = 1024;
/**
 * Characters of request heads kept per connection (URLs, header names and
 * values): 4096 connections hold at most 32 MiB of transcripts.
 */
export const MAX_TRANSCRIPT_CHARS = 8 * 1024;

/** One request head and the head of its answer, as text. */
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

/** What a request head is kept as: no body. */
type KeptRequest = Pick<RtspRequest, "method" | "uri" | "version" | "headers">;

/**
 * A request head as text (request line and header fields, no body), with the
 * credentials of `Authorization`, `Proxy-Authorization` and the URL's
 * userinfo replaced by {@linkcode MASKED} (the scheme is kept: it helps to
 * know that a client tried Basic), cut to {@linkcode MAX_TRANSCRIPT_HEAD_CHARS}.
 */
export function maskedRequestHead(request: KeptRequest): string {
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

interface Kept {
  readonly atMs: number;
  /** The head by reference, or as capped text when it was too long to keep whole. */
  readonly request: KeptRequest | string;
  readonly response: RtspResponse;
  /** Characters the request holds on to. */
  readonly chars: number;
}

/** One connection's transcript: the last {@linkcode TRANSCRIPT_EXCHANGES}, within {@linkcode MAX_TRANSCRIPT_CHARS}. */
export class Transcript {
  /** The client's address. */
  readonly remoteAddress: string;
  #kept: Kept[] = [];
  #chars = 0;

  /** @param remoteAddress the client's address */
  constructor(remoteAddress: string) {
    this.remoteAddress = remoteAddress;
  }

  /** Adds an exchange, dropping the oldest past either bound. */
  record(request: RtspRequest, response: RtspResponse, atMs: number): void {
    const { method, uri, version, headers } = request;
    let chars = method.length + uri.length + version.length + headers.textLength();
    let kept: KeptRequest | string = { method, uri, version, headers };
    // A long head (only a hostile or broken client sends one) is written and cut now.
    if (chars > MAX_TRANSCRIPT_HEAD_CHARS) {
      kept = maskedRequestHead(kept);
      chars = kept.length;
    }
    // The response's headers only: a DESCRIBE answer's SDP is not kept.
    this.#kept.push({
      atMs,
      request: kept,
      response: { status: response.status, headers: response.headers },
      chars,
    });
    this.#chars += chars;
    while (
      this.#kept.length > TRANSCRIPT_EXCHANGES ||
      (this.#chars > MAX_TRANSCRIPT_CHARS && this.#kept.length > 1)
    ) this.#chars -= this.#kept.shift()!.chars;
  }

  /** The exchanges kept, oldest first, as text. */
  exchanges(): TranscriptExchange[] {
    return this.#kept.map((kept) => ({
      atMs: kept.atMs,
      request: typeof kept.request === "string" ? kept.request : maskedRequestHead(kept.request),
      response: capped(
        responseHead(kept.response, {
          date: new Date(kept.atMs).toUTCString(),
          server: SERVER_NAME,
        }),
        MAX_TRANSCRIPT_HEAD_CHARS,
      ),
    }));
  }
}
