/**
 * The muxer's timing invariant under hostile RTP timestamps: whatever comes
 * in (wraps, jumps forward or back, repeats, B-frame reordering, garbage),
 * every track's decode times in the output start at 0 or later, strictly
 * increase, and each fragment's tfdt is where the previous one ended.
 */

import assert from "node:assert/strict";
import type { TrackDescription } from "../../catalogue.ts";
import type { AccessUnit } from "../access_unit.ts";
import { Fmp4Muxer, type Fmp4MuxerOptions, type Fmp4Output } from "./muxer.ts";
import { parseFragment, testH264Track } from "./_test_helpers.ts";
import { SYNC_SAMPLE_FLAGS } from "./media_segment.ts";
import { opusTrack } from "../source_track.ts";

const VIDEO: TrackDescription = testH264Track();
const OPUS: TrackDescription = opusTrack(1, 2).description;
/** 25 fps at 90 kHz; 20 ms Opus frames at 48 kHz. */
const FRAME_TICKS = 3600;
const OPUS_TICKS = 960;
const IDR = Uint8Array.of(0x65, 0x88, 0x84, 0x00);
const NON_IDR = Uint8Array.of(0x41, 0x9a, 0x02, 0x00);
const OPUS_PACKET = Uint8Array.of(0xfc, 0xff, 0xfe);

function picture(timestamp: number, keyframe: boolean): AccessUnit {
  return { timestamp: timestamp >>> 0, units: [keyframe ? IDR : NON_IDR], keyframe };
}

/** Per output track: every sample's decode time and duration, in order. */
interface TrackTimes {
  decode: number[];
  duration: number[];
  presentation: number[];
  sync: boolean[];
}

/** Checks the invariant over a muxer's whole output and returns the times per track_ID. */
function checkOutput(outputs: readonly Fmp4Output[]): Map<number, TrackTimes> {
  const times = new Map<number, TrackTimes>();
  let sequence = 0;
  for (const out of outputs) {
    if (out.kind !== "fragment") continue;
    const { sequenceNumber, runs } = parseFragment(out.fragment.bytes);
    assert.equal(sequenceNumber, ++sequence);
    for (const run of runs) {
      let t = times.get(run.trackId);
      if (!t) {
        t = { decode: [], duration: [], presentation: [], sync: [] };
        times.set(run.trackId, t);
      }
      assert.ok(run.baseDecodeTime >= 0, `negative tfdt ${run.baseDecodeTime}`);
      if (t.decode.length > 0) {
        const end = t.decode.at(-1)! + t.duration.at(-1)!;
        assert.equal(
          run.baseDecodeTime,
          end,
          `track ${run.trackId}: tfdt where the last run ended`,
        );
      }
      let decode = run.baseDecodeTime;
      for (const s of run.samples) {
        assert.ok(s.duration > 0, `track ${run.trackId}: duration ${s.duration}`);
        t.decode.push(decode);
        t.duration.push(s.duration);
        t.presentation.push(decode + s.compositionOffset);
        t.sync.push(s.flags === SYNC_SAMPLE_FLAGS);
        decode += s.duration;
      }
    }
  }
  return times;
}

function mux(
  video: readonly number[],
  options: Fmp4MuxerOptions & { keyframeEvery?: number; audio?: readonly number[] } = {},
): { muxer: Fmp4Muxer; times: Map<number, TrackTimes> } {
  const tracks = options.audio ? [VIDEO, OPUS] : [VIDEO];
  const muxer = new Fmp4Muxer(tracks, options);
  const outputs: Fmp4Output[] = [];
  const every = options.keyframeEvery ?? 25;
  const audio = options.audio ?? [];
  // Interleave: one audio unit after each picture while any are left.
  const count = Math.max(video.length, audio.length);
  for (let i = 0; i < count; i++) {
    if (i < video.length) {
      outputs.push(...muxer.push(0, picture(video[i], i % every === 0), 40 * i));
    }
    if (i < audio.length) {
      const au: AccessUnit = { timestamp: audio[i] >>> 0, units: [OPUS_PACKET], keyframe: true };
      outputs.push(...muxer.push(1, au, 20 * i));
    }
  }
  outputs.push(...muxer.flush());
  return { muxer, times: checkOutput(outputs) };
}

