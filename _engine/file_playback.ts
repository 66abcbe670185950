/**
 * The file stream kind: a file under `--root` played to one reader on a
 * timeline of its own. Live, published and pulled streams are shared by their
 * readers (`SharedStream`); a file is not, since every RTSP session of it may
 * seek and pause (RFC 2326, 10.5 `Range`, 10.6). So each reader — an RTSP
 * session, a multicast group, a browser's socket — gets one
 * {@linkcode FilePlayback}: it opens the file, plays it with a
 * {@linkcode FilePlayer}, and closes it, including when it is stopped while the
 * file is still opening (a TEARDOWN racing a PLAY), which is the one place
 * that race is handled.
 *
 * ```ts
 * const playback = new FilePlayback({ open: () => library.openFile(path), reader, scheduler, log, loop });
 * const start = await playback.play(undefined); // opens the file, positions it at 0
 * start.begin?.();                              // frames flow to `reader`
 * playback.stop(true);                          // RTCP BYE, file closed
 * ```
 * @module
 */

import type { LookupFailure } from "../_rtsp/catalogue.ts";
import type { PlayStart } from "../_rtsp/media_port.ts";
import type { NptRange } from "../_rtsp/range.ts";
import type { Scheduler } from "../_rtsp/scheduler.ts";
import { FilePlayer } from "./file_player.ts";
import type { EngineLog, OpenedFile } from "./ports.ts";
import type { Reader } from "./reader.ts";

/** Options of {@linkcode FilePlayback}. */
export interface FilePlaybackOptions {
  /** The path, for messages. */
  readonly path: string;
  /** Opens the file (`MediaLibrary.openFile`); called once, at the first PLAY. */
  readonly open: () => Promise<OpenedFile | LookupFailure>;
  /** Where the frames go. */
  readonly reader: Reader;
  /** The clock and timers of the file's timeline. */
  readonly scheduler: Scheduler;
  readonly log: EngineLog;
  /** Play the file again when it ends (`--loop`). */
  readonly loop: boolean;
  /** The file ended by itself (not looping) or could not be read on. */
  readonly ended?: () => void;
}

/** Where a playback is in its life. */
type PlaybackState =
  /** Made; the file opens at the first PLAY. */
  | { readonly kind: "idle" }
  /** The file is being opened. */
  | { readonly kind: "opening" }
  /** Open: PLAY resumes or seeks, PAUSE pauses. */
  | { readonly kind: "open"; readonly player: FilePlayer; readonly close: () => void }
  /** Stopped: nothing more is sent, the file is closed (or will be, once it opens). */
  | { readonly kind: "stopped" };

/** One file on one reader's timeline. */
export class FilePlayback {
  readonly #options: FilePlaybackOptions;
  #state: PlaybackState = { kind: "idle" };

  /** @param options see {@linkcode FilePlaybackOptions} */
  constructor(options: FilePlaybackOptions) {
    this.#options = options;
  }

  /** The reader the file plays to. */
  get reader(): Reader {
    return this.#options.reader;
  }

  /** Whether the playback was stopped (or its file could not be opened). */
  get stopped(): boolean {
    return this.#state.kind === "stopped";
  }

  /**
   * PLAY: opens the file the first time, then positions it at `range.start`
   * (or where PAUSE left it). Rejects when the file cannot be opened, when the
   * playback was stopped (also while the file opened), or when PLAY comes
   * again before the file has opened.
   */
  async play(range: NptRange | undefined): Promise<PlayStart> {
    const state = this.#state;
    if (state.kind === "open") return await state.player.play(range);
    const { path } = this.#options;
    if (state.kind === "stopped") throw new Error(`playback of ${path} ended`);
    if (state.kind === "opening") throw new Error(`${path} is still opening`);
    this.#state = { kind: "opening" };
    const opened = await this.#options.open();
    if ("error" in opened) {
      this.#state = { kind: "stopped" };
      throw new Error(`cannot play ${path}: the file cannot be opened (${opened.error})`);
    }
    // A TEARDOWN, a timeout or a closed connection stopped it meanwhile: no
    // player may start for a reader that is gone.
    if (this.stopped) {
      opened.close();
      throw new Error(`playback ended while ${path} was opening`);
    }
    const { reader, scheduler, log, loop, ended } = this.#options;
    const player = new FilePlayer({
      media: opened.media,
      reader,
      scheduler,
      log,
      cname: "rtsp.ts",
      loop,
      ended,
    });
    this.#state = { kind: "open", player, close: opened.close };
    try {
      return await player.play(range);
    } catch (e) {
      this.stop(false);
      throw e;
    }
  }

  /** PAUSE (RFC 2326, 10.6): stops sending, keeps the position. */
  pause(): void {
    if (this.#state.kind === "open") this.#state.player.pause();
  }

  /** Ends the playback for good; with `bye`, the reader is told (RFC 3550, 6.6 BYE). */
  stop(bye: boolean): void {
    const state = this.#state;
    this.#state = { kind: "stopped" };
    if (state.kind !== "open") return;
    state.player.stop(bye);
    state.close();
  }
}
