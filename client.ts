/**
 * client.ts: an RTSP client (RFC 2326) over Deno sockets. Unlike `rtsp.ts`,
 * this module does I/O: `Deno.connect` / `Deno.connectTls` for the
 * connection, `Deno.listenDatagram` (`--unstable-net`) for UDP, timers. It
 * is a thin shell around the pure {@linkcode RtspClientMachine} of `rtsp.ts`.
 * Every import is relative, so it loads by URL too.
 *
 * ```ts
 * import { RtspClient } from "https://host/path/client.ts";
 *
 * const client = await RtspClient.connect("rtsp://user:pass@camera:554/stream", {
 *   transport: "auto", // UDP, then TCP on 461 or when no UDP packet comes
 * });
 * client.onFrame = (frame) => console.log(frame.track, frame.timestamp, frame.keyframe);
 * await client.play();
 * await client.close(); // TEARDOWN, then close
 * ```
 * @module
 */

export {
  type PlayInfo,
  RtspClient,
  RtspClientError,
  type RtspClientOptions,
} from "./_server/rtsp_client.ts";
export type {
  ClientDescription,
  ClientError,
  ClientEvent,
  ClientFrame,
  ClientTrack,
  ClientTransport,
} from "./rtsp.ts";
