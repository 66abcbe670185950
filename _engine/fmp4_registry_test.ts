import assert from "node:assert/strict";
import { ManualScheduler } from "../_testing/manual_scheduler.ts";
import { liveTestStream } from "../_testing/live_test_stream.ts";
import { Fmp4Registry } from "./fmp4_registry.ts";

Deno.test("Fmp4Registry shares one Fmp4Stream per path and detaches it when the last reader leaves", () => {
  const clock = new ManualScheduler();
  const stream = liveTestStream(clock);
  try {
    const registry = new Fmp4Registry({ scheduler: clock });
    let ends = 0;
    const a = registry.acquire(stream, () => ends++);
    const b = registry.acquire(stream, () => ends++);
    assert.equal(a.stream, b.stream);
    assert.equal(registry.holders("/test"), 2);
    clock.advance(1000);
    assert.ok(a.stream.initSegment());
    a.release();
    a.release(); // twice is once
    assert.equal(registry.holders("/test"), 1);
    b.release();
    assert.equal(registry.size, 0);
    assert.equal(ends, 0, "releasing is not the stream ending");
    // The next reader gets a new one.
    const c = registry.acquire(stream, () => ends++);
    assert.notEqual(c.stream, a.stream);
    c.release();
  } finally {
    stream.close();
  }
});

Deno.test("Fmp4Registry tells every holder when the source ends, and forgets the path", () => {
  const clock = new ManualScheduler();
  const stream = liveTestStream(clock);
  const registry = new Fmp4Registry({ scheduler: clock });
  let ends = 0;
  const a = registry.acquire(stream, () => ends++);
  registry.acquire(stream, () => ends++);
  clock.advance(500);
  stream.close();
  assert.equal(ends, 2);
  assert.equal(registry.size, 0);
  a.release(); // after the end: harmless
  assert.equal(ends, 2);
});

Deno.test("Fmp4Registry makes a new Fmp4Stream when a new stream serves the path", () => {
  const clock = new ManualScheduler();
  const first = liveTestStream(clock);
  const second = liveTestStream(clock);
  try {
    const registry = new Fmp4Registry({ scheduler: clock });
    let firstEnded = false;
    const a = registry.acquire(first, () => firstEnded = true);
    const b = registry.acquire(second, () => {});
    assert.notEqual(a.stream, b.stream);
    assert.equal(firstEnded, true);
    assert.equal(registry.holders("/test"), 1);
    b.release();
  } finally {
    first.close();
    second.close();
  }
});
