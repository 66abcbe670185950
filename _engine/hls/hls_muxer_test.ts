import assert from "node:assert/strict";
import { ManualScheduler } from "../../_testing/manual_scheduler.ts";
import type { Fmp4Fragment } from "../fmp4_stream.ts";
import { HlsMuxer } from "./hls_muxer.ts";
import { parseHlsFileName } from "./hls_playlist.ts";

const FRAME_SECONDS = 0.04; // 25 fps, as /test
const START_MS = Date.UTC(2026, 11, 6);

/** A muxer with an init and `frames` pictures of 25 fps, a keyframe every `gop`. */
function feed(muxer: HlsMuxer, scheduler: ManualScheduler, frames: number, gop = 25, from = 0) {
  if (from === 0) {
    muxer.listener({ kind: "init", bytes: new Uint8Array([1, 2, 3]), codecs: "avc1.42c01e" });
  }
  for (let i = from; i < from + frames; i++) {
    const fragment: Fmp4Fragment = {
      bytes: new Uint8Array([i & 0xff]),
      keyframe: i % gop === 0,
      decodeTimeSeconds: i * FRAME_SECONDS,
      durationSeconds: FRAME_SECONDS,
      sequenceNumber: i + 1,
    };
    muxer.listener({ kind: "fragment", fragment });
    scheduler.advance(40);
  }
}

Deno.test("HlsMuxer writes parts of 5 pictures, segments of one GOP and a preload hint", () => {
  const scheduler = new ManualScheduler(START_MS);
  const muxer = new HlsMuxer({ scheduler });
  feed(muxer, scheduler, 32); // one GOP of 25 and 7 pictures of the next
  assert.equal(
    muxer.playlist(),
    [
      "#EXTM3U",
      "#EXT-X-VERSION:9",
      "#EXT-X-TARGETDURATION:1",
      "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=0.60000",
      "#EXT-X-PART-INF:PART-TARGET=0.20000",
      "#EXT-X-MEDIA-SEQUENCE:0",
      '#EXT-X-MAP:URI="init0.mp4"',
      "#EXT-X-PROGRAM-DATE-TIME:2026-12-06T00:00:00.000Z",
      '#EXT-X-PART:DURATION=0.20000,URI="part0.0.mp4",INDEPENDENT=YES',
      '#EXT-X-PART:DURATION=0.20000,URI="part0.1.mp4"',
      '#EXT-X-PART:DURATION=0.20000,URI="part0.2.mp4"',
      '#EXT-X-PART:DURATION=0.20000,URI="part0.3.mp4"',
      '#EXT-X-PART:DURATION=0.20000,URI="part0.4.mp4"',
      "#EXTINF:1.00000,",
      "seg0.mp4",
      "#EXT-X-PROGRAM-DATE-TIME:2026-12-06T00:00:01.000Z",
      '#EXT-X-PART:DURATION=0.20000,URI="part1.0.mp4",INDEPENDENT=YES',
      '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part1.1.mp4"',
      "",
    ].join("\n"),
  );
  assert.deepEqual([...muxer.segment(0)!], [...Array(25).keys()]);
  assert.deepEqual([...muxer.part({ msn: 1, index: 0 })!.bytes], [25, 26, 27, 28, 29]);
  assert.equal(muxer.segment(1), undefined, "segment 1 is not complete");
});

Deno.test("HlsMuxer hints the next segment's first part once a segment lasts its target", () => {
  const scheduler = new ManualScheduler(START_MS);
  const muxer = new HlsMuxer({ scheduler });
  feed(muxer, scheduler, 24);
  assert.deepEqual(muxer.window.nextPart(), { msn: 0, index: 4 });
  feed(muxer, scheduler, 1, 25, 24); // part 0.4 done: segment 0 lasts 1 s, open until the keyframe
  assert.ok(muxer.playlist().endsWith('#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part1.0.mp4"\n'));
  assert.equal(muxer.window.lastCompleteMsn(), -1);
});

