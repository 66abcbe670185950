import assert from "node:assert/strict";
import { AddressPool } from "./address_pool.ts";

/** 239.255.42.0 */
const FIRST = 0xefff2a00;

Deno.test("AddressPool hands out each address of the range once, then nothing", () => {
  const pool = new AddressPool(FIRST, 4);
  assert.deepEqual([pool.allocate(), pool.allocate(), pool.allocate(), pool.allocate()], [
    FIRST,
    FIRST + 1,
    FIRST + 2,
    FIRST + 3,
  ]);
  assert.equal(pool.allocate(), undefined, "exhausted");
  assert.equal(pool.inUse, 4);
});

Deno.test("AddressPool reuses given-back addresses, oldest first, after the unused ones", () => {
  const pool = new AddressPool(FIRST, 3);
  const a = pool.allocate()!;
  const b = pool.allocate()!;
  pool.release(b);
  pool.release(a);
  assert.equal(pool.allocate(), FIRST + 2, "a never-used address first");
  assert.equal(pool.allocate(), b, "then the first one given back");
  assert.equal(pool.allocate(), a);
  assert.equal(pool.allocate(), undefined);
});

Deno.test("AddressPool ignores double releases and addresses it never handed out", () => {
  const pool = new AddressPool(FIRST, 2);
  const a = pool.allocate()!;
  pool.release(a);
  pool.release(a);
  pool.release(FIRST + 1); // in the range, never handed out
  pool.release(FIRST - 1);
  pool.release(FIRST + 2);
  assert.equal(pool.inUse, 0);
  assert.equal(pool.allocate(), FIRST + 1);
  assert.equal(pool.allocate(), a);
  assert.equal(pool.allocate(), undefined, "a released twice is handed out once");
});

Deno.test("AddressPool: 1,000 groups in turn on a range of 4, each given back, never run out", () => {
  const pool = new AddressPool(FIRST, 4);
  const seen = new Set<number>();
  for (let i = 0; i < 1000; i++) {
    const address = pool.allocate();
    assert.notEqual(address, undefined, `group ${i}`);
    seen.add(address!);
    pool.release(address!);
  }
  assert.equal(pool.inUse, 0);
  assert.deepEqual([...seen].sort(), [FIRST, FIRST + 1, FIRST + 2, FIRST + 3]);
});

Deno.test("AddressPool: held addresses are never handed out twice", () => {
  const pool = new AddressPool(FIRST, 8);
  const held = new Set<number>();
  // A fixed pattern of takes and releases: no randomness, same run every time.
  for (let i = 0; i < 1000; i++) {
    if (i % 3 === 2 && held.size > 0) {
      const victim = [...held][i % held.size];
      held.delete(victim);
      pool.release(victim);
      continue;
    }
    const address = pool.allocate();
    if (held.size === 8) {
      assert.equal(address, undefined);
      continue;
    }
    assert.ok(address !== undefined && !held.has(address), `step ${i}: ${address}`);
    held.add(address);
  }
  assert.equal(pool.inUse, held.size);
});
