/**
 * What browsers took from each path, for the operator's view (`snapshot.ts`):
 * the totals of WebSocket readers that have closed (open ones carry their own
 * counts), and everything about HLS, which has no session at all.
 *
 * HLS readers are counted, not known: HTTP has no session (RFC 8216 clients
 * just fetch playlists and media), so a path's HLS readers are the distinct
 * client addresses that fetched one of its parts or segments in the last
 * {@linkcode HLS_READER_WINDOW_MS}. Players behind one NAT or proxy count as
 * one; a player that stopped counts for up to 10 s more. Playlist and init
 * segment requests do not count: probes and players that gave up fetch them
 * too; nor do HEAD requests, which fetch no body.
 * @module
 */

/** What an HLS request fetched. */
export type HlsRequestKind = "playlist" | "init" | "segment" | "part";
/** Every HLS request kind, in exposition order. */
export const HLS_REQUEST_KINDS: readonly HlsRequestKind[] = ["playlist", "init", "segment", "part"];

/** An address that fetched a part or segment this recently is one of the path's HLS readers. */
export const HLS_READER_WINDOW_MS = 10_000;

/**
 * Distinct addresses remembered per path within the window; past it new ones
 * are not added (the count saturates), so a flood of addresses cannot grow memory.
 */
export const MAX_HLS_CLIENTS_PER_PATH = 10_000;

/** What a path's browser readers were sent; only grows while the path is served. */
export interface BrowserTotals {
  /** fMP4 bytes sent to WebSocket readers that have closed. */
  websocketBytes: number;
  /** WebSocket messages sent to readers that have closed. */
  websocketMessages: number;
  /** Fragments (one video picture each) dropped for closed WebSocket readers that were too slow. */
  websocketFramesDropped: number;
  /** Bytes of HLS response bodies (counted when the answer is made). */
  hlsBytes: number;
  /** HLS requests answered with the file (200 or 206), by what they fetched. */
  readonly hlsRequests: Record<HlsRequestKind, number>;
}

interface PathEntry {
  readonly totals: BrowserTotals;
  /** Client address → when it last fetched a part or segment. */
  readonly hlsClients: Map<string, number>;
  /** Served as a file under `--root` (HLS VOD), not a stream. */
  file: boolean;
}

function emptyEntry(): PathEntry {
  return {
    totals: {
      websocketBytes: 0,
      websocketMessages: 0,
      websocketFramesDropped: 0,
      hlsBytes: 0,
      hlsRequests: { playlist: 0, init: 0, segment: 0, part: 0 },
    },
    hlsClients: new Map(),
    file: false,
  };
}

/** Browser traffic by path; bounded by the paths served (see {@linkcode retain}). */
export class BrowserTraffic {
  #paths = new Map<string, PathEntry>();

  /** A WebSocket reader of `path` closed: its counts join the path's totals. */
  websocketEnded(path: string, bytes: number, messages: number, framesDropped: number): void {
    const { totals } = this.#entry(path);
    totals.websocketBytes += bytes;
    totals.websocketMessages += messages;
    totals.websocketFramesDropped += framesDropped;
  }

  /**
   * An HLS file of `path` was answered to `address` with `bytes` of body at `nowMs`.
   * @param file `path` is a file under `--root` (a VOD playlist), not a stream
   */
  hlsServed(
    path: string,
    kind: HlsRequestKind,
    address: string,
    bytes: number,
    nowMs: number,
    file = false,
  ): void {
    const entry = this.#entry(path);
    entry.file ||= file;
    entry.totals.hlsBytes += bytes;
    entry.totals.hlsRequests[kind]++;
    // A HEAD request (no body) looks but does not read.
    if ((kind !== "segment" && kind !== "part") || bytes === 0) return;
    const clients = entry.hlsClients;
    if (clients.has(address) || clients.size < MAX_HLS_CLIENTS_PER_PATH) {
      // Re-inserted so the map stays ordered by last fetch, oldest first.
      clients.delete(address);
      clients.set(address, nowMs);
    }
  }

  /** HLS readers of `path` at `nowMs`: distinct addresses that fetched a part or segment in the window. */
  hlsReaders(path: string, nowMs: number): number {
    const clients = this.#paths.get(path)?.hlsClients;
    if (!clients) return 0;
    // Oldest first: stop at the first one still inside the window.
    for (const [address, atMs] of clients) {
      if (nowMs - atMs < HLS_READER_WINDOW_MS) break;
      clients.delete(address);
    }
    return clients.size;
  }

  /** The totals of `path` (all zero when nothing was counted there). */
  totals(path: string): Readonly<BrowserTotals> {
    return this.#paths.get(path)?.totals ?? emptyEntry().totals;
  }

  /** The files under `--root` read over HLS whose counts are kept. */
  *files(): IterableIterator<string> {
    for (const [path, entry] of this.#paths) if (entry.file) yield path;
  }

  /** Forgets every path not in `served` (a path that is gone starts again from zero). */
  retain(served: ReadonlySet<string>): void {
    for (const path of this.#paths.keys()) if (!served.has(path)) this.#paths.delete(path);
  }

  #entry(path: string): PathEntry {
    let entry = this.#paths.get(path);
    if (!entry) this.#paths.set(path, entry = emptyEntry());
    return entry;
  }
}
