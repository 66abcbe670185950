import assert from "node:assert/strict";
import { ManualScheduler } from "../../_testing/manual_scheduler.ts";
import { liveTestStream } from "../../_testing/live_test_stream.ts";
import { Fmp4Registry, type SharedFmp4Source } from "../../_engine/fmp4_registry.ts";
import { Logger } from "../log.ts";
import { DEFAULT_ABUSE_LIMITS } from "../abuse_limits.ts";
import { BrowserTraffic } from "./browser_traffic.ts";
import { CLOSE_CODE, INIT_WAIT_MS, WebSocketReader, WebSocketReaders } from "./websocket_reader.ts";

/** A WebSocket whose backlog the test sets; it records what is sent. */
class FakeSocket extends EventTarget {
  bufferedAmount = 0;
  readonly sent: (string | Uint8Array)[] = [];
  closed: { code: number; reason: string } | undefined;

  send(data: string | Uint8Array): void {
    if (this.closed) throw new Error("closed");
    this.sent.push(data);
    this.bufferedAmount += data.length;
  }

  close(code: number, reason: string): void {
    this.closed = { code, reason };
    this.dispatchEvent(new Event("close"));
  }
}

function reader(socket: FakeSocket, source: SharedFmp4Source, clock: ManualScheduler) {
  const registry = new Fmp4Registry({ scheduler: clock });
  const r = new WebSocketReader(socket as unknown as WebSocket, registry.feed(source), {
    scheduler: clock,
    log: new Logger("error"),
    address: "192.0.2.1",
    maxBufferedBytes: 1_000_000,
  });
  return { reader: r, registry };
}

Deno.test("WebSocketReader: a socket that stops draining gets fragments dropped up to the next keyframe, counted", () => {
  const clock = new ManualScheduler();
  const stream = liveTestStream(clock);
  try {
    const socket = new FakeSocket();
    const { reader: r, registry } = reader(socket, stream, clock);
    let ended = false;
    r.start(() => ended = true);
    clock.advance(2000);
    assert.equal(r.state, "streaming");
    assert.equal(typeof socket.sent[0], "string");
    // The socket drains everything so far, then stops draining for a while.
    socket.bufferedAmount = 0;
    const before = r.fragmentsSent;
    socket.bufferedAmount = 2_000_000;
    clock.advance(1500);
    assert.equal(r.fragmentsSent, before, "nothing is sent while the backlog is over the bound");
    assert.ok(r.gate.dropped >= 30, `${r.gate.dropped} dropped`);
    // Drained: sending resumes at a keyframe only (the /test GOP is one second).
    socket.bufferedAmount = 0;
    const sentBefore = socket.sent.length;
    clock.advance(1100);
    assert.ok(r.fragmentsSent > before);
    const resumed = socket.sent[sentBefore] as Uint8Array;
    // An IDR picture of /test is all I_PCM (~116 kB); P pictures code only what moved.
    assert.ok(resumed.length > 50_000, `resumed with a ${resumed.length}-byte fragment`);
    assert.equal(r.gate.state, "passing");
    assert.equal(r.gate.dropRuns, 1);
    socket.close(1000, "bye");
    assert.equal(ended, true);
    assert.equal(registry.size, 0, "the last reader gone, the Fmp4Stream is detached");
  } finally {
    stream.close();
  }
});

Deno.test("WebSocketReader closes with 1013 when no init segment comes in time", () => {
  const clock = new ManualScheduler();
  const stream = liveTestStream(clock);
  try {
    // The stream's description, but no media ever flows.
    const silent: SharedFmp4Source = {
      path: "/silent",
      description: stream.description,
      attach: () => ({ range: { start: 0 }, tracks: [] }) as never,
      detach: () => undefined,
    };
    const socket = new FakeSocket();
    const { reader: r } = reader(socket, silent, clock);
    r.start(() => {});
    clock.advance(INIT_WAIT_MS - 1);
    assert.equal(socket.closed, undefined);
    clock.advance(1);
    assert.deepEqual(socket.closed, {
      code: CLOSE_CODE.tryAgainLater,
      reason: "the stream gave no init segment in time",
    });
    assert.equal(socket.sent.length, 0);
  } finally {
    stream.close();
  }
});

Deno.test("WebSocketReader closes with 1000 when the stream ends", () => {
  const clock = new ManualScheduler();
  const stream = liveTestStream(clock);
  const socket = new FakeSocket();
  const { reader: r } = reader(socket, stream, clock);
  r.start(() => {});
  clock.advance(500);
  stream.close();
  assert.deepEqual(socket.closed, { code: CLOSE_CODE.normal, reason: "the stream ended" });
  assert.equal(r.state, "closed");
});

/** Bytes of what a FakeSocket got, text as UTF-8. */
function sentBytes(socket: FakeSocket): number {
  return socket.sent.reduce(
    (n, m) => n + (typeof m === "string" ? new TextEncoder().encode(m).length : m.length),
    0,
  );
}

Deno.test("WebSocketReaders: ids ws-<n>, live counts of what was sent, a closed reader's counts kept by path", () => {
  const clock = new ManualScheduler();
  const stream = liveTestStream(clock);
  try {
    const traffic = new BrowserTraffic();
    const readers = new WebSocketReaders(
      new Fmp4Registry({ scheduler: clock }),
      DEFAULT_ABUSE_LIMITS,
      traffic,
    );
    const sockets = [new FakeSocket(), new FakeSocket()];
    const made = sockets.map((socket) =>
      new WebSocketReader(socket as unknown as WebSocket, readers.registry.feed(stream), {
        scheduler: clock,
        log: new Logger("error"),
        address: "192.0.2.7",
      })
    );
    clock.advance(300);
    assert.equal(readers.admit("192.0.2.7"), "ok");
    assert.equal(readers.start(made[0], "192.0.2.7"), "ws-1");
    clock.advance(700);
    const secondAt = clock.now();
    assert.equal(readers.admit("192.0.2.7"), "ok");
    assert.equal(readers.start(made[1], "192.0.2.7"), "ws-2");
    assert.equal(made[1].startedAtMs, secondAt);
    clock.advance(1000);
    assert.deepEqual([...readers.readers()].map(([id]) => id), ["ws-1", "ws-2"]);
    assert.equal(readers.get("ws-2"), made[1]);
    for (const [i, socket] of sockets.entries()) {
      assert.ok(made[i].bytesSent > 0);
      assert.equal(made[i].bytesSent, sentBytes(socket));
      assert.equal(made[i].messagesSent, socket.sent.length);
    }
    assert.equal(traffic.totals(stream.path).websocketBytes, 0, "nothing ended yet");

    const { bytesSent, messagesSent } = made[0];
    made[0].close(CLOSE_CODE.kicked, "kicked by an operator");
    assert.deepEqual(sockets[0].closed, { code: 1008, reason: "kicked by an operator" });
    assert.equal(readers.get("ws-1"), undefined);
    assert.equal(readers.size, 1);
    assert.equal(traffic.totals(stream.path).websocketBytes, bytesSent);
    assert.equal(traffic.totals(stream.path).websocketMessages, messagesSent);
    readers.closeAll();
    assert.equal(readers.size, 0);
  } finally {
    stream.close();
  }
});
