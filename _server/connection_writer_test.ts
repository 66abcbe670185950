import assert from "node:assert/strict";
import { tcpTransport, testSession } from "../_testing/sessions.ts";
import { ManualScheduler } from "../_testing/manual_scheduler.ts";
import { FrameBatch, FrameDelivery, mediaFrame } from "../_engine/fanout/media_frame.ts";
import { INTERLEAVED_HEADER_BYTES, interleavedLength } from "../_rtsp/interleaved.ts";
import { RtpHeaderView } from "../_rtsp/rtp/rtp_header_view.ts";
import type { Session } from "../_rtsp/session.ts";
import {
  ConnectionWriter,
  MAX_JOINED_CHUNK_BYTES,
  MAX_WRITE_BATCH_BYTES,
  type Writable,
} from "./connection_writer.ts";
import { TcpReader } from "../_engine/reader.ts";
import { Broadcast, MAX_AUDIO_HOLD_MS } from "../_engine/broadcast.ts";

/** A connection whose peer reads only when told to. */
class StuckConn implements Writable {
  written: Uint8Array[] = [];
  #release: Array<() => void> = [];
  write(bytes: Uint8Array): Promise<number> {
    return new Promise((resolve) => {
      this.#release.push(() => {
        this.written.push(bytes.slice());
        resolve(bytes.length);
      });
    });
  }
  /** Everything written, as the peer reads it (TCP keeps no write boundaries). */
  stream(): Uint8Array {
    const out = new Uint8Array(this.written.reduce((n, b) => n + b.length, 0));
    let at = 0;
    for (const b of this.written) {
      out.set(b, at);
      at += b.length;
    }
    return out;
  }
  /** Lets every pending write complete. */
  drainOnce(): void {
    const pending = this.#release;
    this.#release = [];
    for (const release of pending) release();
  }
}

const tick = () => new Promise((r) => setTimeout(r, 0));

Deno.test("ConnectionWriter writes in order and bounds the media waiting behind a stuck peer", async () => {
  const conn = new StuckConn();
  const writer = new ConnectionWriter(conn, 100);
  assert.equal(writer.offerMedia(new Uint8Array(60).fill(1)), true);
  assert.equal(writer.offerMedia(new Uint8Array(30).fill(2)), true);
  assert.equal(writer.offerMedia(new Uint8Array(30).fill(3)), false, "past the bound");
  assert.equal(writer.queuedBytes, 90);
  // A response is never refused, and resolves once it is written.
  let answered = false;
  const response = writer.writeResponse(new Uint8Array([9])).then(() => answered = true);
  for (let i = 0; i < 4; i++) {
    conn.drainOnce();
    await tick();
  }
  await response;
  assert.equal(answered, true);
  assert.deepEqual(
    conn.stream(),
    new Uint8Array([...new Array(60).fill(1), ...new Array(30).fill(2), 9]),
  );
  assert.equal(writer.queuedBytes, 0);
});

Deno.test("ConnectionWriter joins small chunks queued in one task into one write, up to a bound", async () => {
  const conn = new StuckConn();
  const writer = new ConnectionWriter(conn, 4 * MAX_WRITE_BATCH_BYTES);
  const small = MAX_JOINED_CHUNK_BYTES;
  const sizes = [small, small, small, small, small, 2 * small, 10, 20];
  sizes.forEach((size, i) => writer.offerMedia(new Uint8Array(size).fill(i)));
  const response = writer.writeResponse(new Uint8Array([9]));
  for (let i = 0; i < 6; i++) {
    conn.drainOnce();
    await tick();
  }
  await response;
  // Four small ones fill a batch; the fifth starts the next; a large one goes alone.
  assert.equal(4 * small, MAX_WRITE_BATCH_BYTES);
  assert.deepEqual(conn.written.map((b) => b.length), [4 * small, small, 2 * small, 31]);
  assert.deepEqual(
    conn.stream(),
    new Uint8Array([...sizes.flatMap((size, i) => new Array(size).fill(i)), 9]),
  );
  assert.equal(writer.queuedBytes, 0);
});

function stuckSession(): Session {
  return testSession();
}

