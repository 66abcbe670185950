/**
 * The shell's {@linkcode MediaController}: turns the responder's decisions
 * (PLAY, PAUSE, session end) into readers attached to live streams or file
 * players, and routes the RTCP that clients send back to their sessions.
 * @module
 */

import { PublisherRegistry } from "./publishers.ts";
import { IngressRouter, type Route } from "./ingress_router.ts";
import type { Scheduler } from "../_rtsp/scheduler.ts";
import type {
  EngineEffect,
  MediaController,
  MulticastGroup,
  PlayStart,
  PublishVerdict,
  SessionEndReason,
  UdpPorts,
} from "../_rtsp/media_port.ts";
import type { NptRange } from "../_rtsp/range.ts";
import { isInterleaved, type MediaAttachment, type Session } from "../_rtsp/session.ts";
import { parseRtcpCompound } from "../_rtsp/rtp/rtcp.ts";
import type { MediaLibrary } from "./library.ts";
import { DEFAULT_MAX_READER_LAG_MS, type Reader, TcpReader, UdpReader } from "./reader.ts";
import type { DatagramSink, EngineLog, InterleavedSink, UdpSockets } from "./ports.ts";
import { FilePlayback } from "./file_playback.ts";
import { RelayStream } from "./relay_stream.ts";
import { type GroupState, MulticastGroups, type MulticastRange } from "./multicast_groups.ts";
import { recordReceiverReports } from "./receiver_reports.ts";
import { TrafficLedger } from "./traffic_ledger.ts";

/**
 * What plays one session: the engine's {@linkcode MediaAttachment}, kept on
 * the session itself (`session.media`) from PLAY until PAUSE or its end.
 */
type Playback =
  /** A reader of a shared stream (live source, publisher, upstream). */
  | { readonly kind: "shared"; readonly reader: Reader }
  /** A file on this session's own timeline (opening, or playing). */
  | { readonly kind: "file"; readonly reader: Reader; readonly file: FilePlayback }
  /** A member of a stream's multicast group: the group has the reader. */
  | { readonly kind: "multicast" };

/** The session's playback; only the hub sets `session.media`, always to a {@linkcode Playback}. */
function playbackOf(session: Session): Playback | undefined {
  return session.media as Playback | undefined;
}

/** Where multicast groups come from (RFC 2326, 12.39 `destination`, `port`, `ttl`). */
export interface MulticastOptions extends MulticastRange {
  /** Sockets that send to the groups (set up with `setMulticast`). */
  readonly sockets: DatagramSink;
}

/** Options of {@linkcode MediaHub}. */
export interface MediaHubOptions {
  readonly library: MediaLibrary;
  /** Writers of open connections, by connection id. */
  readonly writers: ReadonlyMap<number, InterleavedSink>;
  /** The server's UDP sockets; without them UDP SETUP is refused (461). */
  readonly udp?: UdpSockets;
  readonly log: EngineLog;
  /** Multicast for live streams; without it multicast SETUP is refused (461). */
  readonly multicast?: MulticastOptions;
  /** Start files again when they end. */
  readonly loopFiles?: boolean;
  /** The clock and timers of streams, players and readers. */
  readonly scheduler: Scheduler;
  /** How long readers of a published path wait for a new publisher. */
  readonly graceMs: number;
  /** How long a TCP reader may stay behind before it is disconnected. */
  readonly maxReaderLagMs?: number;
  /** Carries out what the engine asks of the rest of the server (ending sessions, ...). */
  readonly effects: (effect: EngineEffect) => void;
  /**
   * Whether a new publisher on `path` replaces the one publishing there
   * (`--replace-publisher`); otherwise it is refused (403). @default never
   */
  readonly replacePublisher?: (path: string) => boolean;
  /** A reader of a shared stream left (a pulled path with no reader may stop). */
  readonly readerLeft?: (path: string) => void;
}

