/**
 * One track of the fragmented-MP4 muxer on its way from access units to
 * fragment samples: its configuration (what the init segment says), its RTP
 * timeline (`rtp_timeline.ts`), its decode times (`decode_times.ts`), and the
 * samples whose duration is known (the distance to the next decode time).
 *
 * @module
 */

import type { TrackDescription } from "../../catalogue.ts";
import { type CodecConfig, configFromDescription, type Fmp4Codec } from "./codec_config.ts";
import { type Decoded, DecodeTimes } from "./decode_times.ts";
import { RtpTimeline, type RtpTimelineOptions } from "./rtp_timeline.ts";
import { G711ToFlac } from "./flac_entry.ts";

/** A sample between depacketizing and its fragment. */
export interface PendingSample {
  /** Bytes for `mdat`. */
  readonly data: Uint8Array;
  readonly sync: boolean;
  /** Ticks it lasts when its bytes say (G.711 as FLAC): the last sample at a flush lasts that long. */
  readonly duration?: number;
  /** New parameter sets this sample brings (video): a new init segment goes before it. */
  readonly config?: CodecConfig;
}

/** A sample with its times in the track's ticks, waiting for the next one's to know its duration. */
export interface TimedSample {
  readonly sample: PendingSample;
  readonly decode: number;
  readonly presentation: number;
}

/** A sample ready for a fragment. */
export interface ReadySample extends TimedSample {
  /** Ticks to the next sample's decode time (> 0). */
  readonly duration: number;
}

/** The reorder window of a video configuration (frames), or undefined to let the muxer choose. */
export type ReorderWindow = (config: CodecConfig | undefined) => number;

/** One muxed track. */
export class MuxTrack {
  /** track_ID in the fMP4. */
  readonly trackId: number;
  /** Index of the track among the stream's RTP tracks. */
  readonly inputIndex: number;
  readonly codec: Fmp4Codec;
  readonly kind: "video" | "audio";
  /** Ticks per second: the RTP clock rate. */
  readonly timescale: number;
  /** The configuration in the init segment handed out last. */
  published: CodecConfig | undefined;
  /** The configuration of the latest parameter sets seen (video), ahead of `published`. */
  latest: CodecConfig | undefined;
  readonly timeline: RtpTimeline;
  /** G.711 tracks: their packets' samples as FLAC frames. */
  readonly flac: G711ToFlac | undefined;
  /** Ticks added to the timeline to place the track on the stream's (set by its first unit). */
  offset: number | undefined;
  /** Samples whose duration is known, oldest first. */
  ready: ReadySample[] = [];
  /** Whether a first sample (video: a keyframe) has been accepted. */
  started = false;
  readonly #window: ReorderWindow;
  #decode: DecodeTimes<PendingSample> | undefined;
  #open: TimedSample | undefined;
  #lastDuration = 0;
  /** Presentation times of the first units, as many as the reorder window needs (see {@linkcode reorderDelay}). */
  #first: number[] = [];
  #firstWanted = 0;

  /**
   * @param trackId the fMP4 track_ID
   * @param inputIndex the RTP track's index
   * @param codec its codec
   * @param description its SDP description (the configuration when the SDP has it)
   * @param options timeline bounds and the reorder window
   */
  constructor(
    trackId: number,
    inputIndex: number,
    codec: Fmp4Codec,
    description: TrackDescription,
    options: RtpTimelineOptions & { readonly window: ReorderWindow },
  ) {
    this.trackId = trackId;
    this.inputIndex = inputIndex;
    this.codec = codec;
    this.kind = codec === "H264" || codec === "H265" ? "video" : "audio";
    this.timescale = description.clockRate;
    this.latest = configFromDescription(codec, description);
    this.flac = this.latest && "g711" in this.latest ? new G711ToFlac(this.latest.g711) : undefined;
    this.timeline = new RtpTimeline(this.timescale, options);
    this.#window = options.window;
  }

  /** Ticks as seconds. */
  seconds(ticks: number): number {
    return ticks / this.timescale;
  }

  /** Decode times moved up to keep them increasing. */
  get clamped(): number {
    return this.#decode?.clamped ?? 0;
  }

  /** Takes the next sample in decode order with its presentation time (ticks, on the stream's timeline). */
  accept(sample: PendingSample, presentation: number): void {
    if (!this.#decode) {
      const window = this.kind === "video" ? this.#window(this.latest) : 0;
      this.#decode = new DecodeTimes(window);
      this.#firstWanted = window + 1;
      this.published ??= this.latest;
    } else if (sample.config) {
      // New parameter sets may reorder differently: the units waiting are given
      // their decode times, and the window starts again where they end.
      const before = this.#decode;
      for (const d of before.flush()) this.#decoded(d);
      const last = before.lastDecode;
      this.#decode = new DecodeTimes(
        this.#window(sample.config),
        last === undefined ? 0 : last + 1,
      );
    }
    this.started = true;
    if (this.#first.length < this.#firstWanted) this.#first.push(presentation);
    for (const d of this.#decode.push(sample, presentation)) this.#decoded(d);
  }

  /**
   * Gives every sample held its decode time and duration (the last lasts its
   * own duration when known, else as long as the one before).
   */
  flush(): void {
    if (this.#decode) { for (const d of this.#decode.flush()) this.#decoded(d); }
    if (this.#open) {
      const duration = this.#open.sample.duration ?? (this.#lastDuration || 1);
      this.ready.push({ ...this.#open, duration });
      this.#open = undefined;
    }
  }

  /**
   * Ticks by which decode times may run ahead of presentation times with this
   * track's first reorder window: the window times the shortest step between
   * its first presentation times (0 without reordering). Presentation times
   * shifted by this much keep composition offsets from going negative.
   */
  reorderDelay(): number {
    const window = this.#firstWanted - 1;
    if (window <= 0) return 0;
    const sorted = [...new Set(this.#first)].sort((a, b) => a - b);
    let step = Infinity;
    for (let i = 1; i < sorted.length; i++) step = Math.min(step, sorted[i] - sorted[i - 1]);
    return Number.isFinite(step) ? window * step : 0;
  }

  #decoded(d: Decoded<PendingSample>): void {
    const open = this.#open;
    if (open) {
      const duration = d.decode - open.decode;
      this.ready.push({ ...open, duration });
      this.#lastDuration = duration;
    }
    this.#open = { sample: d.item, decode: d.decode, presentation: d.presentation };
  }
}
