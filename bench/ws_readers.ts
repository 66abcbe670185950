/**
 * A light WebSocket load for `fanout.ts`: N readers of one `/ws/<path>` URL
 * (fragmented MP4, `_server/http/websocket_reader.ts`), in their own process
 * so their CPU is not the server's. Shaped like `rtspload readers`:
 *
 *     deno run -A bench/ws_readers.ts --url ws://127.0.0.1:8888/ws/bench -n 100 -t 8 \
 *       [--warmup 2] [--setup-timeout 20]
 *
 * Opens every socket at once; a reader is set up once it has its init
 * segment and one fragment. When all are (or the setup timeout passes), it
 * prints a `ready` line, waits the warmup, counts every reader's bytes over
 * the window, prints one JSON line with `t_start`/`t_end` in CLOCK_MONOTONIC
 * seconds (rtspload's clock) and exits. SIGINT/SIGTERM print the totals so
 * far first. Fragments carry the muxer's `mfhd` sequence number (ISO/IEC
 * 14496-12, 8.8.5), so a fragment the server dropped for a slow reader shows
 * as a gap.
 * @module
 */

import { parseArgs } from "node:util";
import { monotonicToPerfMs } from "./fanout_proc.ts";

/** Offset of `mfhd`'s sequence_number in a fragment: moof header 8, mfhd header 8, version+flags 4. */
const MFHD_SEQUENCE_OFFSET = 20;
/** `mdat`'s box header: 32-bit size and type (the muxer never needs a 64-bit size). */
const MDAT_HEADER_BYTES = 8;
/** How often setup progress is checked. */
const POLL_MS = 50;

/** One socket's counts; `atStart`/`atEnd` are copies taken at the window's ends. */
interface Reader {
  socket: WebSocket;
  bytes: number;
  messages: number;
  inits: number;
  fragments: number;
  /** Fragments missing between received ones (sequence gaps). */
  skipped: number;
  /** Bytes of fragments that are boxes (`moof`, `mdat` header), not media. */
  boxBytes: number;
  lastSequence: number;
  closed: boolean;
  setUp: boolean;
  atStart?: Counts;
  atEnd?: Counts;
}

type Counts = Pick<Reader, "bytes" | "fragments" | "skipped" | "messages" | "boxBytes">;

function counts(r: Reader): Counts {
  const { bytes, fragments, skipped, messages, boxBytes } = r;
  return { bytes, fragments, skipped, messages, boxBytes };
}

