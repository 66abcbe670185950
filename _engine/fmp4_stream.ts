/**
 * One stream muxed once into fragmented MP4 for any number of subscribers
 * (a WebSocket/MSE reader, an LL-HLS muxer): a {@linkcode Reader} attached to
 * a live or published stream like any RTSP reader, which depacketizes its
 * frames, muxes them (`_rtsp/media/fmp4/muxer.ts`) and hands each init
 * segment and fragment to every subscriber.
 *
 * ```ts
 * const fmp4 = new Fmp4Stream(stream.description, { scheduler });
 * const detach = fmp4.attachTo(stream); // a LiveStream or RelayStream
 * const unsubscribe = fmp4.subscribe((event) => {
 *   // init: `video/mp4; codecs="${event.codecs}"` for MediaSource.isTypeSupported;
 *   // event.bytes goes first, and again whenever a new init comes (new parameter sets).
 *   if (event.kind === "init") send(event.bytes);
 *   else send(event.fragment.bytes); // or drop up to the next event.fragment.keyframe
 * });
 * ```
 *
 * A new subscriber gets the current init segment, then the fragments since
 * the last keyframe (the stream's cached GOP, muxed when this reader was
 * attached, then kept as fragments), then live fragments: never a fragment
 * from the middle of a GOP. A subscriber that joins before any keyframe
 * fragment waits for one. Fragments are shared bytes: do not modify them.
 * Queueing, and dropping up to the next `keyframe` fragment when a consumer
 * is slow, is the subscriber's job.
 *
 * Which tracks are muxed: H.264, H.265, AAC, Opus, and G.711 (the `/test`
 * stream's audio, many cameras') as FLAC, since browsers' MSE plays FLAC in
 * MP4 but not G.711 (`_rtsp/media/fmp4/flac_entry.ts`).
 *
 * Tracks are aligned by RTCP Sender Reports (RFC 3550, 6.4.1) when every
 * muxed track has had one before its first frame (the live stream sends them
 * at attach); otherwise by arrival time on the scheduler's clock.
 * @module
 */

import type { Scheduler } from "../_rtsp/scheduler.ts";
import type { StreamDescription } from "../_rtsp/catalogue.ts";
import type { PlayStart } from "../_rtsp/media_port.ts";
import type { Session, SessionTrack } from "../_rtsp/session.ts";
import {
  parseRtcpCompound,
  type RtpClockMapping,
  rtpTimestampToUnixMs,
} from "../_rtsp/rtp/rtcp.ts";
import { fmp4CodecOf } from "../_rtsp/media/fmp4/codec_config.ts";
import { type Fmp4Fragment, Fmp4Muxer, type Fmp4Output } from "../_rtsp/media/fmp4/muxer.ts";
import { RtpAccessUnits } from "../_rtsp/media/fmp4/rtp_access_units.ts";
import { DropGate } from "./fanout/drop_gate.ts";
import type { FrameDelivery } from "./fanout/media_frame.ts";
import { type GopCache, MAX_GOP_CACHE_BYTES } from "./fanout/gop_cache.ts";
import type { Reader, ReceptionStats } from "./reader.ts";

export type { Fmp4Fragment } from "../_rtsp/media/fmp4/muxer.ts";

/** What a subscriber receives, in order: an init segment first, then fragments (and a new init when it changes). */
export type Fmp4Event = Fmp4Output;

/** A subscriber: called synchronously for each event; it must not throw (one that does is unsubscribed). */
export type Fmp4Listener = (event: Fmp4Event) => void;

/** A stream a {@linkcode Fmp4Stream} can read: `LiveStream` and `RelayStream` both are. */
export interface Fmp4Source {
  readonly description: StreamDescription;
  attach(reader: Reader): PlayStart;
  detach(sessionId: string, bye: boolean): Reader | undefined;
}

/** Options of {@linkcode Fmp4Stream}. */
export interface Fmp4StreamOptions {
  /** The clock of arrival times (used when Sender Reports do not align the tracks). */
  readonly scheduler: Scheduler;
  /** Bound on the fragments kept for new subscribers. @default {MAX_GOP_CACHE_BYTES} */
  readonly maxCacheBytes?: number;
  /**
   * The id the stream's fan-out knows this reader by; two Fmp4Streams on one
   * stream need different ones (one per stream is the intended use).
   * @default `fmp4:<path>`
   */
  readonly readerId?: string;
}

