/**
 * The operator's view of a running server, as plain data: its paths (kind,
 * tracks, readers, traffic, bit rates, uptime) and its sessions (client,
 * transport, traffic, receiver-report figures, age). The API, the metrics
 * and the status page all read the same snapshot. A sampler looks once a
 * second, for bit rates and for when a path or session was first seen.
 *
 * Browser readers count too: each WebSocket reader is listed beside the RTSP
 * sessions (transport `websocket`, id `ws-<n>`), and HLS, which has no
 * session, shows as a per-path reader count and traffic (`browser_traffic.ts`
 * says how its readers are counted). A path's bytes out, bit rate out and
 * dropped frames cover all of its readers.
 * @module
 */

import { every } from "../../_rtsp/scheduler.ts";
import type { Cancel } from "../../_rtsp/scheduler.ts";
import type { StreamDescription } from "../../_rtsp/catalogue.ts";
import type { Session } from "../../_rtsp/session.ts";
import { RelayStream } from "../../_engine/relay_stream.ts";
import { lostPackets } from "../../_engine/traffic_ledger.ts";
import type { Reader } from "../../_engine/reader.ts";
import type { App } from "../app.ts";
import { RateMeter } from "./rate_meter.ts";
import { type TrackInfo, trackInfo } from "./track_info.ts";
import type { BrowserTraffic, HlsRequestKind } from "./browser_traffic.ts";
import type { WebSocketReader, WebSocketReaders } from "./websocket_reader.ts";

/** Where a path's media comes from. */
export type PathKind = "test" | "file" | "published" | "pulled";
/** Every path kind, in exposition order. */
export const PATH_KINDS: readonly PathKind[] = ["test", "file", "published", "pulled"];

/** How an RTSP reader gets its packets. */
export type RtspTransport = "tcp" | "udp" | "multicast";
/** How a browser reader gets its media: fMP4 over WebSocket, or LL-HLS. */
export type BrowserTransport = "websocket" | "hls";
/** How a reader gets its media. */
export type ReaderTransport = RtspTransport | BrowserTransport;
/** Every browser transport, in exposition order. */
export const BROWSER_TRANSPORTS: readonly BrowserTransport[] = ["websocket", "hls"];
/** Every reader transport, in exposition order. */
export const READER_TRANSPORTS: readonly ReaderTransport[] = [
  "tcp",
  "udp",
  "multicast",
  ...BROWSER_TRANSPORTS,
];

/** Traffic totals; they only grow while the path exists. */
export interface TrafficTotals {
  /** Sent to readers: RTP over RTSP, fMP4 messages over WebSocket, HLS response bodies. */
  bytesSent: number;
  /** RTP packets sent to RTSP readers. */
  packetsSent: number;
  /** RTP and RTCP from publishers. */
  bytesReceived: number;
  packetsReceived: number;
  /** Packets readers reported lost (RTCP receiver reports, RFC 3550 6.4.1). */
  packetsLost: number;
  /** Frames readers were too slow for (RTSP readers, and WebSocket readers' dropped fragments). */
  framesDropped: number;
}

/** What browser readers of a path took, within {@linkcode TrafficTotals}. */
export interface BrowserSummary {
  /** Bytes sent, by browser transport (included in the path's `bytesSent`). */
  readonly bytesSent: Record<BrowserTransport, number>;
  /** HLS requests answered with the file (200 or 206), by what they fetched. */
  readonly hlsRequests: Record<HlsRequestKind, number>;
}

/** One path as listed. */
export interface PathSummary extends TrafficTotals {
  readonly name: string;
  readonly kind: PathKind;
  readonly tracks: readonly TrackInfo[];
  /**
   * Readers now, by transport: RTSP sessions playing it, open WebSocket
   * readers, and HLS clients (distinct addresses that fetched a part or
   * segment in the last 10 s).
   */
  readonly readers: Record<ReaderTransport, number>;
  /** Its browser readers' share of the traffic. */
  readonly browsers: BrowserSummary;
  /** Over the last few seconds. */
  readonly bitrateIn: number;
  readonly bitrateOut: number;
  /** Seconds since the server first saw the path (to the sampling second). */
  readonly uptimeSeconds: number;
  /** The publishing session, for a published path that has one now. */
  readonly publisher?: string;
}

