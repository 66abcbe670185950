/**
 * A live stream shared by all its readers: one timeline, one packetizer per
 * track (so every reader gets the same SSRC and sequence numbers), the current
 * GOP kept for instant start, and RTCP Sender Reports (RFC 3550, 6.4.1).
 * @module
 */

import { type Cancel, every, type Scheduler } from "../_rtsp/scheduler.ts";
import type { StreamDescription } from "../_rtsp/catalogue.ts";
import { mediaFrame } from "./fanout/media_frame.ts";
import type { LiveTestSource } from "../_rtsp/media/live_test_source.ts";
import type { PlayStart } from "../_rtsp/media_port.ts";
import { FramePacketizer } from "../_rtsp/rtp/frame_packetizer.ts";
import { H264Packetizer } from "../_rtsp/rtp/h264_packetizer.ts";
import type { Packetizer } from "../_rtsp/rtp/packetizer.ts";
import { RtcpSender, SentCounts } from "../_rtsp/rtp/rtcp_sender.ts";
import { Broadcast, MAX_AUDIO_HOLD_MS } from "./broadcast.ts";
import type { Reader } from "./reader.ts";
import type { SharedStream } from "./library.ts";

/** RFC 3550, 6.2: 5 seconds is the conventional minimum RTCP interval. */
export const SENDER_REPORT_INTERVAL_MS = 5000;
/** Shortest wait between ticks, so a late timer never spins. */
const MIN_TICK_MS = 1;

/** Options of {@linkcode LiveStream}. */
export interface LiveStreamOptions {
  readonly path: string;
  readonly name: string;
  readonly source: LiveTestSource;
  /** The clock and timers of the timeline. */
  readonly scheduler: Scheduler;
  /** A random unsigned 32-bit number. */
  readonly random32: () => number;
  /** RFC 3550, 6.5.1 CNAME of this server. */
  readonly cname: string;
}

/** One live source fanned out to many readers. */
export class LiveStream implements SharedStream {
  readonly kind = "test" as const;
  readonly path: string;
  readonly description: StreamDescription;
  #options: LiveStreamOptions;
  #packetizers: Packetizer[];
  #ssrcs: number[];
  #initialTimestamps: number[];
  #sent: SentCounts[];
  #rtcp: RtcpSender;
  #broadcast: Broadcast;
  #cancelTick: Cancel | undefined;
  #cancelReports: Cancel;
  #closed = false;

