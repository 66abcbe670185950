/**
 * The users store: who may log in and with which stored secrets.
 *
 * A user is configured with either
 * - a plain `password`: usable with every scheme (Basic, Digest MD5, Digest SHA-256); or
 * - stored hashes only, each usable with one scheme:
 *   - `ha1.md5` = MD5(user:realm:password) → Digest with algorithm=MD5 only,
 *   - `ha1.sha256` = SHA-256(user:realm:password) → Digest with algorithm=SHA-256 only,
 *   - `basic` = `pbkdf2-sha256$iterations$saltB64$hashB64` → Basic only.
 *
 * Digest HA1 values are bound to the realm they were made with: changing the
 * realm invalidates them (the password itself is never known to the server).
 * @module
 */

import { type DigestAlgorithm, digestHa1 } from "./digest.ts";
import { fromBase64, isHex, toBase64 } from "./encoding.ts";
import { LruMap } from "./lru.ts";
import { MAX_PBKDF2_ITERATIONS, pbkdf2Sha256 } from "./pbkdf2.ts";
import { sha256, sha256Hex } from "./sha256.ts";
import { timingSafeEqual } from "./constant_time.ts";

export { digestHa1 };

/** Default PBKDF2 iterations for {@linkcode hashPasswordForConfig}: modest, as a login is synchronous. */
export const DEFAULT_PBKDF2_ITERATIONS = 10_000;
/** The scheme tag of stored Basic hashes. */
export const PBKDF2_TAG = "pbkdf2-sha256";
/** Bytes of derived key stored (one SHA-256 output). */
export const PBKDF2_HASH_BYTES = 32;
/** Shortest salt accepted, in bytes (NIST SP 800-132, 5.1 asks for at least 128 bits; 8 is the floor here). */
export const MIN_SALT_BYTES = 8;
/** Successful Basic verifications remembered, so a keep-alive does not pay PBKDF2 each request. */
export const BASIC_CACHE_ENTRIES = 1024;

/** One user as configured. */
export interface UserRecord {
  /** Case-sensitive; must not contain `:` (RFC 7617, 2: the user-id ends at the first colon). */
  readonly name: string;
  /** The plain password: every scheme works. */
  readonly password?: string;
  /** Digest HA1 per algorithm for the store's realm: hex, optionally prefixed `md5:` / `sha256:`. */
  readonly ha1?: { readonly md5?: string; readonly sha256?: string };
  /** For Basic: `pbkdf2-sha256$iterations$saltB64$hashB64` (see {@linkcode hashPasswordForConfig}). */
  readonly basic?: string;
}

/** A parsed `pbkdf2-sha256$...` string. */
export interface Pbkdf2Hash {
  readonly iterations: number;
  readonly salt: Uint8Array;
  readonly hash: Uint8Array;
}

/** Parses `pbkdf2-sha256$iterations$saltB64$hashB64`; `undefined` when malformed. */
export function parsePbkdf2Hash(text: string): Pbkdf2Hash | undefined {
  const parts = text.split("$");
  if (parts.length !== 4 || parts[0] !== PBKDF2_TAG) return undefined;
  if (!/^[1-9][0-9]{0,7}$/.test(parts[1])) return undefined;
  const iterations = Number(parts[1]);
  if (iterations > MAX_PBKDF2_ITERATIONS) return undefined;
  const salt = fromBase64(parts[2]);
  const hash = fromBase64(parts[3]);
  if (!salt || salt.length < MIN_SALT_BYTES || !hash || hash.length !== PBKDF2_HASH_BYTES) {
    return undefined;
  }
  return { iterations, salt, hash };
}

/**
 * The `basic` value to put in the config for `password`: run once by an
 * operator (or a CLI) with a fresh random salt of 16 bytes.
 * @throws RangeError when the salt is shorter than {@linkcode MIN_SALT_BYTES} or iterations out of range
 */
