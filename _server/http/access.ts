/**
 * Who an HTTP request comes from and what it may see: the RTSP server's users,
 * read rules and lockouts, over HTTP Basic authentication (RFC 7617).
 *
 * - Without users configured, reading is open (as over RTSP) and the admin
 *   endpoints answer 403 saying how to get the admin right.
 * - With users, a request without credentials may read only when anonymous
 *   reading is on (`anonymous.read`); otherwise 401 with a Basic challenge
 *   (RFC 7617, 2; RFC 9110, 11.6.1), so a browser asks for a login. The paths
 *   listed and measured are those the user may read under the path rules.
 * - Credentials are checked by the RTSP authenticator, offering Basic only:
 *   HTTP has no Digest here, and Basic over plain HTTP sends the password in
 *   clear (serve HTTPS with `--tls-cert`). Failures count against the same
 *   (address, user) lockout as RTSP logins, and their answers are held as long.
 * @module
 */

import { type AuthConfig, createAuth, hasAdminRight } from "../../_rtsp/auth/config.ts";
import type { Authenticator } from "../../_rtsp/auth/authenticator.ts";
import type { Permissions } from "../../_rtsp/auth/permissions.ts";
import type { AuthFailureTracker } from "../abuse_limits.ts";
import type { Logger } from "../log.ts";
import type { OperatorCounters } from "../operator_counters.ts";
import { errorResponse } from "./json.ts";

/** Who a request comes from: a checked user, or nobody (undefined). */
export interface Principal {
  readonly user: string | undefined;
}

/** What an endpoint needs. */
export type Requirement =
  /** Nothing: static files that hold no data. */
  | "none"
  /** What reading a stream over RTSP needs (status page, path list, metrics). */
  | "read"
  /** The admin right (session listings, transcripts, kicks). */
  | "admin";

/** The answer of {@linkcode HttpAccess.identify} and {@linkcode HttpAccess.require}. */
export type AccessResult =
  | { readonly ok: true; readonly principal: Principal }
  | { readonly ok: false; readonly response: Response };

/** What {@linkcode HttpAccess} needs from the server. */
export interface HttpAccessOptions {
  /** Users, rules and admins; undefined when no user is configured. */
  readonly auth: AuthConfig | undefined;
  /** The lockout records RTSP logins use. */
  readonly failures: AuthFailureTracker;
  readonly counters: OperatorCounters;
  readonly log: Logger;
  /** Milliseconds clock. */
  readonly now: () => number;
  /** PBKDF2 checks per address per second (`--auth-pbkdf2-rate`). */
  readonly slowHashesPerSecond: number;
  /** Retry-After of a 503 (seconds). */
  readonly retryAfterSeconds: number;
}

/** How an admin endpoint explains itself when the server has no users. */
export const ADMIN_NEEDS_USERS =
  'admin endpoints need a user with the admin right: start the server with --user NAME:PASS --admin NAME, or list the user under "admin" in the --config file';

/** Claimed user names come from the network: quoted and cut short in logs. */
function shown(user: string): string {
  return JSON.stringify(user.slice(0, 64));
}

/** Checks HTTP requests against the server's users and rules. */
export class HttpAccess {
  #options: HttpAccessOptions;
  #auth: { authenticator: Authenticator; permissions: Permissions } | undefined;

  /** @param options see {@linkcode HttpAccessOptions} */
  constructor(options: HttpAccessOptions) {
    this.#options = options;
    this.#auth = options.auth && createAuth({ ...options.auth, schemes: ["basic"] }, {
      now: options.now,
      random: (n) => crypto.getRandomValues(new Uint8Array(n)),
      slowHashesPerSecond: options.slowHashesPerSecond,
    });
  }

  /** A 401 asking for a Basic login (RFC 7617, 2 and 2.1 `charset`). */
  #challenge(message: string): Response {
    const realm = this.#auth!.authenticator.realm;
    return errorResponse(401, message, {
      "www-authenticate": `Basic realm="${realm}", charset="UTF-8"`,
    });
  }

  /**
   * Checks the request's credentials, if any. Without users configured they
   * are ignored. Wrong ones are counted, held (as over RTSP) and answered 401;
   * a locked-out (address, user) gets 403 without being checked.
   */
  async identify(request: Request, address: string): Promise<AccessResult> {
    const header = request.headers.get("authorization");
    if (!this.#auth || header === null) return { ok: true, principal: { user: undefined } };
    const { authenticator } = this.#auth;
    const { failures, log } = this.#options;
    const claimed = authenticator.claimedUser(header);
    if (failures.lockedOut(address, claimed)) {
      return {
        ok: false,
        response: errorResponse(403, "too many failed logins for this user from this address"),
      };
    }
    const result = authenticator.check(request.method, header, undefined, address);
    if (result.ok) {
      failures.succeeded(address, result.user);
      return { ok: true, principal: { user: result.user } };
    }
    switch (result.reason) {
      case "throttled":
        return {
          ok: false,
          response: errorResponse(503, "too many password checks from this address; retry later", {
            "retry-after": String(this.#options.retryAfterSeconds),
          }),
        };
      case "malformed":
        return { ok: false, response: errorResponse(400, "malformed Authorization header") };
      case "scheme-not-offered":
        return { ok: false, response: this.#challenge("only Basic authentication is offered") };
    }
    this.#options.counters.authFailures++;
    const delayMs = failures.failed(address, claimed);
    log.warn(`${address}: failed HTTP login as ${shown(claimed)}`);
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    return { ok: false, response: this.#challenge("wrong user name or password") };
  }

  /** Whether `principal` meets `requirement`; the 401 or 403 to answer when not. */
  require(principal: Principal, requirement: Requirement): AccessResult {
    const pass: AccessResult = { ok: true, principal };
    if (requirement === "none") return pass;
    const auth = this.#options.auth;
    if (requirement === "read") {
      if (!auth || principal.user !== undefined || auth.anonymous.read) return pass;
      return { ok: false, response: this.#challenge("log in to see this server's streams") };
    }
    if (!auth) return { ok: false, response: errorResponse(403, ADMIN_NEEDS_USERS) };
    if (principal.user === undefined) {
      return { ok: false, response: this.#challenge("log in as a user with the admin right") };
    }
    if (hasAdminRight(auth, principal.user)) return pass;
    return {
      ok: false,
      response: errorResponse(403, "this user does not have the admin right"),
    };
  }

  /** Whether `principal` may read `path` under the path rules (always, without users). */
  mayRead(principal: Principal, path: string): boolean {
    return !this.#auth || this.#auth.permissions.decide("read", path, principal.user) === "allow";
  }

  /**
   * Whether `principal` may read the stream at `path` (as RTSP PLAY would);
   * when not, a 401 challenge for nobody, a 403 for a user without the right.
   */
  requirePath(principal: Principal, path: string): AccessResult {
    if (this.mayRead(principal, path)) return { ok: true, principal };
    if (principal.user === undefined) {
      return { ok: false, response: this.#challenge("log in to read this path") };
    }
    return { ok: false, response: errorResponse(403, "this user may not read this path") };
  }
}
