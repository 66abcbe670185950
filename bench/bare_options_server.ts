/**
 * The reference for `bench/run.ts`: the least a Deno TCP server can do to
 * answer RTSP OPTIONS. It frames requests on "\r\n\r\n", echoes the CSeq in
 * `RTSP/1.0 200 OK`, and writes all answers to one read in one write. It does
 * nothing else (no parsing beyond CSeq, no bodies, no sessions, no logging),
 * so its throughput is the ceiling for a Deno server on this machine.
 *
 *     deno run --allow-net bench/bare_options_server.ts [--port 0]
 *
 * Prints `listening on rtsp://127.0.0.1:PORT/` on stderr, like `main.ts`.
 *
 * @module
 */

import { parseArgs } from "node:util";

/** Bytes read per call; also the largest request head accepted. */
export const READ_BUFFER_BYTES = 64 * 1024;

const CR = 0x0d;
const LF = 0x0a;
const COLON = 0x3a;
const SPACE = 0x20;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
/** OR-ing an ASCII letter with this makes it lower case. */
const ASCII_LOWER_BIT = 0x20;
const CSEQ = new TextEncoder().encode("cseq");

const encoder = new TextEncoder();

/**
 * Index just past the first "\r\n\r\n" in `buf` from `from`, or -1. Pass a view
 * that ends at the data: indexOf would otherwise scan the whole read buffer.
 */
export function headEnd(buf: Uint8Array, from: number): number {
  // indexOf is native, so hop from LF to LF instead of testing every byte.
  for (let lf = buf.indexOf(LF, from); lf !== -1; lf = buf.indexOf(LF, lf + 1)) {
    if (lf - from >= 3 && buf[lf - 1] === CR && buf[lf - 2] === LF && buf[lf - 3] === CR) {
      return lf + 1;
    }
  }
  return -1;
}

/** The CSeq header's digits in the head `buf[from, to)`, or "" when absent. */
export function cseqOf(buf: Uint8Array, from: number, to: number): string {
  for (let line = from; line < to;) {
    let i = 0;
    while (i < CSEQ.length && (buf[line + i] | ASCII_LOWER_BIT) === CSEQ[i]) i++;
    if (i === CSEQ.length && buf[line + i] === COLON) {
      let at = line + i + 1;
      while (buf[at] === SPACE) at++;
      let digits = "";
      while (buf[at] >= DIGIT_0 && buf[at] <= DIGIT_9) digits += String.fromCharCode(buf[at++]);
      return digits;
    }
    const lf = buf.indexOf(LF, line);
    if (lf === -1 || lf >= to) break;
    line = lf + 1;
  }
  return "";
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await conn.write(bytes.subarray(at));
}

async function serve(conn: Deno.TcpConn): Promise<void> {
  const buf = new Uint8Array(READ_BUFFER_BYTES);
  let filled = 0;
  try {
    // A head larger than the buffer ends the connection: this is a benchmark peer.
    while (filled < buf.length) {
      const n = await conn.read(buf.subarray(filled));
      if (n === null) break;
      filled += n;
      const data = buf.subarray(0, filled);
      let start = 0;
      let answers = "";
      for (let end = headEnd(data, start); end !== -1; end = headEnd(data, start)) {
        const cseq = cseqOf(data, start, end);
        answers += cseq === ""
          ? "RTSP/1.0 200 OK\r\n\r\n"
          : `RTSP/1.0 200 OK\r\nCSeq: ${cseq}\r\n\r\n`;
        start = end;
      }
      // Keep a partial request for the next read.
      if (start > 0) {
        buf.copyWithin(0, start, filled);
        filled -= start;
      }
      if (answers !== "") await writeAll(conn, encoder.encode(answers));
    }
  } catch {
    // A peer reset ends only its connection.
  } finally {
    try {
      conn.close();
    } catch { /* already closed */ }
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { port: { type: "string", default: "0" } },
  });
  const listener = Deno.listen({ hostname: "127.0.0.1", port: Number(values.port) });
  console.error(`listening on rtsp://127.0.0.1:${listener.addr.port}/`);
  for await (const conn of listener) {
    // Answers must not wait for Nagle's algorithm (40 ms on Linux).
    conn.setNoDelay(true);
    serve(conn);
  }
}
