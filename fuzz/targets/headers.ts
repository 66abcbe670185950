/**
 * Fuzz targets for the header and URL parsers: `parseTransport`,
 * `parseRange`, `parseRequestTarget`. Each result is checked for range and
 * shape, and what the server writes back from it must parse again to the
 * same values.
 * @module
 */

import { formatRange, parseRange } from "../../_rtsp/range.ts";
import { formatTransport, parseTransport, type TransportSpec } from "../../_rtsp/transport.ts";
import { parseRequestTarget, splitLastSegment } from "../../_rtsp/url.ts";
import { check, type FuzzTarget, text } from "../check.ts";
import { rangeSeeds, transportSeeds, urlSeeds } from "../seeds.ts";

const MAX_PORT = 0xffff;
const MAX_CHANNEL = 0xff;
const MAX_TTL = 0xff;
/** formatRange writes milliseconds: a round trip may move a time by half of one. */
const RANGE_ROUNDING_SECONDS = 0.0005;
/** Plus a few units in the last place of a double, relative to the time. */
const RANGE_RELATIVE_ERROR = 4 * Number.EPSILON;

/** A port or channel pair is two integers in [0, max]. */
function checkPair(pair: readonly [number, number] | undefined, max: number, what: string): void {
  if (pair === undefined) return;
  check(
    pair.length === 2 && pair.every((n) => Number.isInteger(n) && n >= 0 && n <= max + 1),
    `${what} out of range: ${pair}`,
  );
}

/** The numeric facts of a spec, which survive formatting (strings are written as given). */
function numericFacts(spec: TransportSpec): string {
  return JSON.stringify([
    spec.lower,
    spec.delivery,
    spec.interleaved,
    spec.clientPorts,
    spec.serverPorts,
    spec.ports,
    spec.ttl,
    spec.ssrc,
    spec.mode === "record" ? "record" : undefined,
  ]);
}

/** `parseTransport` target. */
export const transportTarget: FuzzTarget = {
  name: "transport",
  seeds: transportSeeds,
  run(input) {
    const result = parseTransport(text(input));
    if ("error" in result) {
      check(typeof result.error === "string", "error without a message");
      return;
    }
    check(result.length > 0, "no choices and no error");
    for (const spec of result) {
      // A single number n means n and n+1, so the second may be max + 1.
      checkPair(spec.interleaved, MAX_CHANNEL, "interleaved");
      checkPair(spec.clientPorts, MAX_PORT, "client_port");
      checkPair(spec.serverPorts, MAX_PORT, "server_port");
      checkPair(spec.ports, MAX_PORT, "port");
      check(spec.ttl === undefined || (spec.ttl >= 0 && spec.ttl <= MAX_TTL), "ttl out of range");
      check(
        spec.ssrc === undefined || (Number.isInteger(spec.ssrc) && spec.ssrc <= 0xffff_ffff),
        `ssrc ${spec.ssrc}`,
      );
      const formatted = formatTransport(spec);
      const again = parseTransport(formatted);
      check(!("error" in again), `own output does not parse: ${formatted}`);
      check(again.length === 1, `own output has ${again.length} choices: ${formatted}`);
      check(
        numericFacts(again[0]) === numericFacts(spec),
        `round trip changed ${numericFacts(spec)} to ${numericFacts(again[0])}`,
      );
    }
  },
};

/** `parseRange` target. */
export const rangeTarget: FuzzTarget = {
  name: "range",
  seeds: rangeSeeds,
  run(input) {
    const range = parseRange(text(input));
    if (range === undefined) return;
    const { start, end } = range;
    check(start === "now" || (Number.isFinite(start) && start >= 0), `start ${start}`);
    check(end === undefined || (Number.isFinite(end) && end >= 0), `end ${end}`);
    check(end === undefined || start === "now" || end >= start, `end ${end} before ${start}`);
    const formatted = formatRange(range);
    const again = parseRange(formatted);
    check(again !== undefined, `own output does not parse: ${formatted}`);
    const near = (a: number | "now" | undefined, b: number | "now" | undefined) =>
      typeof a === "number" && typeof b === "number"
        ? Math.abs(a - b) <= RANGE_ROUNDING_SECONDS + Math.abs(a) * RANGE_RELATIVE_ERROR
        : a === b;
    check(near(again.start, start) && near(again.end, end), `round trip of ${formatted} moved`);
  },
};

/** `parseRequestTarget` target. */
export const urlTarget: FuzzTarget = {
  name: "url",
  seeds: urlSeeds,
  run(input) {
    const target = parseRequestTarget(text(input));
    if (target === undefined) return;
    const { path, base } = target;
    if (path === "*") {
      check(base === "*", `path * with base ${base}`);
      return;
    }
    check(path.startsWith("/"), `path ${JSON.stringify(path)} is not absolute`);
    check(!path.includes("\0"), "path holds NUL");
    check(path === "/" || !path.endsWith("/"), `path ${JSON.stringify(path)} ends in /`);
    check(/^rtsps?:\/\/[^?#]*$/.test(base), `base ${JSON.stringify(base)}`);
    const again = parseRequestTarget(base);
    check(
      again?.path === path && again.base === base,
      `base ${JSON.stringify(base)} names ${JSON.stringify(again)}, not ${JSON.stringify(path)}`,
    );
    const split = splitLastSegment(path);
    check(split === undefined || split[0].startsWith("/"), "parent path is not absolute");
  },
};
