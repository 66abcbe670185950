import assert from "node:assert/strict";
import {
  ERRNO_AGAIN,
  IOVEC_SIZE,
  MMSGHDR_SIZE,
  MSG_FLAGS,
  MSG_IOV,
  MSG_LEN,
  MSG_NAME,
  MSG_TRUNC,
  type SendResult,
} from "./libc_udp.ts";
import { DatagramTarget, INLINE_BYTES, MmsgSocket, SEND_BATCH } from "./mmsg_socket.ts";

/** One datagram as the fake kernel saw it. */
interface Sent {
  address: string;
  port: number;
  bytes: Uint8Array;
  /** Where the iovec pointed. */
  pointer: number;
}

/**
 * A stand-in for the kernel: hands out fake addresses for buffers and reads the
 * headers the socket wrote, the way sendmmsg would.
 */
class FakeKernel {
  #regions: { base: number; buffer: ArrayBuffer }[] = [];
  #next = 0x10_0000_0000; // above 2^32, so both pointer words matter
  sent: Sent[] = [];
  calls: number[] = [];
  /** Per call, how many to take (default all) or an errno to fail with. */
  script: (number | { errno: number })[] = [];
  writableWaits = 0;
  #writable: PromiseWithResolvers<void> | undefined;
  /** Datagrams for the next recvmmsg. */
  incoming: { bytes: Uint8Array; address: [number, number, number, number]; port: number }[][] = [];
  #receiver: PromiseWithResolvers<number> | undefined;
  #receiveArea: Uint8Array | undefined;

  pointerOf = (bytes: ArrayBuffer | Uint8Array): number => {
    const buffer = bytes instanceof Uint8Array ? bytes.buffer as ArrayBuffer : bytes;
    const offset = bytes instanceof Uint8Array ? bytes.byteOffset : 0;
    let region = this.#regions.find((r) => r.buffer === buffer);
    if (!region) {
      region = { base: this.#next, buffer };
      this.#regions.push(region);
      this.#next += Math.ceil((buffer.byteLength + 1) / 4096) * 4096 + 4096;
    }
    return region.base + offset;
  };

  read(pointer: number, length: number): Uint8Array {
    const region = this.#regions.find((r) =>
      pointer >= r.base && pointer + length <= r.base + r.buffer.byteLength
    );
    assert.ok(region, `pointer ${pointer.toString(16)} is in no buffer`);
    return new Uint8Array(region.buffer, pointer - region.base, length);
  }

