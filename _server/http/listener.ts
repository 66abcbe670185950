/**
 * The HTTP listener (`--http-port`): `Deno.serve` on its own port, HTTPS with
 * the RTSPS certificate when there is one. Each request is counted against
 * the connection limits (Deno.serve does not show connections, so requests
 * in flight stand for them), routed (`router.ts`), checked for credentials and
 * rights (`access.ts`) and answered by the handler of its route; whatever goes
 * wrong is answered as JSON, `{ "error": "..." }`.
 * @module
 */

import { ConnectionGuard } from "../abuse_limits.ts";
import type { App } from "../app.ts";
import type { Logger } from "../log.ts";
import { refusalReason } from "../operator_counters.ts";
import { HttpAccess, type Requirement } from "./access.ts";
import { kickSession, listPaths, listSessions, sessionTranscript } from "./api.ts";
import { serveAsset } from "./assets.ts";
import type { Handler, HandlerTable, HttpContext, RoutedRequest } from "./handler.ts";
import { HlsServer } from "./hls.ts";
import { HlsVod } from "./hls_vod.ts";
import { errorResponse } from "./json.ts";
import { serveMetrics } from "./metrics_handler.ts";
import { type RouteKind, routeRequest } from "./router.ts";
import { ServerObserver } from "./snapshot.ts";
import { BrowserTraffic } from "./browser_traffic.ts";
import { statusPage } from "./status_page.ts";
import { serveWebSocket } from "./websocket_handler.ts";
import { WebSocketReaders } from "./websocket_reader.ts";
import { Fmp4Registry } from "../../_engine/fmp4_registry.ts";
import { playerPage } from "./player_page.ts";
import { addProxy, listProxies, removeProxy } from "./proxies_api.ts";

/** What each route needs from its caller (see `access.ts`). */
export const ROUTE_REQUIREMENTS: Readonly<Record<RouteKind, Requirement>> = {
  "status-page": "read",
  "asset": "none",
  "paths": "read",
  "metrics": "read",
  "sessions": "admin",
  "session-kick": "admin",
  "session-transcript": "admin",
  "proxies": "admin",
  "proxy-add": "admin",
  "proxy-remove": "admin",
  "websocket": "read",
  "hls-playlist": "read",
  "hls-file": "read",
  "player": "read",
};

/** A route whose handler is still to be written (MSE over WebSocket, LL-HLS, the player page). */
function notYet<K extends RouteKind>(what: string): Handler<K> {
  return () => errorResponse(501, `${what} is not available yet`);
}

/** The handlers of this listener; later work replaces the `notYet` ones. */
export const DEFAULT_HANDLERS: HandlerTable = {
  "status-page": statusPage,
  "asset": serveAsset,
  "paths": listPaths,
  "sessions": listSessions,
  "session-kick": kickSession,
  "session-transcript": sessionTranscript,
  "proxies": listProxies,
  "proxy-add": addProxy,
  "proxy-remove": removeProxy,
  "metrics": serveMetrics,
  "websocket": serveWebSocket,
  // Replaced by each listener's HlsServer, which owns the muxers.
  "hls-playlist": notYet("HLS"),
  "hls-file": notYet("HLS"),
  "player": playerPage,
};

/** Options of {@linkcode startHttpListener}. */
export interface HttpListenerOptions {
  /** 0 picks a free port. */
  readonly port: number;
  readonly hostname: string;
  /** PEM certificate and key: serve HTTPS. */
  readonly tls?: { readonly cert: string; readonly key: string };
  readonly log: Logger;
  /** Handlers to use instead of the defaults, by route kind. */
  readonly handlers?: Partial<HandlerTable>;
}

/** A running HTTP listener. */
export interface HttpListener {
  /** Where it listens. */
  readonly addr: Deno.NetAddr;
  /** `http://host:port/` or `https://host:port/`. */
  readonly url: string;
  /** Stops listening and sampling; waits for requests in flight. */
  close(): Promise<void>;
}

