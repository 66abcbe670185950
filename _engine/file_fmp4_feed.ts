/**
 * A file under `--root` as fragmented MP4 for one browser: each lease opens
 * the file, and a {@linkcode FilePlayback} of its own (the one RTSP readers of
 * files get, pacing included) plays it from the start into a private
 * {@linkcode Fmp4Stream}, which is the player's reader. So every viewer gets
 * its own timeline, as every RTSP session of a file does: the first fragment
 * decodes at time 0 whenever the viewer came. The lease ends when the file
 * does (after the last fragment; never with `loop`, which plays it again on
 * the same timeline, as RTSP's `--loop` does).
 *
 * ```ts
 * const feed = new FileFmp4Feed({ description, open: () => library.openFile(path), scheduler, log, loop });
 * const lease = feed.acquire(() => socket.close());
 * lease.stream.subscribe(send); // an init segment, then fragments from the file's first picture
 * ```
 * @module
 */

import type { LookupFailure, StreamDescription } from "../_rtsp/catalogue.ts";
import type { Scheduler } from "../_rtsp/scheduler.ts";
import { FilePlayback } from "./file_playback.ts";
import type { Fmp4Feed, Fmp4Lease } from "./fmp4_feed.ts";
import { Fmp4Stream } from "./fmp4_stream.ts";
import type { EngineLog, OpenedFile } from "./ports.ts";

/** Options of {@linkcode FileFmp4Feed}. */
export interface FileFmp4FeedOptions {
  /**
   * The file's tracks as DESCRIBE gives them: the stream is made from them
   * before the file is opened, as an RTSP session is set up from them before
   * PLAY opens it.
   */
  readonly description: StreamDescription;
  /** Opens the file for one reader (`MediaLibrary.openFile`). */
  readonly open: () => Promise<OpenedFile | LookupFailure>;
  /** The clock and timers of the players. */
  readonly scheduler: Scheduler;
  readonly log: EngineLog;
  /** Play the file again when it ends (`--loop`). */
  readonly loop: boolean;
}

/** The same file, each lease on its own timeline. */
export class FileFmp4Feed implements Fmp4Feed {
  readonly timeline = "file";
  readonly #options: FileFmp4FeedOptions;
  #leases = 0;

  /** @param options see {@linkcode FileFmp4FeedOptions} */
  constructor(options: FileFmp4FeedOptions) {
    this.#options = options;
  }

  get path(): string {
    return this.#options.description.path;
  }

  acquire(ended: () => void): Fmp4Lease {
    const { description, open, scheduler, log, loop } = this.#options;
    const stream = new Fmp4Stream(description, {
      scheduler,
      readerId: `fmp4-file:${++this.#leases}:${description.path}`,
      // Its one subscriber comes before the first fragment: a GOP kept for later ones
      // would only hold up to 8 MiB per viewer for nobody.
      maxCacheBytes: 0,
    });
    let done = false;
    const finished = () => {
      if (done) return;
      done = true;
      playback.stop(false);
      // The samples the muxer still holds (the last pictures) go out before the end.
      stream.stop();
      ended();
    };
    const playback = new FilePlayback({
      path: description.path,
      open,
      reader: stream,
      scheduler,
      log,
      loop,
      ended: finished,
    });
    playback.play(undefined).then(
      (start) => start.begin?.(),
      (e) => {
        // Released while the file opened: nothing to tell.
        if (done) return;
        log.warn(`file playback could not start: ${e instanceof Error ? e.message : e}`);
        finished();
      },
    );
    const release = () => {
      done = true;
      playback.stop(false);
    };
    return { stream, release };
  }
}
