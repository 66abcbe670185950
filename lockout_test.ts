/**
 * Failed logins against a real server: the lockout is per (address, user name),
 * a success clears only its own user, other users behind the same address are
 * served, and PBKDF2 (Basic with stored hashes) has a budget per address.
 */

import { authConfig, basicCredentials } from "./_testing/auth.ts";
import assert from "node:assert/strict";
import { hashPasswordForConfig } from "./_rtsp/auth/credentials.ts";
import { DEFAULT_ABUSE_LIMITS } from "./_server/abuse_limits.ts";
import { describeOnce } from "./_testing/raw_client.ts";
import { startTestServer } from "./_testing/server.ts";

const USERS = [
  { name: "alice", password: "wonderland" },
  { name: "bob", password: "builder" },
  { name: "dave", password: "diver" },
];
const LOCKOUT_AFTER = 3;
const LIMITS = { ...DEFAULT_ABUSE_LIMITS, authFailuresBeforeLockout: LOCKOUT_AFTER };

const basic = basicCredentials;

Deno.test("logging in as one user does not clear the failed guesses at another user's password", async () => {
  await using srv = await startTestServer({
    auth: authConfig({ users: USERS, schemes: ["basic"] }),
    abuse: LIMITS,
  });
  const statuses: number[] = [];
  // The attack: the attacker owns bob and logs in as bob between guesses at alice.
  for (let i = 0; i < LOCKOUT_AFTER; i++) {
    statuses.push((await describeOnce(srv.port, "/test", basic("alice", `guess${i}`))).status);
    statuses.push((await describeOnce(srv.port, "/test", basic("bob", "builder"))).status);
  }
  assert.deepEqual(statuses, [401, 200, 401, 200, 401, 200]);
  assert.equal(
    (await describeOnce(srv.port, "/test", basic("alice", "wonderland"))).status,
    403,
    "alice is locked out from this address, even with her password",
  );
  assert.equal((await describeOnce(srv.port, "/test", basic("bob", "builder"))).status, 200);
});

Deno.test("a user locked out at an address leaves the other users there alone; requests without credentials never count", async () => {
  await using srv = await startTestServer({
    auth: authConfig({ users: USERS, schemes: ["basic"] }),
    abuse: LIMITS,
  });
  // Every client starts without credentials: that is no failed login.
  for (let i = 0; i < 2 * LOCKOUT_AFTER; i++) {
    assert.equal((await describeOnce(srv.port, "/test")).status, 401);
  }
  assert.equal((await describeOnce(srv.port, "/test", basic("dave", "diver"))).status, 200);
  for (let i = 0; i < LOCKOUT_AFTER; i++) {
    assert.equal((await describeOnce(srv.port, "/test", basic("alice", `guess${i}`))).status, 401);
  }
  assert.equal((await describeOnce(srv.port, "/test", basic("alice", "wonderland"))).status, 403);
  // Someone else behind the same address (a NAT) with valid credentials is served.
  assert.equal((await describeOnce(srv.port, "/test", basic("bob", "builder"))).status, 200);
  // A user name that does not exist is counted and locked like any other.
  for (let i = 0; i < LOCKOUT_AFTER; i++) {
    assert.equal(
      (await describeOnce(srv.port, "/test", basic("mallory", `guess${i}`))).status,
      401,
    );
  }
  assert.equal((await describeOnce(srv.port, "/test", basic("mallory", "x"))).status, 403);
  assert.equal((await describeOnce(srv.port, "/test", basic("dave", "diver"))).status, 200);
});

Deno.test("PBKDF2 has a budget per address: past it, 503 with Retry-After and nothing hashed; another address is verified", async () => {
  await using srv = await startTestServer({
    listenHostname: "::",
    auth: authConfig({
      users: [{ name: "cam", basic: hashPasswordForConfig("lens", new Uint8Array(16).fill(5)) }],
      schemes: ["basic"],
    }),
    // A budget of 1 per second (burst 2), and no lockout to get in the way.
    abuse: { ...DEFAULT_ABUSE_LIMITS, authFailuresBeforeLockout: 0, pbkdf2PerAddressPerSecond: 1 },
  });
  // Many guesses at once from one address, each on its own connection.
  const GUESSES = 12;
  const answers = await Promise.all(
    Array.from(
      { length: GUESSES },
      (_, i) => describeOnce(srv.port, "/test", basic("cam", `g${i}`)),
    ),
  );
  const statuses = answers.map((r) => r.status);
  assert.ok(statuses.every((s) => s === 401 || s === 503), statuses.join());
  const refused = answers.filter((r) => r.status === 503);
  assert.ok(refused.length > 0, `past the budget: ${statuses.join()}`);
  for (const r of refused) assert.equal(r.headers.get("retry-after"), "5");
  // Another address has its own budget: its guess is verified (401), its password passes.
  assert.equal((await describeOnce(srv.port, "/test", basic("cam", "wrong"), "::1")).status, 401);
  assert.equal((await describeOnce(srv.port, "/test", basic("cam", "lens"), "::1")).status, 200);
  // A password verified once is remembered, so it passes from the busy address without PBKDF2.
  assert.equal((await describeOnce(srv.port, "/test", basic("cam", "lens"))).status, 200);
});