interface Subscriber {
  readonly listener: Fmp4Listener;
  /** Has had a keyframe fragment (or the cached GOP): fragments flow. */
  started: boolean;
}

/** How the first frame of each track is placed on the shared timeline. */
type Alignment = "sender-reports" | "arrival";

/** The id prefix of the sessions Fmp4Stream readers stand for (RTSP session ids are hex). */
const SESSION_ID_PREFIX = "fmp4:";

/**
 * A session for the stream's fan-out to key this reader by: every track, no
 * transport of its own (nothing is sent over RTP). It is never in the
 * responder's session table.
 */
function readerSession(description: StreamDescription, id: string): Session {
  const tracks = new Map<number, SessionTrack>();
  description.tracks.forEach((_, trackIndex) => {
    tracks.set(trackIndex, {
      trackIndex,
      transport: { profile: "RTP/AVP", lower: "TCP", delivery: "unicast" },
      clientAddress: "",
      ssrc: 0,
      initialSequenceNumber: 0,
      initialTimestamp: 0,
    });
  });
  return {
    id,
    path: description.path,
    connectionId: -1,
    mode: "play",
    state: "playing",
    tracks,
    lastActivityMs: 0,
    timeoutMs: Number.POSITIVE_INFINITY,
  };
}

/** A stream muxed to fragmented MP4 once, for many subscribers. */
export class Fmp4Stream implements Reader {
  readonly session: Session;
  /** Never drops: slow subscribers are their own business. */
  readonly gate: DropGate = new DropGate();
  readonly reception: Map<number, ReceptionStats> = new Map();
  ignoredReportBlocks = 0;
  readonly #options: Fmp4StreamOptions;
  readonly #muxer: Fmp4Muxer;
  readonly #inputs = new Map<number, RtpAccessUnits>();
  readonly #clockRates: number[];
  readonly #mappings = new Map<number, RtpClockMapping>();
  #alignment: Alignment | undefined;
  readonly #subscribers = new Set<Subscriber>();
  #init: Fmp4Event | undefined;
  #cache: Fmp4Fragment[] = [];
  #cacheBytes = 0;
  #stopped = false;
  #listenerErrors = 0;

  /**
   * @param description the stream's tracks (as DESCRIBE gives them)
   * @param options clock and cache bound
   */
  constructor(description: StreamDescription, options: Fmp4StreamOptions) {
    this.#options = options;
    this.session = readerSession(
      description,
      options.readerId ?? `${SESSION_ID_PREFIX}${description.path}`,
    );
    this.#muxer = new Fmp4Muxer(description.tracks);
    this.#clockRates = description.tracks.map((t) => t.clockRate);
    for (const trackIndex of this.#muxer.muxedTracks) {
      const track = description.tracks[trackIndex];
      this.#inputs.set(trackIndex, new RtpAccessUnits(fmp4CodecOf(track)!, track));
    }
  }

  /** The muxer, for its counters (dropped samples, timestamp jumps). */
  get muxer(): Fmp4Muxer {
    return this.#muxer;
  }

  /** Subscribers now. */
  get subscriberCount(): number {
    return this.#subscribers.size;
  }

  /** Listeners unsubscribed because they threw. */
  get listenerErrors(): number {
    return this.#listenerErrors;
  }

  /** The current init segment (`ftyp` + `moov`), once the tracks' configurations are known. */
  initSegment(): Uint8Array | undefined {
    return this.#muxer.initSegment();
  }

  /** RFC 6381 codecs of the muxed tracks, for `MediaSource.isTypeSupported('video/mp4; codecs="…"')`. */
  codecs(): string {
    return this.#muxer.codecs();
  }

