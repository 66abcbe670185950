/**
 * Plays one file to one session on its own timeline (RFC 2326, on demand):
 * paced by decode time, seekable with `Range: npt=`, resumable after PAUSE,
 * optionally looping, with Sender Reports and a BYE at the end.
 * @module
 */

import { type Cancel, every, type Scheduler } from "../_rtsp/scheduler.ts";
import { FrameDelivery, mediaFrame } from "./fanout/media_frame.ts";
import type { FileCursor, FileMedia, TimedUnit } from "../_rtsp/media/file_media.ts";
import type { NptRange } from "../_rtsp/range.ts";
import type { PlayStart } from "../_rtsp/media_port.ts";
import { createPacketizer } from "../_rtsp/rtp/create_packetizer.ts";
import type { Packetizer } from "../_rtsp/rtp/packetizer.ts";
import { RtcpSender, SentCounts } from "../_rtsp/rtp/rtcp_sender.ts";
import { SENDER_REPORT_INTERVAL_MS } from "./live_stream.ts";
import type { EngineLog } from "./ports.ts";
import type { Reader } from "./reader.ts";

/** Units are sent this far ahead of their time, so timer jitter never makes them late. */
const SEND_AHEAD_MS = 20;
/**
 * A timer wakes the player at most this often: each wake sends every unit due
 * in the next `SEND_AHEAD_MS + BATCH_MS`, instead of one wake per unit (~70 a
 * second for video and audio). Players buffer far more than 60 ms.
 */
const BATCH_MS = 40;
/**
 * A seek this close before a keyframe lands on it. Clients shift the time they
 * ask for by their own start offset (ffmpeg subtracts the audio priming delay,
 * ~21 ms for AAC), so "npt=4.978" means the picture at 5.0 s.
 */
export const SEEK_TOLERANCE_SECONDS = 0.05;

/** Options of {@linkcode FilePlayer}. */
export interface FilePlayerOptions {
  readonly media: FileMedia;
  readonly reader: Reader;
  /** The clock and timers of the file's timeline. */
  readonly scheduler: Scheduler;
  readonly log: EngineLog;
  readonly cname: string;
  /** Start again at the beginning when the file ends. */
  readonly loop: boolean;
  /**
   * Playback stopped by itself: the file ended (not looping; after the BYE)
   * or could not be read on. An RTSP reader learns it from the BYE; a reader
   * with no RTCP of its own (a browser's) needs telling.
   */
  readonly ended?: () => void;
}

interface TrackState {
  readonly packetizer: Packetizer;
  readonly clockRate: number;
  readonly initialTimestamp: number;
  readonly ssrc: number;
  readonly video: boolean;
  readonly sent: SentCounts;
}

/** One session's playback of one file. */
export class FilePlayer {
  #options: FilePlayerOptions;
  #tracks = new Map<number, TrackState>();
  #rtcp: RtcpSender;
  #cursor: FileCursor | undefined;
  #pending: TimedUnit | undefined;
  /** File-timeline second shown at `#wallStart`. */
  #mediaStart = 0;
  #wallStart = 0;
  /** Seconds added to timestamps for the loops already played. */
  #loopSeconds = 0;
  #playing = false;
  #generation = 0;
  #cancelTimer: Cancel | undefined;
  #cancelReports: Cancel | undefined;
  #ended = false;

