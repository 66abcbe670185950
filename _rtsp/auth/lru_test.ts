import assert from "node:assert/strict";
import { LruMap } from "./lru.ts";

Deno.test("LruMap forgets the least recently used entry and reports it", () => {
  const evicted: Array<[string, number]> = [];
  const map = new LruMap<string, number>(2, (k, v) => evicted.push([k, v]));
  map.set("a", 1);
  map.set("b", 2);
  assert.equal(map.get("a"), 1); // a is now the most recent
  map.set("c", 3);
  assert.deepEqual(evicted, [["b", 2]]);
  assert.equal(map.has("b"), false);
  assert.equal(map.get("a"), 1);
  assert.equal(map.get("c"), 3);
  assert.equal(map.size, 2);
  map.set("c", 4); // updating does not evict
  assert.equal(map.size, 2);
  assert.equal(map.get("c"), 4);
  assert.equal(map.delete("a"), true);
  assert.equal(map.size, 1);
});

Deno.test("LruMap stays bounded under many inserts", () => {
  const map = new LruMap<number, number>(100);
  for (let i = 0; i < 10_000; i++) map.set(i, i);
  assert.equal(map.size, 100);
  assert.equal(map.has(9_999), true);
  assert.equal(map.has(9_899), false);
  assert.equal(new LruMap<number, number>(0).get(1), undefined);
});
