/**
 * Pull sources from the config file's `proxy` object and from `--proxy` and
 * `--origin`, checked at start with errors that name the field.
 * @module
 */

import { patternError } from "../_rtsp/auth/permissions.ts";
import {
  isWildcardPattern,
  type PullSourceInput,
  type PullSourceSpec,
  pullSourceSpec,
} from "../_engine/pull/pull_sources.ts";
import { PULL_TRANSPORTS, type PullTransport } from "../_engine/pull/upstream_port.ts";

/** Longest source URL accepted. */
const MAX_SOURCE_URL_LENGTH = 2048;

/** Why a source URL cannot be pulled; `undefined` when it can. */
export function sourceUrlError(url: string): string | undefined {
  if (url.length > MAX_SOURCE_URL_LENGTH) return `longer than ${MAX_SOURCE_URL_LENGTH} characters`;
  // Control characters would end up in a request line (RFC 2326, 6.1).
  for (let i = 0; i < url.length; i++) {
    const c = url.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f) return "contains a space or a control character";
  }
  let parsed: URL;
  try {
    parsed = new URL(url.replaceAll("$path", "path"));
  } catch {
    return "not a URL";
  }
  if (parsed.protocol !== "rtsp:" && parsed.protocol !== "rtsps:") {
    return "expected rtsp:// or rtsps://";
  }
  if (parsed.hostname === "") return "no host";
  return undefined;
}

/** Seconds in the config, as milliseconds; `undefined` when absent. */
function seconds(
  value: unknown,
  field: string,
  errors: string[],
): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0 || value > 86400) {
    errors.push(`${field}: expected seconds, more than 0 and at most 86400`);
    return undefined;
  }
  return value * 1000;
}

const KNOWN_FIELDS = new Set([
  "source",
  "sourceOnDemand",
  "closeAfter",
  "startTimeout",
  "stallTimeout",
  "transport",
]);

/**
 * Checks the config's `proxy` object: path pattern → `{ source, sourceOnDemand?,
 * closeAfter?, startTimeout?, stallTimeout?, transport? }`, in the file's order.
 */
export function validateProxyConfig(
  json: unknown,
): { ok: true; sources: PullSourceSpec[] } | { ok: false; errors: string[] } {
  if (json === undefined) return { ok: true, sources: [] };
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return { ok: false, errors: ["proxy: expected an object of path pattern → source"] };
  }
  const errors: string[] = [];
  const sources: PullSourceSpec[] = [];
  for (const [pattern, entry] of Object.entries(json)) {
    const at = `proxy["${pattern}"]`;
    const why = patternError(pattern);
    if (why) {
      errors.push(`${at}: pattern ${why}`);
      continue;
    }
    if (typeof entry === "string") {
      const problem = sourceUrlError(entry);
      if (problem) errors.push(`${at}: ${problem}`);
      else sources.push(pullSourceSpec({ pattern, source: entry }));
      continue;
    }
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
      errors.push(`${at}: expected a source URL or an object with "source"`);
      continue;
    }
    const fields = entry as Record<string, unknown>;
    const before = errors.length;
    for (const key of Object.keys(fields)) {
      if (!KNOWN_FIELDS.has(key)) {
        errors.push(`${at}.${key}: unknown field (known: ${[...KNOWN_FIELDS].join(", ")})`);
      }
    }
    const source = fields.source;
    if (typeof source !== "string") errors.push(`${at}.source: expected an rtsp:// URL`);
    else {
      const problem = sourceUrlError(source);
      if (problem) errors.push(`${at}.source: ${problem}`);
    }
    const onDemand = fields.sourceOnDemand;
    if (onDemand !== undefined && typeof onDemand !== "boolean") {
      errors.push(`${at}.sourceOnDemand: expected true or false`);
    }
    if (onDemand === false && isWildcardPattern(pattern)) {
      errors.push(`${at}.sourceOnDemand: a pattern with * names many paths: it must be on demand`);
    }
    const transport = fields.transport;
    if (transport !== undefined && !(PULL_TRANSPORTS as readonly unknown[]).includes(transport)) {
      errors.push(`${at}.transport: expected one of ${PULL_TRANSPORTS.join(", ")}`);
    }
    const idleMs = seconds(fields.closeAfter, `${at}.closeAfter`, errors);
    const startTimeoutMs = seconds(fields.startTimeout, `${at}.startTimeout`, errors);
    const stallMs = seconds(fields.stallTimeout, `${at}.stallTimeout`, errors);
    if (errors.length > before) continue;
    const input: PullSourceInput = {
      pattern,
      source: source as string,
      onDemand: onDemand as boolean | undefined,
      idleMs,
      startTimeoutMs,
      stallMs,
      transport: transport as PullTransport | undefined,
    };
    sources.push(pullSourceSpec(input));
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, sources };
}

/** `--proxy PATH=URL`: one on-demand source for one path. */
export function parseProxyFlag(text: string): PullSourceSpec | { error: string } {
  const eq = text.indexOf("=");
  if (eq <= 0) return { error: `Invalid --proxy "${text}": expected PATH=rtsp://...` };
  const pattern = text.slice(0, eq);
  const source = text.slice(eq + 1);
  const why = patternError(pattern) ?? sourceUrlError(source);
  if (why) return { error: `Invalid --proxy "${text}": ${why}` };
  return pullSourceSpec({ pattern, source });
}

/** `--origin rtsp://host:port`: this server is an edge pulling every path from the origin. */
export function parseOriginFlag(text: string): PullSourceSpec | { error: string } {
  const why = sourceUrlError(text);
  if (why) return { error: `Invalid --origin "${text}": ${why}` };
  return pullSourceSpec({ pattern: "/**", source: `${text.replace(/\/+$/, "")}/$path` });
}
