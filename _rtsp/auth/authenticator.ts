/**
 * Checks `Authorization` headers and writes `WWW-Authenticate` challenges
 * (RFC 2326, 12.5 and 12.44) for Basic (RFC 7617), Digest MD5 (RFC 2617) and
 * Digest SHA-256 (RFC 7616), all with qop=auth. Synchronous and pure: the clock
 * and randomness are injected.
 *
 * What is accepted, and why:
 * - Digest with `qop=auth` (RFC 7616, 3.4.1), with `nc` strictly increasing per nonce.
 * - Digest MD5 without `qop` (RFC 2069 form, H(HA1:nonce:HA2)) because live555
 *   (openRTSP, VLC) ignores `qop`. Such a request has no nonce-count, so it can
 *   be replayed while its nonce lives ({@linkcode DEFAULT_NONCE_LIFETIME_MS}).
 *   SHA-256 requires `qop`: every client that speaks SHA-256 sends it.
 * - `uri`: hashed exactly as sent. When the request URI is passed to
 *   {@linkcode Authenticator.check}, the two must name the same path, compared
 *   without scheme, host, port, query or trailing slash (clients behind NAT or
 *   proxies write another host); a path one segment-boundary above or below the
 *   request's also passes, because some clients authenticate a track's SETUP
 *   with the aggregate URL and the other way round. `OPTIONS *` accepts any uri.
 * - Usernames are compared case-sensitively; `userhash=true` is not supported
 *   (reported as unknown-user).
 * - A nonce not issued by this process (e.g. before a restart) with an otherwise
 *   correct response is reported "stale", so the client retries silently with a
 *   fresh nonce instead of asking its user for a password (RFC 7616, 3.3 `stale`).
 * @module
 */

import {
  claimedUser,
  type Credentials,
  type DigestCredentials,
  parseAuthorization,
} from "./authorization.ts";
import { timingSafeEqual } from "./constant_time.ts";
import type { UserStore } from "./credentials.ts";
import {
  DIGEST_HEX_LENGTH,
  type DigestAlgorithm,
  digestHa1,
  digestResponse,
  parseDigestAlgorithm,
} from "./digest.ts";
import { isHex, toHex } from "./encoding.ts";
import { DEFAULT_NONCE_LIFETIME_MS, NonceIssuer } from "./nonce.ts";
import { DEFAULT_SLOW_HASHES_PER_SECOND, SlowHashBudget } from "./slow_hash_budget.ts";

export { DEFAULT_NONCE_LIFETIME_MS, DEFAULT_SLOW_HASHES_PER_SECOND };

/** A challenge scheme this server can offer. */
export type AuthScheme = "basic" | "digest-md5" | "digest-sha256";

/** All schemes, for validation. */
export const AUTH_SCHEMES: readonly AuthScheme[] = ["basic", "digest-md5", "digest-sha256"];

/**
 * Default challenges: SHA-256 first as RFC 7616, 3.7 asks (preferred first), MD5
 * last because ffmpeg and live555 (VLC) use the last Digest challenge they read.
 * Basic is off by default: without TLS it sends the password in clear.
 */
export const DEFAULT_AUTH_SCHEMES: readonly AuthScheme[] = ["digest-sha256", "digest-md5"];

/** Why a request was not authenticated. */
export type AuthFailure =
  /** No `Authorization` header. */
  | "missing"
  /** Unparsable header, missing Digest parameters, or a `uri` for another resource. */
  | "malformed"
  | "unknown-user"
  /** Wrong password or response, or a user without a credential for that scheme. */
  | "bad-password"
  /** Right credentials on an expired or unknown nonce: challenge again with stale=true. */
  | "stale"
  /** A nonce-count already used with this nonce. */
  | "replay"
  /** A scheme, algorithm or qop that is not offered. */
  | "scheme-not-offered"
  /** Not checked: the client's budget of PBKDF2 verifications is spent for now. */
  | "throttled";

/** The result of {@linkcode Authenticator.check}. */
export type AuthResult =
  | { readonly ok: true; readonly user: string; readonly scheme: AuthScheme }
  | {
    readonly ok: false;
    readonly reason: AuthFailure;
    /** For logs only; never send it to the client. */
    readonly detail: string;
  };

/** Options of {@linkcode Authenticator}. */
export interface AuthenticatorOptions {
  /** The protection space (RFC 7235, 2.2): no `"`, `\` or control characters. */
  realm: string;
  /** Must have been built for the same realm. */
  users: UserStore;
  /** Which challenges to offer, in this order. @default {DEFAULT_AUTH_SCHEMES} */
  schemes?: AuthScheme[];
  /** Milliseconds since the epoch. */
  now: () => number;
  /** `n` random bytes. */
  random: (n: number) => Uint8Array;
  /** @default {DEFAULT_NONCE_LIFETIME_MS} */
  nonceLifetimeMs?: number;
  /**
   * PBKDF2 verifications (Basic against a stored `pbkdf2-sha256` hash) per
   * client per second, burst twice that; 0: no limit. Applies when
   * {@linkcode Authenticator.check} is told the client.
   * @default {DEFAULT_SLOW_HASHES_PER_SECOND}
   */
  slowHashesPerSecond?: number;
}