/**
 * One session as listed: an RTSP session, or a WebSocket reader (transport
 * `websocket`, mode `play`, state `playing` once its first init segment went,
 * `ready-to-play` before).
 */
export interface SessionSummary {
  readonly id: string;
  readonly path: string;
  readonly clientAddress: string;
  readonly transport: RtspTransport | "websocket";
  readonly mode: "play" | "record";
  readonly state: Session["state"];
  readonly bytesSent: number;
  /** RTP packets; for a WebSocket reader, messages. */
  readonly packetsSent: number;
  /** What the client sent: a publisher's media, a reader's RTCP. */
  readonly bytesReceived: number;
  readonly packetsReceived: number;
  /** Cumulative packets lost over its tracks, from its receiver reports. */
  readonly packetsLost: number;
  /** The largest fraction lost of its tracks' latest reports, 0 to 1 (RFC 3550, 6.4.1). */
  readonly lossFraction: number;
  /** The largest interarrival jitter of its tracks, in milliseconds. */
  readonly jitterMs: number;
  readonly framesDropped: number;
  /** Seconds since the server first saw the session (to the sampling second). */
  readonly ageSeconds: number;
}

/** How often bit rates and first sightings are sampled. */
export const SAMPLE_INTERVAL_MS = 1000;

/** The transport of a session, from its first track. */
export function sessionTransport(session: Session): RtspTransport {
  const transport = session.tracks.values().next().value?.transport;
  if (transport?.lower === "TCP") return "tcp";
  return transport?.delivery === "multicast" ? "multicast" : "udp";
}

interface PathState {
  kind: PathKind;
  description?: StreamDescription;
  totals: TrafficTotals;
  readers: Record<ReaderTransport, number>;
  browsers: BrowserSummary;
  publisher?: string;
}

/** The browser readers of one HTTP listener, as its observer sees them. */
export interface ObservedBrowsers {
  readonly websockets: WebSocketReaders;
  readonly traffic: BrowserTraffic;
}

function emptyReaders(): Record<ReaderTransport, number> {
  return { tcp: 0, udp: 0, multicast: 0, websocket: 0, hls: 0 };
}

function emptyBrowsers(): BrowserSummary {
  return {
    bytesSent: { websocket: 0, hls: 0 },
    hlsRequests: { playlist: 0, init: 0, segment: 0, part: 0 },
  };
}

function emptyTotals(): TrafficTotals {
  return {
    bytesSent: 0,
    packetsSent: 0,
    bytesReceived: 0,
    packetsReceived: 0,
    packetsLost: 0,
    framesDropped: 0,
  };
}

function addReader(totals: TrafficTotals, reader: Reader): void {
  totals.bytesSent += reader.sent?.bytes ?? 0;
  totals.packetsSent += reader.sent?.packets ?? 0;
  totals.packetsLost += lostPackets(reader);
  totals.framesDropped += reader.gate.droppedFrames;
}

/** Adds what browsers took from the path `name`: open WebSocket readers are added by the caller. */
function addBrowsers(state: PathState, traffic: BrowserTraffic, name: string, now: number): void {
  const ended = traffic.totals(name);
  state.totals.bytesSent += ended.websocketBytes + ended.hlsBytes;
  state.totals.framesDropped += ended.websocketFramesDropped;
  state.browsers.bytesSent.websocket += ended.websocketBytes;
  state.browsers.bytesSent.hls += ended.hlsBytes;
  Object.assign(state.browsers.hlsRequests, ended.hlsRequests);
  state.readers.hls = traffic.hlsReaders(name, now);
}

/** Seconds from `startMs` to `nowMs`, whole. */
function wholeSeconds(startMs: number, nowMs: number): number {
  return Math.max(0, Math.round((nowMs - startMs) / 1000));
}

/** A WebSocket reader as a session. */
function websocketSession(id: string, reader: WebSocketReader, nowMs: number): SessionSummary {
  return {
    id,
    path: reader.path,
    clientAddress: reader.address,
    transport: "websocket",
    mode: "play",
    state: reader.state === "streaming" ? "playing" : "ready-to-play",
    bytesSent: reader.bytesSent,
    packetsSent: reader.messagesSent,
    // What a player sends is not read: nothing is counted as received.
    bytesReceived: 0,
    packetsReceived: 0,
    packetsLost: 0,
    lossFraction: 0,
    jitterMs: 0,
    framesDropped: reader.gate.dropped,
    ageSeconds: wholeSeconds(reader.startedAtMs, nowMs),
  };
}

