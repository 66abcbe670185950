import assert from "node:assert/strict";
import { AnnouncementStore, MAX_ANNOUNCEMENTS_PER_CONNECTION } from "./announcement_store.ts";

const announcement = (path: string, bytes: number) => ({
  path,
  sdp: "x".repeat(bytes),
  tracks: [],
});

Deno.test("AnnouncementStore bounds announcements per connection and bytes in total", () => {
  const store = new AnnouncementStore(1000);
  for (let i = 0; i < MAX_ANNOUNCEMENTS_PER_CONNECTION + 2; i++) {
    assert.equal(store.hold(1, announcement(`/p${i}`, 10)), true);
  }
  // The oldest were dropped, and their bytes with them.
  assert.deepEqual([...store.of(1)].map((a) => a.path)[0], "/p2");
  assert.equal(store.bytes, 10 * MAX_ANNOUNCEMENTS_PER_CONNECTION);
  // The same path again replaces, and counts once.
  assert.equal(store.hold(1, announcement("/p9", 50)), true);
  assert.equal(store.bytes, 10 * (MAX_ANNOUNCEMENTS_PER_CONNECTION - 1) + 50);
  // Past the total nothing is kept, from any connection.
  assert.equal(store.hold(2, announcement("/big", 1000)), false);
  assert.deepEqual([...store.of(2)], []);
  store.dropConnection(1);
  assert.equal(store.bytes, 0);
  assert.equal(store.hold(2, announcement("/big", 1000)), true);
});