  #pointerAt(area: DataView, at: number): number {
    return area.getUint32(at, true) + area.getUint32(at + 4, true) * 0x1_0000_0000;
  }

  sendmmsg = (headers: Uint8Array, count: number): SendResult => {
    this.calls.push(count);
    const step = this.script.shift();
    if (typeof step === "object") return { sent: -1, errno: step.errno };
    const take = Math.min(step ?? count, count);
    const view = new DataView(headers.buffer, headers.byteOffset);
    for (let i = 0; i < take; i++) {
      const name = this.read(this.#pointerAt(view, i * MMSGHDR_SIZE + MSG_NAME), 16);
      const iov = new DataView(
        this.read(this.#pointerAt(view, i * MMSGHDR_SIZE + MSG_IOV), IOVEC_SIZE).slice().buffer,
      );
      const pointer = this.#pointerAt(iov, 0);
      const length = iov.getUint32(8, true);
      assert.equal(new DataView(name.buffer, name.byteOffset).getUint16(0, true), 2, "AF_INET");
      this.sent.push({
        address: [...name.subarray(4, 8)].join("."),
        port: (name[2] << 8) | name[3],
        bytes: this.read(pointer, length).slice(),
        pointer,
      });
    }
    return { sent: take, errno: 0 };
  };

  writable = (): Promise<void> => {
    this.writableWaits++;
    this.#writable = Promise.withResolvers();
    return this.#writable.promise;
  };

  drain(): void {
    this.#writable?.resolve();
  }

  recvmmsg = (headers: Uint8Array, count: number): Promise<number> => {
    this.#receiveArea = headers;
    const receiver = Promise.withResolvers<number>();
    this.#receiver = receiver;
    this.#deliver(count);
    return receiver.promise;
  };

  #deliver(count: number): void {
    const batch = this.incoming.shift();
    if (!batch || !this.#receiver || !this.#receiveArea) return;
    const headers = this.#receiveArea;
    const view = new DataView(headers.buffer, headers.byteOffset);
    const n = Math.min(count, batch.length);
    for (let i = 0; i < n; i++) {
      const { bytes, address, port } = batch[i];
      const h = i * MMSGHDR_SIZE;
      const name = this.read(this.#pointerAt(view, h + MSG_NAME), 16);
      name.set([port >> 8, port & 0xff, ...address], 2);
      const iov = new DataView(this.read(this.#pointerAt(view, h + MSG_IOV), 16).slice().buffer);
      const room = iov.getUint32(8, true);
      this.read(this.#pointerAt(iov, 0), Math.min(room, bytes.length)).set(
        bytes.subarray(0, room),
      );
      view.setUint32(h + MSG_LEN, Math.min(room, bytes.length), true);
      view.setInt32(h + MSG_FLAGS, bytes.length > room ? MSG_TRUNC : 0, true);
    }
    const r = this.#receiver;
    this.#receiver = undefined;
    r.resolve(n);
  }

  /** What shutdown does to a blocked receive: it returns one empty datagram. */
  wake = (): void => {
    this.#receiver?.resolve(1);
    this.#receiver = undefined;
  };

  syscalls() {
    return {
      sendmmsg: this.sendmmsg,
      recvmmsg: this.recvmmsg,
      writable: this.writable,
      pointerOf: this.pointerOf,
    };
  }
}

function packet(length: number, fill: number): Uint8Array {
  return new Uint8Array(length).fill(fill);
}

const turn = () => new Promise((r) => setTimeout(r, 0));

Deno.test("MmsgSocket", async (t) => {
  await t.step(
    "datagrams queued in one turn leave in one sendmmsg, in order, each to its target",
    async () => {
      const kernel = new FakeKernel();
      const socket = new MmsgSocket(kernel.syscalls());
      const a = new DatagramTarget("127.0.0.1", 5000, new Uint8Array([127, 0, 0, 1]));
      const b = new DatagramTarget("10.1.2.3", 6002, new Uint8Array([10, 1, 2, 3]));
      const big = new Uint8Array(4000).subarray(1000, 2400).fill(7); // one payload, two readers
      const small = packet(40, 9); // an RTCP-sized packet
      socket.send(big, a);
      socket.send(small, a);
      socket.send(big, b);
      assert.equal(a.pendingBytes, big.length + small.length, "counted until the kernel has them");
      assert.equal(kernel.calls.length, 0, "nothing leaves before the turn ends");
      await turn();
      assert.deepEqual(kernel.calls, [3]);
      assert.deepEqual(
        kernel.sent.map((s) => [s.address, s.port, s.bytes.length, s.bytes[0]]),
        [["127.0.0.1", 5000, 1400, 7], ["127.0.0.1", 5000, 40, 9], ["10.1.2.3", 6002, 1400, 7]],
      );
      // The payload is not copied per reader: both iovecs point at the packet's own bytes.
      const where = kernel.pointerOf(big);
      assert.equal(kernel.sent[0].pointer, where);
      assert.equal(kernel.sent[2].pointer, where);
      assert.notEqual(kernel.sent[1].pointer, kernel.pointerOf(small), "small ones are inlined");
      assert.equal(a.pendingBytes + b.pendingBytes, 0);
      assert.equal(socket.sent, 3);
    },
  );

  await t.step("a queue longer than one batch takes several calls and loses nothing", async () => {
    const kernel = new FakeKernel();
    const socket = new MmsgSocket(kernel.syscalls());
    const target = new DatagramTarget("127.0.0.1", 5000, new Uint8Array([127, 0, 0, 1]));
    const total = SEND_BATCH * 2 + 10;
    for (let i = 0; i < total; i++) {
      socket.send(packet(INLINE_BYTES + 1 + (i % 7), i & 0xff), target);
    }
    await turn();
    assert.deepEqual(kernel.calls, [SEND_BATCH, SEND_BATCH, 10]);
    assert.deepEqual(
      kernel.sent.map((s) => s.bytes[0]),
      [...Array(total).keys()].map((i) => i & 0xff),
    );
  });

  await t.step("a partial send goes on from where the kernel stopped", async () => {
    const kernel = new FakeKernel();
    kernel.script = [2, 1];
    const socket = new MmsgSocket(kernel.syscalls());
    const target = new DatagramTarget("127.0.0.1", 5000, new Uint8Array([127, 0, 0, 1]));
    for (let i = 0; i < 5; i++) socket.send(packet(300, i), target);
    await turn();
    assert.deepEqual(kernel.calls, [5, 3, 2]);
    assert.deepEqual(kernel.sent.map((s) => s.bytes[0]), [0, 1, 2, 3, 4]);
  });

  await t.step("a refused destination loses its datagram only", async () => {
    const kernel = new FakeKernel();
    kernel.script = [1, { errno: 101 /* ENETUNREACH */ }];
    const socket = new MmsgSocket(kernel.syscalls());
    const target = new DatagramTarget("127.0.0.1", 5000, new Uint8Array([127, 0, 0, 1]));
    for (let i = 0; i < 4; i++) socket.send(packet(300, i), target);
    await turn();
    assert.deepEqual(kernel.sent.map((s) => s.bytes[0]), [0, 2, 3]);
    assert.equal(socket.dropped, 1);
    assert.equal(target.pendingBytes, 0);
  });

  await t.step(
    "a full send buffer waits until the socket drains, keeping the queue in order",
    async () => {
      const kernel = new FakeKernel();
      kernel.script = [1, { errno: ERRNO_AGAIN }];
      const socket = new MmsgSocket(kernel.syscalls());
      const target = new DatagramTarget("127.0.0.1", 5000, new Uint8Array([127, 0, 0, 1]));
      for (let i = 0; i < 3; i++) socket.send(packet(300, i), target);
      await turn();
      assert.equal(kernel.writableWaits, 1);
      assert.equal(target.pendingBytes, 600, "still waiting, still counted");
      socket.send(packet(300, 3), target); // joins the queue, no call while waiting
      await turn();
      assert.deepEqual(kernel.calls, [3, 2]);
      kernel.drain();
      await turn();
      assert.deepEqual(kernel.sent.map((s) => s.bytes[0]), [0, 1, 2, 3]);
      assert.equal(target.pendingBytes, 0);
      assert.equal(socket.dropped, 0);
    },
  );

  await t.step("close drops what is queued and waits for the receive to return", async () => {
    const kernel = new FakeKernel();
    kernel.script = [{ errno: ERRNO_AGAIN }];
    const socket = new MmsgSocket(kernel.syscalls());
    const got: string[] = [];
    socket.receive((bytes, address, port) => got.push(`${address}:${port}:${bytes.length}`));
    const target = new DatagramTarget("127.0.0.1", 5000, new Uint8Array([127, 0, 0, 1]));
    socket.send(packet(300, 1), target);
    await turn();
    let closed = false;
    const closing = socket.close(kernel.wake).then(() => closed = true);
    await turn();
    assert.equal(closed, false, "the wait for room is still in flight");
    kernel.drain();
    await closing;
    assert.equal(socket.dropped, 1);
    assert.equal(target.pendingBytes, 0);
    assert.deepEqual(got, [], "the wake-up datagram is not delivered");
    socket.send(packet(300, 2), target);
    await turn();
    assert.equal(kernel.sent.length, 0, "nothing is sent after close");
  });

  await t.step(
    "receives datagrams in batches with their senders, skipping truncated ones",
    async () => {
      const kernel = new FakeKernel();
      kernel.incoming = [[
        { bytes: packet(12, 1), address: [127, 0, 0, 1], port: 40000 },
        { bytes: packet(70_000, 2), address: [127, 0, 0, 1], port: 40000 },
        { bytes: packet(1400, 3), address: [192, 168, 1, 20], port: 6970 },
      ], [{ bytes: packet(20, 4), address: [127, 0, 0, 1], port: 40001 }]];
      const socket = new MmsgSocket(kernel.syscalls());
      const got: string[] = [];
      socket.receive((bytes, address, port) =>
        got.push(`${address}:${port}:${bytes.length}:${bytes[0]}`)
      );
      await turn();
      await turn();
      assert.deepEqual(got, [
        "127.0.0.1:40000:12:1",
        "192.168.1.20:6970:1400:3",
        "127.0.0.1:40001:20:4",
      ]);
      await socket.close(kernel.wake);
    },
  );
});
