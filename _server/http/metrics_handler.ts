/**
 * `GET /metrics`: the exposition of `metrics.ts` for the paths the caller may read.
 * @module
 */

import type { Handler } from "./handler.ts";
import { COMMON_HEADERS } from "./json.ts";
import { formatMetrics, METRICS_CONTENT_TYPE } from "./metrics.ts";

/** `GET /metrics` */
export const serveMetrics: Handler<"metrics"> = async ({ principal }, context) => {
  const { app, observer, access } = context;
  const paths = (await observer.paths()).filter((p) => access.mayRead(principal, p.name));
  const text = formatMetrics({
    paths,
    sessionCount: app.responder.sessions.size,
    sessionsEnded: app.hub.traffic.endedSessions(),
    authFailures: app.counters.authFailures,
    refusals: (reason) => app.counters.refusals(reason),
    residentMemoryBytes: Deno.memoryUsage().rss,
  });
  return new Response(text, {
    headers: { ...COMMON_HEADERS, "content-type": METRICS_CONTENT_TYPE },
  });
};
