/**
 * Per-path permissions: who may read (DESCRIBE, SETUP, PLAY) and who may
 * publish (ANNOUNCE, RECORD) which paths.
 *
 * Rules are tried in order; for a given action, the first rule whose pattern
 * matches the path AND that has a list for that action decides. A rule without
 * a list for the action is skipped for it. When no rule decides, the defaults
 * apply: anonymous access if enabled, otherwise any authenticated user.
 * @module
 */

import { canonicalPath } from "../url.ts";

/** What a client wants to do with a path. */
export type Action = "read" | "publish";

/** In a rule's user list: any authenticated user. */
export const ANY_USER = "*any*";
/** In a rule's user list: no credentials needed. */
export const ANONYMOUS = "anonymous";

/** One rule. */
export interface PathRule {
  /**
   * `/exact`, `/cam/*` (`*` = one segment, or part of one: `/cam-*`),
   * `/public/**` (`**` = zero or more segments: matches `/public` itself too),
   * `*` or `**` alone: every path.
   */
  pattern: string;
  /** User names, {@linkcode ANY_USER} or {@linkcode ANONYMOUS}. */
  read?: string[];
  /** User names, {@linkcode ANY_USER} or {@linkcode ANONYMOUS}. */
  publish?: string[];
}

/** The answer of {@linkcode Permissions.decide}. */
export type Decision =
  | "allow"
  /** 401 with challenges: credentials are needed, or the ones given were not good enough. */
  | "authenticate"
  /** 403: authenticated, but this user may not. */
  | "deny";

/** Why a pattern is not valid; `undefined` when it is. */
export function patternError(pattern: string): string | undefined {
  if (pattern === "*" || pattern === "**") return undefined;
  if (!pattern.startsWith("/")) return "must start with / (or be * or **)";
  if (pattern.length > 1 && pattern.endsWith("/")) return "must not end with /";
  const segments = pattern.slice(1).split("/");
  if (pattern !== "/" && segments.some((s) => s === "")) return "empty segment (//)";
  for (const s of segments) {
    if (s.includes("**") && s !== "**") return "** must be a whole segment";
    if (s === "." || s === "..") return "dot segment";
  }
  return undefined;
}

/**
 * Compiles a valid pattern into an anchored regular expression.
 * @throws RangeError for an invalid pattern
 */
export function compilePathPattern(pattern: string): RegExp {
  const error = patternError(pattern);
  if (error !== undefined) throw new RangeError(`pattern ${pattern}: ${error}`);
  return compile(pattern);
}

function compile(pattern: string): RegExp {
  if (pattern === "*" || pattern === "**") return /^/;
  if (pattern === "/") return /^\/$/;
  let source = "^";
  for (const segment of pattern.slice(1).split("/")) {
    if (segment === "**") {
      // Zero or more whole segments.
      source += "(?:/[^/]+)*";
    } else {
      source += "/" +
        segment.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join("[^/]*");
    }
  }
  return new RegExp(source + "$", "u");
}

interface CompiledRule {
  readonly regex: RegExp;
  readonly read?: ReadonlySet<string>;
  readonly publish?: ReadonlySet<string>;
}

/** Decides access per path, action and user. */
export class Permissions {
  readonly #rules: readonly CompiledRule[];
  readonly #defaults: { readonly anonymousRead: boolean; readonly anonymousPublish: boolean };

  /**
   * @param rules tried in order (see the module documentation)
   * @param defaults when no rule decides: may anonymous clients read / publish?
   * @throws RangeError for an invalid pattern (validate config first)
   */
  constructor(
    rules: readonly PathRule[],
    defaults: { anonymousRead: boolean; anonymousPublish: boolean },
  ) {
    this.#rules = rules.map((rule) => {
      const error = patternError(rule.pattern);
      if (error !== undefined) throw new RangeError(`pattern ${rule.pattern}: ${error}`);
      return {
        regex: compile(rule.pattern),
        read: rule.read && new Set(rule.read),
        publish: rule.publish && new Set(rule.publish),
      };
    });
    this.#defaults = { ...defaults };
  }

  /**
   * May `user` (undefined: not authenticated) do `action` on `path` (the stream
   * path, e.g. `/cam/1`, as `parseRequestTarget` gives it)?
   */
  decide(action: Action, path: string, user: string | undefined): Decision {
    // Request paths arrive canonical; patterns from elsewhere (e.g. --replace-publisher) may not.
    const normalized = path === "*" ? "*" : canonicalPath(path);
    for (const rule of this.#rules) {
      const list = action === "read" ? rule.read : rule.publish;
      if (list === undefined || !rule.regex.test(normalized)) continue;
      if (list.has(ANONYMOUS)) return "allow";
      // Nobody at all: asking for credentials would be pointless.
      if (list.size === 0) return "deny";
      if (user === undefined) return "authenticate";
      return list.has(ANY_USER) || list.has(user) ? "allow" : "deny";
    }
    const anonymous = action === "read"
      ? this.#defaults.anonymousRead
      : this.#defaults.anonymousPublish;
    if (anonymous || user !== undefined) return "allow";
    return "authenticate";
  }
}
