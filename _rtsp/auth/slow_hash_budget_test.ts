import assert from "node:assert/strict";
import { MAX_BUDGET_CLIENTS, SLOW_HASH_BURST_SECONDS, SlowHashBudget } from "./slow_hash_budget.ts";

Deno.test("SlowHashBudget: a burst, then the rate; each client has its own; 0 is no limit", () => {
  const clock = { t: 10_000 };
  const budget = new SlowHashBudget(3, () => clock.t);
  const taken = (client: string, n: number) =>
    Array.from({ length: n }, () => budget.take(client)).filter(Boolean).length;
  assert.equal(taken("a", 20), 3 * SLOW_HASH_BURST_SECONDS);
  assert.equal(taken("b", 1), 1, "another client is not affected");
  clock.t += 1000;
  assert.equal(taken("a", 20), 3);
  clock.t += 60_000;
  assert.equal(taken("a", 20), 3 * SLOW_HASH_BURST_SECONDS, "never more than the burst");
  const open = new SlowHashBudget(0, () => clock.t);
  assert.equal(Array.from({ length: 100 }, () => open.take("a")).filter(Boolean).length, 100);
});

Deno.test("SlowHashBudget: memory is bounded by forgetting the least recently seen client", () => {
  const budget = new SlowHashBudget(1, () => 0);
  budget.take("first");
  budget.take("first");
  assert.equal(budget.take("first"), false);
  for (let i = 0; i < MAX_BUDGET_CLIENTS; i++) budget.take(`c${i}`);
  // Forgotten, so it starts again with a full budget: the price of a bound.
  assert.equal(budget.take("first"), true);
});
