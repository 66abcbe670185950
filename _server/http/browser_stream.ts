/**
 * Which stream a browser reader (WebSocket, player page) of a path gets: the
 * shared stream serving it (the live `/test`, a publisher's relay, a pulled
 * camera), or a file under `--root`, which every reader plays from its start
 * on a timeline of its own, as every RTSP reader of a file does.
 * @module
 */

import type { SharedStream } from "../../_engine/library.ts";
import type { StreamDescription } from "../../_rtsp/catalogue.ts";
import type { Fmp4Feed } from "../../_engine/fmp4_feed.ts";
import type { Fmp4Registry } from "../../_engine/fmp4_registry.ts";
import { FileFmp4Feed } from "../../_engine/file_fmp4_feed.ts";
import { fmp4CodecOf } from "../../_rtsp/media/fmp4/codec_config.ts";
import type { App } from "../app.ts";
import type { Logger } from "../log.ts";
import { errorResponse } from "./json.ts";

/** What a browser reader of a path finds. */
export type BrowserStream =
  | { readonly ok: true; readonly kind: "shared"; readonly stream: SharedStream }
  | { readonly ok: true; readonly kind: "file"; readonly description: StreamDescription }
  | { readonly ok: false; readonly response: Response };

/** Why a stream of L16, MJPEG or other codecs only does not play in a browser. */
export const NO_BROWSER_TRACK =
  "no track of this stream plays in a browser (H.264, H.265, AAC, Opus and G.711 do): play it over RTSP";

/** Why a file under `--root` that is not media the server reads plays nowhere (RTSP answers 415). */
export const UNPLAYABLE_FILE =
  "this file is not media this server plays (MP4, .264, .265 or .aac with H.264, H.265, AAC or Opus)";

/** Whether a browser can play anything of `description`: else an init segment would never come. */
function playsInBrowser(description: StreamDescription): boolean {
  return description.tracks.some((t) => fmp4CodecOf(t) !== undefined);
}

/**
 * The shared stream at `path`; asking the library first, as DESCRIBE would,
 * so a pulled path starts and a reader may wait for its publisher
 * (`--wait-for-publisher`). Else the file at `path`.
 */
export async function findBrowserStream(app: App, path: string): Promise<BrowserStream> {
  if (!app.library.shared(path)) await app.library.describe(path);
  const stream = app.library.shared(path);
  if (stream) {
    return playsInBrowser(stream.description)
      ? { ok: true, kind: "shared", stream }
      : { ok: false, response: errorResponse(404, NO_BROWSER_TRACK) };
  }
  return await findBrowserFile(app, path) ??
    { ok: false, response: errorResponse(404, "no stream is served at this path") };
}

/**
 * The file at `path` as a browser would play it, or undefined when no file
 * is there. Its description comes from the library's cache (by path, size
 * and modification time): only the first reader of a file parses it here.
 */
export async function findBrowserFile(
  app: App,
  path: string,
): Promise<BrowserStream | undefined> {
  // No publisher can take a file's path, so a path naming a file is the file
  // (unless it is pulled: the upstream serves it, as over RTSP).
  if (app.library.isPulled(path) || !(await app.library.hasFile(path))) return undefined;
  const description = await app.library.describe(path);
  if ("error" in description) {
    // The parser's words stay in the server's log: they may name the server's own paths.
    return description.error === "not-found"
      ? undefined
      : { ok: false, response: errorResponse(404, UNPLAYABLE_FILE) };
  }
  return playsInBrowser(description)
    ? { ok: true, kind: "file", description }
    : { ok: false, response: errorResponse(404, NO_BROWSER_TRACK) };
}

/** Where a found stream's fragments come from: the path's shared Fmp4Stream, or a file played for this reader alone. */
export function browserFeed(
  found: Extract<BrowserStream, { ok: true }>,
  app: App,
  registry: Fmp4Registry,
  log: Logger,
): Fmp4Feed {
  if (found.kind === "shared") return registry.feed(found.stream);
  const path = found.description.path;
  return new FileFmp4Feed({
    description: found.description,
    open: () => app.library.openFile(path),
    scheduler: app.scheduler,
    log,
    // As RTSP readers of files get it (`--loop`).
    loop: app.loopFiles,
  });
}
