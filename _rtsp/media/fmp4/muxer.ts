/**
 * A fragmented MP4 muxer for RTP tracks (ISO/IEC 14496-12 §8.8, with the
 * sample entries of ISO/IEC 14496-15 and -14): access units in, an init
 * segment and media segments out. Pure: no clock of its own, no I/O.
 *
 * Tracks: H.264, H.265, AAC, Opus and G.711 (as FLAC, `flac_entry.ts`) are
 * muxed, one fMP4 track each (track_ID 1, 2, … in SDP order); other encodings
 * are left out (see `codec_config.ts`). A video track without parameter sets in its SDP waits
 * for them in-band; until every video track has them nothing is muxed.
 *
 * Timing: each track's timescale is its RTP clock rate. Timestamps are
 * extended and smoothed over jumps (`rtp_timeline.ts`), and video decode
 * times come from a reorder window (`decode_times.ts`). Tracks are placed on
 * one timeline by the wallclock time of their first access unit (from RTCP
 * Sender Reports when the caller has them, else arrival): the stream's first
 * unit is time 0. Decode times never go back or repeat and no sample lasts 0
 * ticks; audio before time 0 is dropped. With B-frames, every track is
 * presented one reorder window later than that (`MuxTrack.reorderDelay`, fixed
 * at the first fragment), so composition offsets stay non-negative.
 *
 * Fragments: one per picture of the first video track, holding that picture
 * and the audio (and other video) samples decoded before it ends; without
 * video, one per {@linkcode AUDIO_FRAGMENT_SECONDS} of the first track. A
 * sample's duration is the distance to the next one's decode time, so a
 * picture leaves the muxer when the next one arrives (plus the reorder window).
 *
 * @module
 */

import type { TrackDescription } from "../../catalogue.ts";
import type { AccessUnit } from "../access_unit.ts";
import { AAC_SAMPLES_PER_FRAME } from "../adts.ts";
import {
  type CodecConfig,
  codecString,
  fmp4CodecOf,
  pictureSize,
  sameConfig,
  sampleEntry,
  videoConfig,
} from "./codec_config.ts";
import { initSegment, type InitTrack } from "./init_segment.ts";
import { type FragmentSample, type FragmentTrack, mediaSegment } from "./media_segment.ts";
import type { RtpTimelineOptions } from "./rtp_timeline.ts";
import { MuxTrack, type PendingSample, type ReadySample } from "./mux_track.ts";
import { videoSample } from "./video_sample.ts";

/** Without video, a fragment holds this much of the first audio track. */
export const AUDIO_FRAGMENT_SECONDS = 0.1;
/**
 * Reorder window of H.264 streams whose SPS does not say how far they reorder
 * (no VUI bitstream restriction, not Baseline): x264 and x265 reorder by at
 * most 2 pictures with their default B-pyramid. H.265 SPSs always say
 * (sps_max_num_reorder_pics). Deeper reordering than the window still gives
 * valid, increasing decode times (see `decode_times.ts`), only with some
 * decode times moved up and larger composition offsets.
 */
export const DEFAULT_VIDEO_REORDER_WINDOW = 2;
/** Samples of other tracks kept waiting for the first video track before they go alone. */
export const MAX_WAITING_SAMPLES = 256;
const MS_PER_SECOND = 1000;

/** What the muxer hands out, in order. */
export type Fmp4Output =
  | {
    readonly kind: "init";
    /** `ftyp` + `moov`: the first thing a player needs, and again whenever it changes. */
    readonly bytes: Uint8Array;
    /** RFC 6381 codecs, e.g. `avc1.64001f,mp4a.40.2`. */
    readonly codecs: string;
  }
  | { readonly kind: "fragment"; readonly fragment: Fmp4Fragment };

