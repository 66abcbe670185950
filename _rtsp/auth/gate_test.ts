import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Authenticator } from "./authenticator.ts";
import { hashPasswordForConfig, UserStore } from "./credentials.ts";
import { actionForMethod, authorizeRequest, type GateRequest } from "./gate.ts";
import { pbkdf2Sha256 } from "./pbkdf2.ts";
import { Permissions } from "./permissions.ts";

function setup() {
  const clock = { t: 5_000_000 };
  let n = 1;
  const authenticator = new Authenticator({
    realm: "rtsp.ts",
    users: new UserStore(
      [{ name: "alice", password: "pw" }, { name: "bob", password: "pw2" }],
      "rtsp.ts",
    ),
    schemes: ["digest-md5", "basic"],
    now: () => clock.t,
    random: (size) => Uint8Array.from({ length: size }, () => (n = (n * 75 + 74) % 65537) & 0xff),
  });
  const permissions = new Permissions([
    { pattern: "/public/**", read: ["anonymous"] },
    { pattern: "/alice/**", read: ["alice"], publish: ["alice"] },
    { pattern: "/closed", read: [] },
  ], { anonymousRead: false, anonymousPublish: false });
  return { clock, auth: { authenticator, permissions } };
}

const md5 = (s: string) => createHash("md5").update(s).digest("hex");

/** A live555-style Digest header for a challenge. */
function digestFor(
  challenge: string,
  user: string,
  password: string,
  method: string,
  uri: string,
): string {
  const nonce = /nonce="([^"]+)"/.exec(challenge)![1];
  const response = md5(`${md5(`${user}:rtsp.ts:${password}`)}:${nonce}:${md5(`${method}:${uri}`)}`);
  return `Digest username="${user}", realm="rtsp.ts", nonce="${nonce}", uri="${uri}", response="${response}"`;
}

function request(path: string, authorization?: string, method = "DESCRIBE"): GateRequest {
  return {
    method,
    uri: `rtsp://h${path}`,
    path,
    authorization,
    action: actionForMethod(method) ?? "read",
  };
}

Deno.test("authorizeRequest(): 401 with challenges, then allow, 403 for another user, 400 for garbage", () => {
  const { auth } = setup();
  const first = authorizeRequest(auth, request("/alice/cam"));
  assert.ok(first.verdict === "unauthorized", `verdict ${first.verdict}`);
  assert.equal(first.status, 401);
  assert.equal(first.reason, undefined);
  assert.equal(first.wwwAuthenticate.length, 2);
  assert.equal(first.wwwAuthenticate[1], 'Basic realm="rtsp.ts"');

  const challenge = first.wwwAuthenticate[0];
  const good = digestFor(challenge, "alice", "pw", "DESCRIBE", "rtsp://h/alice/cam");
  assert.deepEqual(authorizeRequest(auth, request("/alice/cam", good)), {
    verdict: "allow",
    user: "alice",
  });

  const bob = digestFor(challenge, "bob", "pw2", "DESCRIBE", "rtsp://h/alice/cam");
  assert.deepEqual(authorizeRequest(auth, request("/alice/cam", bob)), {
    verdict: "forbidden",
    status: 403,
    user: "bob",
  });

  const wrong = digestFor(challenge, "alice", "nope", "DESCRIBE", "rtsp://h/alice/cam");
  const denied = authorizeRequest(auth, request("/alice/cam", wrong));
  assert.equal(denied.verdict === "unauthorized" && denied.reason, "bad-password");

  const garbage = authorizeRequest(auth, request("/alice/cam", 'Digest username="alice'));
  assert.equal(garbage.verdict, "bad-request");
  assert.equal(garbage.verdict === "bad-request" && garbage.status, 400);
});

Deno.test("authorizeRequest(): a stale nonce gets stale=true challenges", () => {
  const { auth, clock } = setup();
  const first = authorizeRequest(auth, request("/alice/x"));
  assert.ok(first.verdict === "unauthorized");
  const header = digestFor(first.wwwAuthenticate[0], "alice", "pw", "DESCRIBE", "rtsp://h/alice/x");
  clock.t += 10 * 60_000;
  const stale = authorizeRequest(auth, request("/alice/x", header));
  assert.ok(stale.verdict === "unauthorized");
  assert.equal(stale.reason, "stale");
  assert.match(stale.wwwAuthenticate[0], /^Digest realm="rtsp\.ts", nonce="[^"]+", stale=true, /);
});

Deno.test("authorizeRequest(): anonymous paths ignore credentials; closed paths are 403 for all", () => {
  const { auth } = setup();
  assert.deepEqual(authorizeRequest(auth, request("/public/a")), {
    verdict: "allow",
    user: undefined,
  });
  assert.deepEqual(authorizeRequest(auth, request("/public/a", "Basic Zm9vOmJhcg==")), {
    verdict: "allow",
    user: undefined,
  });
  assert.deepEqual(authorizeRequest(auth, request("/closed")), {
    verdict: "forbidden",
    status: 403,
    user: undefined,
  });
  // Nobody may: the credentials are not even checked.
  assert.deepEqual(authorizeRequest(auth, request("/closed", `Basic ${btoa("alice:pw")}`)), {
    verdict: "forbidden",
    status: 403,
    user: undefined,
  });
  // Basic works because it is offered here.
  assert.deepEqual(
    authorizeRequest(auth, request("/alice/x", `Basic ${btoa("alice:pw")}`, "ANNOUNCE")),
    {
      verdict: "allow",
      user: "alice",
    },
  );
});

