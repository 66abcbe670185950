/**
 * The authentication config file: its validation with error messages that
 * name the field, and the objects built from it.
 *
 * ```json
 * {
 *   "realm": "rtsp.ts",
 *   "users": [
 *     { "name": "alice", "password": "secret" },
 *     { "name": "bob", "ha1": { "md5": "…32 hex…", "sha256": "…64 hex…" },
 *       "basic": "pbkdf2-sha256$10000$saltB64$hashB64" }
 *   ],
 *   "paths": [
 *     { "pattern": "/public/**", "read": ["anonymous"], "publish": ["alice"] },
 *     { "pattern": "/cam/*", "read": ["*any*"] }
 *   ],
 *   "anonymous": { "read": false, "publish": false },
 *   "admin": ["alice"],
 *   "schemes": ["digest-sha256", "digest-md5"],
 *   "limits": { "…": "validated elsewhere, ignored here" }
 * }
 * ```
 * Every field is optional except each user's `name` and one credential.
 * @module
 */

import {
  AUTH_SCHEMES,
  Authenticator,
  type AuthScheme,
  DEFAULT_AUTH_SCHEMES,
  isSafeRealm,
} from "./authenticator.ts";
import { parsePbkdf2Hash, parseStoredHa1, type UserRecord, UserStore } from "./credentials.ts";
import { ANONYMOUS, ANY_USER, type PathRule, patternError, Permissions } from "./permissions.ts";

/** The realm when the config names none. */
export const DEFAULT_REALM = "rtsp.ts";
/** Most users and most path rules accepted in one file (keeps validation and lookups bounded). */
export const MAX_CONFIG_ENTRIES = 10_000;
/** Longest user name and password accepted. */
export const MAX_NAME_LENGTH = 256;

/** A validated config, with defaults filled in. */
export interface AuthConfig {
  readonly realm: string;
  readonly users: readonly UserRecord[];
  readonly paths: readonly PathRule[];
  readonly anonymous: { readonly read: boolean; readonly publish: boolean };
  readonly schemes: readonly AuthScheme[];
  /**
   * Who has the admin right (the HTTP API's session listings, transcripts and
   * kicks): user names or {@linkcode ANY_USER}; never anonymous. @default none
   */
  readonly admin?: readonly string[];
}

/** The result of {@linkcode validateAuthConfig}. */
export type AuthConfigResult =
  | { readonly ok: true; readonly config: AuthConfig }
  | { readonly ok: false; readonly errors: string[] };

const TOP_KEYS = new Set(["realm", "users", "paths", "anonymous", "schemes", "limits", "admin"]);
const USER_KEYS = new Set(["name", "password", "ha1", "basic"]);
const HA1_KEYS = new Set(["md5", "sha256"]);
const RULE_KEYS = new Set(["pattern", "read", "publish"]);
const ANONYMOUS_KEYS = new Set(["read", "publish"]);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

function unknownKeys(
  value: Record<string, unknown>,
  known: ReadonlySet<string>,
  where: string,
  errors: string[],
): void {
  for (const key of Object.keys(value)) {
    if (!known.has(key)) errors.push(`${where}${key}: unknown field`);
  }
}

/**
 * Checks a parsed JSON config file. Errors name the field, e.g.
 * `users[2].name: missing`. Unknown fields are errors (they are usually typos),
 * except `limits`, which is validated elsewhere and ignored here.
 */