  /**
   * Adds a subscriber: it gets the init segment and the fragments since the
   * last keyframe at once, then every event as it happens.
   * @returns a function that removes it
   */
  subscribe(listener: Fmp4Listener): () => void {
    const subscriber: Subscriber = { listener, started: false };
    this.#subscribers.add(subscriber);
    if (this.#init && !this.#tell(subscriber, this.#init)) return () => {};
    if (this.#cache.length > 0) {
      subscriber.started = true;
      for (const fragment of this.#cache) {
        if (!this.#tell(subscriber, { kind: "fragment", fragment })) break;
      }
    }
    return () => {
      this.#subscribers.delete(subscriber);
    };
  }

  /** Attaches to `source` and starts at its cached GOP; returns what detaches it. */
  attachTo(source: Fmp4Source): () => void {
    source.attach(this).begin?.();
    return () => {
      source.detach(this.session.id, false);
    };
  }

  /** See {@linkcode Reader.startAtGop}: the cached GOP is muxed at once. */
  startAtGop(gop: GopCache): void {
    for (const delivery of gop.frames()) this.deliver(delivery);
  }

  deliver(delivery: FrameDelivery): void {
    const frame = delivery.frame;
    const input = this.#inputs.get(frame.trackIndex);
    if (!input || this.#stopped) return;
    for (const au of input.push(frame.packets)) {
      const wallclockMs = this.#wallclockMs(frame.trackIndex, au.timestamp);
      this.#publish(this.#muxer.push(frame.trackIndex, au, wallclockMs));
    }
  }

  /** Sender Reports map each track's RTP clock to the sender's wallclock (RFC 3550, 6.4.1). */
  rtcp(trackIndex: number, bytes: Uint8Array): void {
    const parsed = parseRtcpCompound(bytes);
    if (!parsed.ok) return;
    for (const packet of parsed.packets) {
      if (packet.type === "sr") {
        this.#mappings.set(trackIndex, {
          unixMs: packet.ntpTimeMs,
          rtpTimestamp: packet.rtpTimestamp,
        });
      }
    }
  }

  /** Detached: the samples still held are muxed and handed out. */
  stop(): void {
    if (this.#stopped) return;
    this.#publish(this.#muxer.flush());
    this.#stopped = true;
  }

  #wallclockMs(trackIndex: number, rtpTimestamp: number): number {
    this.#alignment ??= this.#muxer.muxedTracks.every((i) => this.#mappings.has(i))
      ? "sender-reports"
      : "arrival";
    const mapping = this.#mappings.get(trackIndex);
    if (this.#alignment === "sender-reports" && mapping) {
      return rtpTimestampToUnixMs(mapping, rtpTimestamp, this.#clockRates[trackIndex]);
    }
    return this.#options.scheduler.now();
  }

  #publish(outputs: readonly Fmp4Output[]): void {
    for (const event of outputs) {
      if (event.kind === "init") {
        this.#init = event;
        // Fragments kept from before may not match it: later subscribers wait for the next keyframe.
        this.#cache = [];
        this.#cacheBytes = 0;
        for (const s of [...this.#subscribers]) this.#tell(s, event);
        continue;
      }
      this.#keep(event.fragment);
      for (const s of [...this.#subscribers]) {
        if (!s.started && !event.fragment.keyframe) continue;
        s.started = true;
        this.#tell(s, event);
      }
    }
  }

  /** Keeps fragments from the last keyframe on, within the byte bound. */
  #keep(fragment: Fmp4Fragment): void {
    const max = this.#options.maxCacheBytes ?? MAX_GOP_CACHE_BYTES;
    if (fragment.keyframe) {
      this.#cache = [];
      this.#cacheBytes = 0;
    } else if (this.#cache.length === 0) {
      return; // no keyframe kept: new subscribers wait for the next one
    }
    if (this.#cacheBytes + fragment.bytes.length > max) {
      this.#cache = [];
      this.#cacheBytes = 0;
      return;
    }
    this.#cache.push(fragment);
    this.#cacheBytes += fragment.bytes.length;
  }

  /** Calls one listener; false (and unsubscribed) when it threw. */
  #tell(subscriber: Subscriber, event: Fmp4Event): boolean {
    try {
      subscriber.listener(event);
      return true;
    } catch {
      this.#listenerErrors++;
      this.#subscribers.delete(subscriber);
      return false;
    }
  }
}
