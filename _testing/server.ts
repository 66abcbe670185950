/**
 * Starts a real server on OS-chosen ports (TCP port 0, any free UDP pair) for
 * integration tests, built exactly as `main.ts` builds it.
 */

import type { RtspResponder } from "../rtsp.ts";
import { type App, type AppOptions, createApp } from "../_server/app.ts";
import { Logger } from "../_server/log.ts";
import type { RtspServer } from "../_server/server.ts";
import { type HttpListener, startHttpListener } from "../_server/http/listener.ts";

/** A running test server; `await using` closes it. */
export interface TestServer extends AsyncDisposable {
  readonly port: number;
  readonly app: App;
  readonly server: RtspServer;
  readonly responder: RtspResponder;
  /** `rtsp://127.0.0.1:<port><path>` */
  url(path?: string): string;
  /** The HTTP listener, when started with `http: true`. */
  readonly http?: HttpListener;
  /** `http://127.0.0.1:<http port><path>`; throws without the HTTP listener. */
  httpUrl(path?: string): string;
}

/** Listens on 127.0.0.1:0 and serves until disposed. */
export async function startTestServer(
  options: Partial<AppOptions> & { listenHostname?: string; http?: boolean } = {},
): Promise<TestServer> {
  const log = new Logger(Deno.env.get("RTSP_TEST_LOG") === "debug" ? "debug" : "error");
  const app = await createApp({ hostname: "127.0.0.1", rtpPorts: "any", log, ...options });
  const listener = Deno.listen({ hostname: options.listenHostname ?? "127.0.0.1", port: 0 });
  const serving = app.server.serve(listener);
  const port = listener.addr.port;
  const http = options.http
    ? startHttpListener(app, { port: 0, hostname: "127.0.0.1", log: options.log ?? log })
    : undefined;
  return {
    port,
    app,
    server: app.server,
    responder: app.responder,
    url: (path = "/test") => `rtsp://127.0.0.1:${port}${path}`,
    http,
    httpUrl(path = "/") {
      if (!http) throw new Error("started without http: true");
      return `http://127.0.0.1:${http.addr.port}${path}`;
    },
    async [Symbol.asyncDispose]() {
      await http?.close();
      await app.close();
      await serving;
    },
  };
}
