/**
 * MP4 (ISO BMFF) files served on demand: the playable tracks of the sample
 * tables, read sample by sample and merged across tracks in decode order.
 *
 * @module
 */

import { type Mp4Track, openMp4 } from "./mp4.ts";
import { aacTrack, h264Track, h265Track, opusTrack, type SourceTrack } from "./source_track.ts";
import type { CursorStep, FileCursor, FileMedia, OpenMediaResult, ReadAt } from "./file_media.ts";
import { corrupt, describeError, SpacedTimes, unsupported } from "./file_media_shared.ts";

/**
 * MP4 samples per track inspected for the earliest presentation time. Negative
 * times come from encoder delay and B-frame reordering, both confined to the
 * first few samples; scanning all would cost O(samples) per open.
 */
const MP4_EARLIEST_PTS_SCAN_SAMPLES = 256;

/** A playable MP4 track and its description. */
interface Mp4Playable {
  readonly track: Mp4Track;
  readonly source: SourceTrack;
}

/** The SourceTrack for an MP4 track, or undefined when it cannot be streamed. */
function describeMp4Track(track: Mp4Track, index: number): SourceTrack | undefined {
  if (track.sampleCount === 0) return undefined;
  const frameRate = track.durationSeconds > 0
    ? track.sampleCount / track.durationSeconds
    : undefined;
  switch (track.codec) {
    case "H264": {
      const sps = track.h264?.sps[0];
      const pps = track.h264?.pps[0];
      return sps && pps ? h264Track(index, sps, pps, frameRate) : undefined;
    }
    case "H265": {
      const vps = track.h265?.vps[0];
      const sps = track.h265?.sps[0];
      const pps = track.h265?.pps[0];
      return vps && sps && pps ? h265Track(index, vps, sps, pps, frameRate) : undefined;
    }
    case "AAC":
      return track.aacConfig && track.channels
        ? aacTrack(index, track.aacConfig, track.rtpClockRate, track.channels)
        : undefined;
    case "OPUS":
      return opusTrack(index, track.opus?.channels ?? track.channels ?? 1);
    default:
      return undefined;
  }
}

export async function openMp4Media(readAt: ReadAt, size: number): Promise<OpenMediaResult> {
  const opened = await openMp4(readAt, size);
  if (!opened.ok) return corrupt(opened.error);
  const playable: Mp4Playable[] = [];
  for (const track of opened.file.tracks) {
    const source = describeMp4Track(track, playable.length);
    if (source) playable.push({ track, source });
  }
  if (playable.length === 0) {
    const found = opened.file.tracks.map((t) => t.codecTag).join(", ") || "none";
    return unsupported(`no playable track (H.264, H.265, AAC or Opus); tracks: ${found}`);
  }
  // One offset for all tracks: shifting each track to its own zero would move
  // audio against video by the encoder delay.
  let earliest = 0;
  for (const { track } of playable) {
    const n = Math.min(track.sampleCount, MP4_EARLIEST_PTS_SCAN_SAMPLES);
    for (let i = 0; i < n; i++) {
      earliest = Math.min(earliest, track.sampleInfo(i).pts / track.timescale);
    }
  }
  return { ok: true, media: new Mp4Media(playable, -earliest) };
}

class Mp4Media implements FileMedia {
  readonly tracks: readonly SourceTrack[];
  readonly durationSeconds: number;
  readonly timestampOffsetSeconds: number;
  readonly firstSendSeconds: number;
  readonly #playable: readonly Mp4Playable[];

  constructor(playable: readonly Mp4Playable[], timestampOffsetSeconds: number) {
    this.#playable = playable;
    this.tracks = playable.map((p) => p.source);
    this.durationSeconds = playable.reduce((max, p) => Math.max(max, p.track.durationSeconds), 0);
    this.timestampOffsetSeconds = timestampOffsetSeconds;
    // Decode times only grow within a track: its first sample has its earliest.
    this.firstSendSeconds = playable.reduce(
      (min, p) => Math.min(min, p.track.sampleInfo(0).dts / p.track.timescale),
      0,
    );
  }

  /** The track seeks land on: the first video track, else the first track. */
  #leadIndex(): number {
    return Math.max(0, this.#playable.findIndex((p) => p.track.kind === "video"));
  }

