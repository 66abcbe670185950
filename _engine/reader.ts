/**
 * A reader: where one playing session's media goes, over its RTSP connection
 * (interleaved, RFC 2326 10.12) or over UDP (RFC 3550 on the client's ports).
 * @module
 */

import type { Cancel, Scheduler } from "../_rtsp/scheduler.ts";
import { DropGate } from "./fanout/drop_gate.ts";
import {
  channelLayoutKey,
  type FrameBatch,
  type FrameDelivery,
  type MediaFrame,
} from "./fanout/media_frame.ts";
import type { GopCache } from "./fanout/gop_cache.ts";
import { renumberInterleaved, renumberPacket } from "./fanout/renumber.ts";
import { CatchUpPacer } from "./fanout/catch_up.ts";
import { interleavedFrame } from "../_rtsp/interleaved.ts";
import type { Session } from "../_rtsp/session.ts";
import type { DatagramSink, InterleavedSink } from "./ports.ts";

/** How often a UDP reader that is catching up sends its next share of the backlog. */
export const CATCH_UP_TICK_MS = 10;

/** Receiver-report figures kept per reader (RFC 3550, 6.4.2). */
export interface ReceptionStats {
  fractionLost: number;
  cumulativeLost: number;
  jitter: number;
}

/** RTP sent to one reader: packets and their bytes (interleaving headers not counted). */
export interface TrafficCount {
  packets: number;
  bytes: number;
}

/** The sending side of one session. */
export interface Reader {
  readonly session: Session;
  /** Drop decisions and the count of frames this reader lost. */
  readonly gate: DropGate;
  /** Latest receiver report per SSRC of ours. */
  readonly reception: Map<number, ReceptionStats>;
  /** Report blocks the client sent about SSRCs we do not send it: counted, not kept. */
  ignoredReportBlocks: number;
  /** RTP handed to the connection or socket for this reader (for stats). */
  readonly sent?: TrafficCount;
  /**
   * Whatever it is given within one task leaves in one write (a TCP reader's
   * connection writer), so a stream may hold its audio back and give it
   * together with the next video frame (see `broadcast.ts`).
   */
  readonly joinsWrites?: boolean;
  /** Sends one frame, or drops it if the reader is too far behind. */
  deliver(delivery: FrameDelivery): void;
  /**
   * Sends frames handed over together, in order (held audio and the picture
   * after it); readers without it get each through {@linkcode deliver}.
   */
  deliverBatch?(batch: FrameBatch): void;
  /** Sends one RTCP compound packet for a track. */
  rtcp(trackIndex: number, bytes: Uint8Array): void;
  /**
   * Takes a stream's cached frames when it attaches, to send at its own pace;
   * readers without it get them through {@linkcode deliver} at once.
   */
  catchUp?(cached: readonly FrameDelivery[]): void;
  /**
   * Takes a stream's cached GOP when it attaches, to send in one piece;
   * readers without it (and without `catchUp`) get its frames through
   * {@linkcode deliver}.
   */
  startAtGop?(gop: GopCache): void;
  /** Stops whatever the reader still does on its own (timers); called when it is detached. */
  stop?(): void;
}

/** Default time a TCP reader may stay behind (dropping) before it is disconnected. */
export const DEFAULT_MAX_READER_LAG_MS = 10_000;

/** What a TCP reader needs beyond its session and writer. */
export interface TcpReaderOptions {
  /** The clock, for how long the reader has been behind. */
  readonly scheduler: Scheduler;
  /** How long the reader may keep dropping before `tooSlow` is called. */
  readonly maxLagMs: number;
  /** The reader started dropping frames (once per streak). */
  readonly behind?: (reader: TcpReader) => void;
  /** The reader stayed behind for `maxLagMs`: disconnect it. */
  readonly tooSlow?: (reader: TcpReader) => void;
}

