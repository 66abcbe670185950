/**
 * The JSON API, version 1 (`/v1/`): paths, sessions, a session's transcript,
 * and ending (kicking) a session.
 * @module
 */

import type { Handler } from "./handler.ts";
import { errorResponse, jsonResponse } from "./json.ts";
import { CLOSE_CODE } from "./websocket_reader.ts";

/** `GET /v1/paths`: the paths the caller may read. */
export const listPaths: Handler<"paths"> = async ({ principal }, { observer, access }) => {
  const paths = (await observer.paths()).filter((p) => access.mayRead(principal, p.name));
  return jsonResponse({ paths });
};

/** `GET /v1/sessions` (admin): every session. */
export const listSessions: Handler<"sessions"> = async (_input, { observer }) =>
  jsonResponse({ sessions: await observer.sessions() });

/**
 * `DELETE /v1/sessions/<id>` (admin): the session ends as on TEARDOWN (its
 * media stops, RTCP BYE is sent) and its RTSP connection is closed, so the
 * client cannot simply carry on. A WebSocket reader (`ws-<n>`) is closed
 * with 1008 (`CLOSE_CODE.kicked`).
 */
export const kickSession: Handler<"session-kick"> = (
  { route, principal },
  { app, log, websockets },
) => {
  const by = JSON.stringify(principal.user ?? "");
  const reader = websockets.get(route.sessionId);
  if (reader) {
    reader.close(CLOSE_CODE.kicked, "kicked by an operator");
    // The path came from a URL: quoted, as everywhere in the logs.
    log.info(
      `WebSocket reader ${route.sessionId} (${JSON.stringify(reader.path)}) kicked by ${by}`,
    );
    return jsonResponse({ kicked: route.sessionId });
  }
  const session = app.responder.sessions.get(route.sessionId, app.scheduler.now());
  if (!session) return errorResponse(404, "no such session");
  app.responder.endSession(session.id, "kicked");
  app.server.writers.get(session.connectionId)?.abort();
  log.info(`session ${session.id} (${JSON.stringify(session.path)}) kicked by ${by}`);
  return jsonResponse({ kicked: session.id });
};

/**
 * `GET /v1/sessions/<id>/transcript` (admin): the last request and answer
 * heads of the connection that made the session, credentials masked; empty
 * once that connection has closed (a UDP session may outlive it).
 */
export const sessionTranscript: Handler<"session-transcript"> = ({ route }, { app }) => {
  const session = app.responder.sessions.get(route.sessionId, app.scheduler.now());
  if (!session) return errorResponse(404, "no such session");
  const transcript = app.server.transcripts.get(session.connectionId);
  return jsonResponse({
    session: session.id,
    connectionOpen: transcript !== undefined,
    exchanges: transcript?.exchanges() ?? [],
  });
};
