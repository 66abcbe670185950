import assert from "node:assert/strict";
import { SessionQuota } from "./session_quota.ts";

Deno.test("SessionQuota caps sessions per connection and per address, and gives slots back", () => {
  const quota = new SessionQuota({ perAddress: 3, perConnection: 2 });
  assert.equal(quota.admit("10.0.0.1", 1), "ok");
  quota.add("a", "10.0.0.1", 1);
  quota.add("b", "10.0.0.1", 1);
  assert.equal(quota.admit("10.0.0.1", 1), "connection");
  assert.equal(quota.admit("10.0.0.1", 2), "ok");
  quota.add("c", "10.0.0.1", 2);
  assert.equal(quota.admit("10.0.0.1", 3), "address");
  assert.equal(quota.admit("10.0.0.2", 3), "ok");
  quota.add("c", "10.0.0.1", 2); // counted once
  quota.remove("a");
  quota.remove("a"); // and released once
  assert.equal(quota.countForAddress("10.0.0.1"), 2);
  assert.equal(quota.admit("10.0.0.1", 1), "ok");
  quota.remove("unknown");
  quota.remove("b");
  quota.remove("c");
  assert.equal(quota.countForAddress("10.0.0.1"), 0);
});

Deno.test("SessionQuota with zero caps admits everything", () => {
  const quota = new SessionQuota({ perAddress: 0, perConnection: 0 });
  for (let i = 0; i < 1000; i++) quota.add(`s${i}`, "10.0.0.1", 1);
  assert.equal(quota.admit("10.0.0.1", 1), "ok");
});
