/**
 * Starts a real server on OS-chosen ports (TCP port 0, any free UDP pair) for
 * integration tests, built exactly as `main.ts` builds it.
 */

import type { RtspResponder } from "../rtsp.ts";
import { type App, type AppOptions, createApp } from "../_server/app.ts";
import { Logger } from "../_server/log.ts";
import type { RtspServer } from "../_server/server.ts";

/** A running test server; `await using` closes it. */
export interface TestServer extends AsyncDisposable {
  readonly port: number;
  readonly app: App;
  readonly server: RtspServer;
  readonly responder: RtspResponder;
  /** `rtsp://127.0.0.1:<port><path>` */
  url(path?: string): string;
}

/** Listens on 127.0.0.1:0 and serves until disposed. */
export async function startTestServer(
  options: Partial<AppOptions> & { listenHostname?: string } = {},
): Promise<TestServer> {
  const app = await createApp({
    hostname: "127.0.0.1",
    rtpPorts: "any",
    log: new Logger(Deno.env.get("RTSP_TEST_LOG") === "debug" ? "debug" : "error"),
    ...options,
  });
  const listener = Deno.listen({ hostname: options.listenHostname ?? "127.0.0.1", port: 0 });
  const serving = app.server.serve(listener);
  const port = listener.addr.port;
  return {
    port,
    app,
    server: app.server,
    responder: app.responder,
    url: (path = "/test") => `rtsp://127.0.0.1:${port}${path}`,
    async [Symbol.asyncDispose]() {
      await app.close();
      await serving;
    },
  };
}
