/**
 * The fMP4 files of a VOD playlist (`vod_playlist.ts`), made on request from
 * a file opened for the request: the init segment from the file's tracks,
 * and a media segment (RFC 8216, 3.3: one `moof` + `mdat`) from the units a
 * cursor reads between two cut points, with the muxer's pieces
 * (`_rtsp/media/fmp4/`): sample entries, `videoSample`, `mediaSegment`.
 *
 * Times: every track's timescale is its RTP clock rate, as in the live
 * muxer, and its decode times are the file's own, shifted by one constant for
 * the whole file (the presentation offset, plus what keeps the earliest
 * decode time at 0 or more). So segment n+1's `tfdt` continues segment n's
 * last sample, whichever segments a player fetches and in which order, and a
 * player can concatenate them or seek to any (RFC 8216, 6.3.3).
 *
 * Bounded: a segment holds at most {@linkcode MAX_VOD_SEGMENT_BYTES} of
 * samples, and reading stops soon after the segment's end.
 * @module
 */

import type { TrackDescription } from "../../_rtsp/catalogue.ts";
import { AAC_SAMPLES_PER_FRAME } from "../../_rtsp/media/adts.ts";
import type { FileMedia } from "../../_rtsp/media/file_media.ts";
import {
  type CodecConfig,
  configFromDescription,
  type Fmp4Codec,
  fmp4CodecOf,
  pictureSize,
  sampleEntry,
} from "../../_rtsp/media/fmp4/codec_config.ts";
import { initSegment } from "../../_rtsp/media/fmp4/init_segment.ts";
import { type FragmentSample, mediaSegment } from "../../_rtsp/media/fmp4/media_segment.ts";
import { videoSample } from "../../_rtsp/media/fmp4/video_sample.ts";
import type { VodPlan } from "./vod_playlist.ts";

/**
 * Sample bytes one segment may hold (twice that while it is muxed): 10 s of
 * 50 Mbit/s. A segment of a file with GOPs longer than that is refused rather
 * than held whole in memory.
 */
export const MAX_VOD_SEGMENT_BYTES = 64 * 1024 * 1024;

/**
 * Reading goes on past a segment's end until every track has shown its first
 * unit beyond it (whose decode time ends the segment's last sample), but no
 * further than this: a track that ended early shows none.
 */
const READ_PAST_END_SECONDS = 1;

/** Slack when comparing a unit's time with a cut point (float rounding). */
const TIME_EPSILON_SECONDS = 1e-6;

/** One track as muxed: the fMP4 track (id from 1) of a file track that plays in a browser. */
export interface VodTrack {
  readonly trackId: number;
  /** Index into the file's tracks. */
  readonly inputIndex: number;
  readonly codec: Fmp4Codec;
  readonly kind: "video" | "audio";
  /** Ticks per second: the track's RTP clock rate. */
  readonly timescale: number;
  readonly config: CodecConfig;
}

/**
 * The tracks muxed, in the file's order: H.264, H.265, AAC and Opus with
 * their configuration in the description (as a file's always is).
 */
export function vodTracks(tracks: readonly TrackDescription[]): VodTrack[] {
  const out: VodTrack[] = [];
  tracks.forEach((description, inputIndex) => {
    const codec = fmp4CodecOf(description);
    const config = codec && configFromDescription(codec, description);
    if (!codec || !config) return;
    out.push({
      trackId: out.length + 1,
      inputIndex,
      codec,
      kind: codec === "H264" || codec === "H265" ? "video" : "audio",
      timescale: description.clockRate,
      config,
    });
  });
  return out;
}

/** The init segment (`ftyp` + `moov`) of the tracks. */
export function vodInitSegment(tracks: readonly VodTrack[]): Uint8Array {
  return initSegment(tracks.map((t) => ({
    trackId: t.trackId,
    kind: t.kind,
    timescale: t.timescale,
    sampleEntry: sampleEntry(t.config),
    ...pictureSize(t.config),
  })));
}

/**
 * Seconds added to file times to make fMP4 times: the presentation offset
 * (`timestampOffsetSeconds`, which `AccessUnit.timestamp` already has), and
 * more when decode times would still start below 0.
 */
export function vodShiftSeconds(
  media: Pick<FileMedia, "timestampOffsetSeconds" | "firstSendSeconds">,
): {
  /** Added to a unit's send (decode) time. */
  readonly decode: number;
  /** Added to a unit's `au.timestamp` (seconds). */
  readonly presentation: number;
} {
  const lead = Math.max(0, -(media.firstSendSeconds + media.timestampOffsetSeconds));
  return { decode: media.timestampOffsetSeconds + lead, presentation: lead };
}