  /** @param options see {@linkcode LiveStreamOptions} */
  constructor(options: LiveStreamOptions) {
    this.#options = options;
    this.path = options.path;
    const tracks = options.source.tracks;
    this.description = {
      path: options.path,
      name: options.name,
      tracks: tracks.map((t) => t.description),
    };
    this.#ssrcs = tracks.map(() => options.random32() >>> 0);
    this.#initialTimestamps = tracks.map(() => options.random32() >>> 0);
    this.#sent = tracks.map(() => new SentCounts());
    this.#rtcp = new RtcpSender(options.cname);
    // Audio (20 ms PCMU packets, 50 a second) waits for the next picture to
    // share its write to each TCP reader, as on relayed streams (broadcast.ts).
    this.#broadcast = new Broadcast({
      holdAudio: { scheduler: options.scheduler, maxHoldMs: MAX_AUDIO_HOLD_MS },
    });
    this.#packetizers = tracks.map((track, i) => {
      const common = {
        payloadType: track.description.payloadType,
        ssrc: this.#ssrcs[i],
        initialSequenceNumber: options.random32() & 0xffff,
        initialTimestamp: this.#initialTimestamps[i],
      };
      return track.codec === "H264"
        ? new H264Packetizer({ ...common, parameterSets: track.parameterSets })
        : new FramePacketizer({ ...common, codec: "pcmu", markFirstPacket: true });
    });
    this.#tick();
    this.#cancelReports = every(
      options.scheduler,
      SENDER_REPORT_INTERVAL_MS,
      () => this.#sendReports(),
    );
  }

  /** Readers attached now. */
  get readerCount(): number {
    return this.#broadcast.readerCount;
  }

  /** The SSRC of a track, the same for every reader. */
  ssrc(trackIndex: number): number | undefined {
    return this.#ssrcs[trackIndex];
  }

  /**
   * Attaches a reader: answers where its packets start (RTP-Info), and once the
   * PLAY answer is written sends Sender Reports and the current GOP, then live frames.
   */
  attach(reader: Reader): PlayStart {
    const now = this.#options.scheduler.now();
    const tracks = [...reader.session.tracks.keys()].map((trackIndex) => ({
      trackIndex,
      ...(this.#broadcast.cachedStart(trackIndex) ?? {
        sequenceNumber: this.#packetizers[trackIndex].nextSequenceNumber,
        rtpTime: this.#rtpTimeAt(trackIndex, now),
      }),
    }));
    return {
      range: { start: 0 },
      tracks,
      begin: () => {
        if (this.#closed) return;
        for (const trackIndex of reader.session.tracks.keys()) {
          reader.rtcp(trackIndex, this.#senderReport(trackIndex, this.#options.scheduler.now()));
        }
        this.#broadcast.attach(reader);
      },
    };
  }

  /** Where the next packets of these tracks start, for RTP-Info (a multicast join). */
  position(trackIndices: Iterable<number>): PlayStart {
    const now = this.#options.scheduler.now();
    return {
      range: { start: 0 },
      tracks: [...trackIndices].map((trackIndex) => ({
        trackIndex,
        sequenceNumber: this.#packetizers[trackIndex].nextSequenceNumber,
        rtpTime: this.#rtpTimeAt(trackIndex, now),
      })),
    };
  }

  /** Stops sending to a session; with `bye`, tells it so (RFC 3550, 6.6). */
  detach(sessionId: string, bye: boolean): Reader | undefined {
    return this.#broadcast.detach(sessionId, bye ? (i) => this.#ssrcs[i] : undefined);
  }

  /** Stops the timeline. */
  close(): void {
    this.#closed = true;
    this.#cancelTick?.();
    this.#cancelReports();
    this.#broadcast.clear();
  }

  #rtpTimeAt(trackIndex: number, nowMs: number): number {
    return (this.#initialTimestamps[trackIndex] +
      this.#options.source.mediaTimeAt(trackIndex, nowMs)) >>> 0;
  }

  #tick(): void {
    if (this.#closed) return;
    const source = this.#options.source;
    const now = this.#options.scheduler.now();
    for (const { trackIndex, au } of source.due(now)) {
      const packets = this.#packetizers[trackIndex].packetize(au);
      const video = source.tracks[trackIndex].description.media === "video";
      const frame = mediaFrame(trackIndex, packets, video, au.keyframe);
      this.#sent[trackIndex].add(frame);
      this.#broadcast.send(frame);
    }
    const wait = Math.max(MIN_TICK_MS, source.nextDueMs() - this.#options.scheduler.now());
    this.#cancelTick = this.#options.scheduler.after(wait, () => this.#tick());
  }

  /** RFC 3550, 6.4.1 SR, with SDES CNAME as 6.1 requires in every compound packet. */
  #senderReport(trackIndex: number, nowMs: number): Uint8Array {
    return this.#rtcp.report(
      this.#ssrcs[trackIndex],
      nowMs,
      this.#rtpTimeAt(trackIndex, nowMs),
      this.#sent[trackIndex],
    );
  }

  #sendReports(): void {
    if (this.#broadcast.readerCount === 0) return;
    // A report describes the packets sent before it (RFC 3550, 6.4.1): held audio goes first.
    this.#broadcast.flush();
    const now = this.#options.scheduler.now();
    const reports = this.#ssrcs.map((_, i) => this.#senderReport(i, now));
    for (const reader of this.#broadcast.readers()) {
      for (const trackIndex of reader.session.tracks.keys()) {
        reader.rtcp(trackIndex, reports[trackIndex]);
      }
    }
  }
}
