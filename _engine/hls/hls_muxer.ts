/**
 * One stream as LL-HLS: an {@linkcode Fmp4Stream} subscriber that groups
 * fragments into parts and segments ({@linkcode HlsWindow}), writes the media
 * playlist ({@linkcode buildMediaPlaylist}) and holds blocking requests
 * (RFC 8216bis, 6.2.5.2) until what they ask for exists. Pure: time and
 * timeouts come from the injected scheduler.
 *
 * ```ts
 * const hls = new HlsMuxer({ scheduler });
 * const unsubscribe = fmp4.subscribe(hls.listener);
 * const outcome = await hls.waitFor({ msn: 3, index: 2 }); // "ready" | "timeout" | "stopped"
 * const text = hls.playlist();
 * ```
 * @module
 */

import type { Cancel, Scheduler } from "../../_rtsp/scheduler.ts";
import type { Fmp4Event, Fmp4Listener } from "../fmp4_stream.ts";
import { buildMediaPlaylist, targetDurationSeconds } from "./hls_playlist.ts";
import { type HlsPart, HlsWindow, type HlsWindowOptions, type PartKey } from "./hls_window.ts";

/** Blocking requests held at once per stream, at most (each holds a timer and a request). */
export const MAX_BLOCKED_REQUESTS = 1000;

/**
 * Whole segments a new muxer holds a plain playlist request for (RFC 8216,
 * 6.3.3: a client should start three target durations from the end; players
 * that ignore parts would see an empty live playlist).
 */
export const FIRST_ANSWER_SEGMENTS = 3;

/** What a blocking request waits for: a part (`index` set) or a whole segment. */
export interface BlockTarget {
  readonly msn: number;
  /** `_HLS_part`; without it, the segment `msn` complete. */
  readonly index?: number;
}

/** How a wait ended. */
export type WaitOutcome =
  /** It exists now. */
  | "ready"
  /** Not within the time limit: 503 (RFC 8216bis, 6.2.5.2). */
  | "timeout"
  /** The muxer stopped, or too many requests wait. */
  | "stopped";

/** What RFC 8216bis 6.2.5.2 makes of a blocking request's target. */
export type TargetCheck =
  /** Exists or may come soon: wait for it. */
  | "acceptable"
  /** Too far ahead: 400 at once. */
  | "too-far";

/** Options of {@linkcode HlsMuxer}. */
export interface HlsMuxerOptions extends HlsWindowOptions {
  readonly scheduler: Scheduler;
}

interface Waiter {
  readonly target: BlockTarget;
  readonly done: (outcome: WaitOutcome) => void;
}

/** A live stream as LL-HLS parts, segments and a playlist. */
export class HlsMuxer {
  readonly window: HlsWindow;
  readonly #scheduler: Scheduler;
  readonly #inits = new Map<number, Uint8Array>();
  #initId = -1;
  #codecs = "";
  #waiters = new Set<Waiter>();
  #segmentBytes = new Map<number, Uint8Array>();
  /** The first fragment's (decode time, arrival time): maps the timeline to wallclock. */
  #origin: { seconds: number; unixMs: number } | undefined;
  /** When each part in the window was completed (scheduler ms), by name. */
  readonly #createdAt = new Map<string, number>();
  #stopped = false;

  constructor(options: HlsMuxerOptions) {
    this.#scheduler = options.scheduler;
    this.window = new HlsWindow(options);
  }

  /** The listener to subscribe to an {@linkcode Fmp4Stream}. */
  readonly listener: Fmp4Listener = (event: Fmp4Event) => this.#take(event);

  /** RFC 6381 codecs of the init segment (for a multivariant `CODECS=`). */
  get codecs(): string {
    return this.#codecs;
  }

  /** Init segment `id`, while a segment in the window uses it. */
  init(id: number): Uint8Array | undefined {
    return this.#inits.get(id);
  }

  /** Part bytes, while in the window. */
  part(key: PartKey): HlsPart | undefined {
    return this.window.segment(key.msn)?.parts[key.index];
  }

  /** When a part was completed (scheduler ms), while in the window. */
  partCreatedAt(key: PartKey): number | undefined {
    return this.#createdAt.get(`${key.msn}.${key.index}`);
  }

  /** A complete segment's bytes (its parts concatenated), while in the window. */
  segment(msn: number): Uint8Array | undefined {
    const segment = this.window.segment(msn);
    if (!segment?.complete) return undefined;
    let bytes = this.#segmentBytes.get(msn);
    if (!bytes) {
      bytes = new Uint8Array(segment.parts.reduce((n, p) => n + p.bytes.length, 0));
      let offset = 0;
      for (const part of segment.parts) {
        bytes.set(part.bytes, offset);
        offset += part.bytes.length;
      }
      this.#segmentBytes.set(msn, bytes);
    }
    return bytes;
  }

