import assert from "node:assert/strict";
import { RtpTimeline } from "./rtp_timeline.ts";

/** Ticks for each timestamp of `input`, at 90 kHz. */
function extend(input: readonly number[]): { ticks: number[]; jumps: number } {
  const timeline = new RtpTimeline(90000);
  const ticks = input.map((t) => timeline.extend(t));
  return { ticks, jumps: timeline.jumps };
}

const cases: Array<{ name: string; input: number[]; ticks: number[]; jumps: number }> = [
  { name: "starts at 0", input: [123456, 127056], ticks: [0, 3600], jumps: 0 },
  {
    name: "counts on past the 32-bit wrap",
    input: [0xffff_f000, 0xffff_fe10, 0x0000_0a20], // +3600, then +3088 across 2^32
    ticks: [0, 3600, 6688],
    jumps: 0,
  },
  {
    name: "keeps a B-frame's step back",
    input: [0, 10800, 3600, 7200],
    ticks: [0, 10800, 3600, 7200],
    jumps: 0,
  },
  { name: "a 5 s gap is time passing", input: [0, 450000], ticks: [0, 450000], jumps: 0 },
  {
    name: "a larger step forward is a jump: one step after the latest",
    input: [0, 3600, 3600 + 450001],
    ticks: [0, 3600, 7200],
    jumps: 1,
  },
  {
    name: "a step back of more than 1 s is a jump",
    input: [900000, 903600, 0, 3600],
    ticks: [0, 3600, 7200, 10800],
    jumps: 1,
  },
  {
    name: "a jump before any step forward moves one frame at 25 fps",
    input: [0, 0x8000_0000],
    ticks: [0, 3600],
    jumps: 1,
  },
];

for (const c of cases) {
  Deno.test(`RtpTimeline ${c.name}`, () => {
    assert.deepEqual(extend(c.input), { ticks: c.ticks, jumps: c.jumps });
  });
}