/** Interleaved on the session's RTSP connection: one write per frame. */
export class TcpReader implements Reader {
  readonly session: Session;
  readonly gate: DropGate = new DropGate();
  readonly reception: Map<number, ReceptionStats> = new Map();
  ignoredReportBlocks = 0;
  readonly sent: TrafficCount = { packets: 0, bytes: 0 };
  /** The connection writer joins chunks queued in one task (RFC 2326, 10.12 lets them share the stream). */
  readonly joinsWrites = true;
  #writer: InterleavedSink;
  #options: TcpReaderOptions;
  /** RTP channel per track index (RTCP is the next one). */
  #channels = new Map<number, number>();
  /** Names `#channels`, to share a batch's bytes with readers of the same layout. */
  #layoutKey: string;
  /** When the current streak of drops began; undefined while keeping up. */
  #behindSince: number | undefined;
  /** Given up on: nothing more is sent. */
  #disconnected = false;

  /**
   * @param session a session with interleaved tracks
   * @param writer its connection's writer
   * @param options clock and lag policy
   */
  constructor(session: Session, writer: InterleavedSink, options: TcpReaderOptions) {
    this.session = session;
    this.#writer = writer;
    this.#options = options;
    for (const track of session.tracks.values()) {
      if (track.transport.interleaved) {
        this.#channels.set(track.trackIndex, track.transport.interleaved[0]);
      }
    }
    this.#layoutKey = channelLayoutKey(this.#channels);
  }

