import assert from "node:assert/strict";
import dgram from "node:dgram";
import { bindLibcUdp, libcUdpAvailable, parseIpv4 } from "./libc_udp.ts";
import { DatagramTarget, MmsgSocket } from "./mmsg_socket.ts";

Deno.test("parseIpv4() takes dotted quads only", () => {
  const table: [string, number[] | undefined][] = [
    ["127.0.0.1", [127, 0, 0, 1]],
    ["0.0.0.0", [0, 0, 0, 0]],
    ["255.255.255.255", [255, 255, 255, 255]],
    ["256.0.0.1", undefined],
    ["1.2.3", undefined],
    ["1.2.3.4.5", undefined],
    ["::1", undefined],
    ["localhost", undefined],
    ["1.2.3.-4", undefined],
    ["1.2.3.0x1", undefined],
  ];
  for (const [text, bytes] of table) {
    const parsed = parseIpv4(text);
    assert.deepEqual(parsed ? [...parsed] : undefined, bytes, text);
  }
});

/** A node:dgram receiver on 127.0.0.1 that keeps what it gets. */
async function receiver(): Promise<{ port: number; got: Uint8Array[]; close(): void }> {
  const socket = dgram.createSocket("udp4");
  const got: Uint8Array[] = [];
  socket.on("message", (m: Uint8Array) => got.push(new Uint8Array(m)));
  await new Promise<void>((r) => socket.bind(0, "127.0.0.1", r));
  return { port: socket.address().port, got, close: () => socket.close() };
}

async function until(done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}

Deno.test({
  name: "the libc socket sends every reader's copy through the kernel in order, and receives",
  ignore: !libcUdpAvailable(),
  async fn() {
    const socket = bindLibcUdp("127.0.0.1", 0);
    assert.ok(socket, "binds on an OS-chosen port");
    assert.ok(socket.port > 0);
    assert.equal(bindLibcUdp("127.0.0.1", socket.port), undefined, "a taken port is refused");
    assert.equal(bindLibcUdp("::1", 0), undefined, "IPv6 is left to the other backends");
    const mmsg = new MmsgSocket(socket.syscalls);
    const incoming: string[] = [];
    mmsg.receive((bytes, address, port) => incoming.push(`${address}:${port}:${bytes[0]}`));
    const readers = await Promise.all([receiver(), receiver(), receiver()]);
    try {
      const targets = readers.map((r) =>
        new DatagramTarget("127.0.0.1", r.port, new Uint8Array([127, 0, 0, 1]))
      );
      // 300 packets of one shared buffer (as a frame's packets are), 1000 bytes each.
      const payload = new Uint8Array(300 * 1000);
      const packets = Array.from({ length: 300 }, (_, i) => {
        const p = payload.subarray(i * 1000, (i + 1) * 1000);
        p.fill(i & 0xff);
        p[1] = i >> 8;
        return p;
      });
      // Bursts of 20 (a receiver's default socket buffer holds about 100 such datagrams).
      for (let burst = 0; burst < 15; burst++) {
        for (const p of packets.slice(burst * 20, burst * 20 + 20)) {
          for (const t of targets) mmsg.send(p, t);
        }
        await new Promise((r) => setTimeout(r, 20)); // let the receivers keep up
      }
      await until(() => readers.every((r) => r.got.length === 300), 3000);
      for (const r of readers) {
        assert.equal(r.got.length, 300);
        assert.deepEqual(
          r.got.map((b) => b[0] | (b[1] << 8)),
          packets.map((_, i) => i),
          "in order, each once",
        );
        assert.ok(r.got.every((b, i) => b.length === 1000 && b[999] === (i & 0xff)));
      }
      assert.equal(mmsg.dropped, 0);
      assert.equal(mmsg.calls, 15, "one sendmmsg per burst of 60 datagrams");

      const from = dgram.createSocket("udp4");
      await new Promise<void>((r) => from.bind(0, "127.0.0.1", r));
      // One at a time: node:dgram's concurrent sends may leave out of order.
      for (const n of [1, 2, 3]) {
        await new Promise((r) => from.send(new Uint8Array([n, 0, 0]), socket.port, "127.0.0.1", r));
      }
      await until(() => incoming.length === 3, 3000);
      const fromPort = from.address().port;
      from.close();
      assert.deepEqual(incoming, [1, 2, 3].map((n) => `127.0.0.1:${fromPort}:${n}`));
    } finally {
      for (const r of readers) r.close();
      await mmsg.close(() => socket.shutdown());
      socket.close();
    }
  },
});
