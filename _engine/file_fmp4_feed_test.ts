import assert from "node:assert/strict";
import { ManualScheduler } from "../_testing/manual_scheduler.ts";
import { H264TestPattern } from "../_rtsp/media/test_pattern.ts";
import { h264Track } from "../_rtsp/media/source_track.ts";
import type { FileCursor } from "../_rtsp/media/file_media.ts";
import type { LookupFailure, StreamDescription } from "../_rtsp/catalogue.ts";
import type { Fmp4Event, Fmp4Fragment } from "./fmp4_stream.ts";
import type { OpenedFile } from "./ports.ts";
import { FileFmp4Feed } from "./file_fmp4_feed.ts";

const SECONDS = 2;
const FPS = 25;

/** A two-second H.264 "file" of the test pattern (320x240, a keyframe a second), counting closes. */
function patternFile(closes: { count: number }): OpenedFile {
  const pattern = new H264TestPattern({ fps: FPS, gopFrames: FPS });
  const frames = SECONDS * FPS;
  return {
    media: {
      tracks: [h264Track(0, pattern.sps, pattern.pps, FPS)],
      durationSeconds: SECONDS,
      timestampOffsetSeconds: 0,
      firstSendSeconds: 0,
      keyframeTimes: () => new Float64Array([0]),
      cursor: (startSeconds): Promise<FileCursor> => {
        let i = Math.floor(Math.max(0, startSeconds)) * FPS;
        return Promise.resolve({
          startSeconds: i / FPS,
          next: () =>
            Promise.resolve(
              i < frames
                ? { trackIndex: 0, sendSeconds: i / FPS, au: pattern.frame(i++) }
                : undefined,
            ),
        });
      },
    },
    close: () => closes.count++,
  };
}

function description(file: OpenedFile): StreamDescription {
  return {
    path: "/clip.264",
    name: "clip.264",
    tracks: file.media.tracks.map((t) => t.description),
    durationSeconds: file.media.durationSeconds,
  };
}

/** Moves the clock in 10 ms steps, letting the player's reads (promises) settle at each. */
async function play(clock: ManualScheduler, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 10) {
    await new Promise((r) => setTimeout(r, 0));
    clock.advance(10);
  }
  await new Promise((r) => setTimeout(r, 0));
}

interface Watched {
  readonly events: Fmp4Event[];
  readonly fragments: () => Fmp4Fragment[];
  ended: number;
  release: () => void;
}

function watch(feed: FileFmp4Feed): Watched {
  const events: Fmp4Event[] = [];
  const watched: Watched = {
    events,
    fragments: () => events.flatMap((e) => e.kind === "fragment" ? [e.fragment] : []),
    ended: 0,
    release: () => {},
  };
  const lease = feed.acquire(() => watched.ended++);
  lease.stream.subscribe((e) => events.push(e));
  watched.release = lease.release;
  return watched;
}

function feedOf(clock: ManualScheduler, closes: { count: number }, loop = false): FileFmp4Feed {
  const file = patternFile(closes);
  return new FileFmp4Feed({
    description: description(file),
    open: () => Promise.resolve(patternFile(closes)),
    scheduler: clock,
    log: { error() {}, warn() {}, info() {}, debug() {} },
    loop,
  });
}

Deno.test("FileFmp4Feed: each lease plays the file from its start, paced by the clock, and ends after its last picture", async () => {
  const clock = new ManualScheduler();
  const closes = { count: 0 };
  const feed = feedOf(clock, closes);
  assert.equal(feed.timeline, "file");
  assert.equal(feed.path, "/clip.264");
  const first = watch(feed);
  await play(clock, 1000);
  assert.equal(first.events[0].kind, "init");
  const early = first.fragments();
  // Real time: about a second of pictures (sent up to 60 ms early), never the whole file at once.
  assert.ok(early.length >= 24 && early.length <= 28, `${early.length} fragments in 1 s`);
  assert.equal(early[0].decodeTimeSeconds, 0);
  assert.equal(early[0].keyframe, true);
  // A second viewer a second later starts at the file's start too.
  const second = watch(feed);
  await play(clock, 500);
  assert.equal(second.events[0].kind, "init");
  assert.equal(second.fragments()[0].decodeTimeSeconds, 0);
  assert.equal(second.fragments()[0].keyframe, true);
  await play(clock, 1000);
  assert.equal(first.ended, 1, "the first viewer's file ended");
  assert.equal(second.ended, 0);
  // Every picture came, the last one included (flushed at the end), in order.
  const all = first.fragments();
  assert.equal(all.length, SECONDS * FPS);
  all.forEach((f, i) => assert.ok(Math.abs(f.decodeTimeSeconds - i / FPS) < 1e-6, `${i}`));
  assert.equal(closes.count, 1, "its file was closed");
  await play(clock, 1000);
  assert.equal(second.ended, 1);
  assert.equal(second.fragments().length, SECONDS * FPS);
  assert.equal(closes.count, 2);
  second.release(); // after the end: nothing more to do
  assert.equal(closes.count, 2);
  assert.equal(first.ended + second.ended, 2, "each told once");
});

Deno.test("FileFmp4Feed: with loop the file plays again on the same timeline and never ends", async () => {
  const clock = new ManualScheduler();
  const closes = { count: 0 };
  const viewer = watch(feedOf(clock, closes, true));
  await play(clock, SECONDS * 1000 * 2 + 500);
  assert.equal(viewer.ended, 0);
  const fragments = viewer.fragments();
  assert.ok(fragments.length > 2 * SECONDS * FPS, `${fragments.length} fragments`);
  // Decode times go on past the file's end (no jump back to 0).
  for (let i = 1; i < fragments.length; i++) {
    assert.ok(fragments[i].decodeTimeSeconds > fragments[i - 1].decodeTimeSeconds, `${i}`);
  }
  assert.ok(fragments.at(-1)!.decodeTimeSeconds > 2 * SECONDS);
  viewer.release();
  assert.equal(closes.count, 1);
  const sent = viewer.fragments().length;
  await play(clock, 1000);
  assert.equal(viewer.fragments().length, sent, "nothing after release");
  assert.equal(clock.pending, 0, "no timer left behind");
});

Deno.test("FileFmp4Feed: a lease released while the file opens closes it and plays nothing", async () => {
  const clock = new ManualScheduler();
  const closes = { count: 0 };
  const opening = Promise.withResolvers<OpenedFile>();
  const file = patternFile(closes);
  const feed = new FileFmp4Feed({
    description: description(file),
    open: () => opening.promise,
    scheduler: clock,
    log: { error() {}, warn() {}, info() {}, debug() {} },
    loop: false,
  });
  const viewer = watch(feed);
  viewer.release();
  opening.resolve(file);
  await play(clock, 500);
  assert.equal(closes.count, 1);
  assert.deepEqual(viewer.events, []);
  assert.equal(viewer.ended, 0, "a released lease is not told");
  assert.equal(clock.pending, 0);
});

Deno.test("FileFmp4Feed: a file gone before it opens ends the lease", async () => {
  const clock = new ManualScheduler();
  const warnings: string[] = [];
  const file = patternFile({ count: 0 });
  const feed = new FileFmp4Feed({
    description: description(file),
    open: () => Promise.resolve<LookupFailure>({ error: "not-found" }),
    scheduler: clock,
    log: { error() {}, warn: (m) => warnings.push(m), info() {}, debug() {} },
    loop: false,
  });
  const viewer = watch(feed);
  await play(clock, 100);
  assert.equal(viewer.ended, 1);
  assert.deepEqual(viewer.events, []);
  assert.match(warnings[0], /cannot be opened \(not-found\)/);
});
