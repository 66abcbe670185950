/**
 * A small deterministic mutation engine: byte-level havoc (bit flips,
 * interesting bytes and words, insert/delete/duplicate ranges, splices, long
 * repeats to hit limits, truncation, huge numbers) plus token-aware edits for
 * text protocols (header names swapped, numbers replaced by edge values, line
 * ends dropped). All randomness comes from a {@linkcode Prng}.
 * @module
 */

import type { Prng } from "./prng.ts";
import { concatBytes } from "../_rtsp/bytes.ts";

/** Inputs never grow past this: enough to cross every limit (128 KiB bodies), small enough to stay fast. */
export const MAX_INPUT_BYTES = 160 * 1024;
/** Most mutations stacked on one input. */
const MAX_STACKED_MUTATIONS = 6;
/** Longest run of bytes inserted at random. */
const MAX_RANDOM_INSERT_BYTES = 16;
/** Most copies made by {@linkcode repeatChunk}. */
const MAX_REPEATS = 4096;
/** Longest digit string inserted. */
const MAX_DIGITS = 40;
/** A byte at or above this fraction of printable/whitespace bytes marks an input as text. */
const TEXT_FRACTION = 0.9;
/** Bytes sampled to decide whether an input is text. */
const TEXT_SAMPLE_BYTES = 256;

/** Bytes that mean something to the parsers under test. */
export const INTERESTING_BYTES: readonly number[] = [
  0x00,
  0xff,
  0x7f,
  0x80,
  0x0d, // CR
  0x0a, // LF
  0x20, // SP
  0x09, // TAB
  0x3a, // :
  0x3b, // ;
  0x3d, // =
  0x2c, // ,
  0x22, // "
  0x24, // $ (interleaved frame)
  0x25, // % (percent-encoding)
  0x2f, // /
  0x2d, // -
  0x2e, // .
  0x30,
  0x31,
  0x39,
];

/** 16-bit values at the edges of length and sequence fields. */
const INTERESTING_WORDS: readonly number[] = [
  0,
  1,
  0x7f,
  0x80,
  0xff,
  0x100,
  0x7fff,
  0x8000,
  0xffff,
];

/** Replacements for numbers in text: signs, 2^53, overflows, floats, non-decimal forms. */
export const EDGE_NUMBERS: readonly string[] = [
  "-1",
  "0",
  "00000000000000000000001",
  "255",
  "256",
  "65535",
  "65536",
  "4294967295",
  "4294967296",
  "9007199254740992",
  "99999999999999999999",
  "1e400",
  "1.5",
  ".",
  "0x10",
  "NaN",
  "Infinity",
  "",
];

/** Tokens worth inserting into RTSP/SDP text. */
export const TEXT_TOKENS: readonly string[] = [
  "\r\n",
  "\r\n\r\n",
  "\n",
  "\r",
  ": ",
  ";",
  "=",
  ",",
  '"',
  "-",
  " ",
  "\t",
  "$",
  "%",
  "%00",
  "%zz",
  "/",
  "*",
  "RTSP/1.0",
  "rtsp://h/",
  "CSeq: 1\r\n",
  "Content-Length: 10\r\n",
  "Session: 1\r\n",
  "Transport: RTP/AVP/TCP;interleaved=0-1\r\n",
  "Require: x\r\n",
  "npt=",
  "now",
  "interleaved=",
  "client_port=",
  "mode=record",
  "multicast",
  "m=video 0 RTP/AVP 96\r\n",
  "a=rtpmap:96 H264/90000\r\n",
  "a=fmtp:96 ",
  "a=control:",
  "v=0\r\n",
  "\uFEFF",
  "\u00e9",
];

/** Header names the responder reads, to swap in for one another. */
export const HEADER_NAMES: readonly string[] = [
  "CSeq",
  "Session",
  "Transport",
  "Range",
  "Content-Length",
  "Content-Type",
  "Require",
  "Proxy-Require",
  "Accept",
  "User-Agent",
  "cseq",
  "CONTENT-LENGTH",
  "X",
];

/** Latin-1 view of bytes: one character per byte, so text edits map back exactly. */
function toLatin1(bytes: Uint8Array): string {
  let text = "";
  const step = 8192;
  for (let i = 0; i < bytes.length; i += step) {
    text += String.fromCharCode(...bytes.subarray(i, i + step));
  }
  return text;
}

/** Bytes of a string: Latin-1 characters as themselves, anything wider as UTF-8. */
function fromText(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0xff) return new TextEncoder().encode(text);
    out[i] = code;
  }
  return out;
}

/** Whether the input is mostly printable ASCII or whitespace (RTSP heads, SDP, headers). */
function looksLikeText(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, TEXT_SAMPLE_BYTES);
  if (n === 0) return false;
  let text = 0;
  for (let i = 0; i < n; i++) {
    const b = bytes[i];
    if ((b >= 0x20 && b < 0x7f) || b === 0x0d || b === 0x0a || b === 0x09) text++;
  }
  return text / n >= TEXT_FRACTION;
}

