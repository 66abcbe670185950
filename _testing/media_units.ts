/**
 * A media file opened as the server opens it (`openMediaFile` over a real
 * file), for tests that need its tracks and access units.
 */

import assert from "node:assert/strict";
import {
  type FileMedia,
  openMediaFile,
  type ReadAt,
  type TimedUnit,
} from "../_rtsp/media/file_media.ts";

/** A ReadAt over a real file (seek + read), its size, and how to close it; `onRead` sees every call. */
export async function fileReadAt(
  path: string,
  onRead?: (offset: number, length: number) => void,
): Promise<{ readAt: ReadAt; size: number; close(): void }> {
  const file = await Deno.open(path);
  const size = (await file.stat()).size;
  const readAt: ReadAt = async (offset, length) => {
    onRead?.(offset, length);
    await file.seek(offset, Deno.SeekMode.Start);
    const buf = new Uint8Array(length);
    let filled = 0;
    while (filled < length) {
      const n = await file.read(buf.subarray(filled));
      if (n === null) break;
      filled += n;
    }
    return buf.subarray(0, filled);
  };
  return { readAt, size, close: () => file.close() };
}

/** Every access unit of a media file in send order, with its tracks; asserts it reads without error. */
export async function mediaUnits(
  path: string,
): Promise<{ tracks: FileMedia["tracks"]; units: TimedUnit[] }> {
  const { readAt, size, close } = await fileReadAt(path);
  try {
    const opened = await openMediaFile(path, readAt, size);
    assert.ok(opened.ok, `open ${path}`);
    const cursor = await opened.media.cursor(0);
    const units: TimedUnit[] = [];
    for (let step = await cursor.next(); step !== undefined; step = await cursor.next()) {
      assert.ok(!("error" in step), "error" in step ? step.error : "");
      units.push(step);
    }
    return { tracks: opened.media.tracks, units };
  } finally {
    close();
  }
}
