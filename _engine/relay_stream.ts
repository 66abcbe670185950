/**
 * A published path: the publisher's RTP, grouped into frames without copying
 * and fanned out to every reader unchanged, except that sequence numbers and
 * timestamps are shifted after a new publisher takes over, so readers see one
 * continuous stream. The publisher's Sender Reports are passed on (shifted the
 * same way), so players keep A/V sync through the relay (RFC 3550, 6.4.1).
 * @module
 */

import type { Cancel, Scheduler } from "../_rtsp/scheduler.ts";
import type { StreamDescription, TrackDescription } from "../_rtsp/catalogue.ts";
import { RtpFrameAssembler } from "./fanout/rtp_frames.ts";
import { parameterSetsInFrame } from "./fanout/rtp_frames.ts";
import {
  type ParameterSetCodec,
  parameterSetPacket,
  parameterSetsOfFmtp,
} from "./fanout/parameter_set_packet.ts";
import { mediaFrame } from "./fanout/media_frame.ts";
import type { AssembledFrame } from "./fanout/rtp_frames.ts";
import type { PlayStart } from "../_rtsp/media_port.ts";
import { parseRtcpCompound } from "../_rtsp/rtp/rtcp.ts";
import { RtcpSender } from "../_rtsp/rtp/rtcp_sender.ts";
import { RTP_HEADER_SIZE, RtpHeaderView } from "../_rtsp/rtp/rtp_header_view.ts";
import { withH264ParameterSets, withH265ParameterSets } from "../_rtsp/sdp_parse.ts";
import type { Announcement } from "../_rtsp/session.ts";
import { Broadcast, MAX_AUDIO_HOLD_MS } from "./broadcast.ts";
import type { Reader } from "./reader.ts";
import type { SharedStream } from "./library.ts";

/**
 * How far a source's Sender Report may place its RTP time from the mapping
 * readers already have before readers are given its new mapping: jitter of
 * the source's reports below this is smoothed out, a jump above it followed.
 */
export const MAX_REPORT_JITTER_MS = 150;

/** RFC 3550, 5.1: sequence numbers are 16 bits. */
const SEQUENCE_MODULUS = 0x10000;

/** Options of {@linkcode RelayStream}. */
export interface RelayStreamOptions {
  readonly path: string;
  /** A publisher's path, or one pulled from an upstream server. @default "published" */
  readonly kind?: "published" | "pulled";
  readonly announcement: Announcement;
  /** How long readers wait for a new publisher after one leaves; `Infinity`: for ever. */
  readonly graceMs: number;
  /** The clock, and the timer of the grace period. */
  readonly scheduler: Scheduler;
  /** RFC 3550, 6.5.1 CNAME of this server. */
  readonly cname: string;
  /** Called when the grace period ends with no publisher: the path is over. */
  readonly onExpired: (relay: RelayStream) => void;
}

/** Per announced track: how its packets are grouped and renumbered. */
interface RelayTrack {
  description: TrackDescription;
  readonly codec: string | undefined;
  readonly clockRate: number;
  assembler: RtpFrameAssembler;
  /** SSRC readers see: the first publisher's, kept across takeovers. */
  ssrc: number | undefined;
  /** Added to incoming sequence numbers / timestamps (0 until a takeover). */
  seqOffset: number;
  tsOffset: number;
  /** Set when a new publisher starts: the offsets are computed from its first packet. */
  resync: boolean;
  /** Last packet sent to readers, and when. */
  lastSeq: number | undefined;
  lastTs: number;
  lastWallMs: number;
  /** Incoming SSRC of the current publisher, learnt from its first packet. */
  sourceSsrc: number | undefined;
  /**
   * The wallclock ↔ RTP mapping readers are given (readers' timestamps):
   * the source's first Sender Report's, kept while its later reports agree
   * with it within {@linkcode MAX_REPORT_JITTER_MS}.
   */
  clockAnchor: { readonly ntpMs: number; readonly rtpTimestamp: number } | undefined;
  /** The latest Sender Report passed on, for readers that join later. */
  lastReport: Uint8Array | undefined;
  /**
   * After a takeover: the new source's SDP parameter sets, sent in-band in
   * front of its first keyframe unless that keyframe carries its own.
   */
  pendingParameterSets: Uint8Array[] | undefined;
}

function trackOf(t: Announcement["tracks"][number], index: number): RelayTrack {
  return {
    description: t.description,
    codec: t.codec,
    clockRate: t.description.clockRate,
    assembler: new RtpFrameAssembler(index, t.codec, t.description.media === "video"),
    ssrc: undefined,
    seqOffset: 0,
    tsOffset: 0,
    resync: false,
    lastSeq: undefined,
    lastTs: 0,
    lastWallMs: 0,
    sourceSsrc: undefined,
    clockAnchor: undefined,
    lastReport: undefined,
    pendingParameterSets: undefined,
  };
}

