import assert from "node:assert/strict";
import { UdpClaims } from "./udp_claims.ts";

Deno.test("UdpClaims: a port pair belongs to one session at a time", () => {
  const claims = new UdpClaims();
  claims.claim("pub", "10.0.0.1", [5000, 5001]);
  assert.equal(claims.heldByOther("10.0.0.1", [5000, 5001], "thief"), true);
  assert.equal(claims.heldByOther("10.0.0.1", [5001, 5002], "thief"), true);
  assert.equal(claims.heldByOther("10.0.0.1", [5000, 5001], "pub"), false);
  assert.equal(claims.heldByOther("10.0.0.2", [5000, 5001], "thief"), false);
  // A track set up again moves its claim.
  claims.release("pub", "10.0.0.1", [5000, 5001]);
  claims.claim("pub", "10.0.0.1", [5002, 5003]);
  assert.equal(claims.heldByOther("10.0.0.1", [5000, 5001], "thief"), false);
  // Releasing ports one does not hold changes nothing.
  claims.release("thief", "10.0.0.1", [5002, 5003]);
  assert.equal(claims.heldByOther("10.0.0.1", [5002], "thief"), true);
  claims.releaseSession("pub");
  assert.equal(claims.size, 0);
});