/** What a mutation sees besides the input. */
export interface MutationContext {
  readonly rng: Prng;
  /** Other inputs of the same target, for splicing. */
  readonly corpus: readonly Uint8Array[];
}

/** One mutation: input in, new input out (the input is never modified). */
type Mutation = (data: Uint8Array, ctx: MutationContext) => Uint8Array;

/** A random range [start, end) of `data`, skewed towards short ranges. */
function range(data: Uint8Array, rng: Prng): [number, number] {
  const start = rng.below(data.length);
  return [start, start + rng.smallSize(data.length - start)];
}

function flipBit(data: Uint8Array, { rng }: MutationContext): Uint8Array {
  if (data.length === 0) return Uint8Array.of(rng.below(256));
  const out = data.slice();
  out[rng.below(out.length)] ^= 1 << rng.below(8);
  return out;
}

function setInterestingByte(data: Uint8Array, { rng }: MutationContext): Uint8Array {
  if (data.length === 0) return Uint8Array.of(rng.pick(INTERESTING_BYTES));
  const out = data.slice();
  out[rng.below(out.length)] = rng.pick(INTERESTING_BYTES);
  return out;
}

function setRandomByte(data: Uint8Array, { rng }: MutationContext): Uint8Array {
  if (data.length === 0) return Uint8Array.of(rng.below(256));
  const out = data.slice();
  out[rng.below(out.length)] = rng.below(256);
  return out;
}

/** A big-endian 16-bit edge value (length fields, sequence numbers), or its sum with a small delta. */
function setInterestingWord(data: Uint8Array, { rng }: MutationContext): Uint8Array {
  if (data.length < 2) return data;
  const out = data.slice();
  const at = rng.below(out.length - 1);
  const word = (rng.pick(INTERESTING_WORDS) + (rng.chance(0.3) ? rng.between(-2, 2) : 0)) & 0xffff;
  out[at] = word >>> 8;
  out[at + 1] = word & 0xff;
  return out;
}

function insertRandomBytes(data: Uint8Array, { rng }: MutationContext): Uint8Array {
  const at = rng.below(data.length + 1);
  const inserted = new Uint8Array(rng.between(1, MAX_RANDOM_INSERT_BYTES));
  for (let i = 0; i < inserted.length; i++) {
    inserted[i] = rng.chance(0.5) ? rng.pick(INTERESTING_BYTES) : rng.below(256);
  }
  return concatBytes(data.subarray(0, at), inserted, data.subarray(at));
}

function deleteRange(data: Uint8Array, { rng }: MutationContext): Uint8Array {
  if (data.length === 0) return data;
  const [start, end] = range(data, rng);
  return concatBytes(data.subarray(0, start), data.subarray(end));
}

function duplicateRange(data: Uint8Array, { rng }: MutationContext): Uint8Array {
  if (data.length === 0) return data;
  const [start, end] = range(data, rng);
  const at = rng.below(data.length + 1);
  return concatBytes(data.subarray(0, at), data.subarray(start, end), data.subarray(at));
}

/** The head of this input joined to the tail of another one. */
function splice(data: Uint8Array, { rng, corpus }: MutationContext): Uint8Array {
  if (corpus.length === 0) return data;
  const other = rng.pick(corpus);
  const cut = rng.below(data.length + 1);
  const from = rng.below(other.length + 1);
  return concatBytes(data.subarray(0, cut), other.subarray(from));
}

/** Another input inserted whole (two requests in one, a packet inside a stream). */
function insertOther(data: Uint8Array, { rng, corpus }: MutationContext): Uint8Array {
  if (corpus.length === 0) return data;
  const at = rng.below(data.length + 1);
  return concatBytes(data.subarray(0, at), rng.pick(corpus), data.subarray(at));
}

/** One chunk repeated many times, to cross size and count limits. */
function repeatChunk(data: Uint8Array, { rng }: MutationContext): Uint8Array {
  if (data.length === 0) return data;
  const [start, end] = range(data, rng);
  const chunk = data.subarray(start, end);
  const room = Math.floor((MAX_INPUT_BYTES - data.length) / chunk.length);
  const copies = Math.min(room, rng.smallSize(MAX_REPEATS));
  if (copies <= 0) return data;
  const repeated = new Uint8Array(chunk.length * copies);
  for (let i = 0; i < copies; i++) repeated.set(chunk, i * chunk.length);
  return concatBytes(data.subarray(0, end), repeated, data.subarray(end));
}

function truncate(data: Uint8Array, { rng }: MutationContext): Uint8Array {
  return data.subarray(0, rng.below(data.length + 1)).slice();
}