/** How a request target is quoted in a log line: JSON-quoted and cut short. */
function shownTarget(pathname: string): string {
  return JSON.stringify(pathname.length > 200 ? `${pathname.slice(0, 200)}…` : pathname);
}

/**
 * Serves the status page, the API and the metrics of `app`.
 * @throws Deno.errors.AddrInUse when the port is taken
 */
export function startHttpListener(app: App, options: HttpListenerOptions): HttpListener {
  const { log } = options;
  const traffic = new BrowserTraffic();
  const access = new HttpAccess({
    auth: app.auth,
    failures: app.authFailures,
    counters: app.counters,
    log,
    now: () => app.scheduler.now(),
    slowHashesPerSecond: app.abuse.pbkdf2PerAddressPerSecond,
    retryAfterSeconds: app.abuse.retryAfterSeconds,
  });
  const websockets = new WebSocketReaders(
    new Fmp4Registry({ scheduler: app.scheduler }),
    app.abuse,
    traffic,
  );
  const observer = new ServerObserver(app, { websockets, traffic });
  const context: HttpContext = { app, observer, access, log, websockets };
  const hls = new HlsServer(app, log, traffic);
  // Files under --root are VOD playlists; every other path is live LL-HLS.
  const vod = new HlsVod(app, log, traffic);
  const handlers: HandlerTable = {
    ...DEFAULT_HANDLERS,
    "hls-playlist": async (input, context) =>
      await vod.serves(input.route.path)
        ? vod.playlist(input, context)
        : hls.playlist(input, context),
    "hls-file": async (input, context) =>
      await vod.serves(input.route.path) ? vod.file(input, context) : hls.file(input, context),
    ...options.handlers,
  };
  const guard = new ConnectionGuard(app.abuse);

  const dispatch = async (request: Request, address: string): Promise<Response> => {
    const pathname = new URL(request.url).pathname;
    const route = routeRequest(request.method, pathname);
    if (route.kind === "error") {
      return errorResponse(
        route.status,
        route.message,
        route.status === 405 ? { allow: route.allow.join(", ") } : {},
      );
    }
    const identified = await access.identify(request, address);
    if (!identified.ok) return identified.response;
    const allowed = access.require(identified.principal, ROUTE_REQUIREMENTS[route.kind]);
    if (!allowed.ok) return allowed.response;
    const input = { request, route, principal: identified.principal, address };
    return await (handlers[route.kind] as Handler)(input as RoutedRequest, context);
  };

  const handle = async (request: Request, info: Deno.ServeHandlerInfo): Promise<Response> => {
    const address = (info.remoteAddr as Deno.NetAddr).hostname;
    const verdict = guard.admit(address);
    if (verdict !== "ok") {
      app.counters.refused(refusalReason(verdict));
      return errorResponse(503, "too many requests in flight; retry later", {
        "retry-after": String(app.abuse.retryAfterSeconds),
      });
    }
    try {
      const response = await dispatch(request, address);
      if (log.enabled("debug")) {
        log.debug(
          `HTTP ${address} ${request.method.slice(0, 16)} ${
            shownTarget(new URL(request.url).pathname)
          } -> ${response.status}`,
        );
      }
      return response;
    } catch (e) {
      log.error(`HTTP ${address}: ${e instanceof Error ? e.message : e}`);
      return errorResponse(500, "internal error");
    } finally {
      guard.release(address);
    }
  };

  const server = Deno.serve({
    port: options.port,
    hostname: options.hostname,
    ...(options.tls ? { cert: options.tls.cert, key: options.tls.key } : {}),
    onListen: () => {},
    onError: (e) => {
      log.error(`HTTP: ${e instanceof Error ? e.message : e}`);
      return errorResponse(500, "internal error");
    },
  }, handle);
  observer.start();
  const addr = server.addr as Deno.NetAddr;
  const host = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
  return {
    addr,
    url: `${options.tls ? "https" : "http"}://${host}:${addr.port}/`,
    async close() {
      observer.stop();
      websockets.closeAll();
      hls.close();
      await server.shutdown();
    },
  };
}
