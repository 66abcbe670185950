/**
 * Running totals for the operator's view (status page, API, metrics): what
 * each path sent and received, and why sessions ended. Live readers carry
 * their own counts (`Reader.sent`, `Reader.reception`, `Reader.gate`); the
 * ledger keeps what ended readers had, so a path's totals only grow.
 * @module
 */

import type { SessionEndReason } from "../_rtsp/media_port.ts";
import type { Reader, TrafficCount } from "./reader.ts";

/** What ended readers of a path and its publishers added up to. */
export interface PathTotals {
  /** RTP sent to readers that have ended. */
  readonly sent: TrafficCount;
  /** RTP and RTCP received from the path's publishers. */
  readonly received: TrafficCount;
  /** Packets ended readers reported lost (RFC 3550, 6.4.1 cumulative number of packets lost). */
  lostPackets: number;
  /** Frames ended readers were too slow for. */
  droppedFrames: number;
}

/** Packets a reader's clients reported lost, over its tracks; negative counts (duplicates) as 0. */
export function lostPackets(reader: Reader): number {
  let lost = 0;
  for (const report of reader.reception.values()) lost += Math.max(0, report.cumulativeLost);
  return lost;
}

function zero(): PathTotals {
  return {
    sent: { packets: 0, bytes: 0 },
    received: { packets: 0, bytes: 0 },
    lostPackets: 0,
    droppedFrames: 0,
  };
}

/** Totals by path and by session; bounded by the paths served and the sessions alive. */
export class TrafficLedger {
  #paths = new Map<string, PathTotals>();
  /** What each live session's client sent us (a publisher's media, a reader's RTCP). */
  #sessions = new Map<string, TrafficCount>();
  #ended = new Map<SessionEndReason, number>();

  /** A packet from the client of `sessionId`; `publishedPath` when it is a publisher's media. */
  received(sessionId: string, publishedPath: string | undefined, bytes: number): void {
    let mine = this.#sessions.get(sessionId);
    if (!mine) this.#sessions.set(sessionId, mine = { packets: 0, bytes: 0 });
    mine.packets++;
    mine.bytes += bytes;
    if (publishedPath === undefined) return;
    const totals = this.#totals(publishedPath);
    totals.received.packets++;
    totals.received.bytes += bytes;
  }

  /** A reader stopped: its counts join its path's totals. */
  readerEnded(reader: Reader): void {
    const totals = this.#totals(reader.session.path);
    totals.sent.packets += reader.sent?.packets ?? 0;
    totals.sent.bytes += reader.sent?.bytes ?? 0;
    totals.lostPackets += lostPackets(reader);
    totals.droppedFrames += reader.gate.droppedFrames;
  }

  /** A session ended: counted by reason, and its own counts forgotten. */
  sessionEnded(sessionId: string, reason: SessionEndReason): void {
    this.#sessions.delete(sessionId);
    this.#ended.set(reason, (this.#ended.get(reason) ?? 0) + 1);
  }

  /** A path is gone (a published path whose publisher did not come back). */
  forgetPath(path: string): void {
    this.#paths.delete(path);
  }

  /** The totals of a path (all zero when nothing was counted there). */
  path(path: string): Readonly<PathTotals> {
    return this.#paths.get(path) ?? zero();
  }

  /** What a live session's client has sent us. */
  receivedFrom(sessionId: string): Readonly<TrafficCount> {
    return this.#sessions.get(sessionId) ?? { packets: 0, bytes: 0 };
  }

  /** Sessions ended so far, by reason. */
  endedSessions(): ReadonlyMap<SessionEndReason, number> {
    return this.#ended;
  }

  #totals(path: string): PathTotals {
    let totals = this.#paths.get(path);
    if (!totals) this.#paths.set(path, totals = zero());
    return totals;
  }
}
