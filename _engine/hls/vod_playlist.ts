/**
 * A file under `--root` as an HLS VOD media playlist (RFC 8216, 4.3.3.5
 * `EXT-X-PLAYLIST-TYPE:VOD`): segments cut at the file's keyframes, listed
 * all at once and ended with `EXT-X-ENDLIST`, so players know the duration
 * and can seek. The cut points come from `FileMedia.keyframeTimes` (sample
 * table or index), never from reading the file; each segment is made when it
 * is asked for (`vod_segment.ts`). Names are those of the live playlist
 * (`init0.mp4`, `seg<n>.mp4`): a path is a file or a live stream, never both.
 * @module
 */

import type { FileMedia } from "../../_rtsp/media/file_media.ts";
import { initName, segmentName } from "./hls_playlist.ts";

/**
 * `EXT-X-VERSION`: 6, the lowest that allows `EXT-X-MAP` in a playlist that
 * is not I-frames only (RFC 8216, 7); decimal `EXTINF` needs 3.
 */
export const VOD_PROTOCOL_VERSION = 6;

/** With video, short GOPs merge into segments of at least this long (a segment starts at a keyframe). */
export const VOD_SEGMENT_SECONDS = 4;

/** Without video every audio frame decodes alone: a segment every this long. */
export const VOD_AUDIO_SEGMENT_SECONDS = 2;

/**
 * Segments of one file at most: a longer file gets longer segments, so a
 * playlist stays under ~1 MB however long the file is.
 */
export const MAX_VOD_SEGMENTS = 20_000;

/** The init segment's id: one for the whole file (`init0.mp4`). */
export const VOD_INIT_ID = 0;

/** One segment: a span of the file's timeline. */
export interface VodSegment {
  /** Where it starts, seconds on the file's timeline: a keyframe (0 for the first). */
  readonly startSeconds: number;
  /** Where the next starts (the file's duration for the last). */
  readonly endSeconds: number;
}

/** The segments of a file. */
export interface VodPlan {
  readonly segments: readonly VodSegment[];
  /**
   * Every segment decodes without the one before (RFC 8216, 4.3.5.1
   * `EXT-X-INDEPENDENT-SEGMENTS`): each starts at a keyframe, and no
   * picture after it refers to pictures before it.
   */
  readonly independent: boolean;
}

/** What a plan needs of a file. */
export type PlannedMedia = Pick<FileMedia, "tracks" | "durationSeconds" | "keyframeTimes">;

/**
 * Cuts the file at keyframes at least {@linkcode VOD_SEGMENT_SECONDS} apart
 * (audio only: {@linkcode VOD_AUDIO_SEGMENT_SECONDS}). A last segment shorter
 * than half that joins the one before.
 */
export function planVod(media: PlannedMedia): VodPlan {
  const video = media.tracks.some((t) => t.description.media === "video");
  const duration = Math.max(0, media.durationSeconds);
  const spacing = Math.max(
    video ? VOD_SEGMENT_SECONDS : VOD_AUDIO_SEGMENT_SECONDS,
    duration / MAX_VOD_SEGMENTS,
  );
  const times = [...media.keyframeTimes(spacing)].filter((t) => t < duration);
  // The first segment starts at 0 whatever the first keyframe's time (the cursor
  // from 0 reads from the very beginning); it is independent only on a keyframe.
  // An H.265 keyframe may be a CRA picture of an open GOP (x265's default):
  // the RASL pictures after it refer to the GOP before, in the segment before.
  // Neither an MP4 sync sample nor the raw stream's index tells, so H.265 is
  // never said to be independent.
  const openGops = media.tracks.some((t) => t.description.encoding === "H265");
  const independent = times.length > 0 && times[0] === 0 && !openGops;
  const starts = [0, ...times.slice(1)];
  while (starts.length > 1 && duration - starts.at(-1)! < spacing / 2) starts.pop();
  return {
    independent,
    segments: starts.map((startSeconds, i) => ({
      startSeconds,
      endSeconds: i + 1 < starts.length ? starts[i + 1] : duration,
    })),
  };
}

/** Seconds to the millisecond, as `EXTINF` and the target are reckoned from (RFC 8216, 4.3.2.1). */
function milliseconds(seconds: number): string {
  return seconds.toFixed(3);
}

/**
 * The VOD media playlist of `plan`.
 * @returns the playlist text, lines ending in `\n`
 */
export function buildVodPlaylist(plan: VodPlan): string {
  const durations = plan.segments.map((s) => milliseconds(s.endSeconds - s.startSeconds));
  // RFC 8216, 4.3.3.1: every EXTINF duration, rounded to the nearest integer, is at most this.
  const target = Math.max(1, ...durations.map((d) => Math.round(Number(d))));
  const lines = [
    "#EXTM3U",
    `#EXT-X-VERSION:${VOD_PROTOCOL_VERSION}`,
    `#EXT-X-TARGETDURATION:${target}`,
    // RFC 8216, 4.3.3.5: the playlist never changes.
    "#EXT-X-PLAYLIST-TYPE:VOD",
    "#EXT-X-MEDIA-SEQUENCE:0",
  ];
  if (plan.independent) lines.push("#EXT-X-INDEPENDENT-SEGMENTS");
  // RFC 8216, 4.3.2.5: the init segment of every fMP4 segment.
  lines.push(`#EXT-X-MAP:URI="${initName(VOD_INIT_ID)}"`);
  durations.forEach((d, i) => lines.push(`#EXTINF:${d},`, segmentName(i)));
  // RFC 8216, 4.3.3.4: no segment will be added.
  lines.push("#EXT-X-ENDLIST");
  return lines.join("\n") + "\n";
}
