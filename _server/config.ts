/**
 * The server's configuration from flags and an optional JSON file: users,
 * per-path rules and limits, validated at start with errors that name the field.
 * @module
 */

import { type AuthConfig, validateAuthConfig } from "../_rtsp/auth/config.ts";
import { type AbuseLimits, DEFAULT_ABUSE_LIMITS } from "./abuse_limits.ts";
import type { PullSourceSpec } from "../_engine/pull/pull_sources.ts";
import { validateProxyConfig } from "./pull_config.ts";

/** Largest configuration file read (it is JSON, not a database). */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/** Users, rules and limits in force. */
export interface ServerConfig {
  /** Undefined when no user is configured: the server is open to all. */
  readonly auth?: AuthConfig;
  readonly abuse: AbuseLimits;
  /** The limits the file or flags set (the others are defaults, which may be adjusted). */
  readonly explicitLimits: ReadonlySet<keyof AbuseLimits>;
  /** Paths pulled from upstream servers (the file's `proxy`, in order). */
  readonly pullSources: readonly PullSourceSpec[];
}

/** Checks a `limits` object: every key a limit, every value a number >= 0. */
export function validateLimits(json: unknown): { ok: true; limits: Partial<AbuseLimits> } | {
  ok: false;
  errors: string[];
} {
  if (json === undefined) return { ok: true, limits: {} };
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return { ok: false, errors: ["limits: expected an object"] };
  }
  const errors: string[] = [];
  const limits: Record<string, number> = {};
  for (const [key, value] of Object.entries(json)) {
    if (!(key in DEFAULT_ABUSE_LIMITS)) {
      errors.push(
        `limits.${key}: unknown limit (known: ${Object.keys(DEFAULT_ABUSE_LIMITS).join(", ")})`,
      );
    } else if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      errors.push(`limits.${key}: expected a number >= 0`);
    } else {
      limits[key] = value;
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, limits };
}

/**
 * Builds the configuration: defaults, then the file's `limits`, then flags;
 * users from the file and from `--user`. Once any user exists, reading and
 * publishing need credentials unless the file opens a path (`anonymous`, `paths`).
 */
export function loadConfig(options: {
  readonly configFile?: string;
  readonly users: ReadonlyArray<{ readonly name: string; readonly password: string }>;
  /** Users given the admin right by `--admin`, added to the file's `admin` list. */
  readonly admins?: readonly string[];
  readonly abuse: Partial<AbuseLimits>;
}): { ok: true; config: ServerConfig } | { ok: false; errors: string[] } {
  let json: Record<string, unknown> = {};
  if (options.configFile !== undefined) {
    let text: string;
    try {
      const info = Deno.statSync(options.configFile);
      if (info.size > MAX_CONFIG_BYTES) {
        return {
          ok: false,
          errors: [`${options.configFile}: larger than ${MAX_CONFIG_BYTES} bytes`],
        };
      }
      text = Deno.readTextFileSync(options.configFile);
    } catch (e) {
      return {
        ok: false,
        errors: [`${options.configFile}: ${e instanceof Error ? e.message : e}`],
      };
    }
    try {
      const parsed = JSON.parse(text);
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        return { ok: false, errors: [`${options.configFile}: expected a JSON object`] };
      }
      json = parsed;
    } catch (e) {
      return {
        ok: false,
        errors: [`${options.configFile}: ${e instanceof Error ? e.message : e}`],
      };
    }
  }
  const limits = validateLimits(json.limits);
  if (!limits.ok) return limits;
  const { proxy, ...authJson } = json;
  const pulls = validateProxyConfig(proxy);
  if (!pulls.ok) return pulls;
  const pullSources = pulls.sources;
  const abuse: AbuseLimits = { ...DEFAULT_ABUSE_LIMITS, ...limits.limits, ...options.abuse };
  const explicitLimits = new Set(
    Object.keys({ ...limits.limits, ...options.abuse }) as Array<keyof AbuseLimits>,
  );
  const fileUsers = Array.isArray(json.users)
    ? json.users
    : json.users === undefined
    ? []
    : undefined;
  if (fileUsers === undefined) return { ok: false, errors: ["users: expected an array"] };
  const users = [
    ...fileUsers,
    ...options.users.map((u) => ({ name: u.name, password: u.password })),
  ];
  const flagAdmins = options.admins ?? [];
  if (users.length === 0 && json.paths === undefined) {
    if (flagAdmins.length > 0 || json.admin !== undefined) {
      return { ok: false, errors: ["admin: needs users (--user NAME:PASS or the file's users)"] };
    }
    return { ok: true, config: { abuse, explicitLimits, pullSources } };
  }
  // Flag admins join the file's list; a list that is not one is left for validation to report.
  const admin = flagAdmins.length === 0
    ? json.admin
    : Array.isArray(json.admin) || json.admin === undefined
    ? [...(json.admin ?? []), ...flagAdmins]
    : json.admin;
  const validated = validateAuthConfig({
    ...authJson,
    ...(admin === undefined ? {} : { admin }),
    users,
    anonymous: json.anonymous ?? { read: false, publish: false },
  });
  if (!validated.ok) return validated;
  return { ok: true, config: { abuse, explicitLimits, pullSources, auth: validated.config } };
}