/** Connects sessions to media. */
export class MediaHub implements MediaController {
  #options: MediaHubOptions;
  /** Sessions with a playback (for stats: each session holds its own). */
  #playingCount = 0;
  /** Where what clients send goes. */
  #ingress = new IngressRouter<RelayStream>();
  /** Publishing sessions and the path each feeds. */
  #publishers: PublisherRegistry;
  /** Multicast groups by stream path; a group goes when its last holder ends. */
  #groups: MulticastGroups | undefined;
  /** Totals for the operator's view (read-only outside the hub). */
  readonly traffic: TrafficLedger = new TrafficLedger();

  /** @param options see {@linkcode MediaHubOptions} */
  constructor(options: MediaHubOptions) {
    this.#options = options;
    this.#publishers = new PublisherRegistry({
      library: options.library,
      scheduler: options.scheduler,
      graceMs: options.graceMs,
      replacePublisher: options.replacePublisher,
      onExpired: (relay) => this.endStream(relay, "publisher gone"),
    });
    if (options.multicast) {
      this.#groups = new MulticastGroups(options.multicast);
    }
    const fromUdp = (bytes: Uint8Array, address: string, port: number) => {
      const route = this.#ingress.fromUdp(address, port);
      if (route) this.#received(route, bytes);
    };
    options.udp?.onRtcp(fromUdp);
    options.udp?.onRtp(fromUdp);
  }

  /** Sessions being sent media now. */
  get playingCount(): number {
    return this.#playingCount;
  }

  /** Multicast groups held now (for tests and stats); each holds one address of the range. */
  get multicastGroupCount(): number {
    return this.#groups?.size ?? 0;
  }

  /** The reader of a playing session (for tests and stats). */
  readerOf(session: Session): Reader | undefined {
    const playback = playbackOf(session);
    return playback?.kind === "multicast" ? undefined : playback?.reader;
  }

  /** Attaches what plays `session` (it had nothing playing it). */
  #attach(session: Session, playback: Playback): void {
    if (!session.media) this.#playingCount++;
    session.media = playback satisfies MediaAttachment;
  }

  /** Detaches what played `session`; returns it. */
  #detach(session: Session): Playback | undefined {
    const playback = playbackOf(session);
    if (playback) {
      session.media = undefined;
      this.#playingCount--;
    }
    return playback;
  }

  /** The reader sending to a path's multicast group, while the group plays (for stats). */
  groupReaderOf(path: string): Reader | undefined {
    return this.#groups?.get(path)?.reader;
  }

  /**
   * SETUP of a multicast track: the path's group, made on first use. The
   * session holds the group from now until it ends ({@linkcode end}), whether
   * it ever plays or not; then the address goes back to the pool.
   */
  multicast(session: Session, trackIndex: number): MulticastGroup | undefined {
    // A shared stream's group carries it; a file's group gets one timeline of its own.
    const group = this.#groups?.hold(session.path, session.id);
    // Every address of the range is held: 461 until a group is given back.
    if (!group) return undefined;
    return this.#groups!.ports(group, trackIndex);
  }

  /** A session that held its path's group ended: the last one out gives the address back. */
  #releaseGroup(session: Session): void {
    // Members are holders, so #stop has already stopped the group's reader.
    const group = this.#groups?.release(session.path, session.id);
    if (group) {
      this.#options.log.debug(`${session.path}: multicast group ${group.address} released`);
    }
  }

  /**
   * A path can be published to unless a file or a live source is served there
   * (never: "reserved"), or someone publishes there and the path is not
   * configured for replacement ("busy").
   */
  async canPublish(path: string): Promise<PublishVerdict> {
    if (this.#options.library.isPulled(path)) return "reserved";
    const verdict = this.#publishers.verdict(path);
    if (verdict !== "ok") return verdict;
    return await this.#options.library.hasFile(path) ? "reserved" : "ok";
  }

  record(session: Session): PublishVerdict {
    const announcement = session.announcement;
    if (!announcement) return "busy";
    // RECORD after PAUSE (RFC 2326, A.1: ready -> recording): the path is
    // still this session's own; its relay, routes and readers carry on.
    if (this.#publishers.isPublishing(session)) return "ok";
    const verdict = this.#publishers.verdict(session.path);
    if (verdict !== "ok") return verdict;
    const previous = this.#publishers.currentPublisher(session.path, session.id);
    if (previous) this.#replace(previous, session);
    const relay = this.#publishers.start(session, announcement);
    this.#ingress.add(session, relay);
    this.#options.log.info(`${session.path}: publishing (session ${session.id})`);
    return "ok";
  }

  /**
   * Ends the session of the publisher being replaced and closes its
   * connection, so it stops sending; readers stay, as in a takeover after a drop.
   */
  #replace(old: Session, by: Session): void {
    this.#endSession(old.id, "replaced");
    this.#options.log.info(`${by.path}: publisher ${old.id} replaced by ${by.id}`);
    // Not when the new publisher came on the same connection.
    if (old.connectionId !== by.connectionId) {
      this.#options.effects({ kind: "close-connection", connectionId: old.connectionId });
    }
  }

  #endSession(sessionId: string, reason: SessionEndReason): void {
    this.#options.effects({ kind: "end-session", sessionId, reason });
  }

  /**
   * A shared stream is over (its publisher did not come back, its pull source
   * was removed): its readers' sessions end and the path is no longer served.
   */
  endStream(relay: RelayStream, why: string): void {
    if (relay.readerCount > 0) this.#options.log.info(`${relay.path}: ${why}; ending its readers`);
    this.traffic.forgetPath(relay.path);
    for (const reader of [...relay.readers()]) {
      this.#endSession(reader.session.id, "source-ended");
    }
    const group = this.#groups?.get(relay.path);
    // A copy: each session ended leaves the set (and the last one, the group).
    for (const id of [...group?.members ?? []]) this.#endSession(id, "source-ended");
    this.#options.library.removeShared(relay);
  }

  /** A packet a client sent: publisher media into its relay, RTCP refreshes the session. */
  #received(route: Route<RelayStream>, bytes: Uint8Array): void {
    const session = route.session;
    this.traffic.received(session.id, route.relay?.path, bytes.length);
    if (!route.relay) {
      this.#receivedRtcp(session, bytes);
      return;
    }
    // A publisher's media keeps its session alive: some cameras send no RTCP.
    this.#options.effects({ kind: "refresh-session", sessionId: session.id });
    if (route.rtcp) route.relay.receiveRtcp(route.trackIndex, bytes);
    else route.relay.receiveRtp(route.trackIndex, bytes);
  }

  udpPorts(_session: Session, _trackIndex: number): UdpPorts | undefined {
    const udp = this.#options.udp;
    return udp ? { rtp: udp.rtpPort, rtcp: udp.rtcpPort } : undefined;
  }

  ssrc(session: Session, trackIndex: number): number | undefined {
    return this.#options.library.shared(session.path)?.ssrc(trackIndex);
  }

  async play(session: Session, range: NptRange | undefined): Promise<PlayStart> {
    const current = playbackOf(session);
    // A file session keeps its playback: PLAY again resumes or seeks.
    if (current?.kind === "file") return await current.file.play(range);
    const stream = this.#options.library.shared(session.path);
    const first = session.tracks.values().next().value;
    const multicast = first?.transport.delivery === "multicast";
    if (!stream && !multicast) return await this.#playFile(session, range);
    this.#stop(session, false);
    if (!stream) return await this.#joinFileGroup(session);
    if (multicast) return this.#joinGroup(session);
    const reader = this.#readerFor(session);
    if (!reader) throw new Error(`session ${session.id} has no usable transport`);
    this.#attach(session, { kind: "shared", reader });
    this.#ingress.add(session);
    return stream.attach(reader);
  }

  /** A playback of the file at `path` to `reader`, with the server's clock, log and looping. */
  #filePlayback(path: string, reader: Reader): FilePlayback {
    return new FilePlayback({
      path,
      open: () => this.#options.library.openFile(path),
      reader,
      scheduler: this.#options.scheduler,
      log: this.#options.log,
      loop: this.#options.loopFiles ?? false,
    });
  }

  /**
   * A file on the session's own timeline. The playback is the session's from
   * before the file opens: a TEARDOWN, timeout or closed connection meanwhile
   * stops it, and it then starts no player ({@linkcode FilePlayback.play} rejects).
   */
  async #playFile(session: Session, range: NptRange | undefined): Promise<PlayStart> {
    const reader = this.#readerFor(session);
    if (!reader) throw new Error(`session ${session.id} has no usable transport`);
    const file = this.#filePlayback(session.path, reader);
    this.#attach(session, { kind: "file", reader, file });
    this.#ingress.add(session);
    return await file.play(range);
  }

  pause(session: Session): void {
    const playback = playbackOf(session);
    if (playback?.kind === "file") playback.file.pause();
    else this.#stop(session, false);
  }

  end(session: Session, reason: SessionEndReason): void {
    this.traffic.sessionEnded(session.id, reason);
    this.#ingress.remove(session);
    if (this.#publishers.left(session)) {
      this.#options.log.info(`${session.path}: publisher left (${reason})`);
      return;
    }
    this.#stop(session, reason !== "connection-closed");
    this.#releaseGroup(session);
  }

  /**
   * Adds a session to a file's group. The first member starts the file from
   * its beginning for the whole group (later members join that timeline, as
   * with a live stream: no seeking, no RTP-Info for them).
   */
  async #joinFileGroup(session: Session): Promise<PlayStart> {
    const group = this.#groups?.get(session.path);
    const sockets = this.#options.multicast?.sockets;
    if (!group || !sockets) throw new Error(`no multicast group for ${session.path}`);
    // A timeline whose file could not be opened is started again.
    if (!group.file || group.file.stopped) {
      // The file's tracks as DESCRIBE gave them (cached): every one goes to the group.
      const description = await this.#options.library.describe(session.path);
      if ("error" in description) {
        throw new Error(`cannot play ${session.path}: ${description.error}`);
      }
      // While it was looked up the session may have ended (and the group with it).
      if (this.#groups?.get(session.path) !== group || !group.holders.has(session.id)) {
        throw new Error(`session ${session.id} ended while ${session.path} was opening`);
      }
      if (!group.file || group.file.stopped) {
        // The first member's SETUP values seed the group's timeline.
        const reader = new UdpReader(
          this.#groupSession(
            group,
            session,
            description.tracks.length,
            (i) => session.tracks.get(i)?.ssrc,
          ),
          sockets,
          this.#options.scheduler,
        );
        const file = this.#filePlayback(session.path, reader);
        group.members.add(session.id);
        this.#attach(session, { kind: "multicast" });
        group.reader = reader;
        group.file = file;
        return await file.play(undefined);
      }
    }
    // Another member started the group's timeline: join it.
    group.members.add(session.id);
    this.#attach(session, { kind: "multicast" });
    return { range: { start: "now" }, tracks: [] };
  }

  /** The session a group's reader sends as: every track, to the group's address and ports. */
  #groupSession(
    group: GroupState,
    member: Session,
    trackCount: number,
    ssrc: (trackIndex: number) => number | undefined,
  ): Session {
    const tracks = new Map(
      Array.from({ length: trackCount }, (_, trackIndex) => {
        const g = this.#groups!.ports(group, trackIndex);
        const own = member.tracks.get(trackIndex);
        return [trackIndex, {
          trackIndex,
          transport: {
            profile: "RTP/AVP",
            lower: "UDP",
            delivery: "multicast",
            destination: g.address,
            ports: [g.rtp, g.rtcp],
            ttl: g.ttl,
          },
          clientAddress: g.address,
          ssrc: ssrc(trackIndex) ?? (member.tracks.values().next().value!.ssrc + trackIndex) >>> 0,
          initialSequenceNumber: own?.initialSequenceNumber ?? 0,
          initialTimestamp: own?.initialTimestamp ?? 0,
        }] as const;
      }),
    );
    return {
      id: `multicast:${member.path}`,
      path: member.path,
      connectionId: 0,
      mode: "play",
      state: "playing",
      tracks,
      lastActivityMs: 0,
      timeoutMs: Infinity,
    };
  }

  /** Adds a session to its stream's group; the first member starts the group's reader. */
  #joinGroup(session: Session): PlayStart {
    const stream = this.#options.library.shared(session.path)!;
    const group = this.#groups?.get(session.path);
    const sockets = this.#options.multicast?.sockets;
    if (!group || !sockets) throw new Error(`no multicast group for ${session.path}`);
    group.members.add(session.id);
    this.#attach(session, { kind: "multicast" });
    if (group.reader) return stream.position(session.tracks.keys());
    // The group's reader stands for every track of the stream.
    const groupSession = this.#groupSession(
      group,
      session,
      stream.description.tracks.length,
      (i) => stream.ssrc(i) ?? 0,
    );
    group.reader = new UdpReader(groupSession, sockets, this.#options.scheduler);
    return stream.attach(group.reader);
  }

  /**
   * Interleaved data from a client: a publisher's RTP and RTCP, or a reader's
   * RTCP. `payload` is a view into the connection's buffer, so what is kept is copied.
   */
  receivedInterleaved(connectionId: number, channel: number, payload: Uint8Array): void {
    const route = this.#ingress.fromInterleaved(connectionId, channel);
    if (route) this.#received(route, route.relay && !route.rtcp ? payload.slice() : payload);
  }

  /**
   * RTCP from a reader. Any valid compound packet refreshes its session, even
   * one with no report about our SSRCs (RFC 2326, 12.37: RTCP is a sign of
   * life; RFC 3550, 6.4.2: a receiver that has received nothing yet sends an
   * RR with no report block). Bytes that are not RTCP do not. What is kept is
   * bounded whatever the client sends: one report per track
   * ({@linkcode recordReceiverReports}).
   */
  #receivedRtcp(session: Session, bytes: Uint8Array): void {
    const parsed = parseRtcpCompound(bytes);
    if (!parsed.ok) return;
    this.#options.effects({ kind: "refresh-session", sessionId: session.id });
    const reader = this.readerOf(session);
    if (reader) recordReceiverReports(reader, parsed.packets, this.#sentSsrcs(reader));
  }

  /**
   * The SSRC each of a reader's tracks is sent with: a shared stream's own
   * (a relay sends its publisher's first SSRC, which a reader that set up
   * before the first packet was not told), else the one given at SETUP.
   */
  #sentSsrcs(reader: Reader): Set<number> {
    const stream = this.#options.library.shared(reader.session.path);
    const sent = new Set<number>();
    for (const track of reader.session.tracks.values()) {
      sent.add(stream?.ssrc(track.trackIndex) ?? track.ssrc);
    }
    return sent;
  }

  #readerFor(session: Session): Reader | undefined {
    if (isInterleaved(session)) {
      const writer = this.#options.writers.get(session.connectionId);
      if (!writer) return undefined;
      const log = this.#options.log;
      return new TcpReader(session, writer, {
        scheduler: this.#options.scheduler,
        maxLagMs: this.#options.maxReaderLagMs ?? DEFAULT_MAX_READER_LAG_MS,
        behind: (r) =>
          log.warn(`reader ${r.session.id} is behind: dropping frames until the next keyframe`),
        tooSlow: (r) => {
          log.warn(
            `reader ${r.session.id} stayed behind (${r.gate.droppedFrames} frames dropped): disconnecting`,
          );
          writer.abort();
        },
      });
    }
    const udp = this.#options.udp;
    return udp ? new UdpReader(session, udp, this.#options.scheduler) : undefined;
  }

  #stop(session: Session, bye: boolean): void {
    const playback = this.#detach(session);
    if (!playback) return;
    if (playback.kind !== "multicast") this.traffic.readerEnded(playback.reader);
    if (playback.kind === "file") {
      // Stops it also while the file is still opening (a TEARDOWN racing PLAY).
      playback.file.stop(bye);
      return;
    }
    const stream = this.#options.library.shared(session.path);
    if (playback.kind === "shared") {
      stream?.detach(session.id, bye);
      playback.reader.stop?.();
      this.#options.readerLeft?.(session.path);
      return;
    }
    const group = this.#groups?.get(session.path);
    group?.members.delete(session.id);
    if (group?.reader && group.members.size === 0) {
      this.traffic.readerEnded(group.reader);
      // The last member left: stop sending to the group (RFC 3550, 6.6 BYE).
      if (group.file) {
        group.file.stop(true);
        group.file = undefined;
      } else stream?.detach(group.reader.session.id, true);
      group.reader = undefined;
      this.#options.readerLeft?.(session.path);
    }
  }
}
