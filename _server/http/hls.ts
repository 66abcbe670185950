/**
 * LL-HLS over the HTTP listener (RFC 8216, RFC 8216bis): `GET /<path>/index.m3u8`
 * answers the media playlist of a live, published or pulled stream (players
 * accept a media playlist as the URL they are given; there is no multivariant
 * playlist), and `init<id>.mp4`, `seg<msn>.mp4`, `part<msn>.<index>.mp4`
 * beside it the files it lists.
 *
 * One {@linkcode HlsMuxer} per path, fed by its own {@linkcode Fmp4Stream},
 * made on the first request and stopped after {@linkcode HLS_IDLE_MS} without
 * one, or when the path's stream is replaced or gone. Reading needs what
 * reading the path over RTSP needs (`access.ts` path rules).
 * @module
 */

import { type Cancel, every } from "../../_rtsp/scheduler.ts";
import { Fmp4Stream } from "../../_engine/fmp4_stream.ts";
import type { SharedStream } from "../../_engine/library.ts";
import { type BlockTarget, HlsMuxer, type WaitOutcome } from "../../_engine/hls/hls_muxer.ts";
import type { App } from "../app.ts";
import type { Logger } from "../log.ts";
import type { Handler, HttpContext } from "./handler.ts";
import { byteRange } from "./byte_range.ts";
import type { BrowserTraffic, HlsRequestKind } from "./browser_traffic.ts";
import { errorResponse } from "./json.ts";
import {
  countHlsAnswer,
  hlsHeaders,
  type HlsInput,
  MP4_TYPE,
  PLAYLIST_TYPE,
} from "./hls_headers.ts";

const UTF8 = new TextEncoder();

/** A path's muxer stops after this long without a request. */
export const HLS_IDLE_MS = 30_000;

/** How often idle muxers are looked for. */
const IDLE_SWEEP_MS = 5_000;

/** `_HLS_msn` and `_HLS_part` values: decimal integers (RFC 8216bis, 6.2.5.2), kept short. */
const DECIMAL = /^\d{1,15}$/;

interface Entry {
  readonly source: SharedStream;
  readonly muxer: HlsMuxer;
  readonly stop: () => void;
  lastRequestMs: number;
}

/** The parsed delivery directives of a playlist request (RFC 8216bis, 6.2.5). */
type Directives =
  | { readonly ok: true; readonly target: BlockTarget | undefined }
  | { readonly ok: false; readonly message: string };

/** Reads `_HLS_msn` and `_HLS_part`; `_HLS_skip` is ignored (no `CAN-SKIP-UNTIL` is offered). */
export function parseDirectives(search: URLSearchParams): Directives {
  const msn = search.get("_HLS_msn");
  const part = search.get("_HLS_part");
  if (msn === null) {
    return part === null
      ? { ok: true, target: undefined }
      : { ok: false, message: "_HLS_part needs _HLS_msn (RFC 8216bis, 6.2.5.2)" };
  }
  if (!DECIMAL.test(msn) || (part !== null && !DECIMAL.test(part))) {
    return { ok: false, message: "_HLS_msn and _HLS_part are decimal integers" };
  }
  return {
    ok: true,
    target: part === null ? { msn: Number(msn) } : { msn: Number(msn), index: Number(part) },
  };
}

/** The HLS muxers of one HTTP listener and its two handlers. */
export class HlsServer {
  readonly #app: App;
  readonly #log: Logger;
  readonly #traffic: BrowserTraffic | undefined;
  readonly #entries = new Map<string, Entry>();
  #sweep: Cancel | undefined;

  /** @param traffic where what is served is counted, for the operator's view */
  constructor(app: App, log: Logger, traffic?: BrowserTraffic) {
    this.#app = app;
    this.#log = log;
    this.#traffic = traffic;
  }

  /** The muxer serving `path` now, if any (for tests and figures). */
  muxer(path: string): HlsMuxer | undefined {
    return this.#entries.get(path)?.muxer;
  }

