/**
 * Authentication helpers for tests: a validated configuration from JSON, and
 * `Authorization: Basic` values.
 */

import { type AuthConfig, validateAuthConfig } from "../_rtsp/auth/config.ts";

/** The configuration `json` describes; throws with every error when it is invalid. */
export function authConfig(json: Record<string, unknown>): AuthConfig {
  const result = validateAuthConfig(json);
  if (!result.ok) throw new Error(result.errors.join("; "));
  return result.config;
}

/** An `Authorization: Basic` value (RFC 7617, 2). */
export function basicCredentials(user: string, password: string): string {
  return `Basic ${btoa(`${user}:${password}`)}`;
}