Deno.test("HlsMuxer cuts a part at a keyframe that comes early, and keeps 7 segments", () => {
  const scheduler = new ManualScheduler(START_MS);
  const muxer = new HlsMuxer({ scheduler });
  feed(muxer, scheduler, 12 * 27, 27); // GOP of 27: parts 5,5,5,5,5,2
  const text = muxer.playlist();
  assert.match(text, /#EXT-X-MEDIA-SEQUENCE:4\n/);
  assert.equal(muxer.window.segments.filter((s) => s.complete).length, 7);
  assert.equal(muxer.segment(3), undefined, "segment 3 slid out");
  assert.ok(text.includes('#EXT-X-PART:DURATION=0.08000,URI="part10.5.mp4"\n#EXTINF:1.08000,'));
  // Parts only for the last three target durations (RFC 8216bis, 4.4.4.9).
  assert.ok(!text.includes("part7."), "parts of old segments are not listed");
  assert.ok(text.includes('URI="part9.0.mp4"'));
  assert.equal(muxer.part({ msn: 10, index: 5 })!.bytes.length, 2);
});

Deno.test("HlsMuxer holds a blocking request until its part exists, then times out at 3 target durations", async () => {
  const scheduler = new ManualScheduler(START_MS);
  const muxer = new HlsMuxer({ scheduler });
  feed(muxer, scheduler, 7);
  assert.equal(await muxer.waitFor({ msn: 0, index: 0 }), "ready");
  let outcome: string | undefined;
  const waiting = muxer.waitFor({ msn: 0, index: 2 }).then((o) => outcome = o);
  feed(muxer, scheduler, 7, 25, 7); // pictures 7..13: part 0.1 then nothing yet for 0.2
  await Promise.resolve();
  assert.equal(outcome, undefined, "part 0.2 is not complete after picture 13");
  feed(muxer, scheduler, 1, 25, 14);
  await waiting;
  assert.equal(outcome, "ready");
  assert.ok(muxer.playlist().includes('URI="part0.2.mp4"'));
  // A part past a segment's last is the next segment's first (RFC 8216bis, 6.2.5.2).
  const past = muxer.waitFor({ msn: 0, index: 9 });
  feed(muxer, scheduler, 14, 25, 15);
  assert.equal(muxer.has({ msn: 0, index: 9 }), false, "part 1.0 is not complete yet");
  feed(muxer, scheduler, 1, 25, 29);
  assert.equal(await past, "ready");
  assert.deepEqual(muxer.window.lastPart(), { msn: 1, index: 0 });

  const late = muxer.waitFor({ msn: 1, index: 2 });
  assert.equal(muxer.waiting, 1);
  scheduler.advance(2999);
  assert.equal(muxer.waiting, 1);
  scheduler.advance(1);
  assert.equal(await late, "timeout");
  assert.equal(muxer.waiting, 0);
});

Deno.test("HlsMuxer holds a plain playlist request for the next whole segment, three on a new muxer", () => {
  // [pictures fed (25 fps), GOP, what a plain request waits for]: a segment
  // closes at the keyframe after its first second; the wait is bounded by one
  // target duration more than the segments it waits for.
  const table: [number, number, { msn: number; timeoutMs: number }][] = [
    [0, 25, { msn: 2, timeoutMs: 4000 }], // nothing yet: the first three segments
    [30, 25, { msn: 2, timeoutMs: 3000 }], // segment 0 done
    [75, 25, { msn: 2, timeoutMs: 2000 }], // segment 2 lasts 1 s, open until the next keyframe
    [76, 25, { msn: 3, timeoutMs: 2000 }], // the keyframe at 3 s closed it
    [130, 25, { msn: 5, timeoutMs: 2000 }],
    [110, 50, { msn: 2, timeoutMs: 4000 }], // 2 s GOPs: target duration 2
  ];
  for (const [pictures, gop, expected] of table) {
    const scheduler = new ManualScheduler(START_MS);
    const muxer = new HlsMuxer({ scheduler });
    if (pictures === 0) {
      muxer.listener({ kind: "init", bytes: new Uint8Array([1]), codecs: "avc1.42c01e" });
    } else feed(muxer, scheduler, pictures, gop);
    assert.deepEqual(muxer.plainReloadTarget(), expected, `${pictures} pictures, GOP ${gop}`);
  }
});

Deno.test("HlsMuxer answers a plain reload once a segment the last answer lacked exists", async () => {
  const scheduler = new ManualScheduler(START_MS);
  const muxer = new HlsMuxer({ scheduler });
  feed(muxer, scheduler, 80); // segments 0-2 done, 3 being made
  const { msn, timeoutMs } = muxer.plainReloadTarget();
  assert.ok(!muxer.playlist().includes("seg3.mp4"));
  let outcome: string | undefined;
  const waiting = muxer.waitFor({ msn }, timeoutMs).then((o) => outcome = o);
  feed(muxer, scheduler, 20, 25, 80); // up to picture 99: segment 3 still open
  await Promise.resolve();
  assert.equal(outcome, undefined);
  feed(muxer, scheduler, 1, 25, 100); // the keyframe at 4 s closes segment 3
  await waiting;
  assert.equal(outcome, "ready");
  assert.match(muxer.playlist(), /#EXTINF:1\.00000,\nseg3\.mp4\n/);
});

Deno.test("HlsMuxer refuses targets too far ahead (RFC 8216bis, 6.2.5.2)", () => {
  const scheduler = new ManualScheduler(START_MS);
  const muxer = new HlsMuxer({ scheduler });
  feed(muxer, scheduler, 30); // segment 1 being made, part 1.0 done
  assert.equal(muxer.check({ msn: 3 }), "acceptable");
  assert.equal(muxer.check({ msn: 4 }), "too-far");
  assert.equal(muxer.check({ msn: 1, index: 15 }), "acceptable");
  assert.equal(muxer.check({ msn: 1, index: 17 }), "too-far");
  assert.equal(muxer.check({ msn: 0 }), "acceptable");
});

Deno.test("HlsMuxer stop() ends waits, and segment waits need the whole segment", async () => {
  const scheduler = new ManualScheduler(START_MS);
  const muxer = new HlsMuxer({ scheduler });
  feed(muxer, scheduler, 20);
  const segment = muxer.waitFor({ msn: 0 });
  feed(muxer, scheduler, 5, 25, 20);
  assert.equal(muxer.has({ msn: 0 }), false, "segment 0 ends at the next keyframe");
  const part = muxer.waitFor({ msn: 2, index: 0 });
  feed(muxer, scheduler, 1, 25, 25);
  assert.equal(await segment, "ready");
  muxer.stop();
  assert.equal(await part, "stopped");
  assert.equal(scheduler.pending, 0);
});

Deno.test("parseHlsFileName reads only names the playlist makes", () => {
  const table: [string, unknown][] = [
    ["init0.mp4", { kind: "init", id: 0 }],
    ["seg12.mp4", { kind: "segment", msn: 12 }],
    ["part12.3.mp4", { kind: "part", msn: 12, index: 3 }],
    ["part12.mp4", undefined],
    ["seg-1.mp4", undefined],
    ["seg1.mp4.m3u8", undefined],
    ["index.m3u8", undefined],
  ];
  for (const [name, file] of table) assert.deepEqual(parseHlsFileName(name), file, name);
});
