/**
 * The built-in live stream: the H.264 test pattern and the G.711 beep on one
 * wall-clock timeline. Pure: the clock is passed in, so tests step it by hand.
 * @module
 */

import type { TrackDescription } from "../catalogue.ts";
import { h264Fmtp } from "../rtp/fmtp.ts";
import type { AccessUnit } from "./access_unit.ts";
import { PcmuTone } from "./pcmu_tone.ts";
import { H264TestPattern, type H264TestPatternOptions } from "./test_pattern.ts";

/** RFC 3551, 6: first dynamic payload type, used for H.264. */
export const TEST_VIDEO_PAYLOAD_TYPE = 96;
/** RFC 3551, 6: static payload type 0 is PCMU at 8 kHz. */
export const PCMU_PAYLOAD_TYPE = 0;
/** RFC 6184, 8.2.1: H.264 uses a 90 kHz clock. */
export const H264_CLOCK_RATE_HZ = 90_000;
/** RFC 3551, 4.5.14: G.711 at 8 kHz. */
export const PCMU_CLOCK_RATE_HZ = 8_000;
/**
 * If the caller falls further behind than this (a stalled event loop), the
 * source skips ahead instead of bursting the backlog: it is live.
 */
export const MAX_CATCH_UP_MS = 500;

/** A track of the live source, in the shape of a `SourceTrack`. */
export interface LiveTrack {
  readonly codec: "H264" | "PCMU";
  readonly description: TrackDescription;
  readonly parameterSets?: { readonly sps: Uint8Array; readonly pps: Uint8Array };
}

/** A unit due for sending, tagged with its track. */
export interface DueUnit {
  readonly trackIndex: number;
  readonly au: AccessUnit;
}

/** The video track index and the audio track index. */
export const TEST_VIDEO_TRACK = 0;
export const TEST_AUDIO_TRACK = 1;

/**
 * Produces the test pattern and beep as they fall due on the wall clock.
 *
 * @example
 * ```ts
 * const source = new LiveTestSource(0);
 * source.due(40); // [video frame 0, audio frames 0 and 1, video frame 1]
 * ```
 */
export class LiveTestSource {
  readonly tracks: readonly LiveTrack[];
  readonly #pattern: H264TestPattern;
  readonly #tone: PcmuTone;
  readonly #startMs: number;
  readonly #frameMs: number;
  readonly #audioFrameMs: number;
  #nextVideo = 0;
  #nextAudio = 0;

  /**
   * @param startMs wall-clock time of frame 0
   * @param options picture size, rate and GOP of the pattern
   */
  constructor(startMs: number, options: H264TestPatternOptions = {}) {
    this.#pattern = new H264TestPattern(options);
    this.#tone = new PcmuTone();
    this.#startMs = startMs;
    this.#frameMs = 1000 / this.#pattern.fps;
    this.#audioFrameMs = (this.#tone.samplesPerFrame * 1000) / this.#tone.sampleRate;
    const { sps, pps } = this.#pattern;
    this.tracks = [
      {
        codec: "H264",
        description: {
          media: "video",
          payloadType: TEST_VIDEO_PAYLOAD_TYPE,
          encoding: "H264",
          clockRate: H264_CLOCK_RATE_HZ,
          fmtp: h264Fmtp(sps, pps),
          control: `trackID=${TEST_VIDEO_TRACK}`,
          attributes: [
            `framerate:${this.#pattern.fps}`,
            `x-dimensions:${this.#pattern.width},${this.#pattern.height}`,
          ],
        },
        parameterSets: { sps, pps },
      },
      {
        codec: "PCMU",
        description: {
          media: "audio",
          payloadType: PCMU_PAYLOAD_TYPE,
          encoding: "PCMU",
          clockRate: PCMU_CLOCK_RATE_HZ,
          control: `trackID=${TEST_AUDIO_TRACK}`,
        },
      },
    ];
  }

  /** Frames per second of the video. */
  get fps(): number {
    return this.#pattern.fps;
  }

  /** Every unit due at or before `nowMs`, in time order. */
  due(nowMs: number): DueUnit[] {
    const elapsed = nowMs - this.#startMs;
    if (elapsed < 0) return [];
    // Skip what a stall left behind rather than sending a burst of old frames.
    const lateVideo = Math.floor((elapsed - MAX_CATCH_UP_MS) / this.#frameMs);
    if (lateVideo > this.#nextVideo) {
      // Resume at an IDR so decoders never see P frames after a gap.
      const gop = this.#pattern.gopFrames;
      this.#nextVideo = Math.ceil(lateVideo / gop) * gop;
    }
    const lateAudio = Math.floor((elapsed - MAX_CATCH_UP_MS) / this.#audioFrameMs);
    if (lateAudio > this.#nextAudio) this.#nextAudio = lateAudio;
    const out: DueUnit[] = [];
    for (;;) {
      const videoAt = this.#nextVideo * this.#frameMs;
      const audioAt = this.#nextAudio * this.#audioFrameMs;
      const at = Math.min(videoAt, audioAt);
      if (at > elapsed) break;
      if (videoAt <= audioAt) {
        out.push({ trackIndex: TEST_VIDEO_TRACK, au: this.#pattern.frame(this.#nextVideo++) });
      } else {
        out.push({ trackIndex: TEST_AUDIO_TRACK, au: this.#tone.frame(this.#nextAudio++) });
      }
    }
    return out;
  }

  /** When the next unit falls due, on the caller's clock. */
  nextDueMs(): number {
    return this.#startMs +
      Math.min(this.#nextVideo * this.#frameMs, this.#nextAudio * this.#audioFrameMs);
  }

  /**
   * The media timestamp (track clock, before the random offset) of wall time
   * `nowMs`: what an RTCP Sender Report maps NTP time to (RFC 3550, 6.4.1).
   */
  mediaTimeAt(trackIndex: number, nowMs: number): number {
    const rate = this.tracks[trackIndex].description.clockRate;
    return Math.floor(((nowMs - this.#startMs) * rate) / 1000);
  }
}
