import assert from "node:assert/strict";
import { AuthFailureTracker, DEFAULT_ABUSE_LIMITS } from "./abuse_limits.ts";

const LIMITS = { ...DEFAULT_ABUSE_LIMITS, authFailuresBeforeLockout: 3, lockoutMs: 60_000 };
const A = "192.0.2.1";
const B = "192.0.2.2";

function tracker(limits = LIMITS) {
  const clock = { t: 1_000_000 };
  return { clock, failures: new AuthFailureTracker(limits, () => clock.t) };
}

Deno.test("AuthFailureTracker: a success for one user does not clear another user's failures", () => {
  const { failures } = tracker();
  // The attack: a guess at alice, then a login as bob (an account the attacker has), again and again.
  for (let i = 0; i < LIMITS.authFailuresBeforeLockout; i++) {
    assert.equal(failures.lockedOut(A, "alice"), false, `guess ${i}`);
    failures.failed(A, "alice");
    failures.succeeded(A, "bob");
  }
  assert.equal(failures.lockedOut(A, "alice"), true);
  // A success clears only its own user's record.
  failures.succeeded(A, "alice");
  assert.equal(failures.lockedOut(A, "alice"), false);
});

Deno.test("AuthFailureTracker: a locked (address, user) leaves other users at that address and other addresses alone", () => {
  const { clock, failures } = tracker();
  for (let i = 0; i < LIMITS.authFailuresBeforeLockout; i++) failures.failed(A, "alice");
  assert.equal(failures.lockedOut(A, "alice"), true);
  assert.equal(failures.lockedOut(A, "bob"), false, "someone else behind the same NAT");
  assert.equal(failures.lockedOut(B, "alice"), false, "alice from elsewhere");
  // A success for alice elsewhere does not lift the lockout here.
  failures.succeeded(B, "alice");
  assert.equal(failures.lockedOut(A, "alice"), true);
  clock.t += LIMITS.lockoutMs - 1;
  assert.equal(failures.lockedOut(A, "alice"), true);
  clock.t += 1;
  assert.equal(failures.lockedOut(A, "alice"), false, "the lockout ends");
  // And starts afresh: N more failures to lock again.
  failures.failed(A, "alice");
  assert.equal(failures.lockedOut(A, "alice"), false);
});

Deno.test("AuthFailureTracker: the slow-down counts failures of every user name from an address; successes do not reset it", () => {
  const { clock, failures } = tracker({ ...LIMITS, authFailuresBeforeLockout: 1000 });
  const delays: number[] = [];
  for (let i = 0; i < 10; i++) {
    delays.push(failures.failed(A, `user${i}`));
    failures.succeeded(A, "bob");
  }
  assert.deepEqual(delays, [0, 0, 0, 100, 200, 400, 800, 1600, 2000, 2000]);
  assert.equal(failures.failed(B, "user0"), 0, "another address is not slowed");
  // Failures without a user name (a 503 past the PBKDF2 budget) count for the address only.
  assert.equal(failures.failed(A, undefined), 2000);
  // A quiet period as long as a lockout forgets the address.
  clock.t += LIMITS.lockoutMs + 1;
  assert.equal(failures.failed(A, "user0"), 0);
});

Deno.test("AuthFailureTracker: any claimed name counts, memory stays bounded, and spraying names cannot evict a guessed user", () => {
  const { failures } = tracker();
  const n = LIMITS.authFailuresBeforeLockout;
  for (let i = 0; i < n - 1; i++) failures.failed(A, "alice");
  // Unknown and odd names count under themselves, like real ones.
  const odd = "x".repeat(5000);
  for (let i = 0; i < n; i++) failures.failed(A, odd);
  assert.equal(failures.lockedOut(A, odd), true);
  assert.equal(failures.lockedOut(A, "x".repeat(4000)), true, "names are kept truncated");
  // Spraying many names from one address fills its table; it does not push alice out.
  for (let i = 0; i < 5 * AuthFailureTracker.MAX_USERS_PER_ADDRESS; i++) {
    failures.failed(A, `spray${i}`);
  }
  assert.ok(failures.trackedUsers <= AuthFailureTracker.MAX_USERS_PER_ADDRESS);
  failures.failed(A, "alice");
  assert.equal(failures.lockedOut(A, "alice"), true, "alice's earlier failures still count");
  // Past the table, names share one record: spraying them locks them together.
  assert.equal(failures.lockedOut(A, "never-seen"), true);
  assert.equal(failures.lockedOut(B, "never-seen"), false);
  // Many addresses: the total stays bounded too.
  for (let i = 0; i < AuthFailureTracker.MAX_TRACKED + 10; i++) failures.failed(`10.${i}`, "u");
  assert.ok(failures.trackedUsers <= AuthFailureTracker.MAX_TRACKED);
});
