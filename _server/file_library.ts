/**
 * Files under `--root DIR`, served on demand as live555MediaServer does:
 * `rtsp://host/<relative path>`. Paths that leave the root are refused.
 * @module
 */

import type { FileSource, OpenedFile } from "../_engine/ports.ts";
import type { LookupFailure, StreamDescription } from "../_rtsp/catalogue.ts";
import { type FileMedia, openMediaFile, type ReadAt } from "../_rtsp/media/file_media.ts";
import type { Logger } from "./log.ts";
import { readAhead } from "./read_ahead.ts";

/** Descriptions kept so DESCRIBE, SETUP and PLAY do not parse a file three times. */
const MAX_CACHED_DESCRIPTIONS = 64;
/**
 * Parsed files kept (least recently opened dropped first), so the readers of
 * one file share its sample tables (~20 bytes per sample: ~11 MB for a 2-hour
 * film with AAC) instead of each parsing its own copy.
 */
const MAX_CACHED_MEDIA = 8;

export type { OpenedFile } from "../_engine/ports.ts";

/** What identifies one version of a file: size and modification time. */
function stampOf(stat: Deno.FileInfo): string {
  return `${stat.size}:${stat.mtime?.getTime()}`;
}

/** Reads by offset from one file handle, one operation at a time. */
function readerOf(file: Deno.FsFile): ReadAt {
  let chain: Promise<unknown> = Promise.resolve();
  return (offset, length) => {
    const read = chain.then(async () => {
      await file.seek(offset, Deno.SeekMode.Start);
      const buf = new Uint8Array(length);
      let got = 0;
      while (got < length) {
        const n = await file.read(buf.subarray(got));
        if (n === null) break;
        got += n;
      }
      return buf.subarray(0, got);
    });
    chain = read.catch(() => {});
    return read;
  };
}

/** Files under one root directory. */
export class FileLibrary implements FileSource {
  #root: string;
  #log: Logger;
  #descriptions = new Map<string, { stamp: string; description: StreamDescription }>();
  #media = new Map<string, { stamp: string; media: FileMedia }>();
  /** Files parsed so far (each reader of an unchanged file after the first costs none). */
  parses = 0;

  /**
   * @param root the directory served; resolved to its real path
   * @param log where refusals and unreadable files are reported
   */
  constructor(root: string, log: Logger) {
    this.#root = Deno.realPathSync(root);
    this.#log = log;
  }

  /**
   * The real path of the file a request path names, or undefined when it is not
   * a regular file inside the root. `..`, `%2e%2e` (decoded before this),
   * absolute-looking segments and symbolic links are all refused.
   *
   * Links are not followed, even to a file inside the root: permissions are
   * decided on the request path, so `/public/x.mp4 -> ../cam/2.mp4` would
   * serve a protected file under `/public/**`'s rules. A file is served only
   * when its real path, relative to the root, is the path asked for (this also
   * refuses another spelling of a name on a case-insensitive file system).
   * The root itself may be a link: it was resolved once, at start.
   */
  async resolve(path: string): Promise<{ real: string; stat: Deno.FileInfo } | undefined> {
    const segments = path.split("/").filter((s) => s !== "");
    if (segments.length === 0) return undefined;
    if (segments.some((s) => s === ".." || s === "." || s.includes("\\") || s.includes("\0"))) {
      return undefined;
    }
    try {
      const asked = `${this.#root}/${segments.join("/")}`;
      const real = await Deno.realPath(asked);
      if (!real.startsWith(`${this.#root}/`)) {
        this.#log.warn(`refused ${path}: it resolves outside the root`);
        return undefined;
      }
      if (real !== asked) {
        this.#log.warn(
          `refused ${path}: it goes through a symbolic link (to /${
            real.slice(this.#root.length + 1)
          }); links are not followed`,
        );
        return undefined;
      }
      const stat = await Deno.stat(real);
      return stat.isFile ? { real, stat } : undefined;
    } catch {
      return undefined;
    }
  }

  /** Opens the file at `path` for playback. */
  async open(path: string): Promise<OpenedFile | LookupFailure> {
    const found = await this.resolve(path);
    if (!found) return { error: "not-found" };
    let file: Deno.FsFile;
    try {
      file = await Deno.open(found.real, { read: true });
    } catch (e) {
      this.#log.warn(`cannot open ${path}: ${e instanceof Error ? e.message : e}`);
      return { error: "not-found" };
    }
    const size = found.stat.size;
    // Each reader reads through its own handle and read-ahead; the parse is shared.
    const readAt = readAhead(readerOf(file), size);
    const stamp = stampOf(found.stat);
    let cached = this.#media.get(found.real);
    this.#media.delete(found.real);
    if (cached?.stamp !== stamp) {
      this.parses++;
      const opened = await openMediaFile(found.real, readAt, size);
      if (!opened.ok) {
        file.close();
        this.#log.warn(`cannot serve ${path}: ${opened.kind}: ${opened.error}`);
        return { error: "unsupported", message: opened.error };
      }
      cached = { stamp, media: opened.media };
    }
    this.#media.set(found.real, cached);
    if (this.#media.size > MAX_CACHED_MEDIA) this.#media.delete(this.#media.keys().next().value!);
    const shared = cached.media;
    return {
      media: {
        tracks: shared.tracks,
        durationSeconds: shared.durationSeconds,
        timestampOffsetSeconds: shared.timestampOffsetSeconds,
        firstSendSeconds: shared.firstSendSeconds,
        cursor: (startSeconds) => shared.cursor(startSeconds, readAt),
        keyframeTimes: (minSpacingSeconds) => shared.keyframeTimes(minSpacingSeconds),
      },
      close: () => {
        try {
          file.close();
        } catch { /* closed */ }
      },
    };
  }

  /** The description of the file at `path` (cached by path, size and mtime). */
  async describe(path: string): Promise<StreamDescription | LookupFailure> {
    const found = await this.resolve(path);
    if (!found) return { error: "not-found" };
    const stamp = stampOf(found.stat);
    const cached = this.#descriptions.get(found.real);
    if (cached?.stamp === stamp) return { ...cached.description, path };
    const opened = await this.open(path);
    if ("error" in opened) return opened;
    opened.close();
    const description: StreamDescription = {
      path,
      name: path.slice(path.lastIndexOf("/") + 1),
      tracks: opened.media.tracks.map((t) => t.description),
      durationSeconds: opened.media.durationSeconds,
    };
    if (this.#descriptions.size >= MAX_CACHED_DESCRIPTIONS) {
      this.#descriptions.delete(this.#descriptions.keys().next().value!);
    }
    this.#descriptions.set(found.real, { stamp, description });
    return description;
  }
}
