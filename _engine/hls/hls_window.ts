/**
 * The parts and segments of one LL-HLS stream: fMP4 fragments (one per
 * video picture) grouped into Partial Segments and Media Segments
 * (RFC 8216bis, 3 and 4.4.4.9), kept in a bounded window. Pure: no clock,
 * no timers; {@linkcode HlsMuxer} feeds it and waits on it.
 *
 * - A part closes when it reaches the part target, before a fragment would
 *   take it past the target, and at every keyframe (so a part that starts
 *   with a keyframe is `INDEPENDENT=YES`, 4.4.4.9).
 * - A segment closes at a keyframe once it lasts the segment target (about
 *   one GOP), or at any fragment past {@linkcode MAX_SEGMENT_SECONDS}
 *   (a stream without keyframes still gets bounded segments).
 * - The window keeps the last `windowSegments` complete segments and the
 *   segment being built; older ones are dropped with their bytes.
 * @module
 */

import type { Fmp4Fragment } from "../fmp4_stream.ts";

/** A segment closes at the next fragment past this, keyframe or not (memory bound). */
export const MAX_SEGMENT_SECONDS = 10;

/** Durations are sums of timescale ticks divided out: compare with this slack. */
const EPSILON_SECONDS = 0.001;

/** One Partial Segment (RFC 8216bis, 3.1.2). */
export interface HlsPart {
  /** Media Sequence Number of its segment. */
  readonly msn: number;
  /** Its index in the segment, from 0 (`_HLS_part`). */
  readonly index: number;
  /** The fragments' bytes, concatenated. */
  readonly bytes: Uint8Array;
  readonly durationSeconds: number;
  /** Starts with a keyframe: `INDEPENDENT=YES`. */
  readonly independent: boolean;
}

/** One Media Segment, complete or being built. */
export interface HlsSegment {
  readonly msn: number;
  readonly parts: HlsPart[];
  /** Decode time of its first fragment, seconds on the stream's timeline. */
  readonly startSeconds: number;
  durationSeconds: number;
  complete: boolean;
  /** A new init segment starts here (RFC 8216, 4.3.2.3 EXT-X-DISCONTINUITY). */
  readonly discontinuity: boolean;
  /** Which init segment its fragments need (`init<id>.mp4`). */
  readonly initId: number;
}

/** Options of {@linkcode HlsWindow}. */
export interface HlsWindowOptions {
  /** Part target duration, seconds (`PART-TARGET`). @default 0.2 */
  readonly partTargetSeconds?: number;
  /** A segment closes at the first keyframe once it lasts this long, seconds. @default 1 */
  readonly segmentTargetSeconds?: number;
  /** Complete segments kept. @default 7 */
  readonly windowSegments?: number;
}

/** Where a part stands: (msn, index), ordered lexicographically. */
export interface PartKey {
  readonly msn: number;
  readonly index: number;
}

/** The grouping of fragments into parts and segments, with a bounded window. */
export class HlsWindow {
  readonly partTargetSeconds: number;
  readonly segmentTargetSeconds: number;
  readonly windowSegments: number;
  /** Oldest first; the last one may be incomplete. */
  readonly segments: HlsSegment[] = [];
  /** Discontinuities that slid out of the window (RFC 8216, 4.3.3.3). */
  discontinuitySequence = 0;
  /** Longest complete segment so far, seconds. */
  longestSegmentSeconds = 0;
  #pending: Fmp4Fragment[] = [];
  #pendingSeconds = 0;
  #initId = -1;
  #nextMsn = 0;
  #newInit = false;

  constructor(options: HlsWindowOptions = {}) {
    this.partTargetSeconds = options.partTargetSeconds ?? 0.2;
    this.segmentTargetSeconds = options.segmentTargetSeconds ?? 1;
    this.windowSegments = options.windowSegments ?? 7;
  }

  /** The init segment changed: the current segment ends, the next one is a discontinuity. */
  newInit(): number {
    this.#closePart();
    this.#closeSegment();
    this.#initId++;
    this.#newInit = this.segments.length > 0;
    return this.#initId;
  }

  /** Segment being built, if any. */
  get open(): HlsSegment | undefined {
    const last = this.segments.at(-1);
    return last && !last.complete ? last : undefined;
  }

