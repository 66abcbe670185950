/**
 * Which URL a SETUP or an aggregate PLAY goes to (RFC 2326, C.1.1): an
 * `a=control` is absolute, `*` (the base itself), or relative to the base,
 * which is the DESCRIBE response's `Content-Base`, else its
 * `Content-Location`, else the request URL.
 * @module
 */

import type { RtspHeaders } from "../headers.ts";

const ABSOLUTE_URL = /^[a-z][a-z0-9+.-]*:\/\//i;

/** The base URL of a DESCRIBE response (RFC 2326, C.1.1 and 12.11/12.15). */
export function describeBase(requestUrl: string, headers: RtspHeaders): string {
  for (const name of ["content-base", "content-location"]) {
    const value = headers.get(name)?.trim();
    if (value && ABSOLUTE_URL.test(value)) return value;
    // A relative Content-Location is relative to the request URL (RFC 2616, 14.14).
    if (value && name === "content-location") return resolveReference(requestUrl, value);
  }
  return requestUrl;
}

/**
 * Resolves `control` against `base`. Absent, empty or `*`: the base. Absolute:
 * itself. Starting with `/`: the base's scheme and authority with that path.
 * Otherwise it is appended after a `/` (not RFC 3986 resolution, which would
 * drop the base's last segment: servers write `Content-Base` without the
 * trailing slash, and `trackID=1` always means "below the stream"); a control
 * starting with `?` is appended as is.
 */
export function resolveControl(base: string, control: string | undefined): string {
  const c = control?.trim() ?? "";
  if (c === "" || c === "*") return base;
  if (ABSOLUTE_URL.test(c)) return c;
  if (c.startsWith("/")) {
    const origin = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(base)?.[0] ?? "";
    return origin + c;
  }
  if (c.startsWith("?") || base.endsWith("/")) return base + c;
  return `${base}/${c}`;
}

/** RFC 3986, 5.2 resolution, or `base` when either cannot be parsed. */
function resolveReference(base: string, reference: string): string {
  try {
    return new URL(reference, base).href;
  } catch {
    return base;
  }
}
