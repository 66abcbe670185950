/**
 * Which handler a request goes to: a pure function of the method and the
 * URL's path, so the whole table is tested without a socket. Handlers live in
 * one file each beside this one; the listener maps each {@linkcode Route} kind
 * to its handler, and later work (MSE over WebSocket, LL-HLS, a player page)
 * plugs in by adding handlers for the kinds already routed here.
 * @module
 */

import { canonicalPath, hasControlCharacter } from "../../_rtsp/url.ts";
import { type HlsFile, parseHlsFileName } from "../../_engine/hls/hls_playlist.ts";

/** Longest request target accepted, as for RTSP (`_rtsp/limits.ts`): past it 414. */
export const MAX_HTTP_TARGET_LENGTH = 2048;

/** Static files served with the status page. */
export type AssetName = "status.js" | "status.css" | "player.js";

/** Every asset, as routed at `/<name>`. */
export const ASSET_NAMES: readonly AssetName[] = ["status.js", "status.css", "player.js"];

/** A request the router refused, with the status it gets (RFC 9110, 15.5). */
export type RouteError =
  | { readonly kind: "error"; readonly status: 400 | 404 | 414; readonly message: string }
  | {
    readonly kind: "error";
    readonly status: 405;
    readonly message: string;
    /** The methods the resource has (RFC 9110, 10.2.1 `Allow`). */
    readonly allow: readonly string[];
  };

/** Where a request goes. */
export type Route =
  /** `GET /`: the status page. */
  | { readonly kind: "status-page" }
  /** `GET /status.js`, `GET /status.css`. */
  | { readonly kind: "asset"; readonly name: AssetName }
  /** `GET /v1/paths`. */
  | { readonly kind: "paths" }
  /** `GET /v1/sessions` (admin). */
  | { readonly kind: "sessions" }
  /** `DELETE /v1/sessions/<id>` (admin). */
  | { readonly kind: "session-kick"; readonly sessionId: string }
  /** `GET /v1/sessions/<id>/transcript` (admin). */
  | { readonly kind: "session-transcript"; readonly sessionId: string }
  /** `GET /v1/proxies` (admin): the pull sources. */
  | { readonly kind: "proxies" }
  /** `POST /v1/proxies` (admin): adds a pull source at run time. */
  | { readonly kind: "proxy-add" }
  /** `DELETE /v1/proxies/<pattern>` (admin): removes one, e.g. `/v1/proxies/cams/*`. */
  | { readonly kind: "proxy-remove"; readonly pattern: string }
  /** `GET /metrics`: Prometheus text format 0.0.4. */
  | { readonly kind: "metrics" }
  /** `GET /ws/<path>`: a stream as fMP4 over WebSocket. */
  | { readonly kind: "websocket"; readonly path: string }
  /** `GET /<path>/index.m3u8`: a stream as LL-HLS (`hls.ts`). */
  | { readonly kind: "hls-playlist"; readonly path: string }
  /** `GET /<path>/init0.mp4`, `seg3.mp4`, `part3.1.mp4`: what the playlist lists. */
  | { readonly kind: "hls-file"; readonly path: string; readonly file: HlsFile }
  /** `GET /play/<path>`: a page that plays a stream. */
  | { readonly kind: "player"; readonly path: string }
  | RouteError;

/** Every non-error route kind: the keys of the listener's handler table. */
export type RouteKind = Exclude<Route, RouteError>["kind"];

/** Session ids as the responder makes them (16 hex digits), with room for other id sources. */
const SESSION_ID = /^[0-9A-Za-z_-]{1,64}$/;

const READ_METHODS = ["GET", "HEAD"] as const;

function error(status: 400 | 404 | 414, message: string): RouteError {
  return { kind: "error", status, message };
}

function methodNotAllowed(method: string, allow: readonly string[]): RouteError {
  return {
    kind: "error",
    status: 405,
    message: `method ${JSON.stringify(method.slice(0, 32))} not allowed here; allowed: ${
      allow.join(", ")
    }`,
    allow,
  };
}

/**
 * The stream path named by `encoded` (the rest of the URL path after a prefix,
 * still percent-encoded), canonical as RTSP requests see it; an error when it
 * does not decode, holds a control character or a dot segment. Dot segments
 * are refused rather than resolved: a URL that climbs is a mistake or a probe.
 */
