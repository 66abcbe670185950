import assert from "node:assert/strict";
import { DropGate } from "./drop_gate.ts";
import { GopCache } from "./gop_cache.ts";
import {
  channelLayoutKey,
  FrameBatch,
  FrameDelivery,
  interleave,
  mediaFrame,
} from "./media_frame.ts";
import { renumberInterleaved, renumberPacket } from "./renumber.ts";
import { CatchUpPacer } from "./catch_up.ts";

const v = (key: boolean, size = 10) => mediaFrame(0, [new Uint8Array(size)], true, key);
const a = () => mediaFrame(1, [new Uint8Array(4)], false, false);

Deno.test("interleave() frames each packet with $, channel and length (RFC 2326, 10.12)", () => {
  const out = interleave(2, [new Uint8Array([1, 2, 3]), new Uint8Array(300)]);
  assert.deepEqual([...out.subarray(0, 7)], [0x24, 2, 0, 3, 1, 2, 3]);
  assert.deepEqual([...out.subarray(7, 11)], [0x24, 2, 1, 44]);
  assert.equal(out.length, 4 + 3 + 4 + 300);
});

Deno.test("FrameDelivery builds the interleaved form once per channel", () => {
  const d = new FrameDelivery(v(true));
  assert.equal(d.interleaved(0), d.interleaved(0));
  assert.notEqual(d.interleaved(0), d.interleaved(2));
  assert.equal(d.interleaved(2)[1], 2);
});

Deno.test("GopCache keeps every track's frames since the last video keyframe", () => {
  const cache = new GopCache();
  const d = (frame: ReturnType<typeof v>) => new FrameDelivery(frame);
  cache.add(d(a()));
  cache.add(d(v(false)));
  assert.equal(cache.frames().length, 0, "nothing before the first keyframe");
  const key = d(v(true));
  cache.add(key);
  cache.add(d(a()));
  cache.add(d(v(false)));
  assert.equal(cache.frames().length, 3);
  assert.equal(cache.frames()[0], key, "the delivery itself, interleaved forms and all");
  cache.add(d(v(true)));
  assert.equal(cache.frames().length, 1);
});

Deno.test("GopCache forgets a GOP past its byte bound until the next keyframe", () => {
  const cache = new GopCache(100);
  const d = (frame: ReturnType<typeof v>) => new FrameDelivery(frame);
  cache.add(d(v(true, 60)));
  cache.add(d(v(false, 60)));
  assert.equal(cache.frames().length, 0);
  assert.equal(cache.bytes, 0);
  cache.add(d(v(false, 10)));
  assert.equal(cache.frames().length, 0);
  cache.add(d(v(true, 10)));
  assert.equal(cache.frames().length, 1);
});

Deno.test("GopCache.interleaved() is the layout's frames back to back, kept up to date; views stay valid", () => {
  const cache = new GopCache();
  const d = (frame: ReturnType<typeof v>) => new FrameDelivery(frame);
  const layout = new Map([[0, 2], [1, 4]]);
  const frames = [d(v(true, 5)), d(a()), d(v(false, 7))];
  cache.add(frames[0]);
  const early = cache.interleaved(layout);
  assert.deepEqual(early, frames[0].interleaved(2));
  cache.add(frames[1]);
  cache.add(frames[2]);
  const joined = cache.interleaved(layout);
  assert.deepEqual(
    joined,
    new Uint8Array([
      ...frames[0].interleaved(2),
      ...frames[1].interleaved(4),
      ...frames[2].interleaved(2),
    ]),
  );
  assert.deepEqual(early, frames[0].interleaved(2), "an earlier view is unchanged");
  assert.deepEqual(
    cache.interleaved(new Map([[1, 0]])),
    frames[1].interleaved(0),
    "video not set up",
  );
  cache.add(d(v(true, 3)));
  assert.equal(cache.interleaved(layout).length, 4 + 3, "a keyframe starts it again");
  assert.deepEqual(joined.length, 4 + 5 + 4 + 4 + 4 + 7, "and the old view keeps its bytes");
});

Deno.test("DropGate drops whole video frames until the next keyframe, audio one by one", () => {
  const gate = new DropGate();
  const p = v(false);
  assert.equal(gate.admit(p), true);
  gate.rejected(p);
  assert.equal(gate.admit(v(false)), false);
  assert.equal(gate.admit(a()), true, "audio is not held back by video");
  assert.equal(gate.admit(v(false)), false);
  assert.equal(gate.admit(v(true)), true);
  assert.equal(gate.admit(v(false)), true);
  gate.rejected(a());
  assert.equal(gate.admit(a()), true);
  assert.equal(gate.droppedFrames, 4);
});

Deno.test("DropGate counts the packets a reader missed per track, modulo 2^16", () => {
  const gate = new DropGate();
  const threePackets = mediaFrame(
    0,
    [new Uint8Array(12), new Uint8Array(12), new Uint8Array(12)],
    true,
    false,
  );
  gate.rejected(threePackets);
  assert.equal(gate.admit(threePackets), false);
  gate.rejected(mediaFrame(1, [new Uint8Array(12)], false, false));
  assert.equal(gate.sequenceShift(0), 6);
  assert.equal(gate.sequenceShift(1), 1);
  assert.equal(gate.sequenceShift(2), 0);
  const huge = mediaFrame(1, Array.from({ length: 65535 }, () => new Uint8Array(12)), false, false);
  gate.rejected(huge);
  assert.equal(gate.sequenceShift(1), 0, "65536 packets later the numbering lines up again");
});