  /** The last complete part, if any. */
  lastPart(): PartKey | undefined {
    for (let i = this.segments.length - 1; i >= 0; i--) {
      const part = this.segments[i].parts.at(-1);
      if (part) return { msn: part.msn, index: part.index };
    }
    return undefined;
  }

  /** The last complete segment's msn, or -1. */
  lastCompleteMsn(): number {
    for (let i = this.segments.length - 1; i >= 0; i--) {
      if (this.segments[i].complete) return this.segments[i].msn;
    }
    return -1;
  }

  /** Where the next part will be: the preload hint (RFC 8216bis, 4.4.5.3). */
  nextPart(): PartKey {
    const open = this.open;
    // A segment that lasts its target ends at the next keyframe: expect that
    // to be next (a fixed-GOP stream's always is), so the hint names a part
    // that will exist; were it wrong, the hinted part still comes, later.
    if (
      open &&
      (this.#pending.length > 0 ||
        open.durationSeconds + EPSILON_SECONDS < this.segmentTargetSeconds)
    ) {
      return { msn: open.msn, index: open.parts.length };
    }
    if (open) return { msn: open.msn + 1, index: 0 };
    return { msn: this.#nextMsn, index: 0 };
  }

  /** The segment `msn`, while in the window. */
  segment(msn: number): HlsSegment | undefined {
    const first = this.segments[0];
    return first ? this.segments[msn - first.msn] : undefined;
  }

  /**
   * Adds one fragment.
   * @returns the parts it completed (zero, one, or two when a keyframe closed one)
   */
  push(fragment: Fmp4Fragment): HlsPart[] {
    if (this.#initId < 0) return []; // no init segment yet: nothing can be played
    const made: HlsPart[] = [];
    const open = this.open;
    const segmentSeconds = open
      ? open.durationSeconds + this.#pendingSeconds
      : this.#pendingSeconds;
    if (open) {
      if (
        (fragment.keyframe && segmentSeconds + EPSILON_SECONDS >= this.segmentTargetSeconds) ||
        segmentSeconds >= MAX_SEGMENT_SECONDS
      ) {
        const part = this.#closePart();
        if (part) made.push(part);
        this.#closeSegment();
      } else if (
        fragment.keyframe ||
        this.#pendingSeconds + fragment.durationSeconds >
          this.partTargetSeconds + EPSILON_SECONDS
      ) {
        const part = this.#closePart();
        if (part) made.push(part);
      }
    }
    if (!this.open) this.#openSegment(fragment);
    this.#pending.push(fragment);
    this.#pendingSeconds += fragment.durationSeconds;
    if (this.#pendingSeconds + EPSILON_SECONDS >= this.partTargetSeconds) {
      const part = this.#closePart();
      if (part) made.push(part);
    }
    return made;
  }

  #openSegment(first: Fmp4Fragment): void {
    this.segments.push({
      msn: this.#nextMsn++,
      parts: [],
      startSeconds: first.decodeTimeSeconds,
      durationSeconds: 0,
      complete: false,
      discontinuity: this.#newInit,
      initId: this.#initId,
    });
    this.#newInit = false;
  }

  #closePart(): HlsPart | undefined {
    const open = this.open;
    if (!open || this.#pending.length === 0) return undefined;
    const length = this.#pending.reduce((n, f) => n + f.bytes.length, 0);
    const bytes = new Uint8Array(length);
    let offset = 0;
    for (const f of this.#pending) {
      bytes.set(f.bytes, offset);
      offset += f.bytes.length;
    }
    const part: HlsPart = {
      msn: open.msn,
      index: open.parts.length,
      bytes,
      durationSeconds: this.#pendingSeconds,
      independent: this.#pending[0].keyframe,
    };
    open.parts.push(part);
    open.durationSeconds += part.durationSeconds;
    this.#pending = [];
    this.#pendingSeconds = 0;
    return part;
  }

  #closeSegment(): void {
    const open = this.open;
    if (!open) return;
    open.complete = true;
    this.longestSegmentSeconds = Math.max(this.longestSegmentSeconds, open.durationSeconds);
    while (this.segments.filter((s) => s.complete).length > this.windowSegments) {
      const gone = this.segments.shift()!;
      if (gone.discontinuity) this.discontinuitySequence++;
    }
  }
}
