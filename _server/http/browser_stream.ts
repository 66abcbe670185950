/**
 * Which stream a browser reader (WebSocket, player page) of a path gets: the
 * shared stream serving it (the live `/test`, a publisher's relay, a pulled
 * camera). Files under `--root` give every RTSP reader its own timeline and
 * are not muxed for browsers yet: they answer 404 saying so.
 * @module
 */

import type { SharedStream } from "../../_engine/library.ts";
import { fmp4CodecOf } from "../../_rtsp/media/fmp4/codec_config.ts";
import type { App } from "../app.ts";
import { errorResponse } from "./json.ts";

/** What a browser reader of a path finds. */
export type BrowserStream =
  | { readonly ok: true; readonly stream: SharedStream }
  | { readonly ok: false; readonly response: Response };

/** Why a stream of G.711, L16 or other codecs only does not play in a browser. */
export const NO_BROWSER_TRACK =
  "no track of this stream plays in a browser (H.264, H.265, AAC and Opus do): play it over RTSP";

/** Why a file under `--root` does not play in a browser. */
export const FILES_PLAY_OVER_RTSP = "files play over RTSP only";

/**
 * The shared stream at `path`; asking the library first, as DESCRIBE would,
 * so a pulled path starts and a reader may wait for its publisher
 * (`--wait-for-publisher`).
 */
export async function findBrowserStream(app: App, path: string): Promise<BrowserStream> {
  if (!app.library.shared(path)) await app.library.describe(path);
  const stream = app.library.shared(path);
  if (stream) {
    // Nothing to mux would mean waiting for an init segment that never comes.
    return stream.description.tracks.some((t) => fmp4CodecOf(t) !== undefined)
      ? { ok: true, stream }
      : { ok: false, response: errorResponse(404, NO_BROWSER_TRACK) };
  }
  if (await app.library.hasFile(path)) {
    return { ok: false, response: errorResponse(404, FILES_PLAY_OVER_RTSP) };
  }
  return { ok: false, response: errorResponse(404, "no stream is served at this path") };
}