Deno.test("a TCP reader behind a stuck peer drops whole frames until the next keyframe", async () => {
  const conn = new StuckConn();
  const writer = new ConnectionWriter(conn, 1000);
  const session = stuckSession();
  const reader = new TcpReader(session, writer, {
    scheduler: new ManualScheduler(0),
    maxLagMs: 10_000,
  });
  const frame = (key: boolean, fill: number) =>
    new FrameDelivery(mediaFrame(0, [new Uint8Array(296).fill(fill)], true, key));
  reader.deliver(frame(true, 1)); // 300 bytes framed
  reader.deliver(frame(false, 2));
  reader.deliver(frame(false, 3));
  reader.deliver(frame(false, 4)); // would make 1200: dropped, and so are P frames after it
  assert.equal(writer.queuedBytes, 900);
  for (let i = 0; i < 5; i++) {
    conn.drainOnce();
    await tick();
  }
  reader.deliver(frame(false, 5)); // room now, but its reference was dropped
  reader.deliver(frame(true, 6)); // a keyframe resumes
  reader.deliver(frame(false, 7));
  for (let i = 0; i < 5; i++) {
    conn.drainOnce();
    await tick();
  }
  // Each frame is 300 bytes: its 4-byte interleaved header, then the packet.
  const stream = conn.stream();
  const frames = Array.from({ length: stream.length / 300 }, (_, i) => stream[i * 300 + 4]);
  assert.deepEqual(frames, [1, 2, 3, 6, 7]);
  assert.equal(reader.gate.droppedFrames, 2);
  assert.deepEqual([...stream.subarray(0, 4)], [0x24, 0, 1, 40]);
});

Deno.test("a TCP reader that stays behind past its lag limit is reported once, then disconnected", () => {
  const conn = new StuckConn();
  const writer = new ConnectionWriter(conn, 500);
  const clock = new ManualScheduler(0);
  const events: string[] = [];
  const reader = new TcpReader(stuckSession(), writer, {
    scheduler: clock,
    maxLagMs: 2000,
    behind: () => events.push(`behind@${clock.now()}`),
    tooSlow: () => events.push(`too slow@${clock.now()}`),
  });
  const frame = (key: boolean) =>
    new FrameDelivery(mediaFrame(0, [new Uint8Array(296)], true, key));
  reader.deliver(frame(true)); // fills the 500-byte queue with 300
  for (let t = 0; t <= 3000; t += 40) {
    if (t > 0) clock.advance(40);
    reader.deliver(frame(t % 1000 === 0));
  }
  assert.deepEqual(events, ["behind@0", "too slow@2040"]);
});

/** An RTP packet (RFC 3550, 5.1) with `sequence`, 20 payload bytes of `fill`. */
function rtp(sequence: number, fill: number): Uint8Array {
  const p = new Uint8Array(32).fill(fill);
  p.set([0x80, 96, sequence >> 8, sequence & 0xff, 0, 0, 0, 0, 0, 0, 0, 1]);
  return p;
}

/** The sequence numbers of the interleaved packets in `write`. */
function sequencesIn(write: Uint8Array): number[] {
  const out: number[] = [];
  for (let at = 0; at < write.length;) {
    const length = interleavedLength(write, at);
    out.push(new RtpHeaderView(write, at + INTERLEAVED_HEADER_BYTES).sequenceNumber);
    at += INTERLEAVED_HEADER_BYTES + length;
  }
  return out;
}

Deno.test("after dropping frames a TCP reader gets its own continuous sequence numbers; others keep the source's bytes", async () => {
  const slowConn = new StuckConn();
  const slow = new TcpReader(stuckSession(), new ConnectionWriter(slowConn, 200), {
    scheduler: new ManualScheduler(0),
    maxLagMs: 10_000,
  });
  const fastConn = new StuckConn();
  const fast = new TcpReader(stuckSession(), new ConnectionWriter(fastConn, 100_000), {
    scheduler: new ManualScheduler(0),
    maxLagMs: 10_000,
  });
  // Two packets per frame, numbered across the 16-bit wrap: 65530, 65531, ...
  let next = 65530;
  const frames: FrameDelivery[] = [];
  for (const key of [true, false, false, false, true, false]) {
    frames.push(
      new FrameDelivery(mediaFrame(0, [rtp(next, 1), rtp((next + 1) & 0xffff, 2)], true, key)),
    );
    next = (next + 2) & 0xffff;
  }
  const flush = async () => {
    for (let i = 0; i < 10; i++) {
      slowConn.drainOnce();
      fastConn.drainOnce();
      await tick();
    }
  };
  slow.deliver(frames[0]); // 72 bytes queued
  slow.deliver(frames[1]); // 144
  slow.deliver(frames[2]); // would be 216 > 200: dropped, and frame 3 with it
  await flush();
  for (const f of frames.slice(3)) slow.deliver(f);
  for (const f of frames) fast.deliver(f);
  await flush();
  assert.deepEqual(sequencesIn(slowConn.stream()), [
    ...[65530, 65531],
    ...[65532, 65533],
    // frames 2 and 3 (4 packets) were dropped; the keyframe follows on at once
    ...[65534, 65535],
    ...[0, 1],
  ]);
  assert.equal(slow.gate.sequenceShift(0), 4);
  assert.deepEqual(sequencesIn(fastConn.stream()), [
    ...[65530, 65531, 65532, 65533, 65534, 65535],
    ...[0, 1, 2, 3, 4, 5],
  ]);
  assert.equal(fast.gate.sequenceShift(0), 0);
  // Payloads are untouched by the renumbering (the third frame, 72 bytes each).
  assert.deepEqual([...slowConn.stream().subarray(2 * 72 + 16, 2 * 72 + 20)], [1, 1, 1, 1]);
});