/** One media segment (`moof` + `mdat`). */
export interface Fmp4Fragment {
  readonly bytes: Uint8Array;
  /** It starts with a sync sample of the first video track (always, without video): a player may start here. */
  readonly keyframe: boolean;
  /** Decode time of its first sample of the first track, seconds on the stream's timeline. */
  readonly decodeTimeSeconds: number;
  /** How long that track's samples in it last, seconds. */
  readonly durationSeconds: number;
  /** `mfhd` sequence_number, from 1. */
  readonly sequenceNumber: number;
}

/** Options of {@linkcode Fmp4Muxer}. */
export interface Fmp4MuxerOptions extends RtpTimelineOptions {
  /** Reorder window of video tracks; by default read from the SPS (see {@linkcode DEFAULT_VIDEO_REORDER_WINDOW}). */
  readonly videoReorderWindow?: number;
}

/** Muxes the tracks of one RTP stream into fragmented MP4. */
export class Fmp4Muxer {
  readonly #tracks: MuxTrack[] = [];
  readonly #byInput = new Map<number, MuxTrack>();
  readonly #lead: MuxTrack | undefined;
  readonly #options: Fmp4MuxerOptions;
  #originMs: number | undefined;
  #init: Uint8Array | undefined;
  #sequenceNumber = 0;
  #droppedSamples = 0;
  /** Seconds added to every presentation time (see {@linkcode MuxTrack.reorderDelay}), fixed at the first fragment. */
  #delaySeconds: number | undefined;