  keyframeTimes(minSpacingSeconds: number): Float64Array {
    // The times `cursor` lands on: the lead's sync samples, presented no earlier than 0.
    const lead = this.#playable[this.#leadIndex()].track;
    const times = new SpacedTimes(minSpacingSeconds);
    for (let k = 0; k < lead.syncSampleCount; k++) {
      times.push(Math.max(0, lead.sampleInfo(lead.syncSampleIndex(k)).pts / lead.timescale));
    }
    return times.finish();
  }

  cursor(startSeconds: number, readAt?: ReadAt): Promise<FileCursor> {
    const tracks = this.#playable.map((p) => p.track);
    if (!(startSeconds > 0) || !Number.isFinite(startSeconds)) {
      return Promise.resolve(
        new Mp4Cursor(tracks, tracks.map(() => 0), 0, this.timestampOffsetSeconds, readAt),
      );
    }
    // The seek lands on the lead track's sync sample; every other track starts
    // at that time, so the client sees audio and video begin together.
    const leadIndex = this.#leadIndex();
    const lead = tracks[leadIndex];
    const key = lead.syncSampleAtOrBefore(startSeconds);
    const keySeconds = Math.max(0, lead.sampleInfo(key).pts / lead.timescale);
    const starts = tracks.map((t, i) => {
      if (i === leadIndex) return key;
      return t.kind === "video"
        ? t.syncSampleAtOrBefore(keySeconds)
        : t.sampleIndexAtOrAfter(keySeconds);
    });
    return Promise.resolve(
      new Mp4Cursor(tracks, starts, keySeconds, this.timestampOffsetSeconds, readAt),
    );
  }
}

/** Per-track state of an {@link Mp4Cursor}. */
interface Mp4Lane {
  readonly track: Mp4Track;
  /** The timestamp offset in this track's RTP clock. */
  readonly offsetTicks: number;
  /** Next sample index in decode order. */
  next: number;
  /** Decode time of sample `next`, seconds; Infinity when the track is done. */
  nextDts: number;
}

class Mp4Cursor implements FileCursor {
  readonly startSeconds: number;
  readonly #lanes: Mp4Lane[];
  /** Undefined: each track reads through what the file was opened with. */
  readonly #readAt: ReadAt | undefined;
  #error: string | undefined;

  constructor(
    tracks: readonly Mp4Track[],
    starts: readonly number[],
    startSeconds: number,
    offsetSeconds: number,
    readAt?: ReadAt,
  ) {
    this.startSeconds = startSeconds;
    this.#readAt = readAt;
    this.#lanes = tracks.map((track, i) => {
      const lane: Mp4Lane = {
        track,
        offsetTicks: Math.round(offsetSeconds * track.rtpClockRate),
        next: starts[i],
        nextDts: Infinity,
      };
      this.#updateDts(lane);
      return lane;
    });
  }

  #updateDts(lane: Mp4Lane): void {
    lane.nextDts = lane.next < lane.track.sampleCount
      ? lane.track.sampleInfo(lane.next).dts / lane.track.timescale
      : Infinity;
  }

  async next(): Promise<CursorStep> {
    if (this.#error !== undefined) return { error: this.#error };
    // Earliest decode time first; ties go to the lower track index, so the
    // order is deterministic.
    let best = -1;
    for (let i = 0; i < this.#lanes.length; i++) {
      const dts = this.#lanes[i].nextDts;
      if (dts !== Infinity && (best < 0 || dts < this.#lanes[best].nextDts)) best = i;
    }
    if (best < 0) return undefined;
    const lane = this.#lanes[best];
    const sample = lane.next;
    const sendSeconds = lane.nextDts;
    lane.next++;
    this.#updateDts(lane);
    let read;
    try {
      read = await lane.track.readAccessUnit(sample, this.#readAt);
    } catch (e) {
      read = { ok: false as const, error: describeError(e) };
    }
    if (!read.ok) {
      this.#error = read.error;
      return { error: read.error };
    }
    const unit = read.unit;
    return {
      trackIndex: best,
      sendSeconds,
      au: {
        timestamp: Math.max(0, unit.timestamp + lane.offsetTicks),
        units: unit.units,
        keyframe: unit.keyframe,
      },
    };
  }
}
