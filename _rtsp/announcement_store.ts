/**
 * Announcements (RFC 2326, 10.3) waiting for their SETUPs, per connection,
 * bounded per connection and in total: one connection can hold a few, and
 * many connections together cannot hold more than a fixed number of bytes.
 * @module
 */

import type { Announcement } from "./session.ts";

/** Announcements one connection may hold before its SETUPs. */
export const MAX_ANNOUNCEMENTS_PER_CONNECTION = 8;
/**
 * SDP bytes held by all connections together (each body is at most 128 KiB,
 * the message limit). The parsed tracks cost about as much again.
 */
export const MAX_ANNOUNCED_BYTES_TOTAL = 4 * 1024 * 1024;

/** The announcements of every connection. */
export class AnnouncementStore {
  #byConnection = new Map<number, Map<string, Announcement>>();
  #bytes = 0;
  #maxBytes: number;

  /** @param maxBytes SDP bytes held in total @default {MAX_ANNOUNCED_BYTES_TOTAL} */
  constructor(maxBytes = MAX_ANNOUNCED_BYTES_TOTAL) {
    this.#maxBytes = maxBytes;
  }

  /** SDP bytes held now. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Keeps `announcement` for `connectionId`, replacing one for the same path
   * and dropping the connection's oldest past {@linkcode MAX_ANNOUNCEMENTS_PER_CONNECTION}.
   * Returns false, keeping nothing, when the total would pass the budget.
   */
  hold(connectionId: number, announcement: Announcement): boolean {
    let held = this.#byConnection.get(connectionId);
    const replaced = held?.get(announcement.path);
    const freed = replaced?.sdp.length ?? 0;
    if (this.#bytes - freed + announcement.sdp.length > this.#maxBytes) return false;
    if (!held) this.#byConnection.set(connectionId, held = new Map());
    if (replaced) this.#drop(held, announcement.path);
    if (held.size >= MAX_ANNOUNCEMENTS_PER_CONNECTION) this.#drop(held, held.keys().next().value!);
    held.set(announcement.path, announcement);
    this.#bytes += announcement.sdp.length;
    return true;
  }

  /** The announcements `connectionId` holds, oldest first. */
  of(connectionId: number): Iterable<Announcement> {
    return this.#byConnection.get(connectionId)?.values() ?? [];
  }

  /** Forgets a closed connection's announcements. */
  dropConnection(connectionId: number): void {
    const held = this.#byConnection.get(connectionId);
    if (!held) return;
    for (const announcement of held.values()) this.#bytes -= announcement.sdp.length;
    this.#byConnection.delete(connectionId);
  }

  #drop(held: Map<string, Announcement>, path: string): void {
    const announcement = held.get(path);
    if (!announcement) return;
    held.delete(path);
    this.#bytes -= announcement.sdp.length;
  }
}
