/**
 * Starts a real server on an OS-chosen port (port 0) for integration tests.
 */

import { RtspResponder, type RtspResponderOptions, StaticCatalogue, type StreamDescription } from "../rtsp.ts";
import { Logger } from "../_server/log.ts";
import { RtspServer, type RtspServerOptions } from "../_server/server.ts";

/** A two-track description like the built-in test stream. */
export const TEST_DESCRIPTION: StreamDescription = {
  path: "/test",
  name: "Test",
  tracks: [
    { media: "video", payloadType: 96, encoding: "H264", clockRate: 90000, fmtp: "packetization-mode=1", control: "trackID=0" },
    { media: "audio", payloadType: 0, encoding: "PCMU", clockRate: 8000, control: "trackID=1" },
  ],
};

/** A running test server; `await using` closes it. */
export interface TestServer extends AsyncDisposable {
  readonly port: number;
  readonly server: RtspServer;
  readonly responder: RtspResponder;
}

/** Listens on 127.0.0.1:0 and serves until disposed. */
export function startTestServer(
  options: Partial<RtspResponderOptions> & Partial<Omit<RtspServerOptions, "responder">> = {},
): TestServer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const responder = new RtspResponder({
    catalogue: new StaticCatalogue([TEST_DESCRIPTION]),
    ...options,
  });
  const server = new RtspServer({
    responder,
    log: options.log ?? new Logger("error", () => {}),
    limits: options.limits,
    onInterleaved: options.onInterleaved,
  });
  const serving = server.serve(listener);
  return {
    port: listener.addr.port,
    server,
    responder,
    async [Symbol.asyncDispose]() {
      await server.close();
      await serving;
    },
  };
}