/** A long run of digits: numbers past every integer type. */
function insertDigits(data: Uint8Array, { rng }: MutationContext): Uint8Array {
  const digits = new Uint8Array(rng.between(1, MAX_DIGITS));
  for (let i = 0; i < digits.length; i++) digits[i] = 0x30 + rng.below(10);
  const at = rng.below(data.length + 1);
  return concatBytes(data.subarray(0, at), digits, data.subarray(at));
}

/** Applies a text edit through a Latin-1 view. */
function textEdit(edit: (text: string, rng: Prng) => string): Mutation {
  return (data, { rng }) => fromText(edit(toLatin1(data), rng));
}

/** The start index of a random match of `pattern` in `text`, with its length; undefined when none. */
function randomMatch(text: string, pattern: RegExp, rng: Prng): [number, number] | undefined {
  const matches: Array<[number, number]> = [];
  for (const m of text.matchAll(pattern)) {
    matches.push([m.index, m[0].length]);
    if (matches.length >= 64) break;
  }
  return matches.length === 0 ? undefined : rng.pick(matches);
}

function replaceAt(text: string, [at, length]: [number, number], by: string): string {
  return text.slice(0, at) + by + text.slice(at + length);
}

/** A number replaced by -1, 2^53, 99999999999999999999, ... */
const replaceNumber = textEdit((text, rng) => {
  const found = randomMatch(text, /\d+(?:\.\d+)?/g, rng);
  return found ? replaceAt(text, found, rng.pick(EDGE_NUMBERS)) : text;
});

/** A header name replaced by another (so values land where they are parsed differently). */
const swapHeaderName = textEdit((text, rng) => {
  const found = randomMatch(text, /(?<=^|\n)[A-Za-z-]+(?=[ \t]*:)/g, rng);
  return found ? replaceAt(text, found, rng.pick(HEADER_NAMES)) : text;
});

/** One line end removed or shortened (CRLF to LF or CR, blank lines merged). */
const dropLineEnd = textEdit((text, rng) => {
  const found = randomMatch(text, /\r\n|\r|\n/g, rng);
  if (!found) return text;
  return replaceAt(text, found, rng.pick(["", "\n", "\r", " "]));
});

/** A token inserted at a random place. */
const insertToken = textEdit((text, rng) => {
  const at = rng.below(text.length + 1);
  return text.slice(0, at) + rng.pick(TEXT_TOKENS) + text.slice(at);
});

/** A whole line duplicated (a repeated header, two Transport lines). */
const duplicateLine = textEdit((text, rng) => {
  // indexOf, not a regex: /[^\n]*\n/ rescans a long unterminated line from every position.
  const at = rng.below(text.length + 1);
  const start = text.lastIndexOf("\n", at - 1) + 1;
  const newline = text.indexOf("\n", at);
  const end = newline < 0 ? text.length : newline + 1;
  return text.slice(0, start) + text.slice(start, end) + text.slice(start);
});

/** A separator (`;`, `,`, `=`, `-`, `/`, `:`) replaced by another one. */
const swapSeparator = textEdit((text, rng) => {
  const found = randomMatch(text, /[;,=\-/:]/g, rng);
  return found ? replaceAt(text, found, rng.pick([";", ",", "=", "-", "/", ":", " ", ""])) : text;
});

const BINARY_MUTATIONS: readonly Mutation[] = [
  flipBit,
  flipBit,
  setInterestingByte,
  setInterestingByte,
  setRandomByte,
  setInterestingWord,
  insertRandomBytes,
  deleteRange,
  duplicateRange,
  splice,
  insertOther,
  repeatChunk,
  truncate,
  insertDigits,
];

const TEXT_MUTATIONS: readonly Mutation[] = [
  ...BINARY_MUTATIONS,
  replaceNumber,
  replaceNumber,
  swapHeaderName,
  dropLineEnd,
  insertToken,
  insertToken,
  duplicateLine,
  swapSeparator,
];

/**
 * A mutant of `data`: one to {@linkcode MAX_STACKED_MUTATIONS} mutations
 * applied in turn, token-aware ones only for text. Never longer than
 * {@linkcode MAX_INPUT_BYTES}; `data` is left unchanged.
 */
export function mutate(data: Uint8Array, ctx: MutationContext): Uint8Array {
  const { rng } = ctx;
  const mutations = looksLikeText(data) ? TEXT_MUTATIONS : BINARY_MUTATIONS;
  let out = data;
  const count = rng.smallSize(MAX_STACKED_MUTATIONS);
  for (let i = 0; i < count; i++) out = rng.pick(mutations)(out, ctx);
  if (out === data) out = data.slice();
  return out.length > MAX_INPUT_BYTES ? out.subarray(0, MAX_INPUT_BYTES).slice() : out;
}