/** `n` timestamps from `start`, `step` apart (32-bit wrap included). */
function steady(start: number, n: number, step = FRAME_TICKS): number[] {
  return Array.from({ length: n }, (_, i) => (start + i * step) >>> 0);
}

const hostile: Array<{ name: string; video: number[]; jumps?: number; audio?: number[] }> = [
  { name: "steady", video: steady(1000, 50) },
  { name: "across the 32-bit wrap", video: steady(0xffff_f000, 50) },
  {
    name: "jumping forward an hour",
    video: [...steady(5000, 20), ...steady(5000 + 3600 * 90000, 20)],
    jumps: 1,
  },
  {
    name: "jumping back ten seconds",
    video: [...steady(900_000, 20), ...steady(0, 20)],
    jumps: 1,
  },
  {
    name: "jumping back across the wrap (a publisher restarting at a random timestamp)",
    video: [...steady(100, 20), ...steady(0xf000_0000, 20)],
    jumps: 1,
  },
  { name: "repeating a timestamp", video: [0, 3600, 3600, 3600, 7200, 10800] },
  { name: "stuck on one timestamp", video: Array(30).fill(42) },
  { name: "half a range apart (2^31)", video: [0, 0x8000_0000, 0, 0x8000_0000, 3600], jumps: 4 },
  {
    name: "garbage",
    video: [7, 0xdead_beef, 12, 0xffff_ffff, 0, 1, 0x7fff_ffff, 0x8000_0001, 99, 3],
  },
  {
    name: "video and audio both jumping",
    video: [...steady(0, 25), ...steady(123_456_789, 25)],
    audio: [...steady(500, 50, OPUS_TICKS), ...steady(3_000_000_000, 50, OPUS_TICKS)],
    jumps: 2,
  },
];

for (const c of hostile) {
  Deno.test(`Fmp4Muxer timing: decode times only go forward with timestamps ${c.name}`, () => {
    const { muxer, times } = mux(c.video, { audio: c.audio });
    const video = times.get(1)!;
    assert.equal(video.decode.length, c.video.length, "every picture is muxed");
    assert.equal(video.decode[0], 0, "the first picture decodes at 0");
    if (c.jumps !== undefined) assert.equal(muxer.timestampJumps, c.jumps);
    if (c.audio) assert.ok((times.get(2)?.decode.length ?? 0) > 0.9 * c.audio.length);
  });
}

Deno.test("Fmp4Muxer timing: steady timestamps across the wrap give steady 40 ms samples", () => {
  const { muxer, times } = mux(steady(0xffff_0000, 100));
  const video = times.get(1)!;
  assert.ok(video.duration.every((d) => d === FRAME_TICKS));
  assert.deepEqual(video.presentation, video.decode);
  assert.equal(muxer.timestampJumps, 0);
  assert.equal(muxer.clampedSamples, 0);
});

Deno.test("Fmp4Muxer timing: a jump continues one frame after the last picture", () => {
  const { times } = mux([...steady(5000, 10), ...steady(77_000_000, 10)]);
  assert.deepEqual(times.get(1)!.decode, steady(0, 20));
});

Deno.test("Fmp4Muxer timing: B-frames (I P B B) decode at the sorted times, presented a window later", () => {
  // Decode order I0 P3 B1 B2 P6 B4 B5 …, timestamps in frames of 3600 ticks.
  const order = [0, 3, 1, 2, 6, 4, 5, 9, 7, 8, 12, 10, 11];
  const { muxer, times } = mux(order.map((f) => 10_000 + f * FRAME_TICKS), {
    videoReorderWindow: 2,
  });
  const video = times.get(1)!;
  assert.deepEqual(video.decode, order.map((_, i) => i * FRAME_TICKS));
  // Presented two frames (the window) after their timestamps, so no picture is
  // presented before it is decoded: composition offsets are never negative.
  assert.deepEqual(video.presentation, order.map((f) => (f + 2) * FRAME_TICKS));
  video.presentation.forEach((p, i) => assert.ok(p >= video.decode[i]));
  assert.equal(muxer.clampedSamples, 0);
});

