import assert from "node:assert/strict";
import { md5Hex } from "../auth/md5.ts";
import { sha256Hex } from "../auth/sha256.ts";
import { parseChallenges } from "./challenge.ts";
import { ClientAuthenticator } from "./client_auth.ts";

/** cnonce bytes 0xab...: hex "abab...". */
const fixedBytes = (n: number) => new Uint8Array(n).fill(0xab);
const CNONCE = "ab".repeat(16);
const ALICE = { user: "alice", password: "wonderland" };

Deno.test("parseChallenges() splits joined WWW-Authenticate fields into challenges", () => {
  const challenges = parseChallenges(
    'Digest realm="r, x", nonce="n1", algorithm=SHA-256, qop="auth,auth-int", ' +
      'Digest realm="r", nonce="n2", Basic realm="b"',
  );
  assert.deepEqual(
    challenges.map((c) => [c.scheme, Object.fromEntries(c.params)]),
    [
      ["digest", { realm: "r, x", nonce: "n1", algorithm: "SHA-256", qop: "auth,auth-int" }],
      ["digest", { realm: "r", nonce: "n2" }],
      ["basic", { realm: "b" }],
    ],
  );
  assert.deepEqual(parseChallenges('Digest realm="unterminated'), []);
  assert.deepEqual(parseChallenges(""), []);
});

Deno.test("ClientAuthenticator answers Basic (RFC 7617)", () => {
  const auth = new ClientAuthenticator(ALICE, fixedBytes);
  assert.equal(auth.authorization("DESCRIBE", "rtsp://h/s"), undefined);
  assert.equal(auth.answer('Basic realm="cam"', undefined), undefined);
  assert.equal(auth.authorization("DESCRIBE", "rtsp://h/s"), `Basic ${btoa("alice:wonderland")}`);
  // The same challenge again, to credentials made from it: refused, not retried.
  assert.equal(auth.answer('Basic realm="cam"', auth.challengeKey), "refused");
});

Deno.test("ClientAuthenticator answers Digest MD5 with qop=auth (RFC 2617, 3.2.2)", () => {
  const auth = new ClientAuthenticator(ALICE, fixedBytes);
  assert.equal(
    auth.answer('Digest realm="r", nonce="abc", qop="auth", opaque="op"', undefined),
    undefined,
  );
  const ha1 = md5Hex("alice:r:wonderland");
  const ha2 = md5Hex("DESCRIBE:rtsp://h/s");
  const first = auth.authorization("DESCRIBE", "rtsp://h/s");
  assert.equal(
    first,
    `Digest username="alice", realm="r", nonce="abc", uri="rtsp://h/s", ` +
      `response="${md5Hex(`${ha1}:abc:00000001:${CNONCE}:auth:${ha2}`)}", opaque="op", ` +
      `qop=auth, nc=00000001, cnonce="${CNONCE}"`,
  );
  // The nonce count goes up per request (RFC 7616, 3.4).
  assert.match(auth.authorization("DESCRIBE", "rtsp://h/s")!, /nc=00000002/);
});

Deno.test("ClientAuthenticator answers Digest without qop in the RFC 2069 form cameras use", () => {
  const auth = new ClientAuthenticator(ALICE, fixedBytes);
  assert.equal(auth.answer('Digest realm="IP Camera", nonce="5f2b"', undefined), undefined);
  const ha1 = md5Hex("alice:IP Camera:wonderland");
  const ha2 = md5Hex("SETUP:rtsp://h/s/trackID=0");
  assert.equal(
    auth.authorization("SETUP", "rtsp://h/s/trackID=0"),
    `Digest username="alice", realm="IP Camera", nonce="5f2b", uri="rtsp://h/s/trackID=0", ` +
      `response="${md5Hex(`${ha1}:5f2b:${ha2}`)}"`,
  );
});

Deno.test("ClientAuthenticator prefers Digest SHA-256 over MD5 over Basic (RFC 7616, 3.7)", () => {
  const auth = new ClientAuthenticator(ALICE, fixedBytes);
  const header = 'Basic realm="r", Digest realm="r", nonce="m", algorithm=MD5, qop="auth", ' +
    'Digest realm="r", nonce="s", algorithm=SHA-256, qop="auth"';
  assert.equal(auth.answer(header, undefined), undefined);
  const ha1 = sha256Hex("alice:r:wonderland");
  const ha2 = sha256Hex("PLAY:rtsp://h/s");
  assert.equal(
    auth.authorization("PLAY", "rtsp://h/s"),
    `Digest username="alice", realm="r", nonce="s", uri="rtsp://h/s", ` +
      `response="${sha256Hex(`${ha1}:s:00000001:${CNONCE}:auth:${ha2}`)}", algorithm=SHA-256, ` +
      `qop=auth, nc=00000001, cnonce="${CNONCE}"`,
  );
});

Deno.test("ClientAuthenticator retries a new nonce or stale=true, refuses the same challenge", () => {
  const auth = new ClientAuthenticator(ALICE, fixedBytes);
  assert.equal(auth.answer('Digest realm="r", nonce="1"', undefined), undefined);
  const sent = auth.challengeKey;
  assert.equal(auth.answer('Digest realm="r", nonce="1"', sent), "refused");
  assert.equal(auth.answer('Digest realm="r", nonce="1", stale=true', sent), undefined);
  assert.equal(auth.answer('Digest realm="r", nonce="2"', sent), undefined);
  assert.match(auth.authorization("OPTIONS", "*")!, /nonce="2"/);
});

Deno.test("ClientAuthenticator says why it cannot answer", () => {
  assert.equal(
    new ClientAuthenticator(undefined, fixedBytes).answer('Basic realm="r"', undefined),
    "no-credentials",
  );
  const auth = new ClientAuthenticator(ALICE, fixedBytes);
  for (
    const header of [
      "",
      'Bearer realm="r"',
      'Digest realm="r", nonce="n", algorithm=MD5-sess',
      'Digest realm="r", nonce="n", qop="auth-int"',
      'Digest realm="r"',
    ]
  ) {
    assert.equal(auth.answer(header, undefined), "unsupported", header);
  }
});

Deno.test("ClientAuthenticator escapes quotes in the user name", () => {
  const auth = new ClientAuthenticator({ user: 'a"b\\c', password: "p" }, fixedBytes);
  auth.answer('Digest realm="r", nonce="n"', undefined);
  assert.match(auth.authorization("OPTIONS", "*")!, /^Digest username="a\\"b\\\\c"/);
});
