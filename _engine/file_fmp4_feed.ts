/**
 * A file under `--root` as fragmented MP4 for one browser: each lease opens
 * the file, and a {@linkcode FilePlayer} of its own (the one RTSP readers of
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
import { FilePlayer } from "./file_player.ts";
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

/** Where one lease's playback is. */
type FilePlayback =
  /** The file is being opened and positioned at its start. */
  | { readonly state: "opening" }
  /** Frames flow into the stream. */
  | { readonly state: "playing"; readonly player: FilePlayer; readonly close: () => void }
  /** Released, or the file ended or failed: nothing more is sent. */
  | { readonly state: "done" };

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
    const { description, scheduler } = this.#options;
    const stream = new Fmp4Stream(description, {
      scheduler,
      readerId: `fmp4-file:${++this.#leases}:${description.path}`,
      // Its one subscriber comes before the first fragment: a GOP kept for later ones
      // would only hold up to 8 MiB per viewer for nobody.
      maxCacheBytes: 0,
    });
    let playback: FilePlayback = { state: "opening" };
    const stop = () => {
      if (playback.state === "playing") {
        playback.player.stop(false);
        playback.close();
      }
      playback = { state: "done" };
    };
    const finished = () => {
      if (playback.state === "done") return;
      stop();
      // The samples the muxer still holds (the last pictures) go out before the end.
      stream.stop();
      ended();
    };
    this.#start(stream, finished).then(
      (started) => {
        if (!started) return finished();
        if (playback.state !== "opening") {
          // Released while the file opened.
          started.player.stop(false);
          started.close();
          return;
        }
        playback = { state: "playing", player: started.player, close: started.close };
        started.begin();
      },
      (e) => {
        this.#options.log.warn(
          `file playback could not start: ${e instanceof Error ? e.message : e}`,
        );
        finished();
      },
    );
    return { stream, release: stop };
  }

  /** Opens the file and positions a player at its start; undefined when it cannot be opened. */
  async #start(
    stream: Fmp4Stream,
    finished: () => void,
  ): Promise<{ player: FilePlayer; close: () => void; begin: () => void } | undefined> {
    const { open, scheduler, log, loop } = this.#options;
    const opened = await open();
    if ("error" in opened) {
      log.warn(`file playback could not start: the file cannot be opened (${opened.error})`);
      return undefined;
    }
    const player = new FilePlayer({
      media: opened.media,
      reader: stream,
      scheduler,
      log,
      cname: "rtsp.ts",
      loop,
      ended: finished,
    });
    try {
      const start = await player.play(undefined);
      return { player, close: opened.close, begin: () => start.begin?.() };
    } catch (e) {
      opened.close();
      throw e;
    }
  }
}
