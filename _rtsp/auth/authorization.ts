/**
 * Parsing of the `Authorization` header (RFC 2326, 12.5; RFC 7235, 4.2) for
 * Basic (RFC 7617, 2) and Digest (RFC 7616, 3.4). Lenient where clients differ
 * (scheme case, quoted or bare values, spaces around `=` and `,`), strict where
 * ambiguity could be abused (duplicate parameters, control characters).
 * Never throws: every failure is an {@linkcode AuthorizationError}.
 * @module
 */

import { decodeLatin1, decodeUtf8, fromBase64 } from "./encoding.ts";

/** Longest header value considered; a real Digest header is a few hundred bytes. */
export const MAX_AUTHORIZATION_LENGTH = 4096;
/** Most auth-params in a Digest header; RFC 7616 defines eleven. */
export const MAX_DIGEST_PARAMS = 32;

/** Credentials of the Basic scheme (RFC 7617, 2). */
export interface BasicCredentials {
  readonly scheme: "basic";
  readonly user: string;
  readonly password: string;
}

/** Credentials of the Digest scheme (RFC 7616, 3.4), values unquoted and unescaped. */
export interface DigestCredentials {
  readonly scheme: "digest";
  /** From `username`, or decoded from `username*` (RFC 7616, 3.4.4 with RFC 8187). */
  readonly username: string;
  readonly realm?: string;
  readonly nonce: string;
  /** As sent: absolute (`rtsp://host/path`) or a path; hashed exactly so. */
  readonly uri: string;
  readonly response: string;
  readonly algorithm?: string;
  readonly qop?: string;
  readonly nc?: string;
  readonly cnonce?: string;
  readonly opaque?: string;
  /** RFC 7616, 3.4.4: `userhash=true` means `username` is H(user:realm). */
  readonly userhash: boolean;
}

/** Parsed credentials. */
export type Credentials = BasicCredentials | DigestCredentials;

/** Why a header could not be parsed. */
export interface AuthorizationError {
  readonly code:
    | "empty"
    | "too-long"
    | "control-character"
    /** Neither Basic nor Digest (e.g. Bearer): the scheme was not offered. */
    | "unsupported-scheme"
    | "bad-basic"
    | "bad-syntax"
    | "duplicate-parameter"
    | "missing-parameter";
  /** For logs; never echo it to the client. */
  readonly message: string;
}

/** The result of {@linkcode parseAuthorization}. */
export type AuthorizationResult =
  | { readonly ok: true; readonly credentials: Credentials }
  | { readonly ok: false; readonly error: AuthorizationError };

function fail(code: AuthorizationError["code"], message: string): AuthorizationResult {
  return { ok: false, error: { code, message } };
}

/** tchar of RFC 7230, 3.2.6. */
const TOKEN_CHAR = /[!#$%&'*+.^_`|~0-9A-Za-z-]/;
/** token68 of RFC 7235, 2.1. */
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;

/** Parses an `Authorization` header value. */
export function parseAuthorization(value: string): AuthorizationResult {
  if (value.length > MAX_AUTHORIZATION_LENGTH) return fail("too-long", "header too long");
  // CTLs other than HTAB have no place in a header (RFC 7230, 3.2); a NUL or CR
  // here would be smuggling.
  if (hasControl(value, true)) return fail("control-character", "control character");
  const text = value.trim();
  if (text === "") return fail("empty", "empty header");
  const space = text.search(/[ \t]/);
  const scheme = (space < 0 ? text : text.slice(0, space)).toLowerCase();
  const rest = space < 0 ? "" : text.slice(space).trimStart();
  if (scheme === "basic") return parseBasic(rest);
  if (scheme === "digest") return parseDigest(rest);
  return fail("unsupported-scheme", `scheme ${scheme.slice(0, 20)}`);
}

/**
 * The user name an `Authorization` header claims, before anything is checked:
 * the Basic user-id (RFC 7617, 2) or the Digest `username` (RFC 7616, 3.4; as
 * sent, so a `userhash` stays hashed). "" when the header cannot be read, which
 * is never a configured name (names are non-empty). For lockouts per user.
 */
export function claimedUser(value: string): string {
  const parsed = parseAuthorization(value);
  if (!parsed.ok) return "";
  const credentials = parsed.credentials;
  return credentials.scheme === "basic" ? credentials.user : credentials.username;
}

/** Whether `text` has a CTL (RFC 5234, B.1), HTAB excepted when `allowTab`. */
function hasControl(text: string, allowTab = false): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && !(allowTab && c === 0x09)) || c === 0x7f) return true;
  }
  return false;
}

function parseBasic(token: string): AuthorizationResult {
  if (!TOKEN68.test(token)) return fail("bad-basic", "credentials are not a token68");
  const bytes = fromBase64(token);
  if (bytes === undefined) return fail("bad-basic", "credentials are not Base64");
  // RFC 7617, 2.1: UTF-8 is what clients use when told; older ones send
  // ISO-8859-1, so fall back rather than refuse.
  const decoded = decodeUtf8(bytes) ?? decodeLatin1(bytes);
  const colon = decoded.indexOf(":");
  if (colon < 0) return fail("bad-basic", "no colon between user-id and password");
  const user = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  // RFC 7617, 2: user-id and password MUST NOT contain control characters.
  if (hasControl(decoded)) return fail("bad-basic", "control character in credentials");
  return { ok: true, credentials: { scheme: "basic", user, password } };
}