/** One published path and its readers. */
export class RelayStream implements SharedStream {
  readonly path: string;
  readonly kind: "published" | "pulled";
  #options: RelayStreamOptions;
  #tracks: RelayTrack[];
  #broadcast: Broadcast;
  #publisher: string | undefined;
  #cancelGrace: Cancel | undefined;
  #description: StreamDescription;
  #rtcp: RtcpSender;

  /** @param options see {@linkcode RelayStreamOptions} */
  constructor(options: RelayStreamOptions) {
    this.#options = options;
    this.path = options.path;
    this.kind = options.kind ?? "published";
    this.#tracks = options.announcement.tracks.map(trackOf);
    this.#description = this.#describe();
    this.#rtcp = new RtcpSender(options.cname);
    // Audio waits for the next picture to share its write to each TCP reader:
    // upstreams that send one AAC frame per RTP packet would otherwise cost
    // every reader a write per packet (see broadcast.ts).
    this.#broadcast = new Broadcast({
      holdAudio: { scheduler: options.scheduler, maxHoldMs: MAX_AUDIO_HOLD_MS },
    });
  }

  /** What readers are told in DESCRIBE: the publisher's tracks, parameter sets added when seen in-band. */
  get description(): StreamDescription {
    return this.#description;
  }

  /** The session publishing now, if any. */
  get publisherId(): string | undefined {
    return this.#publisher;
  }

  /** Whether someone publishes now (not just the grace period). */
  get hasPublisher(): boolean {
    return this.#publisher !== undefined;
  }

  /** Readers attached now. */
  get readerCount(): number {
    return this.#broadcast.readerCount;
  }

  /** The readers attached now. */
  readers(): IterableIterator<Reader> {
    return this.#broadcast.readers();
  }

  /**
   * A publisher starts (RECORD). A takeover within the grace period keeps the
   * readers; its packets are renumbered to follow on from the last ones sent.
   * A takeover with a different set of tracks replaces the description, and
   * readers of the old one get what matches by index.
   */
  startPublisher(sessionId: string, announcement: Announcement): void {
    this.#cancelGrace?.();
    this.#cancelGrace = undefined;
    this.#publisher = sessionId;
    const sameShape = announcement.tracks.length === this.#tracks.length &&
      announcement.tracks.every((t, i) =>
        t.description.encoding.toLowerCase() ===
          this.#tracks[i].description.encoding.toLowerCase()
      );
    if (!sameShape) {
      this.#tracks = announcement.tracks.map(trackOf);
    }
    announcement.tracks.forEach((t, i) => {
      const track = this.#tracks[i];
      track.assembler = new RtpFrameAssembler(i, t.codec, t.description.media === "video");
      track.resync = true;
      track.sourceSsrc = undefined;
      // Its NTP ↔ RTP mapping was the old publisher's timeline.
      track.lastReport = undefined;
      track.clockAnchor = undefined;
      // Readers already here keep the SDP they were given: the new source's
      // parameter sets reach them in-band (see parameter_set_packet.ts).
      const codec = parameterSetCodec(track.codec);
      track.pendingParameterSets = codec && track.ssrc !== undefined
        ? parameterSetsOfFmtp(codec, t.description.fmtp)
        : undefined;
      if (!sameShape) return;
      // Keep what in-band parameter sets taught us unless the new SDP has its own.
      if (t.description.fmtp?.includes("sprop-")) track.description = t.description;
    });
    this.#broadcast.forgetGop();
    this.#description = this.#describe();
  }

  /** The publisher left: readers wait `graceMs` for another before their sessions end. */
  publisherLeft(sessionId: string): void {
    if (this.#publisher !== sessionId) return;
    this.#publisher = undefined;
    // No picture is coming to take the last audio along.
    this.#broadcast.flush();
    this.#cancelGrace?.();
    // A pulled path keeps its readers through reconnections (graceMs Infinity);
    // a timer of Infinity would fire at once.
    if (!Number.isFinite(this.#options.graceMs)) return;
    this.#cancelGrace = this.#options.scheduler.after(this.#options.graceMs, () => {
      this.#cancelGrace = undefined;
      if (this.#publisher === undefined) this.#options.onExpired(this);
    });
  }

  /** The SSRC readers see for a track, once the publisher has sent on it. */
  ssrc(trackIndex: number): number | undefined {
    return this.#tracks[trackIndex]?.ssrc;
  }

  /** One RTP packet from the publisher; the relay owns `packet` from now on. */
  receiveRtp(trackIndex: number, packet: Uint8Array): void {
    const track = this.#tracks[trackIndex];
    if (!track || this.#publisher === undefined || packet.length < RTP_HEADER_SIZE) return;
    this.#rewrite(track, packet);
    for (const assembled of track.assembler.push(packet)) {
      let frame = assembled;
      if (frame.video && frame.keyframe) {
        if (track.pendingParameterSets) frame = this.#withParameterSets(track, frame);
        this.#learnParameterSets(trackIndex, frame.packets);
      }
      this.#broadcast.send(frame);
    }
  }

  /** RTCP from the publisher: Sender Reports are passed on to the readers of that track. */
  receiveRtcp(trackIndex: number, bytes: Uint8Array): void {
    const track = this.#tracks[trackIndex];
    if (!track || track.ssrc === undefined || track.resync) return;
    const parsed = parseRtcpCompound(bytes);
    if (!parsed.ok) return;
    // Held audio leaves first: readers get packets and reports in the order
    // the source sent them (a report describes what was sent before it, RFC
    // 3550 6.4.1).
    if (parsed.packets.some((p) => p.type === "sr")) this.#broadcast.flush();
    for (const packet of parsed.packets) {
      if (packet.type !== "sr") continue;
      // Shifted like the packets, so the report maps the readers' timestamps.
      const rtpTimestamp = (packet.rtpTimestamp + track.tsOffset) >>> 0;
      const ntpMs = this.#steadyNtp(track, packet.ntpTimeMs, rtpTimestamp);
      const report = this.#rtcp.report(track.ssrc, ntpMs, rtpTimestamp, packet);
      track.lastReport = report;
      for (const reader of this.#broadcast.readers()) reader.rtcp(trackIndex, report);
    }
  }

  /**
   * The wallclock a report gives `rtpTimestamp`: on the track's anchored
   * mapping while the source's report agrees with it. A source whose reports
   * each re-derive the mapping from the time they are sent (ffmpeg's do)
   * moves it by a frame or more from one report to the next; a reader that
   * re-bases its timestamps on every report (ffmpeg does, RFC 3550 6.4.1)
   * then sees them go back. A real jump (a source that restarted its clock)
   * moves the anchor.
   */
  #steadyNtp(track: RelayTrack, ntpMs: number, rtpTimestamp: number): number {
    const anchor = track.clockAnchor;
    if (anchor) {
      const ticks = (rtpTimestamp - anchor.rtpTimestamp) | 0;
      const predicted = anchor.ntpMs + (ticks * 1000) / track.clockRate;
      if (Math.abs(predicted - ntpMs) <= MAX_REPORT_JITTER_MS) return predicted;
    }
    track.clockAnchor = { ntpMs, rtpTimestamp };
    return ntpMs;
  }

  /** Answers a reader's PLAY: the cached GOP first, then live frames. */
  attach(reader: Reader): PlayStart {
    return {
      range: { start: 0 },
      tracks: [...reader.session.tracks.keys()].map((trackIndex) => ({
        trackIndex,
        ...this.#position(trackIndex),
      })),
      begin: () => {
        // The latest Sender Report first (RFC 3550, 6.4.1): a reader that
        // syncs its tracks by NTP time (ffmpeg does) then has the mapping
        // from its first packet, instead of re-basing its timestamps when the
        // publisher's next report comes, which can move audio back in time.
        const tracks = [...reader.session.tracks.keys()];
        // All or none: a reader with the mapping of one track only re-bases
        // the others when their reports come.
        if (tracks.every((i) => this.#tracks[i]?.lastReport)) {
          for (const i of tracks) reader.rtcp(i, this.#tracks[i].lastReport!);
        }
        this.#broadcast.attach(reader);
      },
    };
  }

  /** Where the next packets of these tracks start (a multicast join). */
  position(trackIndices: Iterable<number>): PlayStart {
    return {
      range: { start: 0 },
      tracks: [...trackIndices].map((trackIndex) => ({
        trackIndex,
        ...this.#position(trackIndex),
      })),
    };
  }

  /** Stops sending to a reader; with `bye`, tells it so (RFC 3550, 6.6). */
  detach(sessionId: string, bye: boolean): Reader | undefined {
    return this.#broadcast.detach(sessionId, bye ? (i) => this.#tracks[i]?.ssrc : undefined);
  }

  /** Ends the path. */
  close(): void {
    this.#cancelGrace?.();
    this.#broadcast.clear();
  }

  #position(trackIndex: number): { sequenceNumber: number; rtpTime: number } {
    const cached = this.#broadcast.cachedStart(trackIndex);
    if (cached) return cached;
    const track = this.#tracks[trackIndex];
    return {
      sequenceNumber: ((track?.lastSeq ?? 0) + 1) % SEQUENCE_MODULUS,
      rtpTime: track?.lastTs ?? 0,
    };
  }

  /**
   * Renumbers a packet in place. The first publisher's numbering passes
   * through unchanged; a later one is shifted to continue it (RFC 3550, 5.1
   * lets a translator do this as long as it is consistent).
   */
  #rewrite(track: RelayTrack, packet: Uint8Array): void {
    const header = new RtpHeaderView(packet);
    const inSeq = header.sequenceNumber;
    const inTs = header.timestamp;
    const inSsrc = header.ssrc;
    const now = this.#options.scheduler.now();
    if (track.resync) {
      track.resync = false;
      track.sourceSsrc = inSsrc;
      if (track.ssrc === undefined || track.lastSeq === undefined) {
        track.ssrc = inSsrc;
        track.seqOffset = 0;
        track.tsOffset = 0;
      } else {
        const elapsed = Math.round(((now - track.lastWallMs) * track.clockRate) / 1000);
        track.seqOffset = (track.lastSeq + 1 - inSeq + SEQUENCE_MODULUS) % SEQUENCE_MODULUS;
        track.tsOffset = (track.lastTs + elapsed - inTs) >>> 0;
      }
    }
    const seq = (inSeq + track.seqOffset) % SEQUENCE_MODULUS;
    const ts = (inTs + track.tsOffset) >>> 0;
    if (track.seqOffset !== 0 || track.tsOffset !== 0 || inSsrc !== track.ssrc) {
      header.sequenceNumber = seq;
      header.timestamp = ts;
      header.ssrc = track.ssrc!;
    }
    track.lastSeq = seq;
    track.lastTs = ts;
    track.lastWallMs = now;
  }

  /**
   * The first keyframe after a takeover, with the new source's parameter sets
   * in front unless it has its own. None of its packets has been sent yet
   * (frames leave the assembler whole), so they move up one sequence number
   * to make room, and so does every later packet of the track.
   */
  #withParameterSets(track: RelayTrack, frame: AssembledFrame): AssembledFrame {
    const sets = track.pendingParameterSets!;
    track.pendingParameterSets = undefined;
    const codec = parameterSetCodec(track.codec);
    const inBand = codec === "H264"
      ? parameterSetsInFrame("H264", frame.packets)
      : codec === "H265"
      ? parameterSetsInFrame("H265", frame.packets)
      : undefined;
    if (!codec || inBand || frame.packets.length === 0) return frame;
    const injected = parameterSetPacket(codec, sets, frame.packets[0]);
    const first = new RtpHeaderView(frame.packets[0]).sequenceNumber;
    new RtpHeaderView(injected).sequenceNumber = first;
    for (const p of frame.packets) {
      const header = new RtpHeaderView(p);
      header.sequenceNumber = (header.sequenceNumber + 1) % SEQUENCE_MODULUS;
    }
    track.seqOffset = (track.seqOffset + 1) % SEQUENCE_MODULUS;
    track.lastSeq = ((track.lastSeq ?? first) + 1) % SEQUENCE_MODULUS;
    const packets = [injected, ...frame.packets];
    return { ...frame, ...mediaFrame(frame.trackIndex, packets, true, true) };
  }

  /** Parameter sets sent in-band go into the SDP later readers get (RFC 6184, 8.2.1). */
  #learnParameterSets(trackIndex: number, packets: readonly Uint8Array[]): void {
    const track = this.#tracks[trackIndex];
    const fmtp = track.description.fmtp ?? "";
    let updated: string | undefined;
    if (track.codec === "H264") {
      const sets = parameterSetsInFrame("H264", packets);
      if (sets) updated = withH264ParameterSets(fmtp, sets.sps, sets.pps);
    } else if (track.codec === "H265") {
      const sets = parameterSetsInFrame("H265", packets);
      if (sets) updated = withH265ParameterSets(fmtp, sets.vps, sets.sps, sets.pps);
    }
    if (updated === undefined || updated === fmtp) return;
    track.description = { ...track.description, fmtp: updated };
    this.#description = this.#describe();
  }

  #describe(): StreamDescription {
    return {
      path: this.path,
      name: this.path.slice(1) || "stream",
      tracks: this.#tracks.map((t) => t.description),
    };
  }
}

/** The track's codec if its parameter sets can be sent in-band here. */
function parameterSetCodec(codec: string | undefined): ParameterSetCodec | undefined {
  return codec === "H264" || codec === "H265" ? codec : undefined;
}
