/**
 * Authentication and per-path permissions for the RTSP server: what the
 * responder imports. Everything is synchronous and pure; the clock and the
 * random source are injected.
 * @module
 */

export {
  AUTH_SCHEMES,
  Authenticator,
  type AuthenticatorOptions,
  type AuthFailure,
  type AuthResult,
  type AuthScheme,
  DEFAULT_AUTH_SCHEMES,
  DEFAULT_SLOW_HASHES_PER_SECOND,
} from "./authenticator.ts";
export {
  type AuthConfig,
  type AuthConfigResult,
  type AuthDependencies,
  createAuth,
  DEFAULT_REALM,
  validateAuthConfig,
} from "./config.ts";
export {
  DEFAULT_PBKDF2_ITERATIONS,
  digestHa1,
  hashPasswordForConfig,
  type UserRecord,
  UserStore,
} from "./credentials.ts";
export { actionForMethod, authorizeRequest, type GateRequest, type GateResult } from "./gate.ts";
export {
  type Action,
  ANONYMOUS,
  ANY_USER,
  type Decision,
  type PathRule,
  Permissions,
} from "./permissions.ts";