const SCHEME_OF: Readonly<Record<DigestAlgorithm, AuthScheme>> = {
  "MD5": "digest-md5",
  "SHA-256": "digest-sha256",
};

/** Checks credentials and writes challenges for one realm. */
export class Authenticator {
  readonly #realm: string;
  readonly #users: UserStore;
  readonly #schemes: readonly AuthScheme[];
  readonly #nonces: NonceIssuer;
  readonly #slowHashes: SlowHashBudget;
  /** HA1 of a user that does not exist, so unknown users cost what known ones do. */
  readonly #dummyHa1: Readonly<Record<DigestAlgorithm, string>>;

  /** @throws RangeError for a realm unsafe in a quoted-string, a store of another realm, or no scheme */
  constructor(options: AuthenticatorOptions) {
    if (!isSafeRealm(options.realm)) throw new RangeError("realm: no quotes, backslashes or CTLs");
    if (options.users.realm !== options.realm) {
      throw new RangeError("users were built for another realm");
    }
    this.#realm = options.realm;
    this.#users = options.users;
    this.#schemes = [...new Set(options.schemes ?? DEFAULT_AUTH_SCHEMES)];
    // A 401 without any challenge would leave clients nothing to answer.
    if (this.#schemes.length === 0) throw new RangeError("schemes: at least one");
    this.#nonces = new NonceIssuer({
      realm: options.realm,
      now: options.now,
      random: options.random,
      lifetimeMs: options.nonceLifetimeMs,
    });
    this.#slowHashes = new SlowHashBudget(
      options.slowHashesPerSecond ?? DEFAULT_SLOW_HASHES_PER_SECOND,
      options.now,
    );
    const dummyPassword = toHex(options.random(16));
    this.#dummyHa1 = {
      "MD5": digestHa1("\0", options.realm, dummyPassword, "MD5"),
      "SHA-256": digestHa1("\0", options.realm, dummyPassword, "SHA-256"),
    };
  }

  /** The realm. */
  get realm(): string {
    return this.#realm;
  }

  /** The offered schemes, in order. */
  get schemes(): readonly AuthScheme[] {
    return this.#schemes;
  }

  /**
   * The user name `authorization` claims, unchecked ("" when unreadable): what
   * a lockout per (address, user) is keyed on, known before any hashing.
   */
  claimedUser(authorization: string): string {
    return claimedUser(authorization);
  }

  /**
   * Checks the request's Authorization header for `method` (the RTSP method,
   * used in Digest A2 = method:uri). Never throws.
   * @param requestUri the Request-URI; when given, the Digest `uri` must name the same resource
   * @param client who sent it (the remote address): PBKDF2 work is budgeted per
   *   client ("throttled" past it); without it no budget applies
   */
  check(
    method: string,
    authorization: string | undefined,
    requestUri?: string,
    client?: string,
  ): AuthResult {
    if (authorization === undefined || authorization.trim() === "") {
      return failure("missing", "no Authorization header");
    }
    const parsed = parseAuthorization(authorization);
    if (!parsed.ok) {
      const reason = parsed.error.code === "unsupported-scheme"
        ? "scheme-not-offered"
        : "malformed";
      return failure(reason, parsed.error.message);
    }
    return this.#checkCredentials(method, parsed.credentials, requestUri, client);
  }

  #checkCredentials(
    method: string,
    credentials: Credentials,
    requestUri: string | undefined,
    client: string | undefined,
  ): AuthResult {
    if (credentials.scheme === "basic") {
      if (!this.#schemes.includes("basic")) return failure("scheme-not-offered", "Basic");
      const budget = this.#slowHashes;
      const verdict = this.#users.verifyBasic(
        credentials.user,
        credentials.password,
        client === undefined ? undefined : () => budget.take(client),
      );
      switch (verdict) {
        case "ok":
          return { ok: true, user: credentials.user, scheme: "basic" };
        case "throttled":
          return failure("throttled", "Basic: this client's PBKDF2 budget is spent");
        case "unknown-user":
          return failure("unknown-user", "Basic: unknown user");
        case "no-credential":
          return failure("bad-password", "Basic: user has only Digest HA1 hashes");
        default:
          return failure("bad-password", "Basic: wrong password");
      }
    }
    return this.#checkDigest(method, credentials, requestUri);
  }

  #checkDigest(method: string, c: DigestCredentials, requestUri?: string): AuthResult {
    const algorithm = parseDigestAlgorithm(c.algorithm);
    if (algorithm === undefined) {
      return failure("scheme-not-offered", `Digest algorithm ${c.algorithm?.slice(0, 20)}`);
    }
    const scheme = SCHEME_OF[algorithm];
    if (!this.#schemes.includes(scheme)) {
      return failure("scheme-not-offered", `Digest ${algorithm}`);
    }
    let qop: { nc: string; cnonce: string; value: string } | undefined;
    let nc = 0;
    if (c.qop !== undefined) {
      if (c.qop.toLowerCase() !== "auth") {
        return failure("scheme-not-offered", "qop other than auth");
      }
      if (c.nc === undefined || c.cnonce === undefined) {
        return failure("malformed", "qop without nc or cnonce");
      }
      // RFC 7616, 3.4: nc is 8 hex digits; shorter ones are tolerated.
      if (!/^[0-9a-fA-F]{1,8}$/.test(c.nc)) return failure("malformed", "nc is not hex");
      nc = parseInt(c.nc, 16);
      qop = { nc: c.nc, cnonce: c.cnonce, value: c.qop };
    } else if (algorithm !== "MD5") {
      return failure("malformed", "SHA-256 without qop");
    }
    const response = c.response.toLowerCase();
    if (!isHex(response, DIGEST_HEX_LENGTH[algorithm])) {
      return failure("malformed", "response is not a digest");
    }
    if (requestUri !== undefined && !sameResource(c.uri, requestUri)) {
      return failure("malformed", "uri does not name the request's resource");
    }
    // Same work whatever is wrong: unknown user, other realm, bad password.
    const knownHa1 = c.userhash ? undefined : this.#users.digestHa1(c.username, algorithm);
    const ha1 = knownHa1 ?? this.#dummyHa1[algorithm];
    const expected = digestResponse({ algorithm, ha1, nonce: c.nonce, method, uri: c.uri, qop });
    const matches = timingSafeEqual(expected, response);
    const realmMatches = c.realm === undefined || c.realm === this.#realm;
    if (knownHa1 === undefined) {
      return !c.userhash && this.#users.has(c.username)
        ? failure("bad-password", `Digest ${algorithm}: no credential for this algorithm`)
        : failure("unknown-user", "Digest: unknown user");
    }
    if (!matches || !realmMatches) {
      return failure("bad-password", `Digest ${algorithm}: wrong response`);
    }
    const nonce = this.#nonces.verify(c.nonce);
    if (nonce.status === "invalid") return failure("stale", "nonce not issued here");
    if (nonce.status === "expired") return failure("stale", "nonce expired");
    if (qop !== undefined) {
      const count = this.#nonces.acceptCount(c.nonce, nonce.issuedAt, nc);
      if (count === "replay") return failure("replay", `nc ${c.nc} already used`);
      if (count === "forgotten") return failure("stale", "nonce no longer tracked");
    }
    return { ok: true, user: c.username, scheme };
  }

  /**
   * The `WWW-Authenticate` values for a 401, in the configured order, sharing one
   * fresh nonce. Digest is written `Digest realm="…", nonce="…"[, stale=true], …`
   * because live555 (VLC, openRTSP) reads exactly that prefix with sscanf, and
   * `algorithm=MD5` unquoted and upper-case because ffmpeg compares it with strcmp.
   * @param stale true when the last failure was "stale" (RFC 7616, 3.3)
   */
  challenges(stale = false): string[] {
    const out: string[] = [];
    let nonce: string | undefined;
    for (const scheme of this.#schemes) {
      if (scheme === "basic") {
        out.push(`Basic realm="${this.#realm}"`);
        continue;
      }
      nonce ??= this.#nonces.issue();
      const algorithm = scheme === "digest-md5" ? "MD5" : "SHA-256";
      out.push(
        `Digest realm="${this.#realm}", nonce="${nonce}"${
          stale ? ", stale=true" : ""
        }, algorithm=${algorithm}, qop="auth"`,
      );
    }
    return out;
  }
}

