/**
 * What the responder tells its failed-login hooks: the address and the user
 * name the credentials claim, so lockouts are per (address, user).
 */

import assert from "node:assert/strict";
import { Authenticator } from "./auth/authenticator.ts";
import { UserStore } from "./auth/credentials.ts";
import { Permissions } from "./auth/permissions.ts";
import { StaticCatalogue } from "./catalogue.ts";
import { MessageFramer } from "./framer.ts";
import { type AuthFailureHooks, type ConnectionInfo, RtspResponder } from "./responder.ts";

const enc = new TextEncoder();
const ADDRESS = "192.0.2.7";

function harness(locked: ReadonlySet<string> = new Set()) {
  const calls: string[] = [];
  const hooks: AuthFailureHooks = {
    lockedOut: (address, user) => {
      calls.push(`lockedOut ${address} ${user}`);
      return locked.has(user);
    },
    failed: (address, user) => {
      calls.push(`failed ${address} ${user}`);
      return 0;
    },
    succeeded: (address, user) => calls.push(`succeeded ${address} ${user}`),
  };
  const authenticator = new Authenticator({
    realm: "rtsp.ts",
    users: new UserStore([{ name: "alice", password: "pw" }], "rtsp.ts"),
    schemes: ["basic", "digest-md5"],
    now: () => 1_000_000,
    random: (n) => new Uint8Array(n).fill(1),
  });
  const permissions = new Permissions([{ pattern: "/open/**", read: ["anonymous"] }], {
    anonymousRead: false,
    anonymousPublish: false,
  });
  const responder = new RtspResponder({
    catalogue: new StaticCatalogue([]),
    auth: { authenticator, permissions },
    authFailures: hooks,
    now: () => 1_000_000,
  });
  const conn: ConnectionInfo = { id: 1, remoteAddress: ADDRESS, localAddress: "127.0.0.1" };
  async function describe(path: string, authorization?: string): Promise<number> {
    const framer = new MessageFramer();
    framer.push(enc.encode(
      `DESCRIBE rtsp://h${path} RTSP/1.0\r\nCSeq: 1\r\n${
        authorization === undefined ? "" : `Authorization: ${authorization}\r\n`
      }\r\n`,
    ));
    const frame = framer.next();
    if (frame?.kind !== "request") throw new Error("not a request");
    const { response } = await responder.respond(frame.request, conn);
    return response.status;
  }
  return { calls, describe };
}

const basic = (user: string, password: string) => `Basic ${btoa(`${user}:${password}`)}`;
const digest = (user: string) =>
  `Digest username="${user}", realm="rtsp.ts", nonce="n", uri="rtsp://h/x", response="${
    "0".repeat(32)
  }"`;

Deno.test("responder: failed-login hooks get the address and the claimed user name", async () => {
  const cases: ReadonlyArray<[string, string | undefined, number, string[]]> = [
    // No credentials: how every client starts; not a failure, and no lockout to check.
    ["/x", undefined, 401, []],
    ["/x", basic("alice", "nope"), 401, [`lockedOut ${ADDRESS} alice`, `failed ${ADDRESS} alice`]],
    ["/x", basic("alice", "pw"), 404, [`lockedOut ${ADDRESS} alice`, `succeeded ${ADDRESS} alice`]],
    // An unknown user counts under the name it claimed, with Basic and with Digest.
    ["/x", basic("mallory", "x"), 401, [
      `lockedOut ${ADDRESS} mallory`,
      `failed ${ADDRESS} mallory`,
    ]],
    ["/x", digest("eve"), 401, [`lockedOut ${ADDRESS} eve`, `failed ${ADDRESS} eve`]],
    // A path anyone may read: the credentials are not looked at, nothing counts.
    ["/open/a", basic("alice", "nope"), 404, [`lockedOut ${ADDRESS} alice`]],
  ];
  for (const [path, authorization, status, expected] of cases) {
    const { calls, describe } = harness();
    assert.equal(await describe(path, authorization), status, `${path} ${authorization}`);
    assert.deepEqual(calls, expected, `${path} ${authorization}`);
  }
});

Deno.test("responder: a locked-out (address, user) gets 403 without verifying; other users go on", async () => {
  const { calls, describe } = harness(new Set(["alice"]));
  assert.equal(await describe("/x", basic("alice", "pw")), 403);
  assert.deepEqual(calls.splice(0), [`lockedOut ${ADDRESS} alice`]);
  assert.equal(await describe("/x", basic("bob", "x")), 401);
  assert.deepEqual(calls.splice(0), [`lockedOut ${ADDRESS} bob`, `failed ${ADDRESS} bob`]);
});
