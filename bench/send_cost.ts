/**
 * What one message costs the sending process: `WebSocket.send` on a socket
 * `Deno.serve` upgraded, against `Deno.Conn.write` on a plain TCP connection,
 * the same payload to N sockets of each, 25 times a second (one fMP4
 * fragment or one interleaved picture per reader, as `fanout.ts` sends).
 * The readers are another process (this script with `--readers`), so their
 * CPU is not counted. CPU is `process.cpuUsage()` over each 8 s phase; an idle
 * phase (timers only) is subtracted.
 *
 *     deno run -A bench/send_cost.ts [--sockets 200] [--bytes 10000] [--rounds 2]
 * @module
 */

import { parseArgs } from "node:util";
import process from "node:process";

const RATE_HZ = 25;
const PHASE_SECONDS = 8;

/** The readers' side: N WebSockets and N TCP connections, read and thrown away. */
async function readers(wsPort: number, tcpPort: number, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const socket = new WebSocket(`ws://127.0.0.1:${wsPort}/`);
    socket.binaryType = "arraybuffer";
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: tcpPort });
    (async () => {
      const buffer = new Uint8Array(65536);
      while ((await conn.read(buffer)) !== null) { /* drained */ }
    })().catch(() => {});
  }
  await new Promise(() => {}); // until killed
}

/** µs of CPU per message over one phase of sending `send` to every socket. */
async function phase(messages: number, send: () => void): Promise<number> {
  const start = process.cpuUsage();
  for (let i = 0; i < RATE_HZ * PHASE_SECONDS; i++) {
    send();
    await new Promise((resolve) => setTimeout(resolve, 1000 / RATE_HZ));
  }
  const used = process.cpuUsage(start);
  return (used.user + used.system) / (RATE_HZ * PHASE_SECONDS * messages);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      sockets: { type: "string", default: "200" },
      bytes: { type: "string", default: "10000" },
      rounds: { type: "string", default: "2" },
      readers: { type: "string" },
    },
  });
  const n = Number(values.sockets);
  if (values.readers) {
    const [wsPort, tcpPort] = values.readers.split(",").map(Number);
    await readers(wsPort, tcpPort, n);
    return 0;
  }
  const sockets: WebSocket[] = [];
  const conns: Deno.Conn[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    const { socket, response } = Deno.upgradeWebSocket(request);
    socket.onopen = () => sockets.push(socket);
    return response;
  });
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  (async () => {
    for await (const conn of listener) {
      conn.setNoDelay(true);
      conns.push(conn);
    }
  })();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      ...["run", "-A", new URL(import.meta.url).pathname, "--sockets", `${n}`],
      ...["--readers", `${server.addr.port},${listener.addr.port}`],
    ],
    stdout: "null",
  }).spawn();
  for (let wait = 0; sockets.length < n || conns.length < n; wait++) {
    if (wait > 400) throw new Error(`only ${sockets.length}/${conns.length} of ${n} connected`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  // A fresh buffer per round, as the muxer and the packetizer make one per picture.
  const payload = () => new Uint8Array(Number(values.bytes)).fill(0x47);
  const idle = await phase(n, () => {});
  console.log(`| round | WebSocket.send, µs-core/message | Deno.Conn.write | ratio |`);
  console.log(`|---|--:|--:|--:|`);
  for (let round = 1; round <= Number(values.rounds); round++) {
    const ws = await phase(n, () => {
      const bytes = payload();
      for (const socket of sockets) socket.send(bytes);
    }) - idle;
    const tcp = await phase(n, () => {
      const bytes = payload();
      for (const conn of conns) conn.write(bytes).catch(() => {});
    }) - idle;
    console.log(`| ${round} | ${ws.toFixed(1)} | ${tcp.toFixed(1)} | ${(ws / tcp).toFixed(2)}× |`);
  }
  console.log(
    `\n${n} sockets each, ${values.bytes} bytes, ${RATE_HZ}/s, ${PHASE_SECONDS} s per phase; idle ${
      idle.toFixed(1)
    } µs/message subtracted.`,
  );
  child.kill();
  await child.status;
  await server.shutdown();
  listener.close();
  return 0;
}

if (import.meta.main) Deno.exit(await main());
