import assert from "node:assert/strict";
import { MulticastGroups } from "./multicast_groups.ts";

Deno.test("MulticastGroups: one group per path, kept while any session holds it, then given back", () => {
  const groups = new MulticastGroups({
    firstAddress: 0xefff2a00,
    addressCount: 2,
    firstPort: 5004,
    ttl: 1,
  });
  const a = groups.hold("/a", "s1")!;
  assert.equal(a.address, "239.255.42.0");
  assert.equal(groups.hold("/a", "s2"), a, "the same path shares its group");
  assert.equal(groups.hold("/b", "s3")!.address, "239.255.42.1");
  assert.equal(groups.hold("/c", "s4"), undefined, "the range is used up");
  assert.deepEqual(groups.ports(a, 1), { address: "239.255.42.0", rtp: 5006, rtcp: 5007, ttl: 1 });
  assert.equal(groups.release("/a", "s1"), undefined, "s2 still holds it");
  assert.equal(groups.release("/a", "unknown"), undefined);
  assert.equal(groups.release("/a", "s2"), a, "the last holder gives it back");
  assert.equal(groups.get("/a"), undefined);
  assert.equal(groups.hold("/c", "s4")!.address, "239.255.42.0", "and its address is reused");
  assert.equal(groups.size, 2);
});