export function hashPasswordForConfig(
  password: string,
  salt: Uint8Array,
  iterations: number = DEFAULT_PBKDF2_ITERATIONS,
): string {
  if (salt.length < MIN_SALT_BYTES) throw new RangeError(`salt: at least ${MIN_SALT_BYTES} bytes`);
  const hash = pbkdf2Sha256(password, salt, iterations, PBKDF2_HASH_BYTES);
  return `${PBKDF2_TAG}$${iterations}$${toBase64(salt)}$${toBase64(hash)}`;
}

const HA1_PREFIX: Readonly<Record<DigestAlgorithm, string>> = {
  "MD5": "md5:",
  "SHA-256": "sha256:",
};
const HA1_HEX_LENGTH: Readonly<Record<DigestAlgorithm, number>> = { "MD5": 32, "SHA-256": 64 };

/** A stored HA1 as lower-case hex, with its optional `md5:`/`sha256:` prefix removed; `undefined` when malformed. */
export function parseStoredHa1(value: string, algorithm: DigestAlgorithm): string | undefined {
  const prefix = HA1_PREFIX[algorithm];
  const hex = value.toLowerCase().startsWith(prefix) ? value.slice(prefix.length) : value;
  return isHex(hex, HA1_HEX_LENGTH[algorithm]) ? hex.toLowerCase() : undefined;
}

/** The result of {@linkcode UserStore.verifyBasic}. */
export type BasicVerdict =
  | "ok"
  | "unknown-user"
  | "bad-password"
  /** The user exists but has no credential usable with Basic (only Digest HA1s). */
  | "no-credential"
  /** Not checked: a PBKDF2 was needed and `maySlowHash` said no. */
  | "throttled";

/** The PBKDF2 the store runs: {@linkcode pbkdf2Sha256}, or a spy in tests. */
export type Pbkdf2Function = (
  password: string,
  salt: Uint8Array,
  iterations: number,
  length: number,
) => Uint8Array;

/** Options of {@linkcode UserStore}. */
export interface UserStoreOptions {
  /** @default {BASIC_CACHE_ENTRIES} */
  readonly basicCacheEntries?: number;
  /** @default {pbkdf2Sha256} */
  readonly pbkdf2?: Pbkdf2Function;
}

interface StoredUser {
  readonly name: string;
  /** SHA-256 of the plain password, so comparisons have equal lengths. */
  readonly passwordSha?: Uint8Array;
  readonly ha1: Partial<Record<DigestAlgorithm, string>>;
  readonly basic?: Pbkdf2Hash;
  readonly basicText?: string;
}

/**
 * The configured users for one realm. Build it from validated config
 * (see `validateAuthConfig` in `config.ts`); records it cannot use throw.
 */
export class UserStore {
  /** The realm HA1 values belong to. */
  readonly realm: string;
  #users = new Map<string, StoredUser>();
  #basicCache: LruMap<string, true>;
  /** Work done for an unknown user, so that it costs what a wrong password does. */
  #dummySha = sha256("\0dummy-password");
  #dummyPbkdf2: Pbkdf2Hash | undefined;
  readonly #pbkdf2: Pbkdf2Function;