function failure(reason: AuthFailure, detail: string): AuthResult {
  return { ok: false, reason, detail };
}

/** Whether `realm` can be written inside a quoted-string without escaping. */
export function isSafeRealm(realm: string): boolean {
  if (realm.length === 0 || realm.length > 128) return false;
  for (let i = 0; i < realm.length; i++) {
    const c = realm.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || c === 0x22 || c === 0x5c) return false;
  }
  return true;
}

/** The path of an absolute or relative URI, without query, fragment or trailing slashes. */
function uriPath(uri: string): string {
  let path = uri;
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/.exec(path);
  if (scheme) path = path.slice(scheme[0].length);
  path = path.replace(/[?#].*$/, "").replace(/\/+$/, "");
  try {
    path = decodeURIComponent(path);
  } catch {
    // Compared as written.
  }
  return path.startsWith("/") ? path : `/${path}`;
}

/** The `uri` rule documented at the top of this module. */
function sameResource(headerUri: string, requestUri: string): boolean {
  if (requestUri === "*") return true;
  if (headerUri === "*") return false;
  const a = uriPath(headerUri);
  const b = uriPath(requestUri);
  if (a === b) return true;
  const [short, long] = a.length < b.length ? [a, b] : [b, a];
  // One level only, and never the root: "/" must not vouch for everything.
  if (short === "/" || !long.startsWith(`${short}/`)) return false;
  return !long.slice(short.length + 1).includes("/");
}
