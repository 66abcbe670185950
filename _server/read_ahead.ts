/**
 * Read-ahead for file playback. An MP4 is read sample by sample, and each
 * read of a `Deno.FsFile` is a seek and a read handed to a worker thread: at
 * 70 samples a second per reader, those hand-offs were most of the CPU of
 * serving a file (measured: 9.7 ms of CPU per second per reader of a
 * 2 Mbit/s clip, in futex and sched_yield). Reading 64 KiB at a time and
 * answering the next reads from memory turns ~20 of them into one.
 *
 * Two windows are kept, most recent first, so a file whose tracks are not
 * interleaved (all video, then all audio) does not thrash between two regions.
 * @module
 */

import type { ReadAt } from "../_rtsp/media/file_media.ts";

/** Bytes read at a time; reads longer than this go straight through. */
export const READ_AHEAD_BYTES = 64 * 1024;
/** Windows kept per file handle. */
export const READ_AHEAD_WINDOWS = 2;

interface Window {
  readonly start: number;
  readonly bytes: Uint8Array;
}

/**
 * Wraps `readAt` so that short reads are answered from windows read ahead.
 * Returned bytes are views of a window that is never written again: callers
 * may keep them.
 * @param readAt the underlying reads (one file handle)
 * @param size the file's size: windows stop at its end
 * @param windowBytes bytes per window @default {READ_AHEAD_BYTES}
 * @param windowCount windows kept @default {READ_AHEAD_WINDOWS}
 */
export function readAhead(
  readAt: ReadAt,
  size: number,
  windowBytes = READ_AHEAD_BYTES,
  windowCount = READ_AHEAD_WINDOWS,
): ReadAt {
  const windows: Window[] = [];
  return async (offset, length) => {
    if (length > windowBytes) return await readAt(offset, length);
    for (let i = 0; i < windows.length; i++) {
      const w = windows[i];
      const from = offset - w.start;
      if (from >= 0 && from + length <= w.bytes.length) {
        if (i > 0) windows.unshift(...windows.splice(i, 1));
        return w.bytes.subarray(from, from + length);
      }
    }
    const bytes = await readAt(offset, Math.max(length, Math.min(windowBytes, size - offset)));
    // A short read (the end, or a file that shrank) is passed on as it is.
    if (bytes.length >= length) {
      windows.unshift({ start: offset, bytes });
      windows.length = Math.min(windows.length, windowCount);
    }
    return bytes.subarray(0, length);
  };
}
