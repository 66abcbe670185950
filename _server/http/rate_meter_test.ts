import assert from "node:assert/strict";
import { RATE_WINDOW_SAMPLES, RateMeter } from "./rate_meter.ts";

Deno.test("RateMeter gives the bit rate across the samples kept, and forgets keys gone", () => {
  const meter = new RateMeter();
  meter.sampleRound(new Map([["/a", 0]]), 0);
  assert.equal(meter.bitsPerSecond("/a"), 0);
  meter.sampleRound(new Map([["/a", 1000]]), 1000);
  assert.equal(meter.bitsPerSecond("/a"), 8000);
  for (let i = 2; i <= 10; i++) meter.sampleRound(new Map([["/a", 1000 * i * i]]), 1000 * i);
  const first = 10 - RATE_WINDOW_SAMPLES + 1;
  assert.equal(
    meter.bitsPerSecond("/a"),
    Math.round((100_000 - 1000 * first * first) * 8 / (10 - first)),
  );
  meter.sampleRound(new Map(), 11_000);
  assert.equal(meter.bitsPerSecond("/a"), 0);
});
