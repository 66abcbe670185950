/**
 * Incremental framing of the bytes a client sends on an RTSP connection:
 * requests (head + `Content-Length` body, RFC 2326 4 and 6) mixed with
 * `$`-framed interleaved binary data (RFC 2326, 10.12), which is never decoded as text.
 * @module
 */

import { RtspHeaders } from "./headers.ts";
import { INTERLEAVED_HEADER_BYTES, INTERLEAVED_MAGIC, interleavedLength } from "./interleaved.ts";
import { DEFAULT_LIMITS, type MessageLimits } from "./limits.ts";
import type { RtspRequest, RtspResponseMessage } from "./message.ts";
import { STATUS, type StatusCode } from "./status.ts";

const CR = 0x0d;
const LF = 0x0a;
const SPACE = 0x20;
const TAB = 0x09;

/** One thing taken off the connection. */
export type Frame =
  | { readonly kind: "request"; readonly request: RtspRequest }
  /**
   * Interleaved binary data. `payload` is a view into the framer's buffer: it is
   * valid until the next {@linkcode MessageFramer.push}; copy it to keep it.
   */
  | { readonly kind: "interleaved"; readonly channel: number; readonly payload: Uint8Array }
  /**
   * A response: to a server's request when a client sends it, or to a client's
   * request (RFC 2326, 7) when an RTSP client frames what a server sends.
   * `status` repeats `response.status`.
   */
  | { readonly kind: "response"; readonly status: number; readonly response: RtspResponseMessage }
  /**
   * The stream cannot be framed any further. The connection must be answered
   * with `status` and closed; the framer yields nothing after this.
   */
  | {
    readonly kind: "error";
    readonly status: StatusCode;
    readonly message: string;
    /** The request's CSeq when it could be read, so even errors echo it. */
    readonly cseq?: string;
  };

const decoder = new TextDecoder();
/** Shared by every request without a body: nothing to allocate. */
const NO_BODY = new Uint8Array(0);

/**
 * Splits a byte stream into {@linkcode Frame}s. Feed bytes with `push`, then
 * call `next` until it returns `undefined` (need more bytes).
 *
 * Memory stays bounded: at most one message head (`maxHeadBytes`), one body
 * (`maxBodyBytes`) or one interleaved frame is kept beyond the last pushed chunk.
 *
 * @example
 * ```ts
 * const framer = new MessageFramer();
 * framer.push(new TextEncoder().encode("OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n"));
 * const frame = framer.next(); // { kind: "request", request: { method: "OPTIONS", ... } }
 * ```
 */
export class MessageFramer {
  #limits: MessageLimits;
  #buf = new Uint8Array(1024);
  #start = 0;
  #end = 0;
  /** Where the search for the end of the current head resumes. */
  #scan = 0;
  #failed = false;
  /** Whether the current message's request line was already checked. */
  #firstLineChecked = false;

