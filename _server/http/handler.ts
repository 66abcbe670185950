/**
 * What every HTTP handler gets, and its shape: one function from a routed
 * request to a response, so handlers are called in tests without a socket.
 * @module
 */

import type { App } from "../app.ts";
import type { Logger } from "../log.ts";
import type { HttpAccess, Principal } from "./access.ts";
import type { Route, RouteKind } from "./router.ts";
import type { ServerObserver } from "./snapshot.ts";
import type { WebSocketReaders } from "./websocket_reader.ts";

/** The server a handler serves. */
export interface HttpContext {
  readonly app: App;
  readonly observer: ServerObserver;
  readonly access: HttpAccess;
  readonly log: Logger;
  /** Browsers reading streams over WebSocket, and the Fmp4Streams they share. */
  readonly websockets: WebSocketReaders;
}

/** One routed request. */
export interface RoutedRequest<K extends RouteKind = RouteKind> {
  readonly request: Request;
  readonly route: Extract<Route, { kind: K }>;
  /** Who sent it (checked credentials, or nobody). */
  readonly principal: Principal;
  /** The client's address. */
  readonly address: string;
}

/** Answers one kind of route. */
export type Handler<K extends RouteKind = RouteKind> = (
  input: RoutedRequest<K>,
  context: HttpContext,
) => Response | Promise<Response>;

/** A handler for each route kind. */
export type HandlerTable = { readonly [K in RouteKind]: Handler<K> };
