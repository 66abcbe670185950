/**
 * Reading `WWW-Authenticate` (RFC 7235, 4.1; RFC 2326, 12.44): one field may
 * hold several challenges, and repeated fields arrive joined by ", ", so the
 * list is split where a new auth-scheme starts, never inside a quoted value.
 * @module
 */

import { parseAuthParams } from "../auth/authorization.ts";

/** Longest `WWW-Authenticate` value read; longer ones are cut (a hostile server). */
export const MAX_CHALLENGE_HEADER_LENGTH = 8192;
/** Most challenges read from one response. */
export const MAX_CHALLENGES = 16;

/** One challenge: the scheme lower-cased, its parameters by lower-case name. */
export interface Challenge {
  readonly scheme: string;
  readonly params: ReadonlyMap<string, string>;
}

/** The top-level comma-separated elements of `text`, quotes respected. */
function elements(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted && c === "\\") i++;
    else if (c === '"') quoted = !quoted;
    else if (c === "," && !quoted) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out.map((e) => e.trim()).filter((e) => e !== "");
}

const SCHEME_START = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)(?:[ \t]+(.*))?$/s;
const PARAM_START = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+[ \t]*=/;

/**
 * The challenges of a `WWW-Authenticate` value, in order. Challenges whose
 * parameters cannot be read are left out; so is a token68 (no scheme here uses one).
 */
export function parseChallenges(value: string): Challenge[] {
  const groups: Array<{ scheme: string; params: string[] }> = [];
  for (const element of elements(value.slice(0, MAX_CHALLENGE_HEADER_LENGTH))) {
    const current = groups[groups.length - 1];
    if (PARAM_START.test(element) && current) {
      current.params.push(element);
      continue;
    }
    const m = SCHEME_START.exec(element);
    if (!m) continue;
    if (groups.length === MAX_CHALLENGES) break;
    groups.push({ scheme: m[1].toLowerCase(), params: m[2] ? [m[2]] : [] });
  }
  const challenges: Challenge[] = [];
  for (const group of groups) {
    const parsed = parseAuthParams(group.params.join(", "));
    if (parsed.ok) challenges.push({ scheme: group.scheme, params: parsed.params });
  }
  return challenges;
}
