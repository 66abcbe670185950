/**
 * Files under `--root` over HLS, as VOD (RFC 8216, 4.3.3.5): `GET
 * /<file>/index.m3u8` lists the whole file in segments cut at keyframes
 * (`_engine/hls/vod_playlist.ts`), `init0.mp4` and `seg<n>.mp4` beside it are
 * made on request from the file (`_engine/hls/vod_segment.ts`): it is opened,
 * read from the segment's keyframe to the next cut point, muxed, and closed.
 * Nothing is kept between requests but the library's parse of the file.
 *
 * Live paths keep their LL-HLS (`hls.ts`): {@linkcode HlsVod.serves} sends a
 * request here only when no stream is served at the path and a file is.
 * Reading needs what reading the path over RTSP needs (`access.ts`).
 *
 * Bounded: {@linkcode MAX_VOD_BUILDS} segments are made at once and
 * {@linkcode MAX_VOD_WAITING} more wait; past that, 503 with `Retry-After`.
 * @module
 */

import { BuildTurns } from "../../_engine/hls/build_turns.ts";
import { buildVodPlaylist, planVod, VOD_INIT_ID } from "../../_engine/hls/vod_playlist.ts";
import { buildVodSegment, vodInitSegment, vodTracks } from "../../_engine/hls/vod_segment.ts";
import type { App } from "../app.ts";
import type { Logger } from "../log.ts";
import { findBrowserFile } from "./browser_stream.ts";
import type { BrowserTraffic, HlsRequestKind } from "./browser_traffic.ts";
import { byteRange } from "./byte_range.ts";
import type { Handler, HttpContext, RoutedRequest } from "./handler.ts";
import { COMMON_HEADERS, errorResponse } from "./json.ts";

/** Segments made at once: each reads and holds one segment (2 cores). */
export const MAX_VOD_BUILDS = 2;

/** Segment requests waiting for a turn; more are answered 503. */
export const MAX_VOD_WAITING = 32;

const UTF8 = new TextEncoder();

/** RFC 8216, 4: the media type of a playlist. */
const PLAYLIST_TYPE = "application/vnd.apple.mpegurl";

/** ISO/IEC 14496-12 segments (RFC 8216, 3.3). */
const MP4_TYPE = "video/mp4";

type HlsInput = RoutedRequest<"hls-playlist"> | RoutedRequest<"hls-file">;

/** The VOD playlists and segments of files, for one HTTP listener. */
export class HlsVod {
  readonly #app: App;
  readonly #log: Logger;
  readonly #traffic: BrowserTraffic | undefined;
  readonly #turns = new BuildTurns(MAX_VOD_BUILDS, MAX_VOD_WAITING);

  /** @param traffic where what is served is counted, as live HLS is */
  constructor(app: App, log: Logger, traffic?: BrowserTraffic) {
    this.#app = app;
    this.#log = log;
    this.#traffic = traffic;
  }

  /** Segments being made now (for tests). */
  get building(): number {
    return this.#turns.busy;
  }

  /**
   * Whether requests for `path` are answered here: it names a file and no
   * stream is served there (a publisher cannot take a file's path; a pulled
   * path is the upstream's, as over RTSP). Else live HLS answers.
   */
  async serves(path: string): Promise<boolean> {
    const { library } = this.#app;
    return !library.shared(path) && !library.isPulled(path) && (await library.hasFile(path));
  }

