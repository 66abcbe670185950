/**
 * Request-URI handling (RFC 2326, 3.2): from `rtsp://host:port/a/b?q` to the path `/a/b`.
 * @module
 */

/** `path` without trailing slashes, in linear time (a regex like /\/+$/ backtracks: O(n²)). */
export function trimTrailingSlashes(path: string): string {
  let end = path.length;
  while (end > 0 && path.charCodeAt(end - 1) === 0x2f) end--;
  return end === path.length ? path : path.slice(0, end);
}

/** A request target: the path (percent-decoded, no trailing slash) and the URL to echo back. */
export interface RequestTarget {
  /** `/a/b`; `*` for `OPTIONS *`. */
  readonly path: string;
  /** The absolute URL without query, used for Content-Base and RTP-Info. */
  readonly base: string;
}

/**
 * Parses a Request-URI. Returns `undefined` when it is not `*` nor an absolute
 * `rtsp://`/`rtsps://` URL, or its path is not valid percent-encoding (400).
 * `..` segments are kept, not resolved: the catalogue refuses them.
 */
export function parseRequestTarget(uri: string): RequestTarget | undefined {
  if (uri === "*") return { path: "*", base: "*" };
  const m = /^(rtsps?):\/\/([^/?#]*)([^?#]*)/i.exec(uri);
  if (!m) return undefined;
  let path: string;
  try {
    path = decodeURIComponent(m[3]);
  } catch {
    return undefined;
  }
  if (path.includes("\0")) return undefined;
  path = trimTrailingSlashes(path);
  if (!path.startsWith("/")) path = `/${path}`;
  const base = `${m[1].toLowerCase()}://${m[2]}${trimTrailingSlashes(m[3])}`;
  return { path, base };
}

/** The parent path and last segment: `/a/b/trackID=1` → [`/a/b`, `trackID=1`]. */
export function splitLastSegment(path: string): [string, string] | undefined {
  const slash = path.lastIndexOf("/");
  if (slash < 0 || slash === path.length - 1) return undefined;
  return [slash === 0 ? "/" : path.slice(0, slash), path.slice(slash + 1)];
}