  /** The media playlist now. */
  playlist(): string {
    return buildMediaPlaylist(this.window, (seconds) => this.#wallclockMs(seconds));
  }

  /** How long a blocking request may wait: three target durations (RFC 8216bis, 6.2.5.2). */
  blockLimitMs(): number {
    return 3 * targetDurationSeconds(this.window) * 1000;
  }

  /**
   * What a playlist request without `_HLS_msn` (a player that does not block,
   * RFC 8216, 6.3.4) is held for: the next whole segment, and on a new muxer
   * the first {@linkcode FIRST_ANSWER_SEGMENTS}; at most one target duration
   * more than those segments take, then it is answered as things are.
   *
   * So two plain answers never list the same last segment. Chromium's native
   * player needs that: it fetches every segment of its first playlist at
   * once, and when playback then starts (its rate going 0 -> 1 after a
   * "pause") with its segment queue empty, it reloads the playlist and fails
   * with DEMUXER_ERROR_COULD_NOT_PARSE ("Segment queue never had any data")
   * unless the reload lists a segment after the last one it had
   * (`HlsRenditionImpl::CheckState` -> `ResumeLivePlayback` ->
   * `ManifestUpdateForLiveResume`, media/filters/hls_rendition_impl.cc;
   * `SegmentStream::SetNewPlaylist` keeps only segments past the highest
   * sequence number seen). Answered at once, that reload (20-150 ms after the
   * first answer) came before the next segment existed on 4 of 20 first loads
   * (`bench/native_hls_loads.ts`). Holding a reload is allowed (the server
   * chooses when its playlist changes, RFC 8216, 6.2.2) and costs a plain
   * client little: it reloads to find a new segment and gets it as soon as it
   * exists; only its first request waits up to one target duration more.
   */
  plainReloadTarget(): { msn: number; timeoutMs: number } {
    const last = this.window.lastCompleteMsn();
    const msn = Math.max(FIRST_ANSWER_SEGMENTS - 1, last + 1);
    return { msn, timeoutMs: (msn - last + 1) * targetDurationSeconds(this.window) * 1000 };
  }

  /**
   * RFC 8216bis, 6.2.5.2: an `_HLS_msn` more than two past the last segment
   * of the playlist, or an `_HLS_part` more than the Advance Part Limit past
   * the last part, is answered 400 at once.
   */
  check(target: BlockTarget): TargetCheck {
    const last = this.window.nextPart(); // the segment being made is the playlist's last
    if (target.msn > last.msn + 2) return "too-far";
    if (target.index !== undefined) {
      // Advance Part Limit: 3 / PART-TARGET below one second, else 3.
      const partTarget = this.window.partTargetSeconds;
      const limit = partTarget < 1 ? Math.ceil(3 / partTarget) : 3;
      const partsAhead = target.msn === last.msn
        ? target.index - last.index
        : target.msn > last.msn
        ? target.index + Math.max(
          0,
          Math.ceil(this.window.segmentTargetSeconds / partTarget) -
            last.index,
        )
        : 0;
      if (partsAhead > limit) return "too-far";
    }
    return "acceptable";
  }

  /** Whether `target` exists (or, for a part past its segment's last, the part after it does). */
  has(target: BlockTarget): boolean {
    if (target.index === undefined) return this.window.lastCompleteMsn() >= target.msn;
    const last = this.window.lastPart();
    if (!last) return false;
    return last.msn > target.msn || (last.msn === target.msn && last.index >= target.index);
  }

  /**
   * Waits until `target` exists, at most `timeoutMs` (default {@linkcode blockLimitMs}).
   * Check it with {@linkcode check} first.
   */
  waitFor(target: BlockTarget, timeoutMs = this.blockLimitMs()): Promise<WaitOutcome> {
    if (this.#stopped) return Promise.resolve("stopped");
    if (this.has(target)) return Promise.resolve("ready");
    if (this.#waiters.size >= MAX_BLOCKED_REQUESTS) return Promise.resolve("stopped");
    const { promise, resolve } = Promise.withResolvers<WaitOutcome>();
    let cancel: Cancel = () => {};
    const waiter: Waiter = {
      target,
      done: (outcome) => {
        cancel();
        this.#waiters.delete(waiter);
        resolve(outcome);
      },
    };
    this.#waiters.add(waiter);
    cancel = this.#scheduler.after(timeoutMs, () => waiter.done("timeout"));
    return promise;
  }

  /** Requests waiting now. */
  get waiting(): number {
    return this.#waiters.size;
  }

  /** Ends every wait ("stopped") and takes no more fragments. */
  stop(): void {
    this.#stopped = true;
    for (const waiter of [...this.#waiters]) waiter.done("stopped");
  }

  #take(event: Fmp4Event): void {
    if (this.#stopped) return;
    if (event.kind === "init") {
      const current = this.#inits.get(this.#initId);
      if (current && sameBytes(current, event.bytes)) return;
      this.#initId = this.window.newInit();
      this.#inits.set(this.#initId, event.bytes);
      this.#codecs = event.codecs;
      this.#forget();
      return;
    }
    this.#origin ??= {
      seconds: event.fragment.decodeTimeSeconds,
      unixMs: this.#scheduler.now(),
    };
    const parts = this.window.push(event.fragment);
    const now = this.#scheduler.now();
    for (const part of parts) this.#createdAt.set(`${part.msn}.${part.index}`, now);
    this.#forget();
    // A keyframe may complete a segment without completing a part: check every time.
    for (const waiter of [...this.#waiters]) {
      if (this.has(waiter.target)) waiter.done("ready");
    }
  }

  /** Drops what slid out of the window. */
  #forget(): void {
    const first = this.window.segments[0];
    if (!first) return;
    for (const msn of this.#segmentBytes.keys()) {
      if (msn < first.msn) this.#segmentBytes.delete(msn);
    }
    for (const key of this.#createdAt.keys()) {
      if (Number(key.split(".")[0]) < first.msn) this.#createdAt.delete(key);
    }
    const used = new Set(this.window.segments.map((s) => s.initId));
    for (const id of this.#inits.keys()) {
      if (!used.has(id) && id !== this.#initId) this.#inits.delete(id);
    }
  }

  #wallclockMs(seconds: number): number {
    const origin = this.#origin ?? { seconds, unixMs: this.#scheduler.now() };
    return origin.unixMs + (seconds - origin.seconds) * 1000;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