  /**
   * @param tracks the stream's tracks in SDP order (the indices `push` takes)
   * @param options timeline bounds and the video reorder window
   */
  constructor(tracks: readonly TrackDescription[], options: Fmp4MuxerOptions = {}) {
    this.#options = options;
    tracks.forEach((description, inputIndex) => {
      const codec = fmp4CodecOf(description);
      if (codec === undefined) return;
      const track = new MuxTrack(this.#tracks.length + 1, inputIndex, codec, description, {
        ...options,
        window: (config) => this.#reorderWindow(config),
      });
      this.#tracks.push(track);
      this.#byInput.set(inputIndex, track);
    });
    this.#lead = this.#tracks.find((t) => t.kind === "video");
  }

  /** Indices (into the tracks given) of the tracks muxed. */
  get muxedTracks(): number[] {
    return this.#tracks.map((t) => t.inputIndex);
  }

  /** Access units dropped: before the parameter sets were known, before a first keyframe, or before time 0. */
  get droppedSamples(): number {
    return this.#droppedSamples;
  }

  /** Timestamp jumps smoothed over, all tracks together. */
  get timestampJumps(): number {
    return this.#tracks.reduce((n, t) => n + t.timeline.jumps, 0);
  }

  /** Decode times moved up to keep them increasing (hostile or deeper-than-window timestamps). */
  get clampedSamples(): number {
    return this.#tracks.reduce((n, t) => n + t.clamped, 0);
  }

  /** The current init segment, once every track's configuration is known. */
  initSegment(): Uint8Array | undefined {
    return this.#init;
  }

  /** RFC 6381 codecs of the muxed tracks (those known so far), comma-separated. */
  codecs(): string {
    return this.#tracks
      .map((t) => t.published ?? t.latest)
      .filter((c) => c !== undefined)
      .map(codecString)
      .join(",");
  }

  /**
   * One access unit of track `trackIndex`, its timestamp the raw RTP timestamp.
   * @param wallclockMs when it was (is to be) presented, on a clock shared by
   * all tracks (Sender Report mapping or arrival time); only the first unit of
   * each track is read
   */
  push(trackIndex: number, au: AccessUnit, wallclockMs: number): Fmp4Output[] {
    const track = this.#byInput.get(trackIndex);
    if (!track) return [];
    if (track.kind === "video") this.#pushVideo(track, au, wallclockMs);
    else this.#pushAudio(track, au, wallclockMs);
    return this.#collect(false);
  }

  /**
   * Everything still held (the stream ended): the last samples last as long as
   * the one before (G.711: as long as their own samples).
   */
  flush(): Fmp4Output[] {
    for (const track of this.#tracks) track.flush();
    return this.#collect(true);
  }

  #pushVideo(track: MuxTrack, au: AccessUnit, wallclockMs: number): void {
    const codec = track.codec as "H264" | "H265";
    const sample = videoSample(codec, au.units);
    if (!sample) return;
    let config: CodecConfig | undefined;
    if (sample.parameterSets) {
      const found = videoConfig(codec, sample.parameterSets);
      if (found && !(track.latest && sameConfig(found, track.latest))) config = found;
      if (found) track.latest = found;
    }
    // A new configuration must reach the init segment even if it arrives with the
    // very first sample; later ones travel with their sample.
    const pending: PendingSample = config && track.started
      ? { data: sample.data, sync: sample.sync, config }
      : { data: sample.data, sync: sample.sync };
    if (!track.started && !(sample.sync && this.#configured())) {
      this.#droppedSamples++;
      return;
    }
    this.#accept(track, pending, au.timestamp, wallclockMs);
  }

  #pushAudio(track: MuxTrack, au: AccessUnit, wallclockMs: number): void {
    if (!this.#configured()) {
      this.#droppedSamples += au.units.length;
      return;
    }
    if (track.flac) {
      // RFC 3551 §4.5.14: a G.711 payload is its samples, one byte each, the
      // timestamp the first one's; each becomes a FLAC frame (or a few, when long).
      for (const unit of au.units) {
        for (const { frame, offset, samples } of track.flac.frames(unit)) {
          const sample = { data: frame, sync: true, duration: samples };
          this.#accept(track, sample, au.timestamp + offset, wallclockMs);
        }
      }
      return;
    }
    // RFC 3640 §3.2.3.1: several AAC frames in one packet follow each other by one frame each.
    const step = track.codec === "AAC" ? AAC_SAMPLES_PER_FRAME : 0;
    au.units.forEach((unit, i) => {
      this.#accept(track, { data: unit, sync: true }, au.timestamp + i * step, wallclockMs);
    });
  }

  /** Every track has a configuration (video: parameter sets seen). */
  #configured(): boolean {
    return this.#tracks.every((t) => t.latest !== undefined);
  }

  #accept(track: MuxTrack, sample: PendingSample, rtpTimestamp: number, wallclockMs: number) {
    const ticks = track.timeline.extend(rtpTimestamp);
    this.#originMs ??= wallclockMs;
    track.offset ??=
      Math.round(((wallclockMs - this.#originMs) * track.timescale) / MS_PER_SECOND) -
      ticks;
    const presentation = ticks + track.offset;
    if (track.kind === "audio" && presentation < 0) {
      this.#droppedSamples++;
      return;
    }
    track.accept(sample, presentation);
  }

  /** The reorder window: as the SPS says, else {@linkcode DEFAULT_VIDEO_REORDER_WINDOW}. */
  #reorderWindow(config: CodecConfig | undefined): number {
    if (this.#options.videoReorderWindow !== undefined) return this.#options.videoReorderWindow;
    const fromSps = config?.codec === "H264"
      ? config.avc.reorderFrames
      : config?.codec === "H265"
      ? config.hevc.reorderFrames
      : undefined;
    return fromSps ?? DEFAULT_VIDEO_REORDER_WINDOW;
  }

  /** Fragments from the samples ready; at the end (`all`), everything. */
  #collect(all: boolean): Fmp4Output[] {
    const out: Fmp4Output[] = [];
    const lead = this.#lead ?? this.#tracks[0];
    if (!lead) return out;
    while (true) {
      const taken = this.#takeLead(lead, all);
      if (!taken) break;
      const end = lead.seconds(taken.at(-1)!.decode + taken.at(-1)!.duration);
      this.#emit(out, lead, taken, (t) => all || t.seconds(t.ready[0].decode) < end);
    }
    // Video stalled (or ended) while other tracks went on: they go alone.
    const others = this.#tracks.filter((t) => t !== lead);
    if (all || others.some((t) => t.ready.length > MAX_WAITING_SAMPLES)) {
      if (others.some((t) => t.ready.length > 0)) this.#emit(out, undefined, [], () => true);
    }
    return out;
  }

  /** The first track's samples for the next fragment, or undefined when not enough are ready. */
  #takeLead(lead: MuxTrack, all: boolean): ReadySample[] | undefined {
    if (lead.ready.length === 0) return undefined;
    if (lead.kind === "video") return lead.ready.splice(0, 1);
    let span = 0;
    for (let i = 0; i < lead.ready.length; i++) {
      span += lead.ready[i].duration;
      if (lead.seconds(span) >= AUDIO_FRAGMENT_SECONDS) return lead.ready.splice(0, i + 1);
    }
    return all ? lead.ready.splice(0) : undefined;
  }

  /** Builds one fragment: the lead's samples, and from each other track those `take` admits. */
  #emit(
    out: Fmp4Output[],
    lead: MuxTrack | undefined,
    leadSamples: ReadySample[],
    take: (track: MuxTrack) => boolean,
  ): void {
    const runs = new Map<MuxTrack, ReadySample[]>();
    for (const track of this.#tracks) {
      if (track === lead) {
        runs.set(track, leadSamples);
        continue;
      }
      const samples: ReadySample[] = [];
      while (track.ready.length > 0 && take(track)) samples.push(track.ready.shift()!);
      runs.set(track, samples);
    }
    let changed = this.#init === undefined;
    for (const [track, samples] of runs) {
      for (const s of samples) {
        if (s.sample.config) {
          track.published = s.sample.config;
          changed = true;
        }
      }
    }
    if (changed) {
      this.#init = this.#buildInit();
      out.push({ kind: "init", bytes: this.#init, codecs: this.codecs() });
    }
    this.#delaySeconds ??= this.#lead ? this.#lead.seconds(this.#lead.reorderDelay()) : 0;
    const fragmentTracks: FragmentTrack[] = [];
    for (const [track, samples] of runs) {
      if (samples.length === 0) continue;
      // Presentation times move by the delay: video through its composition
      // offsets (decode times stay), audio whole (its decode time is its presentation).
      const delay = Math.round(this.#delaySeconds * track.timescale);
      const video = track.kind === "video";
      fragmentTracks.push({
        trackId: track.trackId,
        baseDecodeTime: samples[0].decode + (video ? 0 : delay),
        compositionOffsets: video,
        samples: samples.map((s): FragmentSample => ({
          data: s.sample.data,
          duration: s.duration,
          sync: s.sample.sync,
          compositionOffset: video ? s.presentation - s.decode + delay : 0,
        })),
      });
    }
    if (fragmentTracks.length === 0) return;
    const firstTrack = lead && leadSamples.length > 0
      ? lead
      : [...runs].find(([, s]) => s.length > 0)![0];
    const firstRun = fragmentTracks.find((t) => t.trackId === firstTrack.trackId)!;
    const duration = firstRun.samples.reduce((n, s) => n + s.duration, 0);
    this.#sequenceNumber++;
    out.push({
      kind: "fragment",
      fragment: {
        bytes: mediaSegment(this.#sequenceNumber, fragmentTracks),
        // Without video every fragment is a starting point; with video, only a picture that is one.
        keyframe: this.#lead === undefined ||
          (lead === this.#lead && leadSamples[0]?.sample.sync === true),
        decodeTimeSeconds: firstTrack.seconds(firstRun.baseDecodeTime),
        durationSeconds: firstTrack.seconds(duration),
        sequenceNumber: this.#sequenceNumber,
      },
    });
  }

  #buildInit(): Uint8Array {
    const tracks: InitTrack[] = [];
    for (const track of this.#tracks) {
      const config = track.published ?? track.latest!;
      track.published = config;
      tracks.push({
        trackId: track.trackId,
        kind: track.kind,
        timescale: track.timescale,
        sampleEntry: sampleEntry(config),
        ...pictureSize(config),
      });
    }
    return initSegment(tracks);
  }
}