/** What a server looks like now, with bit rates and ages from its sampler. */
export class ServerObserver {
  #app: App;
  #browsers: ObservedBrowsers | undefined;
  #rates = new RateMeter();
  #firstSeen = new Map<string, number>();
  #stop: Cancel | undefined;

  /**
   * @param app the server observed
   * @param browsers the browser readers of the HTTP listener, if any
   */
  constructor(app: App, browsers?: ObservedBrowsers) {
    this.#app = app;
    this.#browsers = browsers;
  }

  /** Starts sampling once a second, on the app's scheduler. */
  start(): void {
    this.#sample();
    this.#stop ??= every(this.#app.scheduler, SAMPLE_INTERVAL_MS, () => this.#sample());
  }

  /** Stops sampling. */
  stop(): void {
    this.#stop?.();
    this.#stop = undefined;
  }

  #now(): number {
    return this.#app.scheduler.now();
  }

  #sample(): void {
    const now = this.#now();
    const paths = this.#pathStates();
    const totals = new Map<string, number>();
    for (const [name, state] of paths) {
      totals.set(`in ${name}`, state.totals.bytesReceived);
      totals.set(`out ${name}`, state.totals.bytesSent);
    }
    this.#rates.sampleRound(totals, now);
    // First sightings of what exists; what is gone is forgotten (bounded by what exists).
    const present = new Set<string>();
    for (const name of paths.keys()) present.add(`path ${name}`);
    for (const session of this.#app.responder.sessions.values()) {
      present.add(`session ${session.id}`);
    }
    for (const key of this.#firstSeen.keys()) if (!present.has(key)) this.#firstSeen.delete(key);
    for (const key of present) if (!this.#firstSeen.has(key)) this.#firstSeen.set(key, now);
    // Browser totals of paths no longer served are forgotten too (bounded by what exists).
    this.#browsers?.traffic.retain(new Set(paths.keys()));
  }

  #ageSeconds(key: string): number {
    const now = this.#now();
    return wholeSeconds(this.#firstSeen.get(key) ?? now, now);
  }

  /** Every path served now: shared streams, and files being played. */
  #pathStates(): Map<string, PathState> {
    const { library, hub, responder } = this.#app;
    const states = new Map<string, PathState>();
    const readers = emptyReaders;
    for (const stream of library.sharedStreams()) {
      // Each shared stream says what serves it: the test source, a publisher, an upstream.
      const kind: PathKind = stream.kind;
      const publisher = stream instanceof RelayStream ? stream.publisherId : undefined;
      states.set(stream.path, {
        kind,
        description: stream.description,
        totals: emptyTotals(),
        readers: readers(),
        browsers: emptyBrowsers(),
        ...(publisher !== undefined ? { publisher } : {}),
      });
    }
    for (const session of responder.sessions.values()) {
      if (session.mode !== "play") continue;
      const reader = hub.readerOf(session);
      let state = states.get(session.path);
      if (!state) {
        // Not a shared stream: a file, listed while someone plays it.
        if (!reader && !hub.groupReaderOf(session.path)) continue;
        states.set(
          session.path,
          state = {
            kind: "file",
            totals: emptyTotals(),
            readers: readers(),
            browsers: emptyBrowsers(),
          },
        );
      }
      if (session.state === "playing") state.readers[sessionTransport(session)]++;
      if (reader) addReader(state.totals, reader);
    }
    const browsers = this.#browsers;
    const now = this.#now();
    for (const name of browsers?.traffic.files() ?? []) {
      // A file read over HLS (VOD), listed while a player fetches its segments.
      if (states.has(name) || browsers!.traffic.hlsReaders(name, now) === 0) continue;
      states.set(name, {
        kind: "file",
        totals: emptyTotals(),
        readers: readers(),
        browsers: emptyBrowsers(),
      });
    }
    for (const [, reader] of browsers?.websockets.readers() ?? []) {
      // Browsers read shared streams only; one whose stream just went is not listed.
      const state = states.get(reader.path);
      if (!state) continue;
      state.readers.websocket++;
      state.totals.bytesSent += reader.bytesSent;
      state.totals.framesDropped += reader.gate.dropped;
      state.browsers.bytesSent.websocket += reader.bytesSent;
    }
    for (const [name, state] of states) {
      if (browsers) addBrowsers(state, browsers.traffic, name, now);
      const group = hub.groupReaderOf(name);
      if (group) addReader(state.totals, group);
      const ended = hub.traffic.path(name);
      state.totals.bytesSent += ended.sent.bytes;
      state.totals.packetsSent += ended.sent.packets;
      state.totals.bytesReceived += ended.received.bytes;
      state.totals.packetsReceived += ended.received.packets;
      state.totals.packetsLost += ended.lostPackets;
      state.totals.framesDropped += ended.droppedFrames;
    }
    return states;
  }

  /** Every path served now, sorted by name. */
  async paths(): Promise<PathSummary[]> {
    const states = this.#pathStates();
    const out: PathSummary[] = [];
    for (const [name, state] of [...states].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)) {
      // Files are described from the library's cache of parsed files.
      const description = state.description ?? await this.#app.library.describe(name);
      out.push({
        name,
        kind: state.kind,
        tracks: "tracks" in description ? description.tracks.map(trackInfo) : [],
        readers: state.readers,
        browsers: state.browsers,
        ...state.totals,
        bitrateIn: this.#rates.bitsPerSecond(`in ${name}`),
        bitrateOut: this.#rates.bitsPerSecond(`out ${name}`),
        uptimeSeconds: this.#ageSeconds(`path ${name}`),
        ...(state.publisher !== undefined ? { publisher: state.publisher } : {}),
      });
    }
    return out;
  }

  /** The tracks' clock rates of a path: a shared stream's, or a file's from the library's cache. */
  async #clockRates(path: string): Promise<number[]> {
    const { library } = this.#app;
    const description = library.shared(path)?.description ?? await library.describe(path);
    return "tracks" in description ? description.tracks.map((t) => t.clockRate) : [];
  }

  /** Every session, oldest first. */
  async sessions(): Promise<SessionSummary[]> {
    const { hub, library, server } = this.#app;
    const out: SessionSummary[] = [];
    const clockRates = new Map<string, number[]>();
    // A copy: looking up a file's clock rates awaits, and sessions may end meanwhile.
    for (const session of [...this.#app.responder.sessions.values()]) {
      const reader = hub.readerOf(session);
      const stream = library.shared(session.path);
      let rates = clockRates.get(session.path);
      if (reader && rates === undefined) {
        clockRates.set(session.path, rates = await this.#clockRates(session.path));
      }
      let lossFraction = 0;
      let jitterMs = 0;
      for (const track of session.tracks.values()) {
        const ssrc = stream?.ssrc(track.trackIndex) ?? track.ssrc;
        const report = reader?.reception.get(ssrc);
        if (!report) continue;
        // RFC 3550, 6.4.1: fraction lost is a fixed-point number with the binary point at the left.
        lossFraction = Math.max(lossFraction, report.fractionLost / 256);
        const clockRate = rates?.[track.trackIndex];
        // Jitter is in timestamp units (RFC 3550, 6.4.1).
        if (clockRate) jitterMs = Math.max(jitterMs, (report.jitter / clockRate) * 1000);
      }
      const received = hub.traffic.receivedFrom(session.id);
      const first = session.tracks.values().next().value;
      out.push({
        id: session.id,
        path: session.path,
        clientAddress: server.transcripts.get(session.connectionId)?.remoteAddress ??
          first?.clientAddress ?? "",
        transport: sessionTransport(session),
        mode: session.mode,
        state: session.state,
        bytesSent: reader?.sent?.bytes ?? 0,
        packetsSent: reader?.sent?.packets ?? 0,
        bytesReceived: received.bytes,
        packetsReceived: received.packets,
        packetsLost: reader ? lostPackets(reader) : 0,
        lossFraction: Math.round(lossFraction * 1000) / 1000,
        jitterMs: Math.round(jitterMs * 100) / 100,
        framesDropped: reader?.gate.droppedFrames ?? 0,
        ageSeconds: this.#ageSeconds(`session ${session.id}`),
      });
    }
    const now = this.#now();
    for (const [id, reader] of this.#browsers?.websockets.readers() ?? []) {
      out.push(websocketSession(id, reader, now));
    }
    return out.sort((a, b) => b.ageSeconds - a.ageSeconds);
  }
}
