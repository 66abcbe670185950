import assert from "node:assert/strict";
import { TokenBucket } from "./token_bucket.ts";

Deno.test("TokenBucket allows a burst, then the rate, and survives a clock stepped back", () => {
  let now = 1_000;
  const bucket = new TokenBucket(5, 10, () => now);
  const takes = (n: number) =>
    Array.from({ length: n }, () => bucket.take()).filter(Boolean).length;
  assert.equal(takes(12), 10, "the burst");
  now += 200; // one token at 5/s
  assert.equal(takes(3), 1);
  now -= 10_000; // backwards: nothing added
  assert.equal(takes(1), 0);
  now += 10_000 + 400; // from the last reading: 2 tokens
  assert.equal(takes(3), 2);
  now += 60_000; // refills to the burst, not beyond
  assert.equal(takes(20), 10);
});