export function validateAuthConfig(json: unknown): AuthConfigResult {
  const errors: string[] = [];
  if (!isObject(json)) return { ok: false, errors: ["config: must be an object"] };
  unknownKeys(json, TOP_KEYS, "", errors);

  let realm = DEFAULT_REALM;
  if (json.realm !== undefined) {
    if (typeof json.realm !== "string" || !isSafeRealm(json.realm)) {
      errors.push(
        `realm: must be a string of 1 to 128 characters without ", \\ or control characters`,
      );
    } else realm = json.realm;
  }

  let schemes: readonly AuthScheme[] = DEFAULT_AUTH_SCHEMES;
  if (json.schemes !== undefined) {
    if (!Array.isArray(json.schemes) || json.schemes.length === 0) {
      errors.push(`schemes: must be a non-empty array of ${AUTH_SCHEMES.join(", ")}`);
    } else {
      const seen = new Set<AuthScheme>();
      json.schemes.forEach((s, i) => {
        if (!AUTH_SCHEMES.includes(s as AuthScheme)) {
          errors.push(`schemes[${i}]: must be one of ${AUTH_SCHEMES.join(", ")}`);
        } else if (seen.has(s as AuthScheme)) errors.push(`schemes[${i}]: duplicate ${s}`);
        else seen.add(s as AuthScheme);
      });
      schemes = [...seen];
    }
  }

  const users: UserRecord[] = [];
  const names = new Set<string>();
  if (json.users !== undefined) {
    if (!Array.isArray(json.users)) errors.push("users: must be an array");
    else if (json.users.length > MAX_CONFIG_ENTRIES) {
      errors.push(`users: at most ${MAX_CONFIG_ENTRIES}`);
    } else {
      json.users.forEach((u, i) => {
        const user = validateUser(u, `users[${i}]`, schemes, errors);
        if (user === undefined) return;
        if (names.has(user.name)) errors.push(`users[${i}].name: duplicate ${user.name}`);
        names.add(user.name);
        users.push(user);
      });
    }
  }

  const paths: PathRule[] = [];
  if (json.paths !== undefined) {
    if (!Array.isArray(json.paths)) errors.push("paths: must be an array");
    else if (json.paths.length > MAX_CONFIG_ENTRIES) {
      errors.push(`paths: at most ${MAX_CONFIG_ENTRIES}`);
    } else {
      json.paths.forEach((r, i) => {
        const rule = validateRule(r, `paths[${i}]`, names, errors);
        if (rule !== undefined) paths.push(rule);
      });
    }
  }

  const anonymous = { read: false, publish: false };
  if (json.anonymous !== undefined) {
    if (!isObject(json.anonymous)) errors.push("anonymous: must be an object");
    else {
      unknownKeys(json.anonymous, ANONYMOUS_KEYS, "anonymous.", errors);
      for (const key of ["read", "publish"] as const) {
        const v = json.anonymous[key];
        if (v === undefined) continue;
        if (typeof v !== "boolean") errors.push(`anonymous.${key}: must be true or false`);
        else anonymous[key] = v;
      }
    }
  }

  const admin = validateAdmin(json.admin, names, errors);

  if (errors.length > 0) return { ok: false, errors };
  // Left out when none is given, so configs without it look as they always did.
  const adminRight = admin.length > 0 ? { admin } : {};
  return { ok: true, config: { realm, users, paths, anonymous, schemes, ...adminRight } };
}

/** The `admin` list: like a rule's lists, but an admin must log in, so no `anonymous`. */
function validateAdmin(value: unknown, users: ReadonlySet<string>, errors: string[]): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    errors.push(`admin: must be an array of user names or "${ANY_USER}"`);
    return [];
  }
  value.forEach((entry, i) => {
    if (typeof entry !== "string") errors.push(`admin[${i}]: must be a string`);
    else if (entry === ANONYMOUS) {
      errors.push(`admin[${i}]: "${ANONYMOUS}" cannot be an admin: the admin right needs a login`);
    } else if (entry !== ANY_USER && !users.has(entry)) {
      errors.push(`admin[${i}]: unknown user ${entry}`);
    }
  });
  return value as string[];
}

/** Whether `user` (undefined: not authenticated) has the admin right under `config`. */
export function hasAdminRight(config: AuthConfig, user: string | undefined): boolean {
  if (user === undefined) return false;
  const admin = config.admin ?? [];
  return admin.includes(ANY_USER) || admin.includes(user);
}