Deno.test("renumberPacket() and renumberInterleaved() lower sequence numbers in a copy, across the wrap", () => {
  const packet = new Uint8Array([0x80, 96, 0x00, 0x02, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const renumbered = renumberPacket(packet, 5);
  assert.deepEqual([...renumbered.subarray(2, 4)], [0xff, 0xfd], "2 - 5 = 65533");
  assert.deepEqual([...renumbered.subarray(4)], [...packet.subarray(4)]);
  assert.equal(packet[3], 2, "the shared packet is not modified");
  assert.equal(renumberPacket(packet, 0), packet, "no shift, no copy");
  assert.equal(renumberPacket(packet, 65536), packet);
  assert.equal(renumberPacket(new Uint8Array(4), 3).length, 4, "too short for RTP: untouched");

  const frame = interleave(0, [
    packet,
    new Uint8Array([0x80, 96, 0x12, 0x34, 0, 0, 0, 0, 0, 0, 0, 1]),
  ]);
  const shifted = renumberInterleaved(frame, 0x35);
  assert.deepEqual([...shifted.subarray(6, 8)], [0xff, 0xcd]);
  assert.deepEqual([...shifted.subarray(4 + 13 + 6, 4 + 13 + 8)], [0x11, 0xff]);
  assert.equal(frame[7], 2, "the shared frame is not modified");
  assert.equal(renumberInterleaved(frame, 0), frame);
});

Deno.test("CatchUpPacer sends the keyframe at once and the rest at a bounded rate, live frames behind", () => {
  const frame = (key: boolean, size: number) => new FrameDelivery(v(key, size));
  const cached = [frame(true, 50_000), ...Array.from({ length: 10 }, () => frame(false, 10_000))];
  const live = [frame(false, 30_000), frame(false, 30_000)];
  // Which frames came out, by name: c0..c10 cached, l0..l1 live.
  const names = (ds: FrameDelivery[]) =>
    ds.map((d) => cached.includes(d) ? `c${cached.indexOf(d)}` : `l${live.indexOf(d)}`);
  const pacer = new CatchUpPacer(1_000_000, 200_000); // 1 MB/s: 10 kB per 10 ms
  assert.deepEqual(names(pacer.start(cached)), ["c0"], "the keyframe is not held back");
  assert.equal(pacer.catchingUp, true);
  assert.equal(pacer.backlogBytes, 100_000);
  assert.deepEqual(names(pacer.take(10)), ["c1"]);
  assert.deepEqual(names(pacer.take(25)), ["c2", "c3"], "25 ms at 1 MB/s: two 10 kB frames");
  assert.deepEqual(names(pacer.take(0)), ["c4"], "at least one frame per tick");
  // Live frames queue behind the backlog, and each one raises the budget by twice its size.
  for (const d of live) assert.equal(pacer.push(d), true);
  assert.deepEqual(
    names(pacer.take(10)),
    ["c5", "c6", "c7", "c8", "c9", "c10", "l0", "l1"],
    "2 × 60 kB of live frames came in: 120 kB may go",
  );
  assert.equal(pacer.catchingUp, false);
  assert.equal(pacer.backlogBytes, 0);
});

Deno.test("CatchUpPacer refuses live frames past its backlog bound", () => {
  const pacer = new CatchUpPacer(1_000_000, 25_000);
  pacer.start([new FrameDelivery(v(true, 10)), new FrameDelivery(v(false, 20_000))]);
  assert.equal(pacer.push(new FrameDelivery(v(false, 4_000))), true);
  assert.equal(pacer.push(new FrameDelivery(v(false, 4_000))), false, "24 kB + 4 kB > 25 kB");
  assert.equal(pacer.backlogBytes, 24_000);
});

Deno.test("CatchUpPacer with nothing cached is not catching up", () => {
  const pacer = new CatchUpPacer();
  assert.deepEqual(pacer.start([]), []);
  assert.equal(pacer.catchingUp, false);
  const single = [new FrameDelivery(v(true))];
  assert.deepEqual(pacer.start(single), single);
  assert.equal(pacer.catchingUp, false);
});

Deno.test("FrameBatch joins its frames' interleaved forms once per channel layout, leaving out tracks not set up", () => {
  const frames = [new FrameDelivery(a()), new FrameDelivery(a()), new FrameDelivery(v(false, 5))];
  const batch = new FrameBatch(frames);
  const both = new Map([[0, 0], [1, 2]]);
  const joined = batch.interleaved(channelLayoutKey(both), both);
  assert.deepEqual(
    joined,
    new Uint8Array([
      ...frames[0].interleaved(2),
      ...frames[1].interleaved(2),
      ...frames[2].interleaved(0),
    ]),
  );
  assert.equal(batch.interleaved(channelLayoutKey(both), new Map(both)), joined, "built once");
  const videoOnly = new Map([[0, 4]]);
  assert.deepEqual(
    batch.interleaved(channelLayoutKey(videoOnly), videoOnly),
    frames[2].interleaved(4),
  );
});