/** What {@linkcode buildVodSegment} gives. */
export type VodSegmentResult =
  | { readonly ok: true; readonly bytes: Uint8Array }
  | { readonly ok: false; readonly kind: "too-large" | "read"; readonly error: string };

/** A sample waiting for the next one's decode time. */
interface Held {
  readonly data: Uint8Array;
  readonly sync: boolean;
  readonly decode: number;
  readonly presentation: number;
}

/** Per-track state while a segment is read. */
interface Lane {
  readonly track: VodTrack;
  readonly held: Held[];
  /** The decode time of the track's first unit past the segment: it ends the last sample. */
  next: number | undefined;
}

/**
 * Media segment `index` of `plan`: the units a cursor at its start reads
 * until each track reaches the next segment's start (video: its keyframe;
 * audio: the first frame presented there, where the next cursor starts).
 * @param media the file, opened for this request (the caller closes it)
 * @param tracks {@linkcode vodTracks} of the file's tracks
 */
export async function buildVodSegment(
  media: FileMedia,
  tracks: readonly VodTrack[],
  plan: VodPlan,
  index: number,
  maxBytes = MAX_VOD_SEGMENT_BYTES,
): Promise<VodSegmentResult> {
  const segment = plan.segments[index];
  if (!segment) throw new RangeError(`no segment ${index} in a plan of ${plan.segments.length}`);
  const last = index === plan.segments.length - 1;
  const end = last ? Infinity : segment.endSeconds - TIME_EPSILON_SECONDS;
  const shift = vodShiftSeconds(media);
  const lanes = new Map<number, Lane>(
    tracks.map((track) => [track.inputIndex, { track, held: [], next: undefined }]),
  );
  const cursor = await media.cursor(segment.startSeconds);
  let bytes = 0;
  let open = lanes.size;
  while (open > 0) {
    const step = await cursor.next();
    if (step === undefined) break;
    if ("error" in step) return { ok: false, kind: "read", error: step.error };
    if (step.sendSeconds > end + READ_PAST_END_SECONDS) break;
    const lane = lanes.get(step.trackIndex);
    if (!lane || lane.next !== undefined) continue;
    const { track } = lane;
    const decode = Math.round((step.sendSeconds + shift.decode) * track.timescale);
    const shown = step.au.timestamp / track.timescale - media.timestampOffsetSeconds;
    // The next segment's first unit of this track: its keyframe (video), or the
    // first frame presented at its start (audio), as its cursor starts there.
    if (shown >= end && (track.kind === "audio" || step.au.keyframe)) {
      lane.next = decode;
      open--;
      continue;
    }
    const presentation = step.au.timestamp + Math.round(shift.presentation * track.timescale);
    if (track.kind === "video") {
      const sample = videoSample(track.codec as "H264" | "H265", step.au.units);
      if (!sample) continue;
      lane.held.push({ data: sample.data, sync: sample.sync, decode, presentation });
      bytes += sample.data.length;
    } else {
      // RFC 3640 3.2.3.1: AAC frames of one unit follow each other by a frame each.
      const frame = track.codec === "AAC" ? AAC_SAMPLES_PER_FRAME : 0;
      step.au.units.forEach((data, i) => {
        lane.held.push({
          data,
          sync: true,
          decode: decode + i * frame,
          presentation: presentation + i * frame,
        });
        bytes += data.length;
      });
    }
    if (bytes > maxBytes) {
      return {
        ok: false,
        kind: "too-large",
        error: `segment ${index} holds more than ${maxBytes} bytes of samples`,
      };
    }
  }
  const runs = [...lanes.values()].filter((l) => l.held.length > 0).map((lane) => ({
    trackId: lane.track.trackId,
    baseDecodeTime: lane.held[0].decode,
    compositionOffsets: lane.track.kind === "video",
    samples: samplesOf(lane),
  }));
  return { ok: true, bytes: mediaSegment(index + 1, runs) };
}

/**
 * The lane's samples with their durations: to the next one's decode time; the
 * last to the next segment's first (or, at the file's end, as the one before).
 */
function samplesOf(lane: Lane): FragmentSample[] {
  const { held, track } = lane;
  let previous = 0;
  return held.map((s, i) => {
    const next = i + 1 < held.length ? held[i + 1].decode : lane.next;
    const duration = next !== undefined
      ? next - s.decode
      : previous || Math.round(track.timescale / 50);
    previous = duration;
    return {
      data: s.data,
      // Decode times only grow in a file; a repeated one still may not make a 0-tick sample.
      duration: Math.max(1, duration),
      sync: s.sync,
      compositionOffset: track.kind === "video" ? s.presentation - s.decode : 0,
    };
  });
}
