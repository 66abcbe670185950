/**
 * The shell's {@linkcode MediaController}: turns the responder's decisions
 * (PLAY, PAUSE, session end) into readers attached to live streams or file
 * players, and routes the RTCP that clients send back to their sessions.
 * @module
 */

import type { MediaController, PlayStart, SessionEndReason, UdpPorts } from "../_rtsp/responder.ts";
import type { NptRange } from "../_rtsp/range.ts";
import { isInterleaved, type Session } from "../_rtsp/session.ts";
import { parseRtcpCompound } from "../_rtsp/rtp/rtcp.ts";
import type { ConnectionWriter } from "./connection_writer.ts";
import type { MediaLibrary } from "./library.ts";
import type { Logger } from "./log.ts";
import { type Reader, TcpReader, UdpReader } from "./reader.ts";
import type { UdpPair } from "./udp_transport.ts";

/** What plays one session. */
type Playback = { readonly kind: "live"; readonly reader: Reader };

/** Options of {@linkcode MediaHub}. */
export interface MediaHubOptions {
  readonly library: MediaLibrary;
  /** Writers of open connections, by connection id. */
  readonly writers: Map<number, ConnectionWriter>;
  /** The server's UDP sockets; without them UDP SETUP is refused (461). */
  readonly udp?: UdpPair;
  readonly log: Logger;
  /** Refreshes a session (RTCP received for it). */
  readonly touch: (sessionId: string) => void;
}

/** Connects sessions to media. */
export class MediaHub implements MediaController {
  #options: MediaHubOptions;
  #playing = new Map<string, Playback>();
  /** UDP RTCP source `address:port` → session id. */
  #udpRtcp = new Map<string, string>();

  /** @param options see {@linkcode MediaHubOptions} */
  constructor(options: MediaHubOptions) {
    this.#options = options;
    options.udp?.onRtcp((bytes, address, port) => {
      const id = this.#udpRtcp.get(`${address}:${port}`);
      if (id !== undefined) this.#receivedRtcp(id, bytes);
    });
  }

  /** Sessions being sent media now. */
  get playingCount(): number {
    return this.#playing.size;
  }

  /** The reader of a playing session (for tests and stats). */
  readerOf(sessionId: string): Reader | undefined {
    return this.#playing.get(sessionId)?.reader;
  }

  udpPorts(_session: Session, _trackIndex: number): UdpPorts | undefined {
    const udp = this.#options.udp;
    return udp ? { rtp: udp.rtpPort, rtcp: udp.rtcpPort } : undefined;
  }

  ssrc(session: Session, trackIndex: number): number | undefined {
    return this.#options.library.live(session.path)?.ssrc(trackIndex);
  }

  play(session: Session, _range: NptRange | undefined): PlayStart {
    const stream = this.#options.library.live(session.path);
    if (!stream) throw new Error(`no stream at ${session.path}`);
    this.#stop(session, false);
    const reader = this.#readerFor(session);
    if (!reader) throw new Error(`session ${session.id} has no usable transport`);
    this.#playing.set(session.id, { kind: "live", reader });
    for (const track of session.tracks.values()) {
      if (track.transport.clientPorts) {
        this.#udpRtcp.set(`${track.clientAddress}:${track.transport.clientPorts[1]}`, session.id);
      }
    }
    return stream.attach(reader);
  }

  pause(session: Session): void {
    this.#stop(session, false);
  }

  end(session: Session, reason: SessionEndReason): void {
    this.#stop(session, reason !== "connection-closed");
    for (const track of session.tracks.values()) {
      if (track.transport.clientPorts) {
        this.#udpRtcp.delete(`${track.clientAddress}:${track.transport.clientPorts[1]}`);
      }
    }
  }

  /** Interleaved data from a client: RTCP on odd channels refreshes its session. */
  receivedInterleaved(connectionId: number, channel: number, payload: Uint8Array): void {
    if (channel % 2 === 0) return;
    for (const playback of this.#playing.values()) {
      const session = playback.reader.session;
      if (session.connectionId !== connectionId) continue;
      for (const track of session.tracks.values()) {
        if (track.transport.interleaved?.[1] === channel) {
          this.#receivedRtcp(session.id, payload);
          return;
        }
      }
    }
  }

  #receivedRtcp(sessionId: string, bytes: Uint8Array): void {
    this.#options.touch(sessionId);
    const parsed = parseRtcpCompound(bytes);
    const reader = this.#playing.get(sessionId)?.reader;
    if (!parsed.ok || !reader) return;
    for (const packet of parsed.packets) {
      if (packet.type !== "rr" && packet.type !== "sr") continue;
      for (const block of packet.reports) {
        reader.reception.set(block.ssrc, {
          fractionLost: block.fractionLost,
          cumulativeLost: block.cumulativeLost,
          jitter: block.jitter,
        });
      }
    }
  }

  #readerFor(session: Session): Reader | undefined {
    if (isInterleaved(session)) {
      const writer = this.#options.writers.get(session.connectionId);
      return writer ? new TcpReader(session, writer) : undefined;
    }
    const udp = this.#options.udp;
    return udp ? new UdpReader(session, udp) : undefined;
  }

  #stop(session: Session, bye: boolean): void {
    const playback = this.#playing.get(session.id);
    if (!playback) return;
    this.#playing.delete(session.id);
    this.#options.library.live(session.path)?.detach(session.id, bye);
  }
}
