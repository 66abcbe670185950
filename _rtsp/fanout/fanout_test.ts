import assert from "node:assert/strict";
import { DropGate } from "./drop_gate.ts";
import { GopCache } from "./gop_cache.ts";
import { FrameDelivery, interleave, mediaFrame } from "./media_frame.ts";
import { renumberInterleaved, renumberPacket } from "./renumber.ts";

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
  cache.add(a());
  cache.add(v(false));
  assert.equal(cache.frames().length, 0, "nothing before the first keyframe");
  const key = v(true);
  cache.add(key);
  cache.add(a());
  cache.add(v(false));
  assert.equal(cache.frames().length, 3);
  assert.equal(cache.frames()[0], key);
  cache.add(v(true));
  assert.equal(cache.frames().length, 1);
});

Deno.test("GopCache forgets a GOP past its byte bound until the next keyframe", () => {
  const cache = new GopCache(100);
  cache.add(v(true, 60));
  cache.add(v(false, 60));
  assert.equal(cache.frames().length, 0);
  assert.equal(cache.bytes, 0);
  cache.add(v(false, 10));
  assert.equal(cache.frames().length, 0);
  cache.add(v(true, 10));
  assert.equal(cache.frames().length, 1);
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
