/**
 * The media types and headers of HLS answers (RFC 8216), and how an answer
 * is counted, shared by live LL-HLS (`hls.ts`) and files as VOD (`hls_vod.ts`).
 * @module
 */

import type { BrowserTraffic, HlsRequestKind } from "./browser_traffic.ts";
import type { RoutedRequest } from "./handler.ts";
import { COMMON_HEADERS } from "./json.ts";

/** A request either HLS handler answers. */
export type HlsInput = RoutedRequest<"hls-playlist"> | RoutedRequest<"hls-file">;

/**
 * Counts an answer to `input` with a body of `length` bytes (none for HEAD,
 * RFC 9110, 9.3.2) in the path's totals (`rtsp_hls_requests_total`), and its
 * client as one of the path's HLS readers for a part or segment; `file` marks
 * the path as a file served as VOD.
 */
export function countHlsAnswer(
  traffic: BrowserTraffic | undefined,
  input: HlsInput,
  kind: HlsRequestKind,
  length: number,
  nowMs: number,
  file = false,
): void {
  const bytes = input.request.method === "HEAD" ? 0 : length;
  traffic?.hlsServed(input.route.path, kind, input.address, bytes, nowMs, file);
}

/** RFC 8216, 4: the media type of a playlist. */
export const PLAYLIST_TYPE = "application/vnd.apple.mpegurl";

/** ISO/IEC 14496-12 segments (RFC 8216, 3.3). */
export const MP4_TYPE = "video/mp4";

/**
 * Headers of an HLS playlist or media file (RFC 8216), live or VOD. Players
 * revalidate (`no-cache`): live names restart from 0 with a new muxer, and a
 * file may change under the same name. Without users every stream and file is
 * open to every page (RFC 6454 / Fetch CORS), so a player on another origin may read it.
 */
export function hlsHeaders(type: string, withUsers: boolean): Record<string, string> {
  return {
    ...COMMON_HEADERS,
    "content-type": type,
    "cache-control": "no-cache",
    ...(withUsers ? {} : { "access-control-allow-origin": "*" }),
  };
}
