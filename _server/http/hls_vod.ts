/**
 * Files under `--root` over HLS, as VOD (RFC 8216, 4.3.3.5): `GET
 * /<file>/index.m3u8` lists the whole file in segments cut at keyframes
 * (`_engine/hls/vod_playlist.ts`), `init0.mp4` and `seg<n>.mp4` beside it are
 * made on request from the file (`_engine/hls/vod_segment.ts`): it is opened,
 * read from the segment's keyframe to the next cut point, muxed, and closed.
 * Nothing is kept between requests but the library's parse of the file.
 *
 * Live paths keep their LL-HLS (`hls.ts`): the listener sends a request here
 * only when {@linkcode HlsVod.serves} its path (a file, no stream served).
 * Reading needs what the player page needs (`access.ts`).
 *
 * Bounded: {@linkcode MAX_VOD_BUILDS} requests are answered at once and
 * {@linkcode MAX_VOD_WAITING} more wait; past that, 503 with `Retry-After`.
 * @module
 */

import { BuildTurns } from "../../_engine/hls/build_turns.ts";
import {
  buildVodPlaylist,
  planVod,
  VOD_INIT_ID,
  type VodPlan,
} from "../../_engine/hls/vod_playlist.ts";
import {
  buildVodSegment,
  vodInitSegment,
  type VodTrack,
  vodTracks,
} from "../../_engine/hls/vod_segment.ts";
import type { FileMedia } from "../../_rtsp/media/file_media.ts";
import type { App } from "../app.ts";
import type { Logger } from "../log.ts";
import { findBrowserFile } from "./browser_stream.ts";
import type { BrowserTraffic, HlsRequestKind } from "./browser_traffic.ts";
import { rangedResponse } from "./byte_range.ts";
import type { Handler, HttpContext } from "./handler.ts";
import { errorResponse } from "./json.ts";
import {
  countHlsAnswer,
  hlsHeaders,
  type HlsInput,
  MP4_TYPE,
  PLAYLIST_TYPE,
} from "./hls_headers.ts";

/** Requests answered at once: each may parse a file or read and hold one segment (2 cores). */
export const MAX_VOD_BUILDS = 2;

/** Requests waiting for a turn; more are answered 503. */
export const MAX_VOD_WAITING = 32;

const UTF8 = new TextEncoder();

/** A file opened for one request, with its plan. */
interface OpenedVod {
  readonly media: FileMedia;
  readonly plan: VodPlan;
  readonly tracks: readonly VodTrack[];
}

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
    const body = await this.#withFile(
      input,
      context,
      ({ plan }) => UTF8.encode(buildVodPlaylist(plan)),
    );
    if (body instanceof Response) return body;
    this.#served(input, "playlist", body.length);
    return new Response(body, { headers: this.#headers(PLAYLIST_TYPE) });
  };

  /** `GET /<file>/init0.mp4`, `seg<n>.mp4` */
  readonly file: Handler<"hls-file"> = async (input, context) => {
    const file = input.route.file;
    if (file.kind === "part" || (file.kind === "init" && file.id !== VOD_INIT_ID)) {
      return errorResponse(404, "a file's VOD playlist lists init0.mp4 and seg<n>.mp4 only");
    }
    let bytes: Uint8Array | Response;
    if (file.kind === "init") {
      bytes = await this.#withFile(input, context, ({ tracks }) => vodInitSegment(tracks));
    } else {
      bytes = await this.#withFile(
        input,
        context,
        (opened) => this.#segment(opened, file.msn, input.route.path),
      );
    }
    if (bytes instanceof Response) return bytes;
    return rangedResponse(
      input.request.headers.get("range"),
      bytes,
      this.#headers(MP4_TYPE),
      (length) => this.#served(input, file.kind, length),
    );
  };

  /**
   * Opens the file of the request's path for `use`, and closes it after; or
   * the error to answer. Once the reader may read the path, it waits for a
   * turn: parsing a file the library does not hold parsed (a raw stream is
   * scanned whole) and making a segment are the costly parts.
   */
  async #withFile<T>(
    input: HlsInput,
    context: HttpContext,
    use: (opened: OpenedVod) => T | Promise<T | Response>,
  ): Promise<T | Response> {
    const path = input.route.path;
    // As the player page and /ws/ ask: a 401 challenge for nobody, 403 for a user without the right.
    const allowed = context.access.requirePath(input.principal, path);
    if (!allowed.ok) return allowed.response;
    const release = await this.#turns.take();
    if (!release) {
      return errorResponse(503, "too many HLS requests of files are being answered; try again", {
        "retry-after": "1",
      });
    }
    try {
      const found = await findBrowserFile(this.#app, path);
      if (!found) return errorResponse(404, "no stream is served at this path");
      if (!found.ok) return found.response;
      if (found.kind !== "file") return errorResponse(404, "no file at this path");
      const opened = await this.#app.library.openFile(path);
      if ("error" in opened) return errorResponse(404, "the file cannot be opened");
      try {
        const media = opened.media;
        const tracks = vodTracks(found.description.tracks);
        return await use({ media, plan: planVod(media), tracks });
      } finally {
        opened.close();
      }
    } finally {
      release();
    }
  }

  /** Segment `index` of the opened file at `path`. */
  async #segment({ media, plan, tracks }: OpenedVod, index: number, path: string) {
    // RFC 8216, 6.2.1 leaves names to the server: a number past the playlist is simply absent.
    if (index >= plan.segments.length) {
      return errorResponse(404, `no segment ${index}: this file has ${plan.segments.length}`);
    }
    const built = await buildVodSegment(media, tracks, plan, index);
    if (built.ok) return built.bytes;
    this.#log.warn(`HLS VOD ${JSON.stringify(path)} segment ${index}: ${built.error}`);
    return errorResponse(
      500,
      built.kind === "too-large"
        ? "this segment is too large to make (a GOP too long): play the file over RTSP"
        : "the file could not be read",
    );
  }

  /** Counts an answer as live HLS answers are, the path marked as a file. */
  #served(input: HlsInput, kind: HlsRequestKind, length: number): void {
    countHlsAnswer(this.#traffic, input, kind, length, this.#app.scheduler.now(), true);
  }

  #headers(type: string): Record<string, string> {
    return hlsHeaders(type, this.#app.auth !== undefined);
  }
}
