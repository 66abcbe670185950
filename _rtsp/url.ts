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

/** A request target: the canonical path and the URL to echo back. */
export interface RequestTarget {
  /** `/a/b`, canonical (see {@linkcode canonicalPath}); `*` for `OPTIONS *`. */
  readonly path: string;
  /** The absolute URL without query, used for Content-Base and RTP-Info. */
  readonly base: string;
}

/**
 * Whether a decoded path holds a character that must never reach a header,
 * an SDP line or a log line: C0 controls, DEL, C1 controls, and the Unicode
 * line and paragraph separators that some viewers take as line breaks.
 */
export function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029) return true;
  }
  return false;
}

/**
 * The one form of a path that rules and lookups see: empty segments (`//`) and
 * `.` dropped, `..` removing the segment before it and never climbing above
 * the root (RFC 3986, 5.2.4 remove_dot_segments), no trailing slash. So
 * `//test`, `/a/./b/` and `/x/../a/b` are `/test`, `/a/b` and `/a/b`.
 * Linear in the length of `path`.
 */
export function canonicalPath(path: string): string {
  const out: string[] = [];
  for (const segment of path.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") out.pop();
    else out.push(segment);
  }
  return "/" + out.join("/");
}

/**
 * Parses a Request-URI. Returns `undefined` when it is not `*` nor an absolute
 * `rtsp://`/`rtsps://` URL, its path is not valid percent-encoding, or the
 * decoded path holds a control character (all 400). The path is canonical
 * ({@linkcode canonicalPath}), computed once here so that permissions, the
 * catalogue and publishing all see the same string.
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
  // A decoded CR LF would put attacker-chosen lines into an SDP or the log.
  if (hasControlCharacter(path)) return undefined;
  const base = `${m[1].toLowerCase()}://${m[2]}${trimTrailingSlashes(m[3])}`;
  return { path: canonicalPath(path), base };
}

/** The parent path and last segment: `/a/b/trackID=1` → [`/a/b`, `trackID=1`]. */
export function splitLastSegment(path: string): [string, string] | undefined {
  const slash = path.lastIndexOf("/");
  if (slash < 0 || slash === path.length - 1) return undefined;
  return [slash === 0 ? "/" : path.slice(0, slash), path.slice(slash + 1)];
}