Deno.test("Fmp4Muxer timing: audio is presented with the same delay as B-frame video", () => {
  const order = [0, 3, 1, 2, 6, 4, 5];
  const { times } = mux(order.map((f) => f * FRAME_TICKS), {
    videoReorderWindow: 2,
    audio: steady(0, 14, OPUS_TICKS),
  });
  // Both start together: the first picture (I0) and the first audio frame at 80 ms.
  assert.equal(times.get(1)!.presentation[0], 2 * FRAME_TICKS);
  assert.equal(times.get(2)!.presentation[0], 0.08 * 48000);
});

Deno.test("Fmp4Muxer timing: reordering deeper than the window still gives increasing decode times", () => {
  const order = [0, 5, 1, 2, 3, 4, 10, 6, 7, 8, 9];
  const { muxer, times } = mux(order.map((f) => f * FRAME_TICKS), { videoReorderWindow: 0 });
  assert.equal(times.get(1)!.decode.length, order.length);
  assert.ok(muxer.clampedSamples > 0);
});

Deno.test("Fmp4Muxer: pictures before the first keyframe and audio before time 0 are dropped", () => {
  const muxer = new Fmp4Muxer([VIDEO, OPUS]);
  const out: Fmp4Output[] = [];
  out.push(...muxer.push(0, picture(0, false), 0));
  out.push(...muxer.push(0, picture(3600, true), 1000));
  // Audio presented 100 ms before the first picture.
  out.push(...muxer.push(1, { timestamp: 0, units: [OPUS_PACKET], keyframe: true }, 900));
  out.push(...muxer.push(1, { timestamp: 9600, units: [OPUS_PACKET], keyframe: true }, 1100));
  out.push(...muxer.push(0, picture(7200, false), 1040));
  out.push(...muxer.flush());
  assert.equal(muxer.droppedSamples, 2);
  const times = checkOutput(out);
  assert.deepEqual(times.get(1)!.sync, [true, false]);
  assert.deepEqual(times.get(2)!.decode, [4800]); // 100 ms after the first picture, at 48 kHz
});

/** A small deterministic generator (xorshift32), so a failure can be replayed from its seed. */
function random(seed: number): () => number {
  let x = seed || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

Deno.test("Fmp4Muxer timing (randomized): 300 hostile streams keep decode times increasing and non-negative", () => {
  for (let seed = 1; seed <= 300; seed++) {
    const rnd = random(seed);
    const steps = (n: number, unit: number) => {
      let t = Math.floor(rnd() * 0x1_0000_0000);
      return Array.from({ length: n }, () => {
        const r = rnd();
        if (r < 0.7) t += unit; // on time
        else if (r < 0.8) t -= unit * Math.floor(rnd() * 4); // back a little (reordering)
        else if (r < 0.85) t += 0; // repeated
        else if (r < 0.9) t = Math.floor(rnd() * 0x1_0000_0000); // anywhere
        else if (r < 0.95) t += Math.floor(rnd() * 20 * unit); // a gap
        else t -= Math.floor(rnd() * 0x8000_0000); // far back
        return t >>> 0;
      });
    };
    const video = steps(60 + Math.floor(rnd() * 60), FRAME_TICKS);
    const audio = rnd() < 0.5 ? steps(120, OPUS_TICKS) : undefined;
    try {
      const { times } = mux(video, {
        audio,
        videoReorderWindow: Math.floor(rnd() * 4),
        keyframeEvery: 1 + Math.floor(rnd() * 30),
      });
      assert.equal(times.get(1)!.decode.length, video.length);
    } catch (e) {
      throw new Error(`seed ${seed}: ${(e as Error).message}`);
    }
  }
});