/**
 * Splits `name=value, name="quoted, value"` into a map of lower-case names.
 * @returns the parameters, or why they could not be read
 */
export function parseAuthParams(
  text: string,
): { ok: true; params: Map<string, string> } | { ok: false; error: AuthorizationError } {
  const params = new Map<string, string>();
  let i = 0;
  const n = text.length;
  const isSpace = (c: string) => c === " " || c === "\t";
  const error = (code: AuthorizationError["code"], message: string) => ({
    ok: false as const,
    error: { code, message },
  });
  while (true) {
    // Empty list elements are allowed (RFC 7230, 7: `#rule`).
    while (i < n && (isSpace(text[i]) || text[i] === ",")) i++;
    if (i >= n) break;
    const nameStart = i;
    while (i < n && TOKEN_CHAR.test(text[i])) i++;
    if (i === nameStart) return error("bad-syntax", `expected a parameter name at ${i}`);
    const name = text.slice(nameStart, i).toLowerCase();
    while (i < n && isSpace(text[i])) i++;
    if (text[i] !== "=") return error("bad-syntax", `expected = after ${name.slice(0, 20)}`);
    i++;
    while (i < n && isSpace(text[i])) i++;
    let paramValue: string;
    if (text[i] === '"') {
      // quoted-string with quoted-pair (RFC 7230, 3.2.6).
      i++;
      let out = "";
      let closed = false;
      while (i < n) {
        const c = text[i];
        if (c === "\\") {
          if (i + 1 >= n) break;
          out += text[i + 1];
          i += 2;
        } else if (c === '"') {
          closed = true;
          i++;
          break;
        } else {
          out += c;
          i++;
        }
      }
      if (!closed) return error("bad-syntax", `unterminated quoted value of ${name.slice(0, 20)}`);
      paramValue = out;
    } else {
      // A bare value runs to the next comma. Stricter than token, because
      // clients write `uri=rtsp://host/a` and `algorithm=SHA-256` unquoted.
      const start = i;
      while (i < n && text[i] !== ",") {
        if (text[i] === '"' || text[i] === "\\") {
          return error("bad-syntax", `stray quote in value of ${name.slice(0, 20)}`);
        }
        i++;
      }
      paramValue = text.slice(start, i).trimEnd();
      if (/[ \t]/.test(paramValue)) {
        return error("bad-syntax", `space in bare value of ${name.slice(0, 20)}`);
      }
    }
    while (i < n && isSpace(text[i])) i++;
    if (i < n && text[i] !== ",") {
      return error("bad-syntax", `expected , after ${name.slice(0, 20)}`);
    }
    // RFC 7235, 2.1: each parameter name MUST only occur once per challenge/credentials.
    if (params.has(name)) return error("duplicate-parameter", `duplicate ${name.slice(0, 20)}`);
    if (params.size >= MAX_DIGEST_PARAMS) return error("bad-syntax", "too many parameters");
    params.set(name, paramValue);
  }
  return { ok: true, params };
}

/** Decodes an RFC 8187 ext-value: `UTF-8''%c3%a9` → `é`. */
function decodeExtValue(value: string): string | undefined {
  const m = /^UTF-8'[A-Za-z0-9-]*'((?:%[0-9A-Fa-f]{2}|[!#$&+.^_`|~0-9A-Za-z-])*)$/i.exec(value);
  if (!m) return undefined;
  const hex = m[1];
  const bytes: number[] = [];
  for (let i = 0; i < hex.length; i++) {
    if (hex[i] === "%") {
      bytes.push(parseInt(hex.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(hex.charCodeAt(i));
    }
  }
  return decodeUtf8(new Uint8Array(bytes));
}

function parseDigest(text: string): AuthorizationResult {
  const parsed = parseAuthParams(text);
  if (!parsed.ok) return parsed;
  const p = parsed.params;
  let username = p.get("username");
  const extended = p.get("username*");
  if (extended !== undefined) {
    // RFC 7616, 3.4.4: username and username* MUST NOT both be present.
    if (username !== undefined) return fail("bad-syntax", "both username and username*");
    username = decodeExtValue(extended);
    if (username === undefined) return fail("bad-syntax", "bad username*");
  }
  const nonce = p.get("nonce");
  const uri = p.get("uri");
  const response = p.get("response");
  if (username === undefined) return fail("missing-parameter", "missing username");
  if (nonce === undefined) return fail("missing-parameter", "missing nonce");
  if (uri === undefined) return fail("missing-parameter", "missing uri");
  if (response === undefined) return fail("missing-parameter", "missing response");
  const userhash = p.get("userhash")?.toLowerCase() === "true";
  return {
    ok: true,
    credentials: {
      scheme: "digest",
      username,
      realm: p.get("realm"),
      nonce,
      uri,
      response,
      algorithm: p.get("algorithm"),
      qop: p.get("qop"),
      nc: p.get("nc"),
      cnonce: p.get("cnonce"),
      opaque: p.get("opaque"),
      userhash,
    },
  };
}