  /** @param options see {@linkcode FilePlayerOptions} */
  constructor(options: FilePlayerOptions) {
    this.#options = options;
    this.#rtcp = new RtcpSender(options.cname);
    for (const track of options.reader.session.tracks.values()) {
      const source = options.media.tracks[track.trackIndex];
      if (!source) continue;
      this.#tracks.set(track.trackIndex, {
        packetizer: createPacketizer(source, {
          ssrc: track.ssrc,
          initialSequenceNumber: track.initialSequenceNumber,
          initialTimestamp: track.initialTimestamp,
        }),
        clockRate: source.description.clockRate,
        initialTimestamp: track.initialTimestamp,
        ssrc: track.ssrc,
        video: source.description.media === "video",
        sent: new SentCounts(),
      });
    }
  }

  /**
   * Positions the player for PLAY: at `range.start` when given (the keyframe at
   * or before it), else where PAUSE left it, else at the start.
   */
  async play(range: NptRange | undefined): Promise<PlayStart> {
    this.#halt();
    const media = this.#options.media;
    const seek = range !== undefined && range.start !== "now";
    if (seek || this.#cursor === undefined || this.#ended) {
      const start = seek
        ? Math.min((range.start as number) + SEEK_TOLERANCE_SECONDS, media.durationSeconds)
        : 0;
      this.#cursor = await media.cursor(start);
      this.#pending = undefined;
      this.#loopSeconds = 0;
      this.#ended = false;
      this.#mediaStart = this.#cursor.startSeconds;
    }
    const startSeconds = this.#mediaStart;
    const offset = media.timestampOffsetSeconds + this.#loopSeconds;
    const generation = this.#generation;
    return {
      range: { start: startSeconds, end: media.durationSeconds },
      tracks: [...this.#tracks.entries()].map(([trackIndex, t]) => ({
        trackIndex,
        sequenceNumber: t.packetizer.nextSequenceNumber,
        rtpTime: (t.initialTimestamp + Math.round((startSeconds + offset) * t.clockRate)) >>> 0,
      })),
      begin: () => {
        if (generation !== this.#generation) return;
        this.#playing = true;
        this.#wallStart = this.#options.scheduler.now();
        this.#sendReports();
        this.#cancelReports = every(
          this.#options.scheduler,
          SENDER_REPORT_INTERVAL_MS,
          () => this.#sendReports(),
        );
        this.#pump(generation);
      },
    };
  }

  /** PAUSE: stops sending and remembers the position (RFC 2326, 10.6). */
  pause(): void {
    if (this.#playing) this.#mediaStart = this.#position();
    this.#halt();
  }

  /** Ends playback; with `bye`, tells the reader (RFC 3550, 6.6). */
  stop(bye: boolean): void {
    this.#halt();
    if (bye) this.#bye();
  }

  /** File-timeline seconds being shown now. */
  #position(): number {
    return this.#mediaStart + (this.#options.scheduler.now() - this.#wallStart) / 1000;
  }

  #halt(): void {
    this.#generation++;
    this.#playing = false;
    this.#cancelTimer?.();
    this.#cancelReports?.();
  }

  async #pump(generation: number): Promise<void> {
    try {
      while (generation === this.#generation) {
        const unit = this.#pending ?? await this.#nextUnit(generation);
        if (generation !== this.#generation) return;
        if (unit === undefined) {
          // Awaited: a failure to start the next loop is caught below, not left unhandled.
          await this.#finished();
          return;
        }
        const dueMs = this.#wallStart + (unit.sendSeconds - this.#mediaStart) * 1000;
        const wait = dueMs - this.#options.scheduler.now() - SEND_AHEAD_MS - BATCH_MS;
        if (wait > 0) {
          this.#pending = unit;
          // Wakes when this unit is SEND_AHEAD_MS from due, with BATCH_MS of units behind it.
          this.#cancelTimer = this.#options.scheduler.after(
            wait + BATCH_MS,
            () => this.#pump(generation),
          );
          return;
        }
        this.#pending = undefined;
        this.#send(unit);
      }
    } catch (e) {
      // A read cut short by stop() (the file was closed under it) is no news.
      if (generation !== this.#generation) return;
      this.#options.log.warn(`file playback stopped: ${e instanceof Error ? e.message : e}`);
      this.#halt();
      this.#options.ended?.();
    }
  }

  async #nextUnit(generation: number): Promise<TimedUnit | undefined> {
    const step = await this.#cursor!.next();
    if (step === undefined || !("error" in step)) return step;
    if (generation === this.#generation) {
      this.#options.log.warn(`file playback stopped: ${step.error}`);
    }
    return undefined;
  }

  #send(unit: TimedUnit): void {
    const track = this.#tracks.get(unit.trackIndex);
    if (!track) return;
    const shift = Math.round(this.#loopSeconds * track.clockRate);
    const au = shift === 0 ? unit.au : { ...unit.au, timestamp: unit.au.timestamp + shift };
    const packets = track.packetizer.packetize(au);
    const frame = mediaFrame(unit.trackIndex, packets, track.video, au.keyframe);
    track.sent.add(frame);
    this.#options.reader.deliver(new FrameDelivery(frame));
  }

  async #finished(): Promise<void> {
    const media = this.#options.media;
    if (this.#options.loop && media.durationSeconds > 0) {
      const generation = this.#generation;
      // Continue the same timeline: the next loop's time 0 is this loop's end.
      this.#loopSeconds += media.durationSeconds;
      this.#cursor = await media.cursor(0);
      if (generation !== this.#generation) return;
      this.#wallStart += (media.durationSeconds - this.#mediaStart) * 1000;
      this.#mediaStart = this.#cursor.startSeconds;
      this.#pump(generation);
      return;
    }
    this.#ended = true;
    this.#mediaStart = media.durationSeconds;
    this.#halt();
    this.#bye();
    this.#options.ended?.();
  }

  #bye(): void {
    for (const [trackIndex, t] of this.#tracks) {
      this.#options.reader.rtcp(trackIndex, RtcpSender.bye(t.ssrc));
    }
  }

  /** RFC 3550, 6.4.1: maps now to each track's RTP clock. */
  #sendReports(): void {
    const now = this.#options.scheduler.now();
    const seconds = this.#position() + this.#options.media.timestampOffsetSeconds +
      this.#loopSeconds;
    for (const [trackIndex, t] of this.#tracks) {
      const rtpTimestamp = (t.initialTimestamp + Math.round(seconds * t.clockRate)) >>> 0;
      this.#options.reader.rtcp(trackIndex, this.#rtcp.report(t.ssrc, now, rtpTimestamp, t.sent));
    }
  }
}