  /** `GET /<file>/index.m3u8` */
  readonly playlist: Handler<"hls-playlist"> = async (input, context) => {
    const found = await this.#open(input, context);
    if (found instanceof Response) return found;
    const body = UTF8.encode(buildVodPlaylist(found.plan));
    this.#served(input, "playlist", body.length);
    return new Response(body, { headers: this.#headers(PLAYLIST_TYPE) });
  };

  /** `GET /<file>/init0.mp4`, `seg<n>.mp4` */
  readonly file: Handler<"hls-file"> = async (input, context) => {
    const file = input.route.file;
    if (file.kind === "part" || (file.kind === "init" && file.id !== VOD_INIT_ID)) {
      return errorResponse(404, "a file's VOD playlist lists init0.mp4 and seg<n>.mp4 only");
    }
    const found = await this.#open(input, context);
    if (found instanceof Response) return found;
    let bytes: Uint8Array;
    if (file.kind === "init") {
      bytes = vodInitSegment(found.tracks);
    } else {
      // RFC 8216, 6.2.1 leaves names to the server: a number past the playlist is simply absent.
      if (file.msn >= found.plan.segments.length) {
        return errorResponse(
          404,
          `no segment ${file.msn}: this file has ${found.plan.segments.length}`,
        );
      }
      const built = await this.#build(input, file.msn);
      if (built instanceof Response) return built;
      bytes = built;
    }
    return this.#mp4(input, file.kind, bytes);
  };

  /** The file's plan and muxed tracks; the file is opened only to read its (cached) parse. */
  async #open(input: HlsInput, context: HttpContext) {
    const path = input.route.path;
    // As the player page and /ws/ ask: a 401 challenge for nobody, 403 for a user without the right.
    const allowed = context.access.requirePath(input.principal, path);
    if (!allowed.ok) return allowed.response;
    const found = await findBrowserFile(this.#app, path);
    if (!found) return errorResponse(404, "no stream is served at this path");
    if (!found.ok) return found.response;
    if (found.kind !== "file") return errorResponse(404, "no file at this path");
    const opened = await this.#app.library.openFile(path);
    if ("error" in opened) return errorResponse(404, "the file cannot be opened");
    try {
      const tracks = vodTracks(found.description.tracks);
      return { plan: planVod(opened.media), tracks };
    } finally {
      opened.close();
    }
  }

  /** Segment `index` of the file, made when a turn comes. */
  async #build(input: HlsInput, index: number): Promise<Uint8Array | Response> {
    const release = await this.#turns.take();
    if (!release) {
      return errorResponse(503, "too many HLS segments are being made; try again", {
        "retry-after": "1",
      });
    }
    try {
      const path = input.route.path;
      const opened = await this.#app.library.openFile(path);
      if ("error" in opened) return errorResponse(404, "the file cannot be opened");
      try {
        const tracks = vodTracks(opened.media.tracks.map((t) => t.description));
        const built = await buildVodSegment(opened.media, tracks, planVod(opened.media), index);
        if (built.ok) return built.bytes;
        this.#log.warn(`HLS VOD ${JSON.stringify(path)} segment ${index}: ${built.error}`);
        return errorResponse(
          500,
          built.kind === "too-large"
            ? "this segment is too large to make (a GOP too long): play the file over RTSP"
            : "the file could not be read",
        );
      } finally {
        opened.close();
      }
    } finally {
      release();
    }
  }

  /** An fMP4 answer, whole or the range asked for (RFC 9110, 14). */
  #mp4(input: RoutedRequest<"hls-file">, kind: HlsRequestKind, bytes: Uint8Array): Response {
    const headers = { ...this.#headers(MP4_TYPE), "accept-ranges": "bytes" };
    const range = byteRange(input.request.headers.get("range"), bytes.length);
    switch (range.kind) {
      case "whole":
        this.#served(input, kind, bytes.length);
        return new Response(bytes as Uint8Array<ArrayBuffer>, { headers });
      case "unsatisfiable":
        return new Response(null, {
          status: 416,
          headers: { ...headers, "content-range": `bytes */${bytes.length}` },
        });
      case "partial":
        this.#served(input, kind, range.end + 1 - range.start);
        return new Response(bytes.slice(range.start, range.end + 1), {
          status: 206,
          headers: {
            ...headers,
            "content-range": `bytes ${range.start}-${range.end}/${bytes.length}`,
          },
        });
    }
  }

  /** Counts an answer as live HLS answers are (`rtsp_hls_requests_total`); no body for HEAD. */
  #served(input: HlsInput, kind: HlsRequestKind, length: number): void {
    const bytes = input.request.method === "HEAD" ? 0 : length;
    this.#traffic?.hlsServed(
      input.route.path,
      kind,
      input.address,
      bytes,
      this.#app.scheduler.now(),
    );
  }

  #headers(type: string): Record<string, string> {
    return {
      ...COMMON_HEADERS,
      "content-type": type,
      // The file may change under the same name: let players revalidate.
      "cache-control": "no-cache",
      // Without users, files are open to every page (RFC 6454 / Fetch CORS), as live HLS is.
      ...(this.#app.auth ? {} : { "access-control-allow-origin": "*" }),
    };
  }
}