Deno.test("actionForMethod() maps RTSP methods to actions", () => {
  const cases: ReadonlyArray<[string, string | undefined]> = [
    ["OPTIONS", undefined],
    ["DESCRIBE", "read"],
    ["SETUP", "read"],
    ["PLAY", "read"],
    ["PAUSE", "read"],
    ["GET_PARAMETER", "read"],
    ["TEARDOWN", "read"],
    ["ANNOUNCE", "publish"],
    ["RECORD", "publish"],
  ];
  for (const [method, action] of cases) assert.equal(actionForMethod(method), action, method);
});

/** A gate whose Basic users are stored as PBKDF2 hashes, with a counting PBKDF2. */
function pbkdf2Setup(slowHashesPerSecond?: number) {
  const clock = { t: 5_000_000 };
  const hashes = { count: 0 };
  const users = new UserStore(
    [{ name: "alice", basic: hashPasswordForConfig("pw", new Uint8Array(16).fill(7), 100) }],
    "rtsp.ts",
    {
      pbkdf2: (password, salt, iterations, length) => {
        hashes.count++;
        return pbkdf2Sha256(password, salt, iterations, length);
      },
    },
  );
  const authenticator = new Authenticator({
    realm: "rtsp.ts",
    users,
    schemes: ["basic"],
    now: () => clock.t,
    random: (size) => new Uint8Array(size).fill(3),
    slowHashesPerSecond,
  });
  const permissions = new Permissions([
    { pattern: "/public/**", read: ["anonymous"] },
    { pattern: "/closed", read: [] },
  ], { anonymousRead: false, anonymousPublish: false });
  return { clock, hashes, auth: { authenticator, permissions } };
}

Deno.test("authorizeRequest(): credentials on a path anyone may read, or nobody may, are not verified", () => {
  const { hashes, auth } = pbkdf2Setup();
  const wrong = `Basic ${btoa("alice:wrong")}`;
  for (const header of [wrong, `Basic ${btoa("alice:pw")}`, `Basic ${btoa("nobody:x")}`]) {
    assert.deepEqual(authorizeRequest(auth, request("/public/a", header)), {
      verdict: "allow",
      user: undefined,
    });
    assert.deepEqual(authorizeRequest(auth, request("/closed", header)), {
      verdict: "forbidden",
      status: 403,
      user: undefined,
    });
  }
  assert.equal(hashes.count, 0, "no PBKDF2 where the answer does not depend on the user");
  // Where credentials are needed they are verified: one PBKDF2 each.
  const denied = authorizeRequest(auth, request("/private", wrong));
  assert.equal(denied.verdict === "unauthorized" && denied.reason, "bad-password");
  assert.equal(hashes.count, 1);
});

Deno.test("authorizeRequest(): past a client's PBKDF2 budget nothing is hashed (503); other clients are verified", () => {
  const perSecond = 2;
  const { clock, hashes, auth } = pbkdf2Setup(perSecond);
  const guess = (client: string, i: number) =>
    authorizeRequest(auth, { ...request("/private", `Basic ${btoa(`alice:guess${i}`)}`), client });
  const verdicts: string[] = [];
  for (let i = 0; i < 10; i++) verdicts.push(guess("10.0.0.1", i).verdict);
  // The burst is twice the rate: four guesses are hashed, then none.
  assert.equal(hashes.count, 2 * perSecond);
  assert.deepEqual(verdicts, [
    ...Array(2 * perSecond).fill("unauthorized"),
    ...Array(10 - 2 * perSecond).fill("unavailable"),
  ]);
  const busy = guess("10.0.0.1", 99);
  assert.deepEqual(busy, { verdict: "unavailable", status: 503 });
  // Another address has its own budget.
  const other = guess("10.0.0.2", 0);
  assert.equal(other.verdict === "unauthorized" && other.reason, "bad-password");
  assert.equal(hashes.count, 2 * perSecond + 1);
  // The budget refills with time: one second gives `perSecond` more hashes.
  clock.t += 1000;
  for (let i = 0; i < 5; i++) guess("10.0.0.1", 100 + i);
  assert.equal(hashes.count, 3 * perSecond + 1);
  // A password verified once is cached: the right one still passes while the budget is spent.
  clock.t += 1000;
  assert.equal(
    authorizeRequest(auth, {
      ...request("/private", `Basic ${btoa("alice:pw")}`),
      client: "10.0.0.1",
    })
      .verdict,
    "allow",
  );
  for (let i = 0; i < 5; i++) guess("10.0.0.1", 200 + i);
  assert.equal(
    authorizeRequest(auth, {
      ...request("/private", `Basic ${btoa("alice:pw")}`),
      client: "10.0.0.1",
    })
      .verdict,
    "allow",
  );
});