  /** @param limits size limits; see {@linkcode DEFAULT_LIMITS}. */
  constructor(limits: Partial<MessageLimits> = {}) {
    this.#limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /** Bytes held and not yet framed. */
  get buffered(): number {
    return this.#end - this.#start;
  }

  /**
   * Whether part of an RTSP message (not interleaved data) is held, waiting for
   * the rest: what a deadline for complete request heads watches.
   */
  get pendingMessage(): boolean {
    return this.#end > this.#start && this.#buf[this.#start] !== INTERLEAVED_MAGIC;
  }

  /** Whether an error frame was returned; nothing more will be framed. */
  get failed(): boolean {
    return this.#failed;
  }

  /** Appends bytes read from the connection. */
  push(chunk: Uint8Array): void {
    if (this.#failed || chunk.length === 0) return;
    const held = this.#end - this.#start;
    if (this.#start > 0) {
      // Move the unframed tail to the front so the buffer never creeps forward.
      this.#buf.copyWithin(0, this.#start, this.#end);
      this.#scan -= this.#start;
      this.#start = 0;
      this.#end = held;
    }
    const need = held + chunk.length;
    if (need > this.#buf.length) {
      let size = this.#buf.length * 2;
      while (size < need) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(this.#buf.subarray(0, held));
      this.#buf = grown;
    }
    this.#buf.set(chunk, this.#end);
    this.#end += chunk.length;
  }

  /** The next complete frame, or `undefined` when more bytes are needed. */
  next(): Frame | undefined {
    if (this.#failed) return undefined;
    // Tolerate stray CRLFs between messages (RFC 2616, 4.1 robustness).
    while (this.#start < this.#end) {
      const b = this.#buf[this.#start];
      if (b !== CR && b !== LF) break;
      this.#start++;
    }
    if (this.#scan < this.#start) this.#scan = this.#start;
    if (this.#start === this.#end) {
      this.#start = this.#end = this.#scan = 0;
      return undefined;
    }
    if (this.#buf[this.#start] === INTERLEAVED_MAGIC) return this.#nextInterleaved();
    return this.#nextMessage();
  }

  #nextInterleaved(): Frame | undefined {
    if (this.#end - this.#start < INTERLEAVED_HEADER_BYTES) return undefined;
    const buf = this.#buf;
    const channel = buf[this.#start + 1];
    const length = interleavedLength(buf, this.#start);
    const total = INTERLEAVED_HEADER_BYTES + length;
    if (this.#end - this.#start < total) return undefined;
    const payload = buf.subarray(this.#start + INTERLEAVED_HEADER_BYTES, this.#start + total);
    this.#start += total;
    this.#scan = this.#start;
    return { kind: "interleaved", channel, payload };
  }

  #nextMessage(): Frame | undefined {
    const buf = this.#buf;
    const limits = this.#limits;
    let headEnd = -1;
    let i = this.#scan;
    for (; i < this.#end; i++) {
      if (buf[i] !== LF) continue;
      if (i + 1 >= this.#end) break;
      if (buf[i + 1] === LF) {
        headEnd = i + 2;
        break;
      }
      if (buf[i + 1] === CR) {
        if (i + 2 >= this.#end) break;
        if (buf[i + 2] === LF) {
          headEnd = i + 3;
          break;
        }
      }
    }
    this.#scan = i;
    if (!this.#firstLineChecked) {
      const firstLineEnd = this.#firstLineEnd();
      if (firstLineEnd < 0) {
        if (this.#end - this.#start > limits.maxRequestLineBytes) {
          return this.#fail(STATUS.RequestUriTooLarge, "Request line exceeds the limit");
        }
        return undefined;
      }
      const lineError = this.#checkFirstLine(firstLineEnd);
      if (lineError) return lineError;
      this.#firstLineChecked = true;
    }
    if (headEnd < 0) {
      if (this.#end - this.#start > limits.maxHeadBytes) {
        return this.#fail(STATUS.BadRequest, "Message head exceeds the limit");
      }
      return undefined;
    }
    if (headEnd - this.#start > limits.maxHeadBytes) {
      return this.#fail(STATUS.BadRequest, "Message head exceeds the limit");
    }
    const head = decoder.decode(buf.subarray(this.#start, headEnd));
    const parsed = parseHead(head, limits);
    if (!parsed.ok) return this.#fail(parsed.status, parsed.message, parsed.cseq);
    const lengthText = parsed.headers.get("content-length");
    let bodyLength = 0;
    if (lengthText !== undefined) {
      if (!/^\s*\d{1,15}\s*$/.test(lengthText)) {
        return this.#fail(
          STATUS.BadRequest,
          `Cannot parse Content-Length "${lengthText.slice(0, 40)}"`,
          parsed.headers.get("cseq"),
        );
      }
      bodyLength = Number(lengthText);
      if (bodyLength > limits.maxBodyBytes) {
        return this.#fail(
          STATUS.RequestEntityTooLarge,
          `Body of ${bodyLength} bytes exceeds the limit`,
          parsed.headers.get("cseq"),
        );
      }
    }
    if (this.#end - headEnd < bodyLength) return undefined;
    const body = bodyLength === 0 ? NO_BODY : buf.slice(headEnd, headEnd + bodyLength);
    this.#start = headEnd + bodyLength;
    this.#firstLineChecked = false;
    this.#scan = this.#start;
    if (parsed.kind === "response") {
      const { status, reason, headers } = parsed;
      return { kind: "response", status, response: { status, reason, headers, body } };
    }
    return {
      kind: "request",
      request: {
        method: parsed.method,
        uri: parsed.uri,
        version: parsed.version,
        headers: parsed.headers,
        body,
      },
    };
  }

  #firstLineEnd(): number {
    const stop = Math.min(this.#end, this.#start + this.#limits.maxRequestLineBytes + 1);
    for (let i = this.#start; i < stop; i++) if (this.#buf[i] === LF) return i;
    return -1;
  }

  /** Rejects a request line early, so garbage is answered at once, not after 16 KiB. */
  #checkFirstLine(lineEnd: number): Frame | undefined {
    const length = lineEnd - this.#start;
    if (length > this.#limits.maxRequestLineBytes) {
      return this.#fail(STATUS.RequestUriTooLarge, "Request line exceeds the limit");
    }
    // Three tokens separated by single spaces (RFC 2326, 6.1), all printable ASCII.
    let spaces = 0;
    for (let i = this.#start; i < lineEnd; i++) {
      const b = this.#buf[i];
      if (b === SPACE) spaces++;
      else if ((b < 0x21 || b > 0x7e) && !(b === CR && i === lineEnd - 1)) {
        return this.#fail(STATUS.BadRequest, "Request line holds a non-printable byte");
      }
    }
    // A status line may lack its reason phrase ("RTSP/1.0 200", sent by some cameras).
    if (spaces < 2 && !(spaces === 1 && this.#startsWithVersion())) {
      return this.#fail(STATUS.BadRequest, "Request line is not METHOD URL VERSION");
    }
    return undefined;
  }

  /** Whether the held message starts with `RTSP/`: a status line (RFC 2326, 7.1). */
  #startsWithVersion(): boolean {
    const b = this.#buf;
    const at = this.#start;
    return this.#end - at >= 5 && b[at] === 0x52 && b[at + 1] === 0x54 && b[at + 2] === 0x53 &&
      b[at + 3] === 0x50 && b[at + 4] === 0x2f;
  }

  #fail(status: StatusCode, message: string, cseq?: string): Frame {
    this.#failed = true;
    const found = safeCseq(cseq) ?? this.#findCseq();
    this.#start = this.#end = this.#scan = 0;
    this.#buf = new Uint8Array(0);
    return { kind: "error", status, message, ...(found !== undefined ? { cseq: found } : {}) };
  }

  /** Looks for a CSeq line in whatever head bytes are held, to echo it on an error. */
  #findCseq(): string | undefined {
    const held = this.#buf.subarray(this.#start, Math.min(this.#end, this.#start + 65536));
    const match = /(?:^|\n)cseq[ \t]*:[ \t]*(\d{1,10})[ \t]*\r?\n/i.exec(decoder.decode(held));
    return match?.[1];
  }
}

type ParsedHead =
  | {
    ok: true;
    kind: "request";
    method: string;
    uri: string;
    version: string;
    headers: RtspHeaders;
  }
  | { ok: true; kind: "response"; status: number; reason: string; headers: RtspHeaders }
  | { ok: false; status: StatusCode; message: string; cseq?: string };

/** Control characters other than tab (RFC 2616, 2.2 CTL), which no header value may hold. */
// deno-lint-ignore no-control-regex -- matching control characters is the point
const CONTROL_CHARACTER = /[\x00-\x08\x0a-\x1f\x7f]/;

/** A CSeq fit to echo in an error: digits only, or nothing. */
function safeCseq(cseq: string | undefined): string | undefined {
  return cseq !== undefined && /^\d{1,10}$/.test(cseq) ? cseq : undefined;
}

/** Parses a complete head (request or status line plus header fields). */
function parseHead(head: string, limits: MessageLimits): ParsedHead {
  // Lines end in CRLF or a bare LF; the head ends with an empty line.
  let at = head.indexOf("\n");
  const first = head.charCodeAt(at - 1) === CR ? head.slice(0, at - 1) : head.slice(0, at);
  const headers = new RtspHeaders();
  let count = 0;
  let last: string | undefined;
  while (at + 1 < head.length) {
    const start = at + 1;
    at = head.indexOf("\n", start);
    if (at < 0) at = head.length;
    const line = head.charCodeAt(at - 1) === CR ? head.slice(start, at - 1) : head.slice(start, at);
    if (line === "") break;
    if (CONTROL_CHARACTER.test(line)) {
      // A bare CR is a line end to some readers (RFC 2326, 4): echoed back, it
      // would inject a header into our answer. Refuse control characters.
      return {
        ok: false,
        status: STATUS.BadRequest,
        message: "Header line holds a control character",
        cseq: safeCseq(headers.get("cseq")),
      };
    }
    const c0 = line.charCodeAt(0);
    if ((c0 === SPACE || c0 === TAB) && last !== undefined) {
      // Folded continuation of the previous field (RFC 2616, 2.2).
      headers.set(last, `${headers.get(last)} ${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) {
      return {
        ok: false,
        status: STATUS.BadRequest,
        message: `Cannot parse header line "${line.slice(0, 60)}"`,
        cseq: headers.get("cseq"),
      };
    }
    if (++count > limits.maxHeaderCount) {
      return {
        ok: false,
        status: STATUS.BadRequest,
        message: `More than ${limits.maxHeaderCount} header fields`,
        cseq: headers.get("cseq"),
      };
    }
    last = line.charCodeAt(colon - 1) === SPACE
      ? line.slice(0, colon).trim()
      : line.slice(0, colon);
    const valueStart = line.charCodeAt(colon + 1) === SPACE ? colon + 2 : colon + 1;
    let value = line.slice(valueStart);
    const tail = value.charCodeAt(value.length - 1);
    if (tail === SPACE || tail === TAB || value.charCodeAt(0) === SPACE) value = value.trim();
    headers.append(last, value);
  }
  if (first.startsWith("RTSP/")) {
    // A status line (RFC 2326, 7.1): the reason phrase may hold spaces.
    const sp = first.indexOf(" ");
    const sp2 = first.indexOf(" ", sp + 1);
    const status = Number(first.slice(sp + 1, sp2 < 0 ? undefined : sp2)) || 0;
    const reason = sp2 < 0 ? "" : first.slice(sp2 + 1);
    return { ok: true, kind: "response", status, reason, headers };
  }
  const sp1 = first.indexOf(" ");
  const sp2 = first.indexOf(" ", sp1 + 1);
  if (
    sp1 <= 0 || sp2 < 0 || sp2 === sp1 + 1 || sp2 === first.length - 1 ||
    first.indexOf(" ", sp2 + 1) >= 0
  ) {
    return {
      ok: false,
      status: STATUS.BadRequest,
      message: `Cannot parse request line "${first.slice(0, 60)}"`,
      cseq: headers.get("cseq"),
    };
  }
  const uri = first.slice(sp1 + 1, sp2);
  if (uri.length > limits.maxUrlLength) {
    return {
      ok: false,
      status: STATUS.RequestUriTooLarge,
      message: `URL of ${uri.length} characters exceeds the limit`,
      cseq: headers.get("cseq"),
    };
  }
  return {
    ok: true,
    kind: "request",
    method: first.slice(0, sp1),
    uri,
    version: first.slice(sp2 + 1),
    headers,
  };
}
