/**
 * The media types and headers of HLS answers (RFC 8216), shared by live
 * LL-HLS (`hls.ts`) and files as VOD (`hls_vod.ts`).
 * @module
 */

import { COMMON_HEADERS } from "./json.ts";

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