  /** `GET /<path>/index.m3u8` */
  readonly playlist: Handler<"hls-playlist"> = async (input, context) => {
    const found = this.#entry(input, context);
    if (found instanceof Response) return found;
    const { muxer } = found;
    const directives = parseDirectives(new URL(input.request.url).searchParams);
    if (!directives.ok) return errorResponse(400, directives.message);
    const target = directives.target;
    if (target) {
      // RFC 8216bis, 6.2.5.2: too far ahead is 400 at once; not there in time, 503.
      if (muxer.check(target) === "too-far") {
        return errorResponse(400, "_HLS_msn/_HLS_part is too far ahead of the playlist");
      }
      const outcome = await muxer.waitFor(target);
      if (outcome !== "ready") return unavailable(outcome);
    } else {
      // A plain request waits for the next whole segment (the first three on
      // a new muxer), then gets the playlist whatever came: a player that
      // does not block reloads to find a new segment, and Chromium's native
      // player fails when a reload right after its first has none (why:
      // HlsMuxer.plainReloadTarget).
      const { msn, timeoutMs } = muxer.plainReloadTarget();
      await muxer.waitFor({ msn }, timeoutMs);
    }
    const body = UTF8.encode(muxer.playlist());
    this.#served(input, "playlist", body.length);
    return new Response(body, { headers: this.#headers(PLAYLIST_TYPE) });
  };

  /** `GET /<path>/init<id>.mp4`, `seg<msn>.mp4`, `part<msn>.<index>.mp4` */
  readonly file: Handler<"hls-file"> = async (input, context) => {
    const found = this.#entry(input, context);
    if (found instanceof Response) return found;
    const { muxer } = found;
    const file = input.route.file;
    let bytes: Uint8Array | undefined;
    switch (file.kind) {
      case "init":
        bytes = muxer.init(file.id);
        break;
      case "segment":
        bytes = muxer.segment(file.msn);
        break;
      case "part": {
        // RFC 8216bis, 6.2.6: a preload-hinted part is answered once it is complete.
        const target = { msn: file.msn, index: file.index };
        if (!muxer.has(target) && muxer.check(target) === "acceptable") {
          const outcome = await muxer.waitFor(target);
          if (outcome !== "ready") return unavailable(outcome);
        }
        bytes = muxer.part(target)?.bytes;
        break;
      }
    }
    if (!bytes) return errorResponse(404, "no such HLS file (it may have left the window)");
    const headers = { ...this.#headers(MP4_TYPE), "accept-ranges": "bytes" };
    const range = byteRange(input.request.headers.get("range"), bytes.length);
    if (range.kind !== "unsatisfiable") {
      const length = range.kind === "whole" ? bytes.length : range.end + 1 - range.start;
      this.#served(input, file.kind, length);
    }
    switch (range.kind) {
      case "whole":
        return new Response(bytes as Uint8Array<ArrayBuffer>, { headers });
      case "unsatisfiable":
        return new Response(null, {
          status: 416,
          headers: { ...headers, "content-range": `bytes */${bytes.length}` },
        });
      case "partial":
        return new Response(bytes.slice(range.start, range.end + 1), {
          status: 206,
          headers: {
            ...headers,
            "content-range": `bytes ${range.start}-${range.end}/${bytes.length}`,
          },
        });
    }
  };

  /** Stops every muxer and ends every held request. */
  close(): void {
    for (const path of [...this.#entries.keys()]) this.#stop(path, "the server closes");
  }

  #served(input: HlsInput, kind: HlsRequestKind, length: number): void {
    countHlsAnswer(this.#traffic, input, kind, length, this.#app.scheduler.now());
  }

  #headers(type: string): Record<string, string> {
    return hlsHeaders(type, this.#app.auth !== undefined);
  }

  /** The muxer of the request's path, made if needed; or the error to answer. */
  #entry(
    input: HlsInput,
    context: HttpContext,
  ): Entry | Response {
    const path = input.route.path;
    if (!context.access.mayRead(input.principal, path)) {
      return errorResponse(403, "this user may not read this path");
    }
    const source = this.#app.library.shared(path);
    let entry = this.#entries.get(path);
    if (entry && entry.source !== source) {
      this.#stop(path, "its stream was replaced or ended");
      entry = undefined;
    }
    if (!source) return errorResponse(404, "no live stream at this path");
    entry ??= this.#start(path, source);
    entry.lastRequestMs = this.#app.scheduler.now();
    return entry;
  }

  #start(path: string, source: SharedStream): Entry {
    const scheduler = this.#app.scheduler;
    const fmp4 = new Fmp4Stream(source.description, {
      scheduler,
      readerId: `fmp4:hls:${path}`,
    });
    const muxer = new HlsMuxer({ scheduler });
    const unsubscribe = fmp4.subscribe(muxer.listener);
    const detach = fmp4.attachTo(source);
    const entry: Entry = {
      source,
      muxer,
      lastRequestMs: scheduler.now(),
      stop: () => {
        detach();
        unsubscribe();
        fmp4.stop();
        muxer.stop();
      },
    };
    this.#entries.set(path, entry);
    this.#sweep ??= every(scheduler, IDLE_SWEEP_MS, () => this.#stopIdle());
    this.#log.info(`HLS: muxing ${JSON.stringify(path)}`);
    return entry;
  }

  #stopIdle(): void {
    const now = this.#app.scheduler.now();
    for (const [path, entry] of [...this.#entries]) {
      const replaced = this.#app.library.shared(path) !== entry.source;
      if (replaced || (now - entry.lastRequestMs >= HLS_IDLE_MS && entry.muxer.waiting === 0)) {
        this.#stop(path, replaced ? "its stream was replaced or ended" : "no request for 30 s");
      }
    }
  }

  #stop(path: string, why: string): void {
    const entry = this.#entries.get(path);
    if (!entry) return;
    entry.stop();
    this.#entries.delete(path);
    this.#log.info(`HLS: stopped muxing ${JSON.stringify(path)}: ${why}`);
    if (this.#entries.size === 0) {
      this.#sweep?.();
      this.#sweep = undefined;
    }
  }
}

/** RFC 8216bis, 6.2.5.2: what was asked did not come in time (or the server stops). */
function unavailable(outcome: Exclude<WaitOutcome, "ready">): Response {
  return errorResponse(
    503,
    outcome === "timeout"
      ? "the requested part or segment did not come within three target durations"
      : "the HLS stream stopped",
    { "retry-after": "1" },
  );
}
