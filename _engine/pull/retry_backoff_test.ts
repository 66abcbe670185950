import assert from "node:assert/strict";
import { FIRST_RETRY_MS, MAX_RETRY_MS, RetryBackoff } from "./retry_backoff.ts";

Deno.test("back-off doubles from 1 s to 30 s and starts again after a success", () => {
  const middle = new RetryBackoff(() => 0.5); // no jitter at the middle of the range
  const delays = Array.from({ length: 8 }, () => middle.next());
  assert.deepEqual(delays, [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  middle.reset();
  assert.equal(middle.next(), FIRST_RETRY_MS);
});

Deno.test("back-off jitter stays within ±20 % of the nominal delay", () => {
  const low = new RetryBackoff(() => 0);
  const high = new RetryBackoff(() => 0.999999);
  assert.equal(low.next(), 800);
  assert.equal(high.next(), 1200);
  for (let i = 0; i < 10; i++) {
    assert.ok(low.next() >= MAX_RETRY_MS * 0.8 || i < 5);
    assert.ok(high.next() <= MAX_RETRY_MS * 1.2);
  }
});