  /**
   * @param users the configured users; names must be unique
   * @param realm the realm stored HA1 values were computed with
   * @throws RangeError for a duplicate name, a record without credentials, or a malformed hash
   */
  constructor(
    users: readonly UserRecord[],
    realm: string,
    options: UserStoreOptions = {},
  ) {
    this.realm = realm;
    this.#pbkdf2 = options.pbkdf2 ?? pbkdf2Sha256;
    this.#basicCache = new LruMap(options.basicCacheEntries ?? BASIC_CACHE_ENTRIES);
    let slowest = 0;
    for (const user of users) {
      if (this.#users.has(user.name)) throw new RangeError(`duplicate user ${user.name}`);
      const ha1: Partial<Record<DigestAlgorithm, string>> = {};
      let passwordSha: Uint8Array | undefined;
      let basic: Pbkdf2Hash | undefined;
      if (user.password !== undefined) {
        passwordSha = sha256(user.password);
        // Precomputed so a Digest check costs the same for every user.
        ha1["MD5"] = digestHa1(user.name, realm, user.password, "MD5");
        ha1["SHA-256"] = digestHa1(user.name, realm, user.password, "SHA-256");
      }
      if (user.ha1?.md5 !== undefined) ha1["MD5"] = must(parseStoredHa1(user.ha1.md5, "MD5"));
      if (user.ha1?.sha256 !== undefined) {
        ha1["SHA-256"] = must(parseStoredHa1(user.ha1.sha256, "SHA-256"));
      }
      if (user.basic !== undefined) {
        basic = must(parsePbkdf2Hash(user.basic));
        slowest = Math.max(slowest, basic.iterations);
      }
      if (!passwordSha && !basic && Object.keys(ha1).length === 0) {
        throw new RangeError(`user ${user.name}: no credential`);
      }
      this.#users.set(user.name, {
        name: user.name,
        passwordSha,
        ha1,
        basic,
        basicText: user.basic,
      });
    }
    if (slowest > 0) {
      this.#dummyPbkdf2 = {
        iterations: slowest,
        salt: new Uint8Array(16),
        hash: new Uint8Array(PBKDF2_HASH_BYTES),
      };
    }
  }

  /** Whether `name` is a user (case-sensitive). */
  has(name: string): boolean {
    return this.#users.has(name);
  }

  /** The number of users. */
  get size(): number {
    return this.#users.size;
  }

  /** Which schemes `name` has a credential for. */
  credentialsOf(name: string): { basic: boolean; md5: boolean; sha256: boolean } {
    const user = this.#users.get(name);
    return {
      basic: user !== undefined && (user.passwordSha !== undefined || user.basic !== undefined),
      md5: user?.ha1["MD5"] !== undefined,
      sha256: user?.ha1["SHA-256"] !== undefined,
    };
  }

  /**
   * HA1 of `name` for `algorithm` in this store's realm, lower-case hex;
   * `undefined` for an unknown user or one without a credential for that algorithm.
   */
  digestHa1(name: string, algorithm: DigestAlgorithm): string | undefined {
    return this.#users.get(name)?.ha1[algorithm];
  }

  /**
   * Checks a Basic user-id and password. An unknown user, or one without a
   * Basic credential, costs about what a wrong password costs (dummy PBKDF2 or
   * hash comparison), so timing does not tell which names exist.
   * @param maySlowHash asked before each PBKDF2 (not for a cached success, nor
   *   for plain passwords, which cost one SHA-256): false answers "throttled"
   *   without hashing. Asked the same way for known and unknown users.
   */
  verifyBasic(name: string, password: string, maySlowHash?: () => boolean): BasicVerdict {
    const user = this.#users.get(name);
    if (user?.passwordSha !== undefined) {
      return timingSafeEqual(sha256(password), user.passwordSha) ? "ok" : "bad-password";
    }
    if (user?.basic !== undefined && user.basicText !== undefined) {
      // The key binds the stored hash too: a changed config invalidates old entries.
      const key = sha256Hex(`${name}\0${user.basicText}\0${password}`);
      if (this.#basicCache.get(key)) return "ok";
      if (maySlowHash !== undefined && !maySlowHash()) return "throttled";
      const derived = this.#pbkdf2(
        password,
        user.basic.salt,
        user.basic.iterations,
        PBKDF2_HASH_BYTES,
      );
      if (!timingSafeEqual(derived, user.basic.hash)) return "bad-password";
      this.#basicCache.set(key, true);
      return "ok";
    }
    if (this.#dummyPbkdf2 !== undefined && maySlowHash !== undefined && !maySlowHash()) {
      return "throttled";
    }
    this.#dummyWork(password);
    return user === undefined ? "unknown-user" : "no-credential";
  }

  #dummyWork(password: string): void {
    const dummy = this.#dummyPbkdf2;
    if (dummy !== undefined) {
      timingSafeEqual(
        this.#pbkdf2(password, dummy.salt, dummy.iterations, PBKDF2_HASH_BYTES),
        dummy.hash,
      );
    } else {
      timingSafeEqual(sha256(password), this.#dummySha);
    }
  }
}

function must<T>(value: T | undefined): T {
  if (value === undefined) throw new RangeError("malformed stored hash");
  return value;
}
