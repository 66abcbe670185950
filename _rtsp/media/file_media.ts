/**
 * Files served on demand: turns an MP4, a raw H.264/H.265 Annex-B stream or an
 * ADTS AAC file into tracks (SDP facts) and a seekable cursor of timed access
 * units, merged across tracks in send (decode) order.
 *
 * I/O is injected as a {@link ReadAt} function and is always bounded: MP4
 * samples are read one by one, Annex-B and ADTS files in
 * {@link READ_CHUNK_BYTES} chunks; no file is ever read whole. Raw streams have
 * no sample table, so opening one scans it once and keeps a compact index
 * (typed arrays) of keyframe / checkpoint offsets for seeking (RFC 2326 §12.29
 * `Range: npt=`).
 *
 * Corrupt input gives `{ ok: false }` from {@link openMediaFile} or
 * `{ error }` from {@link FileCursor.next}, never a throw or a hang.
 *
 * @module
 */

import type { AccessUnit } from "./access_unit.ts";
import { openAdtsMedia } from "./file_media_adts.ts";
import { openAnnexBMedia } from "./file_media_annexb.ts";
import { openMp4Media } from "./file_media_mp4.ts";
import { corrupt, describeError, unsupported } from "./file_media_shared.ts";
import type { SourceTrack } from "./source_track.ts";

export { ADTS_CHECKPOINT_FRAMES } from "./file_media_adts.ts";
export { MAX_BYTES_BEFORE_SPS } from "./file_media_annexb.ts";
export { READ_CHUNK_BYTES } from "./file_media_shared.ts";

/**
 * Reads `length` bytes at `offset`. May return fewer bytes at the end of the
 * file; may reject on I/O failure (reported as an error result, never thrown on).
 */
export type ReadAt = (offset: number, length: number) => Promise<Uint8Array>;

/** Result of {@link openMediaFile}. */
export type OpenMediaResult =
  | { readonly ok: true; readonly media: FileMedia }
  | { readonly ok: false; readonly kind: "unsupported" | "corrupt"; readonly error: string };

/** A file opened for playback. */
export interface FileMedia {
  /** Only playable tracks, in SDP order; `trackIndex` of a {@link TimedUnit} indexes this. */
  readonly tracks: readonly SourceTrack[];
  /** Length of the file's timeline, seconds (SDP `a=range:npt=0-<duration>`). */
  readonly durationSeconds: number;
  /**
   * Seconds added to every presentation time before it becomes an
   * {@link AccessUnit.timestamp}, so that none is negative (MP4 encoder-delay
   * samples are presented before 0). The same for every track, so A/V sync is
   * kept; file time `t` is RTP media time `(t + timestampOffsetSeconds) × clockRate`
   * (what RTP-Info `rtptime` must describe). 0 for raw streams.
   */
  readonly timestampOffsetSeconds: number;
  /**
   * The earliest {@link TimedUnit.sendSeconds} of the file: 0, or less for an
   * MP4 whose decode times start before 0 (B-frames). A muxer that needs
   * decode times of 0 or more on the whole file's timeline (HLS VOD
   * segments) shifts them by this much.
   */
  readonly firstSendSeconds: number;
  /**
   * A reader positioned at the keyframe at or before `startSeconds` (RFC 2326
   * Range: npt= seeks land on the video keyframe; audio starts at the same
   * time). `startSeconds <= 0` (or not finite) reads from the very beginning.
   * @param readAt where the cursor reads (default: what the file was opened
   * with), so one parsed file can serve many readers, each with its own handle
   */
  cursor(startSeconds: number, readAt?: ReadAt): Promise<FileCursor>;
  /**
   * Where a cursor can start exactly, seconds on the file's timeline,
   * ascending: the times `t` for which `cursor(t).startSeconds === t`. With
   * video, the first video track's keyframes (MP4 sync samples, Annex-B
   * IDR / IRAP pictures); without, audio frames (each one decodes alone).
   * Thinned greedily so that each time is at least `minSpacingSeconds` after
   * the one kept before it: short GOPs merge into spans of about that length
   * (HLS VOD segments, RFC 8216 §3, each starting at a keyframe) and the list
   * stays short for a long file. From the index or sample table built at
   * open: no read of the file.
   */
  keyframeTimes(minSpacingSeconds: number): Float64Array;
}

/** What {@link FileCursor.next} returns: a unit, `undefined` at the end, or an error. */
export type CursorStep = TimedUnit | undefined | { readonly error: string };

/** Sequential reader of a {@link FileMedia}. Not safe for concurrent `next()` calls. */
export interface FileCursor {
  /** Where it actually starts, seconds on the file's timeline (the keyframe's time). */
  readonly startSeconds: number;
  /**
   * The next unit across all tracks in send order (by decode time), or
   * undefined at the end, or an error for a corrupt sample / failed read
   * (every later call returns the same error).
   */
  next(): Promise<CursorStep>;
}

/** One access unit and when to send it. */
export interface TimedUnit {
  /** Index into {@link FileMedia.tracks}. */
  readonly trackIndex: number;
  /**
   * When to send it, seconds on the file's timeline: the decode time,
   * non-decreasing per track. May be slightly negative for the first units of
   * an MP4 whose decode times start before 0 (B-frame reordering delay).
   */
  readonly sendSeconds: number;
  /**
   * The unit. `au.timestamp` is the presentation time in the track's RTP clock,
   * measured from the file's time 0 plus {@link FileMedia.timestampOffsetSeconds};
   * never negative.
   */
  readonly au: AccessUnit;
}

/** The container or stream formats served. */
type FileFormat = "mp4" | "h264" | "h265" | "adts";

/** File name extensions (lower case, no dot) and their formats. */
const FORMAT_BY_EXTENSION: Readonly<Record<string, FileFormat>> = {
  mp4: "mp4",
  m4v: "mp4",
  m4a: "mp4",
  mov: "mp4",
  "264": "h264",
  h264: "h264",
  "265": "h265",
  h265: "h265",
  hevc: "h265",
  aac: "adts",
};

/** The lower-case extension of the last path segment of `name`, or "" when it has none. */
function extensionOf(name: string): string {
  const base = name.slice(name.lastIndexOf("/") + 1);
  const dot = base.lastIndexOf(".");
  return dot <= 0 ? "" : base.slice(dot + 1).toLowerCase();
}

/**
 * Opens a media file: chooses the format by extension (case-insensitive), then
 * checks that the content really is that format. An unknown extension or a
 * file without a playable track is "unsupported"; content that does not parse
 * is "corrupt".
 */
export async function openMediaFile(
  name: string,
  readAt: ReadAt,
  size: number,
): Promise<OpenMediaResult> {
  const extension = extensionOf(name);
  const format = Object.hasOwn(FORMAT_BY_EXTENSION, extension)
    ? FORMAT_BY_EXTENSION[extension]
    : undefined;
  if (format === undefined) {
    return unsupported(
      `${extension ? `.${extension}` : "no extension"}: not a supported file type`,
    );
  }
  if (!Number.isSafeInteger(size) || size < 0) return corrupt(`invalid file size ${size}`);
  if (size === 0) return corrupt("empty file");
  try {
    switch (format) {
      case "mp4":
        return await openMp4Media(readAt, size);
      case "h264":
      case "h265":
        return await openAnnexBMedia(format === "h264" ? "H264" : "H265", readAt, size);
      case "adts":
        return await openAdtsMedia(readAt, size);
    }
  } catch (e) {
    return corrupt(describeError(e));
  }
}
