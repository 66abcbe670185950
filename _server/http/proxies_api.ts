/**
 * The pull sources over the JSON API (admin): list them, add one at run time,
 * remove one. The config file and the flags stay the source of truth: what
 * the API adds or removes lasts until the server stops, and a restart starts
 * again from the config.
 * @module
 */

import { patternError } from "../../_rtsp/auth/permissions.ts";
import { isWildcardPattern, type PullSourceEntry } from "../../_engine/pull/pull_sources.ts";
import { redactUrl } from "../../_engine/pull/pulled_path.ts";
import { validateProxyConfig } from "../pull_config.ts";
import { concatBytes } from "../../_rtsp/bytes.ts";
import type { Handler } from "./handler.ts";
import { errorResponse, jsonResponse } from "./json.ts";

/** Largest request body accepted for a new source: one small JSON object. */
export const MAX_PROXY_BODY_BYTES = 16 * 1024;

/** A source as the API shows it: durations in seconds, as in the config, the password hidden. */
function shown(entry: PullSourceEntry, pulled: Array<Record<string, unknown>>) {
  const { spec } = entry;
  return {
    path: spec.pattern,
    source: redactUrl(spec.source),
    sourceOnDemand: spec.onDemand,
    closeAfter: spec.idleMs / 1000,
    startTimeout: spec.startTimeoutMs / 1000,
    stallTimeout: spec.stallMs / 1000,
    transport: spec.transport,
    definedAt: entry.origin === "api" ? "api" : "start",
    pulled,
  };
}

/** `GET /v1/proxies`: every source in match order, with the paths pulled from it now. */
export const listProxies: Handler<"proxies"> = (_input, { app }) => {
  const running = [...app.pulls.paths()];
  const proxies = app.pulls.sources().map((entry) =>
    shown(
      entry,
      running.filter((p) => p.target.spec === entry.spec).map((p) => ({
        path: p.target.path,
        state: p.state,
        readers: p.relay?.readerCount ?? 0,
      })),
    )
  );
  return jsonResponse({ proxies });
};

/** The body as text, or why not: at most {@link MAX_PROXY_BODY_BYTES}, counted as it arrives. */
async function boundedBody(request: Request): Promise<string | Response> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_PROXY_BODY_BYTES) {
    return errorResponse(413, `the body is larger than ${MAX_PROXY_BODY_BYTES} bytes`);
  }
  if (!request.body) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of request.body) {
    size += chunk.length;
    if (size > MAX_PROXY_BODY_BYTES) {
      return errorResponse(413, `the body is larger than ${MAX_PROXY_BODY_BYTES} bytes`);
    }
    chunks.push(chunk);
  }
  return new TextDecoder().decode(concatBytes(...chunks));
}

/**
 * `POST /v1/proxies` with `{ "path": "/cam1", "source": "rtsp://...", ... }`:
 * the fields of one entry of the config's `proxy` object, checked the same
 * way. 201 with the source as listed; 400 naming each mistake; 409 when the
 * path is already a source, is served otherwise now (a publisher, the test
 * source), or names a file.
 */
export const addProxy: Handler<"proxy-add"> = async ({ request, principal }, { app, log }) => {
  const body = await boundedBody(request);
  if (body instanceof Response) return body;
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return errorResponse(400, "the body is not JSON");
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return errorResponse(
      400,
      'expected a JSON object: { "path": "/cam1", "source": "rtsp://..." }',
    );
  }
  const { path, ...entry } = json as Record<string, unknown>;
  if (typeof path !== "string") return errorResponse(400, "path: expected a path pattern");
  const why = patternError(path);
  if (why) return errorResponse(400, `path: ${why}`);
  const checked = validateProxyConfig({ [path]: entry });
  if (!checked.ok) {
    return jsonResponse({ error: "invalid source", errors: checked.errors }, 400);
  }
  const [spec] = checked.sources;
  if (!isWildcardPattern(path)) {
    if (app.library.shared(path) && !app.pulls.get(path)) {
      return errorResponse(409, `${path} is served by another source now`);
    }
    if (await app.library.hasFile(path)) return errorResponse(409, `${path} names a file`);
  }
  const refused = app.pulls.addSource(spec);
  if (refused) return errorResponse(409, refused.message);
  log.info(
    `pull source ${JSON.stringify(path)} (${JSON.stringify(redactUrl(spec.source))}) added by ${
      JSON.stringify(principal.user ?? "")
    }`,
  );
  return jsonResponse(shown({ spec, origin: "api" }, []), 201);
};

/** `DELETE /v1/proxies/<pattern>`: the source goes, and every path pulled from it stops. */
export const removeProxy: Handler<"proxy-remove"> = ({ route, principal }, { app, log }) => {
  const removed = app.pulls.removeSource(route.pattern);
  if (!removed) return errorResponse(404, "no pull source with this pattern");
  log.info(
    `pull source ${JSON.stringify(route.pattern)} removed by ${
      JSON.stringify(principal.user ?? "")
    }`,
  );
  return jsonResponse({ removed: route.pattern, definedAt: removed.origin });
};
