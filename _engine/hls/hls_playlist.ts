/**
 * The LL-HLS media playlist of an {@linkcode HlsWindow} (RFC 8216bis, 4.4),
 * and the names of the files it lists. Every URI is made here from numbers:
 * nothing a client sent ever reaches a playlist.
 * @module
 */

import type { HlsWindow, PartKey } from "./hls_window.ts";

/** `EXT-X-VERSION`: 9 for the low-latency tags (RFC 8216bis, 4.4.1.2 and 8). */
export const HLS_PROTOCOL_VERSION = 9;

/** Parts are listed for segments ending within this many target durations of the end (RFC 8216bis, 4.4.4.9). */
const PART_LISTING_TARGET_DURATIONS = 3;

/** `init<id>.mp4`: the `EXT-X-MAP` of segments muxed with init segment `id`. */
export function initName(id: number): string {
  return `init${id}.mp4`;
}

/** `seg<msn>.mp4`: a Media Segment. */
export function segmentName(msn: number): string {
  return `seg${msn}.mp4`;
}

/** `part<msn>.<index>.mp4`: a Partial Segment. */
export function partName(key: PartKey): string {
  return `part${key.msn}.${key.index}.mp4`;
}

/** What a file name served beside a playlist stands for. */
export type HlsFile =
  | { readonly kind: "init"; readonly id: number }
  | { readonly kind: "segment"; readonly msn: number }
  | { readonly kind: "part"; readonly msn: number; readonly index: number };

const FILE_NAME = /^(?:init(\d{1,9})|seg(\d{1,15})|part(\d{1,15})\.(\d{1,6}))\.mp4$/;

/** Parses a name made by {@linkcode initName}, {@linkcode segmentName} or {@linkcode partName}. */
export function parseHlsFileName(name: string): HlsFile | undefined {
  const m = FILE_NAME.exec(name);
  if (!m) return undefined;
  if (m[1] !== undefined) return { kind: "init", id: Number(m[1]) };
  if (m[2] !== undefined) return { kind: "segment", msn: Number(m[2]) };
  return { kind: "part", msn: Number(m[3]), index: Number(m[4]) };
}

/** Decimal-floating-point seconds as the playlist writes them (RFC 8216, 4.2). */
function seconds(value: number): string {
  return value.toFixed(5);
}

/** `PART-HOLD-BACK`: at least twice, and should be three times, the part target (RFC 8216bis, 4.4.3.8). */
export function partHoldBackSeconds(window: HlsWindow): number {
  return 3 * window.partTargetSeconds;
}

/**
 * `EXT-X-TARGETDURATION`: every segment's duration, rounded to the nearest
 * integer, is at most this (RFC 8216, 4.3.3.1); it grows if a longer GOP comes.
 */
export function targetDurationSeconds(window: HlsWindow): number {
  return Math.max(
    1,
    Math.ceil(window.segmentTargetSeconds),
    Math.round(window.longestSegmentSeconds),
    Math.round(window.open?.durationSeconds ?? 0),
  );
}

/**
 * The media playlist.
 * @param window the parts and segments
 * @param wallclockMs the Unix time (ms) of a decode time on the stream's timeline, for `EXT-X-PROGRAM-DATE-TIME`
 * @returns the playlist text, lines ending in `\n`
 */
export function buildMediaPlaylist(
  window: HlsWindow,
  wallclockMs: (decodeSeconds: number) => number,
): string {
  const lines: string[] = [
    "#EXTM3U",
    `#EXT-X-VERSION:${HLS_PROTOCOL_VERSION}`,
    `#EXT-X-TARGETDURATION:${targetDurationSeconds(window)}`,
    // RFC 8216bis, 4.4.3.8: blocking reloads (6.2.5.2) and where to start playing.
    `#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=${
      seconds(partHoldBackSeconds(window))
    }`,
    // RFC 8216bis, 4.4.3.7
    `#EXT-X-PART-INF:PART-TARGET=${seconds(window.partTargetSeconds)}`,
  ];
  const segments = window.segments;
  lines.push(`#EXT-X-MEDIA-SEQUENCE:${segments[0]?.msn ?? 0}`);
  if (window.discontinuitySequence > 0) {
    lines.push(`#EXT-X-DISCONTINUITY-SEQUENCE:${window.discontinuitySequence}`);
  }
  // Parts of the segments near the end only (RFC 8216bis, 4.4.4.9).
  const listPartsAfter = segments.reduce((sum, s) => sum + s.durationSeconds, 0) -
    PART_LISTING_TARGET_DURATIONS * targetDurationSeconds(window);
  let elapsed = 0;
  let mapId: number | undefined;
  for (const segment of segments) {
    if (segment.parts.length === 0) continue; // just opened: only the preload hint shows it
    if (segment.discontinuity && mapId !== undefined) lines.push("#EXT-X-DISCONTINUITY");
    if (segment.initId !== mapId) {
      // RFC 8216, 4.3.2.5
      lines.push(`#EXT-X-MAP:URI="${initName(segment.initId)}"`);
      mapId = segment.initId;
    }
    // RFC 8216, 4.3.2.6
    lines.push(
      `#EXT-X-PROGRAM-DATE-TIME:${new Date(wallclockMs(segment.startSeconds)).toISOString()}`,
    );
    elapsed += segment.durationSeconds;
    if (elapsed > listPartsAfter || !segment.complete) {
      for (const part of segment.parts) {
        // RFC 8216bis, 4.4.4.9
        lines.push(
          `#EXT-X-PART:DURATION=${seconds(part.durationSeconds)},URI="${partName(part)}"${
            part.independent ? ",INDEPENDENT=YES" : ""
          }`,
        );
      }
    }
    if (segment.complete) {
      // RFC 8216, 4.3.2.1
      lines.push(`#EXTINF:${seconds(segment.durationSeconds)},`, segmentName(segment.msn));
    }
  }
  // RFC 8216bis, 4.4.5.3: the part being made, so a player asks for it early.
  if (segments.length > 0) {
    lines.push(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="${partName(window.nextPart())}"`);
  }
  return lines.join("\n") + "\n";
}
