/**
 * `GET /ws/<path>`: a stream as fragmented MP4 over a WebSocket (RFC 6455),
 * for Media Source Extensions (`websocket_reader.ts` says what is sent).
 * The path's read rule is checked before the upgrade, as RTSP checks it
 * before PLAY: a refused browser gets a plain 401 or 403, not a socket; so
 * is a path with nothing a browser plays (404). A shared stream is joined at
 * its latest keyframe; a file plays from its start for this socket alone.
 * @module
 */

import type { Handler } from "./handler.ts";
import { browserFeed, findBrowserStream } from "./browser_stream.ts";
import { errorResponse } from "./json.ts";
import { refusalReason } from "../operator_counters.ts";
import { WebSocketReader } from "./websocket_reader.ts";

/** Whether the request asks for a WebSocket (RFC 6455, 4.1: `Upgrade: websocket`). */
function asksForWebSocket(request: Request): boolean {
  return request.method === "GET" &&
    (request.headers.get("upgrade") ?? "").toLowerCase() === "websocket";
}

/** `GET /ws/<path>` */
export const serveWebSocket: Handler<"websocket"> = async (
  { request, route, principal, address },
  { app, access, log, websockets },
) => {
  const allowed = access.requirePath(principal, route.path);
  if (!allowed.ok) return allowed.response;
  if (!asksForWebSocket(request)) {
    // RFC 9110, 15.5.22: 426 names the protocol to switch to.
    return errorResponse(426, "this URL speaks WebSocket only", { upgrade: "websocket" });
  }
  const found = await findBrowserStream(app, route.path);
  if (!found.ok) return found.response;
  const verdict = websockets.admit(address);
  if (verdict !== "ok") {
    app.counters.refused(refusalReason(verdict));
    return errorResponse(503, "too many connections; retry later", {
      "retry-after": String(app.abuse.retryAfterSeconds),
    });
  }
  let upgraded: { socket: WebSocket; response: Response };
  try {
    upgraded = Deno.upgradeWebSocket(request);
  } catch {
    websockets.cancel(address);
    return errorResponse(400, "not a valid WebSocket handshake");
  }
  const { socket, response } = upgraded;
  socket.binaryType = "arraybuffer";
  const feed = browserFeed(found, app, websockets.registry, log);
  const reader = new WebSocketReader(socket, feed, {
    scheduler: app.scheduler,
    log,
    address,
  });
  let opened = false;
  socket.addEventListener("open", () => {
    opened = true;
    websockets.start(reader, address);
  }, { once: true });
  // A handshake the client drops before it completes never opens.
  socket.addEventListener("close", () => {
    if (!opened) websockets.cancel(address);
  }, { once: true });
  return response;
};