function open(url: string): Reader {
  const socket = new WebSocket(url);
  socket.binaryType = "arraybuffer";
  const r: Reader = {
    socket,
    bytes: 0,
    messages: 0,
    inits: 0,
    fragments: 0,
    skipped: 0,
    boxBytes: 0,
    lastSequence: -1,
    closed: false,
    setUp: false,
  };
  socket.onmessage = (e: MessageEvent) => {
    r.messages++;
    if (typeof e.data === "string") {
      r.bytes += e.data.length; // the codecs JSON: ASCII
      return;
    }
    const data = e.data as ArrayBuffer;
    r.bytes += data.byteLength;
    const view = new DataView(data);
    // Init segments start with `ftyp`, fragments with `moof` (type at bytes 4..7).
    if (data.byteLength >= 8 && view.getUint32(4) === 0x66747970) {
      r.inits++;
      r.lastSequence = -1; // a new init may restart the count
      return;
    }
    r.fragments++;
    // A fragment is `moof` (its size first) then `mdat` with an 8-byte header.
    r.boxBytes += Math.min(data.byteLength, view.getUint32(0) + MDAT_HEADER_BYTES);
    if (data.byteLength >= MFHD_SEQUENCE_OFFSET + 4) {
      const sequence = view.getUint32(MFHD_SEQUENCE_OFFSET);
      if (r.lastSequence >= 0 && sequence > r.lastSequence + 1) {
        r.skipped += sequence - r.lastSequence - 1;
      }
      r.lastSequence = sequence;
    }
    if (r.inits > 0) r.setUp = true;
  };
  socket.onclose = () => r.closed = true;
  socket.onerror = () => {}; // a close follows
  return r;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      url: { type: "string" },
      n: { type: "string", short: "n" },
      t: { type: "string", short: "t", default: "8" },
      warmup: { type: "string", default: "2" },
      "setup-timeout": { type: "string", default: "20" },
    },
  });
  if (!values.url || !values.n) {
    console.error("usage: ws_readers.ts --url ws://host:port/ws/path -n N [-t S] [--warmup S]");
    Deno.exit(2);
  }
  const n = Number(values.n);
  const toPerfMs = monotonicToPerfMs();
  const perfZero = toPerfMs(0);
  /** performance.now() as CLOCK_MONOTONIC seconds, the clock of rtspload's JSON. */
  const monotonic = (perfMs: number) => (perfMs - perfZero) / 1000;

  const t0 = performance.now();
  const readers = Array.from({ length: n }, () => open(values.url!));
  /** The window's ends, performance.now() ms, once reached. */
  const marks: { start?: number; end?: number } = {};
  let setupSeconds = NaN;

  const report = () => {
    const ended = marks.end ?? performance.now();
    const began = marks.start ?? ended;
    const seconds = (ended - began) / 1000;
    const inWindow = readers.map((r) => {
      const a = r.atStart ?? counts(r);
      const b = r.atEnd ?? counts(r);
      return {
        bytes: b.bytes - a.bytes,
        fragments: b.fragments - a.fragments,
        skipped: b.skipped - a.skipped,
        messages: b.messages - a.messages,
        boxBytes: b.boxBytes - a.boxBytes,
      };
    });
    const mbps = inWindow.map((w) => seconds > 0 ? w.bytes * 8 / seconds / 1e6 : 0);
    const setUp = readers.filter((r) => r.setUp);
    const setUpMbps = mbps.filter((_, i) => readers[i].setUp);
    const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
    console.log(JSON.stringify({
      mode: "ws",
      n,
      setup_ok: setUp.length,
      setup_s: Number(setupSeconds.toFixed(3)),
      t_start: monotonic(began),
      t_end: monotonic(ended),
      duration: seconds,
      bytes: sum(inWindow.map((w) => w.bytes)),
      mbps: sum(mbps),
      min_reader_mbps: setUpMbps.length ? Math.min(...setUpMbps) : 0,
      max_reader_mbps: setUpMbps.length ? Math.max(...setUpMbps) : 0,
      messages: sum(inWindow.map((w) => w.messages)),
      fragments: sum(inWindow.map((w) => w.fragments)),
      skipped_fragments: sum(inWindow.map((w) => w.skipped)),
      // fMP4's own bytes over the media it carries (the overhead against bare samples).
      box_overhead: sum(inWindow.map((w) => w.boxBytes)) /
        sum(inWindow.map((w) => w.bytes - w.boxBytes)),
      readers_skipping: inWindow.filter((w) => w.skipped > 0).length,
      // Over the whole run, not only the window.
      init_segments: sum(readers.map((r) => r.inits)),
      disconnects: readers.filter((r) => r.closed).length,
      total_bytes: sum(readers.map((r) => r.bytes)),
    }));
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => {
      report();
      Deno.exit(1);
    });
  }

  const setupDeadline = t0 + Number(values["setup-timeout"]) * 1000;
  while (readers.some((r) => !r.setUp && !r.closed) && performance.now() < setupDeadline) {
    await sleep(POLL_MS);
  }
  setupSeconds = (performance.now() - t0) / 1000;
  const ready = readers.filter((r) => r.setUp).length;
  console.error(`ready: ${ready}/${n} readers set up in ${setupSeconds.toFixed(2)} s`);
  await sleep(Number(values.warmup) * 1000);
  marks.start = performance.now();
  for (const r of readers) r.atStart = counts(r);
  await sleep(Number(values.t) * 1000);
  marks.end = performance.now();
  for (const r of readers) r.atEnd = counts(r);
  report();
  for (const r of readers) r.socket.close();
  Deno.exit(ready === n ? 0 : 1);
}

if (import.meta.main) await main();