export function streamPathOf(encoded: string): string | RouteError {
  let decoded: string;
  try {
    decoded = decodeURIComponent(encoded);
  } catch {
    return error(400, "the path is not valid percent-encoding");
  }
  if (hasControlCharacter(decoded)) return error(400, "the path holds a control character");
  if (decoded.split("/").some((s) => s === "." || s === "..")) {
    return error(400, "the path holds a . or .. segment");
  }
  const path = canonicalPath(decoded);
  return path === "/" ? error(404, "no stream path given") : path;
}

/** A route for a stream path, or the path's error. */
function streamRoute(
  kind: "websocket" | "hls-playlist" | "player",
  encoded: string,
): Route {
  const path = streamPathOf(encoded);
  return typeof path === "string" ? { kind, path } : path;
}

/**
 * Routes a request.
 * @param method the HTTP method as sent
 * @param pathname the URL's path, percent-encoded as sent (`new URL(request.url).pathname`)
 * @returns the route, or the error to answer
 *
 * @example
 * ```ts
 * routeRequest("GET", "/v1/paths"); // { kind: "paths" }
 * routeRequest("DELETE", "/v1/sessions/AB12"); // { kind: "session-kick", sessionId: "AB12" }
 * ```
 */
export function routeRequest(method: string, pathname: string): Route {
  if (pathname.length > MAX_HTTP_TARGET_LENGTH) {
    return error(414, `the URL is longer than ${MAX_HTTP_TARGET_LENGTH} characters`);
  }
  const read = (route: Route): Route =>
    (READ_METHODS as readonly string[]).includes(method)
      ? route
      : methodNotAllowed(method, READ_METHODS);
  if (pathname === "/") return read({ kind: "status-page" });
  if (pathname === "/metrics") return read({ kind: "metrics" });
  const asset = ASSET_NAMES.find((name) => pathname === `/${name}`);
  if (asset) return read({ kind: "asset", name: asset });
  if (pathname === "/v1/paths") return read({ kind: "paths" });
  if (pathname === "/v1/sessions") return read({ kind: "sessions" });
  if (pathname.startsWith("/v1/sessions/")) {
    const [id, tail, ...rest] = pathname.slice("/v1/sessions/".length).split("/");
    if (!SESSION_ID.test(id)) return error(400, "a session id is 1 to 64 letters and digits");
    if (tail === undefined) {
      return method === "DELETE"
        ? { kind: "session-kick", sessionId: id }
        : methodNotAllowed(method, ["DELETE"]);
    }
    if (tail === "transcript" && rest.length === 0) {
      return read({ kind: "session-transcript", sessionId: id });
    }
    return error(404, "no such resource under /v1/sessions/<id>");
  }
  if (pathname === "/v1/proxies") {
    if (method === "POST") return { kind: "proxy-add" };
    return (READ_METHODS as readonly string[]).includes(method)
      ? { kind: "proxies" }
      : methodNotAllowed(method, [...READ_METHODS, "POST"]);
  }
  if (pathname.startsWith("/v1/proxies/")) {
    if (method !== "DELETE") return methodNotAllowed(method, ["DELETE"]);
    let pattern: string;
    try {
      pattern = decodeURIComponent(pathname.slice("/v1/proxies".length));
    } catch {
      return error(400, "the pattern is not valid percent-encoding");
    }
    if (hasControlCharacter(pattern)) return error(400, "the pattern holds a control character");
    return { kind: "proxy-remove", pattern };
  }
  if (pathname.startsWith("/v1/")) return error(404, "no such API resource");
  if (pathname.startsWith("/ws/")) return read(streamRoute("websocket", pathname.slice(3)));
  if (pathname.startsWith("/play/")) return read(streamRoute("player", pathname.slice(5)));
  if (pathname.endsWith("/index.m3u8")) {
    return read(streamRoute("hls-playlist", pathname.slice(0, -"/index.m3u8".length)));
  }
  const slash = pathname.lastIndexOf("/");
  const hlsFile = parseHlsFileName(pathname.slice(slash + 1));
  if (hlsFile && slash > 0) {
    const path = streamPathOf(pathname.slice(0, slash));
    return read(typeof path === "string" ? { kind: "hls-file", path, file: hlsFile } : path);
  }
  return error(404, "not found");
}