  /**
   * The cached GOP as one buffer shared by every reader with the same channels:
   * the bytes `deliver` would queue frame by frame, without a copy or a write
   * per frame. Frame by frame when it does not fit the writer's bound (then
   * frames are dropped as in `deliver`) or this reader renumbers.
   */
  startAtGop(gop: GopCache): void {
    if (this.gate.droppedFrames === 0 && !this.#disconnected) {
      const bytes = gop.interleaved(this.#channels);
      if (bytes.length === 0) return;
      if (this.#writer.offerMedia(bytes)) {
        for (const { frame } of gop.frames()) this.#count(frame);
        return;
      }
    }
    for (const delivery of gop.frames()) this.deliver(delivery);
  }

  /**
   * A batch as one buffer shared by every reader with the same channels (one
   * write, no copy per reader), while this reader has dropped nothing (so it
   * keeps the source's numbering); frame by frame otherwise or when it does
   * not fit the writer's bound, dropping as `deliver` does.
   */
  deliverBatch(batch: FrameBatch): void {
    if (this.#disconnected) return;
    if (this.gate.droppedFrames === 0) {
      const bytes = batch.interleaved(this.#layoutKey, this.#channels);
      if (bytes.length === 0) return;
      if (this.#writer.offerMedia(bytes)) {
        for (const { frame } of batch.deliveries) {
          if (this.#channels.has(frame.trackIndex)) this.#count(frame);
        }
        return;
      }
    }
    for (const delivery of batch.deliveries) this.deliver(delivery);
  }

  deliver(delivery: FrameDelivery): void {
    const frame = delivery.frame;
    const channel = this.#channels.get(frame.trackIndex);
    if (channel === undefined || this.#disconnected) return;
    if (!this.gate.admit(frame)) {
      this.#stillBehind();
      return;
    }
    // A reader that dropped packets gets its own numbering; the rest share the bytes.
    const shift = this.gate.sequenceShift(frame.trackIndex);
    if (this.#writer.offerMedia(renumberInterleaved(delivery.interleaved(channel), shift))) {
      this.#count(frame);
      // Caught up once nothing waits for a keyframe any more.
      if (!this.gate.waiting) this.#behindSince = undefined;
      return;
    }
    this.gate.rejected(frame);
    this.#stillBehind();
  }

  #count(frame: MediaFrame): void {
    this.sent.packets += frame.packets.length;
    this.sent.bytes += frame.bytes;
  }

  #stillBehind(): void {
    const now = this.#options.scheduler.now();
    if (this.#behindSince === undefined) {
      this.#behindSince = now;
      this.#options.behind?.(this);
    } else if (now - this.#behindSince > this.#options.maxLagMs) {
      this.#disconnected = true;
      this.#options.tooSlow?.(this);
    }
  }

  rtcp(trackIndex: number, bytes: Uint8Array): void {
    const channel = this.#channels.get(trackIndex);
    if (channel === undefined) return;
    this.#writer.offerMedia(interleavedFrame(channel + 1, bytes));
  }
}

/**
 * UDP to one address: the client's ports (unicast) or a group's ports
 * (multicast, RFC 2326 12.39 `port`). One datagram per packet.
 */
export class UdpReader implements Reader {
  readonly session: Session;
  readonly gate: DropGate = new DropGate();
  readonly reception: Map<number, ReceptionStats> = new Map();
  ignoredReportBlocks = 0;
  readonly sent: TrafficCount = { packets: 0, bytes: 0 };
  #udp: DatagramSink;
  /** Set while the cached GOP and the live frames behind it are being paced out. */
  #pacer: CatchUpPacer | undefined;
  #scheduler: Scheduler;
  #cancelTick: Cancel | undefined;
  #lastTickMs = 0;
  /** RTP and RTCP destination per track index. */
  #targets = new Map<number, readonly [unknown, unknown]>();

  /**
   * @param session a session with UDP tracks
   * @param udp the sockets to send from
   * @param scheduler the clock and timer that pace a catch-up
   */
  constructor(session: Session, udp: DatagramSink, scheduler: Scheduler) {
    this.session = session;
    this.#udp = udp;
    this.#scheduler = scheduler;
    for (const track of session.tracks.values()) {
      const t = track.transport;
      const ports = t.delivery === "multicast" ? t.ports : t.clientPorts;
      if (!ports) continue;
      const address = t.delivery === "multicast" && t.destination
        ? t.destination
        : track.clientAddress;
      this.#targets.set(track.trackIndex, [
        udp.target(address, ports[0]),
        udp.target(address, ports[1]),
      ]);
    }
  }

  /** Sends the keyframe at once and paces the rest (see `catch_up.ts`). */
  catchUp(cached: readonly FrameDelivery[]): void {
    const pacer = new CatchUpPacer();
    for (const delivery of pacer.start(cached)) this.#send(delivery);
    if (!pacer.catchingUp) return;
    this.#pacer = pacer;
    this.#lastTickMs = this.#scheduler.now();
    this.#cancelTick = this.#scheduler.after(CATCH_UP_TICK_MS, () => this.#tick());
  }

  #tick(): void {
    const pacer = this.#pacer;
    if (!pacer) return;
    const now = this.#scheduler.now();
    for (const delivery of pacer.take(now - this.#lastTickMs)) this.#send(delivery);
    this.#lastTickMs = now;
    if (pacer.catchingUp) {
      this.#cancelTick = this.#scheduler.after(CATCH_UP_TICK_MS, () => this.#tick());
    } else this.stop();
  }

  stop(): void {
    this.#cancelTick?.();
    this.#cancelTick = undefined;
    this.#pacer = undefined;
  }

  deliver(delivery: FrameDelivery): void {
    if (this.#pacer) {
      // Behind the backlog, in order; past its bound, dropped like any slow reader's frame.
      if (!this.#pacer.push(delivery)) this.gate.rejected(delivery.frame);
      return;
    }
    this.#send(delivery);
  }

  #send(delivery: FrameDelivery): void {
    const frame = delivery.frame;
    const targets = this.#targets.get(frame.trackIndex);
    if (targets === undefined || !this.gate.admit(frame)) return;
    // When this reader's send queue is full, whole frames are dropped, never
    // packets in the middle of one.
    if (!this.#udp.hasRoomFor(frame.bytes, targets[0])) {
      this.gate.rejected(frame);
      return;
    }
    const shift = this.gate.sequenceShift(frame.trackIndex);
    for (const packet of frame.packets) {
      this.#udp.sendRtp(renumberPacket(packet, shift), targets[0]);
    }
    this.sent.packets += frame.packets.length;
    this.sent.bytes += frame.bytes;
  }

  rtcp(trackIndex: number, bytes: Uint8Array): void {
    const targets = this.#targets.get(trackIndex);
    if (targets !== undefined) this.#udp.sendRtcp(bytes, targets[1]);
  }
}
