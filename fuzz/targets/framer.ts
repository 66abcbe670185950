/**
 * Fuzz target: {@linkcode MessageFramer}. The input is fed in random-size
 * chunks (sizes drawn from a generator seeded by the input, so a saved input
 * replays exactly), once with the default limits and once with small ones.
 *
 * Properties: `next()` returns `undefined` within a bounded number of calls;
 * an error frame is the last frame, after which nothing more comes and nothing
 * is held; frames respect the limits; what is held never exceeds the limits
 * plus one chunk; and the frames do not depend on how the bytes were chunked.
 * @module
 */

import { type Frame, MessageFramer } from "../../_rtsp/framer.ts";
import {
  DEFAULT_LIMITS,
  MAX_INTERLEAVED_PAYLOAD_BYTES,
  type MessageLimits,
} from "../../_rtsp/limits.ts";
import { REASON_PHRASE } from "../../_rtsp/status.ts";
import { check, type FuzzTarget } from "../check.ts";
import { fnv1a, Prng } from "../prng.ts";
import { requestSeeds } from "../seeds.ts";

/** Small limits, so mutated inputs cross them often. */
export const SMALL_LIMITS: MessageLimits = {
  maxRequestLineBytes: 200,
  maxUrlLength: 100,
  maxHeaderCount: 8,
  maxHeadBytes: 600,
  maxBodyBytes: 1000,
};
/** Largest chunk pushed at once. */
const MAX_CHUNK_BYTES = 4096;
/** The interleaved frame header: `$`, channel, 16-bit length. */
const INTERLEAVED_HEADER_BYTES = 4;
/** Most bytes a framer may hold between pushes: one head and body, or one interleaved frame. */
function maxHeld(limits: MessageLimits): number {
  return Math.max(
    limits.maxHeadBytes + limits.maxBodyBytes,
    INTERLEAVED_HEADER_BYTES + MAX_INTERLEAVED_PAYLOAD_BYTES,
  );
}

/** A frame as a comparable string (payloads copied into a hash: they are views). */
function describe(frame: Frame): string {
  switch (frame.kind) {
    case "request": {
      const { method, uri, version, headers, body } = frame.request;
      const fields = JSON.stringify([...headers.entries()]);
      return `request ${method} ${uri} ${version} ${fields} ${body.length}:${fnv1a(body)}`;
    }
    case "interleaved":
      return `interleaved ${frame.channel} ${frame.payload.length}:${fnv1a(frame.payload)}`;
    case "response":
      return `response ${frame.status}`;
    case "error":
      // The CSeq echoed on an error depends on what was held, so on chunking: left out.
      return `error ${frame.status}`;
  }
}

/** Checks one frame against the limits. */
function checkFrame(frame: Frame, limits: MessageLimits): void {
  switch (frame.kind) {
    case "request": {
      const { method, uri, headers, body } = frame.request;
      check(method.length > 0 && !/\s/.test(method), `bad method ${JSON.stringify(method)}`);
      check(uri.length <= limits.maxUrlLength, `URL of ${uri.length} passed the limit`);
      check(headers.size <= limits.maxHeaderCount, `${headers.size} header fields passed`);
      check(body.length <= limits.maxBodyBytes, `body of ${body.length} passed the limit`);
      const length = headers.get("content-length");
      check(
        body.length === (length === undefined ? 0 : Number(length)),
        `body of ${body.length} bytes for Content-Length ${length}`,
      );
      break;
    }
    case "interleaved":
      check(frame.channel >= 0 && frame.channel <= 0xff, `channel ${frame.channel}`);
      check(frame.payload.length <= MAX_INTERLEAVED_PAYLOAD_BYTES, "interleaved frame too big");
      break;
    case "response":
      // Responses are not acted on; any number (even Infinity from "1e400") will do.
      check(!Number.isNaN(frame.status), "response status NaN");
      break;
    case "error":
      check(frame.status in REASON_PHRASE, `error status ${frame.status} has no reason phrase`);
      check(frame.cseq === undefined || !frame.cseq.includes("\n"), "error CSeq holds a line feed");
      break;
  }
}

/**
 * Frames `input` pushed in chunks (`rng` draws their sizes; without it, in one
 * push) and returns the frames and their descriptions, checking every
 * property on the way. Interleaved payloads are views, valid until the next push.
 */
export function frameInput(
  input: Uint8Array,
  limits: MessageLimits,
  rng?: Prng,
): { frames: Frame[]; descriptions: string[] } {
  const framer = new MessageFramer(limits);
  const frames: Frame[] = [];
  const descriptions: string[] = [];
  const held = maxHeld(limits);
  let failed = false;
  let at = 0;
  while (at < input.length) {
    const size = rng ? rng.smallSize(MAX_CHUNK_BYTES) : input.length;
    const chunk = input.subarray(at, at + size);
    at += chunk.length;
    framer.push(chunk);
    check(framer.buffered <= held + chunk.length, `holds ${framer.buffered} bytes after a push`);
    for (let calls = 0;; calls++) {
      check(calls <= input.length + 1, "next() keeps returning frames");
      const frame = framer.next();
      if (frame === undefined) break;
      check(!failed, `a ${frame.kind} frame after an error frame`);
      checkFrame(frame, limits);
      if (frame.kind === "error") {
        failed = true;
        check(framer.failed && framer.buffered === 0, "an error frame left bytes held");
      }
      descriptions.push(describe(frame));
      frames.push(frame);
    }
    check(framer.buffered <= held, `holds ${framer.buffered} bytes after draining`);
  }
  if (failed) {
    framer.push(input.subarray(0, 16));
    check(framer.next() === undefined && framer.buffered === 0, "framing resumed after an error");
  }
  return { frames, descriptions };
}

/** Frames `input` whole, then in chunks, and requires the same frames. */
function runFramer(input: Uint8Array, limits: MessageLimits): void {
  const whole = frameInput(input, limits).descriptions;
  const chunked = frameInput(input, limits, new Prng(fnv1a(input))).descriptions;
  const n = Math.min(whole.length, chunked.length);
  for (let i = 0; i < n; i++) {
    check(whole[i] === chunked[i], `frame ${i} depends on chunking: ${whole[i]} / ${chunked[i]}`);
  }
  check(whole.length === chunked.length, `${whole.length} frames whole, ${chunked.length} chunked`);
}

/** The framer target. */
export const framerTarget: FuzzTarget = {
  name: "framer",
  seeds: requestSeeds,
  run(input) {
    runFramer(input, DEFAULT_LIMITS);
    runFramer(input, SMALL_LIMITS);
  },
};
