import assert from "node:assert/strict";
import { ManualScheduler } from "../_testing/manual_scheduler.ts";
import { H264TestPattern } from "../_rtsp/media/test_pattern.ts";
import { h264Track } from "../_rtsp/media/source_track.ts";
import type { FileCursor } from "../_rtsp/media/file_media.ts";
import type { LookupFailure } from "../_rtsp/catalogue.ts";
import type { Session } from "../_rtsp/session.ts";
import { DropGate } from "./fanout/drop_gate.ts";
import type { FrameDelivery } from "./fanout/media_frame.ts";
import type { OpenedFile } from "./ports.ts";
import type { Reader } from "./reader.ts";
import { FilePlayback } from "./file_playback.ts";

const FPS = 25;
const QUIET = { error() {}, warn() {}, info() {}, debug() {} };

/** A one-second H.264 "file" of the test pattern that counts its closes. */
function patternFile(closes: { count: number }): OpenedFile {
  const pattern = new H264TestPattern({ fps: FPS, gopFrames: FPS });
  return {
    media: {
      tracks: [h264Track(0, pattern.sps, pattern.pps, FPS)],
      durationSeconds: 1,
      timestampOffsetSeconds: 0,
      firstSendSeconds: 0,
      keyframeTimes: () => new Float64Array([0]),
      cursor: (startSeconds): Promise<FileCursor> => {
        let i = Math.floor(startSeconds * FPS);
        return Promise.resolve({
          startSeconds: i / FPS,
          next: () =>
            Promise.resolve(
              i < FPS ? { trackIndex: 0, sendSeconds: i / FPS, au: pattern.frame(i++) } : undefined,
            ),
        });
      },
    },
    close: () => closes.count++,
  };
}

/** A reader of one session's track 0 that keeps what it is sent. */
function recordingReader(): Reader & { frames: FrameDelivery[]; rtcps: number } {
  const session: Session = {
    id: "s1",
    path: "/clip.264",
    connectionId: 1,
    mode: "play",
    state: "ready-to-play",
    tracks: new Map([[0, {
      trackIndex: 0,
      transport: { profile: "RTP/AVP", lower: "TCP", delivery: "unicast", interleaved: [0, 1] },
      clientAddress: "127.0.0.1",
      ssrc: 0x1234,
      initialSequenceNumber: 100,
      initialTimestamp: 5000,
    }]]),
    lastActivityMs: 0,
    timeoutMs: 60_000,
  };
  const reader = {
    session,
    gate: new DropGate(),
    reception: new Map(),
    ignoredReportBlocks: 0,
    frames: [] as FrameDelivery[],
    rtcps: 0,
    deliver(delivery: FrameDelivery) {
      reader.frames.push(delivery);
    },
    rtcp() {
      reader.rtcps++;
    },
  };
  return reader;
}

/** Lets the opening promise and the player's reads settle, moving the clock `ms` in 10 ms steps. */
async function run(clock: ManualScheduler, ms: number): Promise<void> {
  for (let t = 0; t <= ms; t += 10) {
    await new Promise((r) => setTimeout(r, 0));
    if (t < ms) clock.advance(10);
  }
}

/** What happens around one opening, step by step. */
interface Case {
  readonly name: string;
  /** What `open` resolves with. */
  readonly opens: "file" | LookupFailure;
  /** Done to the playback after PLAY is asked, before the file has opened. */
  readonly meanwhile?: (p: FilePlayback) => Promise<unknown> | void;
  /** How PLAY ends. */
  readonly play: "plays" | RegExp;
  /** Frames delivered after a second on the clock. */
  readonly frames: "some" | "none";
  /** Closes of the file at the end (after `stop`). */
  readonly closes: number;
}

const CASES: readonly Case[] = [
  {
    name: "PLAY opens the file and plays it; stop closes it",
    opens: "file",
    play: "plays",
    frames: "some",
    closes: 1,
  },
  {
    // A TEARDOWN racing PLAY (issue 10): the file opened after the session ended.
    name: "stopped while the file opens: PLAY rejects, no frame is sent, the file is closed",
    opens: "file",
    meanwhile: (p) => p.stop(false),
    play: /ended while \/clip.264 was opening/,
    frames: "none",
    closes: 1,
  },
  {
    name: "a file that cannot be opened: PLAY rejects with why, nothing to close",
    opens: { error: "not-found" },
    play: /cannot be opened \(not-found\)/,
    frames: "none",
    closes: 0,
  },
  {
    name: "PLAY again before the file has opened is refused; the first goes on",
    opens: "file",
    meanwhile: (p) => assert.rejects(p.play(undefined), /still opening/),
    play: "plays",
    frames: "some",
    closes: 1,
  },
];

for (const c of CASES) {
  Deno.test(`FilePlayback: ${c.name}`, async () => {
    const clock = new ManualScheduler();
    const closes = { count: 0 };
    const opened = Promise.withResolvers<OpenedFile | LookupFailure>();
    let opens = 0;
    const reader = recordingReader();
    const playback = new FilePlayback({
      path: "/clip.264",
      open: () => {
        opens++;
        return opened.promise;
      },
      reader,
      scheduler: clock,
      log: QUIET,
      loop: false,
    });
    const playing = playback.play(undefined);
    await c.meanwhile?.(playback);
    opened.resolve(c.opens === "file" ? patternFile(closes) : c.opens);
    if (c.play === "plays") {
      const start = await playing;
      // RTP-Info of the first packet: the SETUP's numbering (RFC 2326, 12.33).
      assert.deepEqual(start.tracks, [{ trackIndex: 0, sequenceNumber: 100, rtpTime: 5000 }]);
      start.begin?.();
    } else {
      await assert.rejects(playing, c.play);
      assert.equal(playback.stopped, true);
    }
    await run(clock, 1000);
    if (c.frames === "some") assert.ok(reader.frames.length >= FPS / 2, `${reader.frames.length}`);
    else assert.equal(reader.frames.length, 0);
    playback.stop(true);
    playback.stop(true);
    assert.equal(closes.count, c.closes, "the file is closed once, whatever the order");
    assert.equal(opens, 1, "the file is opened once");
    const sent = reader.frames.length;
    await run(clock, 500);
    assert.equal(reader.frames.length, sent, "nothing is sent after stop");
  });
}

Deno.test("FilePlayback: PAUSE keeps the position and PLAY resumes it on the same file", async () => {
  const clock = new ManualScheduler();
  const closes = { count: 0 };
  const reader = recordingReader();
  const playback = new FilePlayback({
    path: "/clip.264",
    open: () => Promise.resolve(patternFile(closes)),
    reader,
    scheduler: clock,
    log: QUIET,
    loop: false,
  });
  (await playback.play(undefined)).begin?.();
  await run(clock, 400);
  playback.pause();
  const paused = reader.frames.length;
  assert.ok(paused > 0 && paused < FPS, `${paused}`);
  await run(clock, 400);
  assert.equal(reader.frames.length, paused, "PAUSE stops sending");
  const resumed = await playback.play(undefined);
  assert.ok((resumed.range.start as number) > 0.2, "resumed where it paused, not at 0");
  resumed.begin?.();
  await run(clock, 1000);
  assert.ok(reader.frames.length > paused);
  playback.stop(false);
  assert.equal(closes.count, 1);
});
