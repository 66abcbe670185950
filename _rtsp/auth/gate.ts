/**
 * One decision per request from the authenticator and the permissions, with
 * the status and headers to answer: what the responder wires in.
 *
 * Status per outcome:
 * - allowed → go on (the user, if any, is known);
 * - credentials missing, wrong, unknown user, replayed nc, scheme not offered
 *   → 401 with every challenge (RFC 2326, 11.4.2 and 12.44);
 * - stale nonce → 401 with challenges carrying `stale=true` (RFC 7616, 3.3),
 *   so the client retries without asking its user;
 * - malformed `Authorization` (syntax, missing Digest fields, a `uri` naming
 *   another resource) → 400 (RFC 7616, 3.4.6 for the uri; retrying the same
 *   header cannot help);
 * - authenticated but not allowed, or a path nobody may use → 403 (RFC 2326, 11.4.4);
 * - Basic credentials that need a PBKDF2 past the client's budget → 503, to be
 *   answered with Retry-After (RFC 2326, 11.5.4 and 12.31): nothing was verified.
 *
 * Permissions are decided first as for an anonymous client: on a path anyone
 * may use (or nobody may) the answer cannot depend on the user, so credentials
 * sent there are not checked at all (no PBKDF2 spent on them, nothing to count
 * as a failure) and the request goes on as anonymous (user undefined).
 * @module
 */

import type { Authenticator, AuthFailure } from "./authenticator.ts";
import type { Action, Permissions } from "./permissions.ts";

/** What {@linkcode authorizeRequest} needs from the request. */
export interface GateRequest {
  /** The RTSP method, as sent. */
  readonly method: string;
  /** The Request-URI, as sent. */
  readonly uri: string;
  /** The stream path (`parseRequestTarget(uri).path`, without a track's control segment). */
  readonly path: string;
  /** The `Authorization` header value, if any. */
  readonly authorization: string | undefined;
  readonly action: Action;
  /** The client's address: PBKDF2 work is budgeted per client (see `Authenticator.check`). */
  readonly client?: string;
}

/** The outcome of {@linkcode authorizeRequest}. */
export type GateResult =
  | { readonly verdict: "allow"; readonly user: string | undefined }
  | {
    readonly verdict: "unauthorized";
    readonly status: 401;
    /** For `ResponseHeaders.wwwAuthenticate`. */
    readonly wwwAuthenticate: string[];
    /** Why, for logs; undefined when no credentials came. */
    readonly reason: AuthFailure | undefined;
  }
  | { readonly verdict: "bad-request"; readonly status: 400; readonly detail: string }
  /** The client's PBKDF2 budget is spent: nothing was verified. */
  | { readonly verdict: "unavailable"; readonly status: 503 }
  | { readonly verdict: "forbidden"; readonly status: 403; readonly user: string | undefined };

/**
 * The action a method needs, or `undefined` for methods that need none
 * (OPTIONS, so that clients can discover the server). SETUP of a session made
 * by ANNOUNCE is a publish: the caller knows the session and should pass
 * "publish" then. PAUSE, GET_PARAMETER, SET_PARAMETER and TEARDOWN act on a
 * session already authorized; they are mapped to "read" here because clients
 * send their credentials on every request anyway.
 */
export function actionForMethod(method: string): Action | undefined {
  switch (method) {
    case "OPTIONS":
      return undefined;
    case "ANNOUNCE":
    case "RECORD":
      return "publish";
    default:
      return "read";
  }
}

/** Checks credentials and permissions for one request. Never throws. */
export function authorizeRequest(
  auth: { readonly authenticator: Authenticator; readonly permissions: Permissions },
  request: GateRequest,
): GateResult {
  // `decide` is monotonic in the user: "allow" for anonymous (a rule listing
  // anonymous, or the anonymous default) is "allow" for every user, and "deny"
  // for anonymous (an empty list) is "deny" for every user. So when the
  // anonymous answer is one of those, credentials cannot change it.
  const anonymous = auth.permissions.decide(request.action, request.path, undefined);
  if (anonymous === "allow") return { verdict: "allow", user: undefined };
  if (anonymous === "deny") return { verdict: "forbidden", status: 403, user: undefined };
  const checked = request.authorization === undefined ? undefined : auth.authenticator.check(
    request.method,
    request.authorization,
    request.uri,
    request.client,
  );
  if (checked?.ok) {
    const decision = auth.permissions.decide(request.action, request.path, checked.user);
    if (decision === "allow") return { verdict: "allow", user: checked.user };
    if (decision === "deny") return { verdict: "forbidden", status: 403, user: checked.user };
  }
  const reason = checked === undefined || checked.ok ? undefined : checked.reason;
  if (reason === "throttled") return { verdict: "unavailable", status: 503 };
  if (reason === "malformed" && checked !== undefined && !checked.ok) {
    return { verdict: "bad-request", status: 400, detail: checked.detail };
  }
  return {
    verdict: "unauthorized",
    status: 401,
    wwwAuthenticate: auth.authenticator.challenges(reason === "stale"),
    reason,
  };
}