Deno.test("a stream's audio held for the next picture reaches a TCP reader's connection in the picture's write", async () => {
  const writes: number[][] = [];
  const writer = new ConnectionWriter({
    write: (bytes) => {
      // One entry per write: the channel and first payload byte of each interleaved chunk.
      const chunks: number[] = [];
      for (let at = 0; at < bytes.length; at += INTERLEAVED_HEADER_BYTES + bytes[at + 3]) {
        chunks.push(bytes[at + INTERLEAVED_HEADER_BYTES]);
      }
      writes.push(chunks);
      return Promise.resolve(bytes.length);
    },
  });
  const clock = new ManualScheduler(0);
  const broadcast = new Broadcast({
    holdAudio: { scheduler: clock, maxHoldMs: MAX_AUDIO_HOLD_MS },
  });
  const reader = new TcpReader(
    testSession({ transports: [tcpTransport(0), tcpTransport(1)] }),
    writer,
    { scheduler: clock, maxLagMs: 10_000 },
  );
  broadcast.attach(reader);
  const video = (key: boolean, tag: number) =>
    mediaFrame(0, [new Uint8Array(100).fill(tag)], true, key);
  const audio = (tag: number) => mediaFrame(1, [new Uint8Array(20).fill(tag)], false, false);
  // Each send is a task of its own, as packets arriving apart from the upstream.
  const table: [string, () => void, number[][]][] = [
    ["keyframe", () => broadcast.send(video(true, 1)), [[1]]],
    ["audio", () => broadcast.send(audio(2)), []],
    ["audio", () => broadcast.send(audio(3)), []],
    ["picture", () => broadcast.send(video(false, 4)), [[2, 3, 4]]],
    ["audio", () => broadcast.send(audio(5)), []],
    ["no picture in time", () => clock.advance(MAX_AUDIO_HOLD_MS), [[5]]],
  ];
  for (const [what, step, expected] of table) {
    const before = writes.length;
    step();
    await tick();
    assert.deepEqual(writes.slice(before), expected, what);
  }
  broadcast.clear();
});

Deno.test("TcpReader.deliverBatch queues one buffer shared by readers of the same channels; a reader that dropped gets each frame with its own numbering", () => {
  const offered = new Map<string, Uint8Array[]>();
  let refuse = false;
  const reader = (id: string) => {
    offered.set(id, []);
    return new TcpReader(
      testSession({ id, transports: [tcpTransport(0), tcpTransport(1)] }),
      {
        offerMedia: (bytes) => !refuse && (offered.get(id)!.push(bytes), true),
        abort: () => {},
      },
      { scheduler: new ManualScheduler(0), maxLagMs: 10_000 },
    );
  };
  const a = reader("a");
  const b = reader("b");
  const dropped = reader("dropped");
  const video = (seq: number, key: boolean) =>
    new FrameDelivery(mediaFrame(0, [rtp(seq, 7)], true, key));
  const audio = (seq: number) => new FrameDelivery(mediaFrame(1, [rtp(seq, 8)], false, false));

  refuse = true;
  dropped.deliver(video(100, true)); // refused: it waits for a keyframe, numbering shifted by 1
  refuse = false;
  const batch = new FrameBatch([audio(10), audio(11), video(101, true)]);
  for (const r of [a, b, dropped]) r.deliverBatch(batch);

  assert.equal(offered.get("a")!.length, 1, "one buffer");
  assert.equal(offered.get("a")![0], offered.get("b")![0], "the same bytes, not a copy each");
  assert.deepEqual(sequencesIn(offered.get("a")![0]), [10, 11, 101]);
  assert.deepEqual([...offered.get("a")![0].subarray(0, 2)], [0x24, 2], "audio on channel 2");
  assert.deepEqual(a.sent, { packets: 3, bytes: 3 * 32 });
  assert.deepEqual(
    offered.get("dropped")!.map(sequencesIn),
    [[10], [11], [100]],
    "frame by frame, the keyframe renumbered to follow on",
  );
  // A reader with only the video track set up gets only its frames.
  offered.set("video", []);
  const videoOnly = new TcpReader(
    testSession({ id: "video", transports: [tcpTransport(0)] }),
    { offerMedia: (bytes) => (offered.get("video")!.push(bytes), true), abort: () => {} },
    { scheduler: new ManualScheduler(0), maxLagMs: 10_000 },
  );
  videoOnly.deliverBatch(batch);
  assert.deepEqual(offered.get("video")!.map(sequencesIn), [[101]]);
  assert.deepEqual(videoOnly.sent, { packets: 1, bytes: 32 });
});