function validateUser(
  value: unknown,
  where: string,
  schemes: readonly AuthScheme[],
  errors: string[],
): UserRecord | undefined {
  if (!isObject(value)) {
    errors.push(`${where}: must be an object`);
    return undefined;
  }
  const before = errors.length;
  unknownKeys(value, USER_KEYS, `${where}.`, errors);
  const { name, password, ha1, basic } = value;
  if (name === undefined) errors.push(`${where}.name: missing`);
  else if (typeof name !== "string" || name === "") {
    errors.push(`${where}.name: must be a non-empty string`);
  } else if (name.length > MAX_NAME_LENGTH || hasControl(name)) {
    errors.push(`${where}.name: at most ${MAX_NAME_LENGTH} characters, no control characters`);
  } else if (name.includes(":")) {
    errors.push(`${where}.name: must not contain ":" (RFC 7617, 2)`);
  } else if (name === ANONYMOUS || name === ANY_USER) {
    errors.push(`${where}.name: "${name}" is reserved for path rules`);
  }
  if (password !== undefined) {
    if (typeof password !== "string" || password === "") {
      errors.push(`${where}.password: must be a non-empty string`);
    } else if (password.length > MAX_NAME_LENGTH || hasControl(password)) {
      errors.push(
        `${where}.password: at most ${MAX_NAME_LENGTH} characters, no control characters`,
      );
    }
    if (ha1 !== undefined || basic !== undefined) {
      errors.push(`${where}: give either password or ha1/basic hashes, not both`);
    }
  }
  const stored: { md5?: string; sha256?: string } = {};
  if (ha1 !== undefined) {
    if (!isObject(ha1)) errors.push(`${where}.ha1: must be an object with md5 and/or sha256`);
    else {
      unknownKeys(ha1, HA1_KEYS, `${where}.ha1.`, errors);
      if (ha1.md5 !== undefined) {
        if (typeof ha1.md5 !== "string" || parseStoredHa1(ha1.md5, "MD5") === undefined) {
          errors.push(`${where}.ha1.md5: must be 32 hex digits, MD5(user:realm:password)`);
        } else stored.md5 = ha1.md5;
      }
      if (ha1.sha256 !== undefined) {
        if (typeof ha1.sha256 !== "string" || parseStoredHa1(ha1.sha256, "SHA-256") === undefined) {
          errors.push(`${where}.ha1.sha256: must be 64 hex digits, SHA-256(user:realm:password)`);
        } else stored.sha256 = ha1.sha256;
      }
      if (ha1.md5 === undefined && ha1.sha256 === undefined) {
        errors.push(`${where}.ha1: needs md5 and/or sha256`);
      }
    }
  }
  if (basic !== undefined && (typeof basic !== "string" || parsePbkdf2Hash(basic) === undefined)) {
    errors.push(`${where}.basic: must be pbkdf2-sha256$iterations$saltBase64$hashBase64`);
  }
  if (password === undefined && ha1 === undefined && basic === undefined) {
    errors.push(`${where}: needs password, ha1 or basic`);
  }
  if (errors.length > before) return undefined;
  const record: UserRecord = {
    name: name as string,
    ...(password !== undefined ? { password: password as string } : {}),
    ...(ha1 !== undefined ? { ha1: stored } : {}),
    ...(basic !== undefined ? { basic: basic as string } : {}),
  };
  // A user who can never log in is a config mistake worth reporting.
  const usable = password !== undefined ||
    (stored.md5 !== undefined && schemes.includes("digest-md5")) ||
    (stored.sha256 !== undefined && schemes.includes("digest-sha256")) ||
    (basic !== undefined && schemes.includes("basic"));
  if (!usable) {
    errors.push(`${where}: no credential usable with the offered schemes (${schemes.join(", ")})`);
    return undefined;
  }
  return record;
}

function validateRule(
  value: unknown,
  where: string,
  users: ReadonlySet<string>,
  errors: string[],
): PathRule | undefined {
  if (!isObject(value)) {
    errors.push(`${where}: must be an object`);
    return undefined;
  }
  const before = errors.length;
  unknownKeys(value, RULE_KEYS, `${where}.`, errors);
  const { pattern } = value;
  if (pattern === undefined) errors.push(`${where}.pattern: missing`);
  else if (typeof pattern !== "string") errors.push(`${where}.pattern: must be a string`);
  else {
    const problem = patternError(pattern);
    if (problem !== undefined) errors.push(`${where}.pattern: ${problem}`);
  }
  const lists: { read?: string[]; publish?: string[] } = {};
  for (const key of ["read", "publish"] as const) {
    const list = value[key];
    if (list === undefined) continue;
    if (!Array.isArray(list)) {
      errors.push(
        `${where}.${key}: must be an array of user names, "${ANY_USER}" or "${ANONYMOUS}"`,
      );
      continue;
    }
    list.forEach((entry, j) => {
      if (typeof entry !== "string") errors.push(`${where}.${key}[${j}]: must be a string`);
      else if (entry !== ANY_USER && entry !== ANONYMOUS && !users.has(entry)) {
        errors.push(`${where}.${key}[${j}]: unknown user ${entry}`);
      }
    });
    lists[key] = list as string[];
  }
  if (value.read === undefined && value.publish === undefined) {
    errors.push(`${where}: needs read and/or publish`);
  }
  if (errors.length > before) return undefined;
  return { pattern: pattern as string, ...lists };
}

/** What {@linkcode createAuth} needs besides the config. */
export interface AuthDependencies {
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  /** `n` random bytes. */
  readonly random: (n: number) => Uint8Array;
  readonly nonceLifetimeMs?: number;
  /** PBKDF2 verifications per client per second (`AuthenticatorOptions.slowHashesPerSecond`). */
  readonly slowHashesPerSecond?: number;
}

/** The authenticator and permissions a validated config describes. */
export function createAuth(
  config: AuthConfig,
  deps: AuthDependencies,
): { authenticator: Authenticator; permissions: Permissions } {
  const users = new UserStore(config.users, config.realm);
  const authenticator = new Authenticator({
    realm: config.realm,
    users,
    schemes: [...config.schemes],
    now: deps.now,
    random: deps.random,
    nonceLifetimeMs: deps.nonceLifetimeMs,
    slowHashesPerSecond: deps.slowHashesPerSecond,
  });
  const permissions = new Permissions(config.paths, {
    anonymousRead: config.anonymous.read,
    anonymousPublish: config.anonymous.publish,
  });
  return { authenticator, permissions };
}
