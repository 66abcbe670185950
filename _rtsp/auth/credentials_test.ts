import assert from "node:assert/strict";
import { pbkdf2Sync } from "node:crypto";
import {
  DEFAULT_PBKDF2_ITERATIONS,
  digestHa1,
  hashPasswordForConfig,
  parsePbkdf2Hash,
  parseStoredHa1,
  UserStore,
} from "./credentials.ts";
import { toBase64 } from "./encoding.ts";
import { pbkdf2Sha256 } from "./pbkdf2.ts";

const REALM = "rtsp.ts";
const SALT = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);

Deno.test("hashPasswordForConfig() writes pbkdf2-sha256$iterations$salt$hash that node:crypto agrees with", () => {
  const text = hashPasswordForConfig("s3cret", SALT, 1000);
  const expected = pbkdf2Sync("s3cret", SALT, 1000, 32, "sha256");
  assert.equal(text, `pbkdf2-sha256$1000$${toBase64(SALT)}$${expected.toString("base64")}`);
  const parsed = parsePbkdf2Hash(text);
  assert.equal(parsed?.iterations, 1000);
  assert.deepEqual(parsed?.salt, SALT);
  assert.ok(
    hashPasswordForConfig("x", SALT).startsWith(`pbkdf2-sha256$${DEFAULT_PBKDF2_ITERATIONS}$`),
  );
  assert.throws(() => hashPasswordForConfig("x", new Uint8Array(4)), RangeError);
});

Deno.test("parsePbkdf2Hash() refuses malformed strings", () => {
  const good = hashPasswordForConfig("p", SALT, 10);
  const [, , salt, hash] = good.split("$");
  const bad = [
    "",
    "pbkdf2-sha256",
    `pbkdf2-sha1$10$${salt}$${hash}`,
    `pbkdf2-sha256$0$${salt}$${hash}`,
    `pbkdf2-sha256$010$${salt}$${hash}`,
    `pbkdf2-sha256$99999999$${salt}$${hash}`,
    `pbkdf2-sha256$ten$${salt}$${hash}`,
    `pbkdf2-sha256$10$!!$${hash}`,
    `pbkdf2-sha256$10$AAAA$${hash}`, // salt of 3 bytes
    `pbkdf2-sha256$10$${salt}$AAAA`, // hash of 3 bytes
    `pbkdf2-sha256$10$${salt}$${hash}$extra`,
  ];
  for (const text of bad) assert.equal(parsePbkdf2Hash(text), undefined, text);
  assert.notEqual(parsePbkdf2Hash(good), undefined);
});

Deno.test("parseStoredHa1() accepts bare or prefixed hex of the right length", () => {
  const md5 = digestHa1("alice", REALM, "pw", "MD5");
  const sha = digestHa1("alice", REALM, "pw", "SHA-256");
  assert.equal(parseStoredHa1(md5, "MD5"), md5);
  assert.equal(parseStoredHa1(`md5:${md5.toUpperCase()}`, "MD5"), md5);
  assert.equal(parseStoredHa1(`sha256:${sha}`, "SHA-256"), sha);
  assert.equal(parseStoredHa1(sha, "MD5"), undefined);
  assert.equal(parseStoredHa1(`sha256:${md5}`, "MD5"), undefined);
  assert.equal(parseStoredHa1("zz".repeat(16), "MD5"), undefined);
});

Deno.test("UserStore: a plain password works with every scheme, hashes only with theirs", () => {
  const store = new UserStore([
    { name: "alice", password: "wonderland" },
    { name: "bob", ha1: { md5: `md5:${digestHa1("bob", REALM, "builder", "MD5")}` } },
    { name: "carol", ha1: { sha256: digestHa1("carol", REALM, "c", "SHA-256") } },
    { name: "dave", basic: hashPasswordForConfig("d4ve", SALT, 50) },
  ], REALM);
  assert.equal(store.size, 4);
  assert.deepEqual(store.credentialsOf("alice"), { basic: true, md5: true, sha256: true });
  assert.deepEqual(store.credentialsOf("bob"), { basic: false, md5: true, sha256: false });
  assert.deepEqual(store.credentialsOf("carol"), { basic: false, md5: false, sha256: true });
  assert.deepEqual(store.credentialsOf("dave"), { basic: true, md5: false, sha256: false });
  assert.deepEqual(store.credentialsOf("nobody"), { basic: false, md5: false, sha256: false });

  assert.equal(store.digestHa1("alice", "MD5"), digestHa1("alice", REALM, "wonderland", "MD5"));
  assert.equal(
    store.digestHa1("alice", "SHA-256"),
    digestHa1("alice", REALM, "wonderland", "SHA-256"),
  );
  assert.equal(store.digestHa1("bob", "MD5"), digestHa1("bob", REALM, "builder", "MD5"));
  assert.equal(store.digestHa1("bob", "SHA-256"), undefined);
  assert.equal(store.digestHa1("Alice", "MD5"), undefined, "names are case-sensitive");

  const basic: ReadonlyArray<[string, string, string]> = [
    ["alice", "wonderland", "ok"],
    ["alice", "Wonderland", "bad-password"],
    ["alice", "", "bad-password"],
    ["dave", "d4ve", "ok"],
    ["dave", "d4ve", "ok"], // second time from the cache
    ["dave", "dave", "bad-password"],
    ["bob", "builder", "no-credential"],
    ["nobody", "x", "unknown-user"],
    ["ALICE", "wonderland", "unknown-user"],
  ];
  for (const [name, password, verdict] of basic) {
    assert.equal(store.verifyBasic(name, password), verdict, `${name}:${password}`);
  }
});

Deno.test("UserStore refuses unusable records", () => {
  assert.throws(() =>
    new UserStore([{ name: "a", password: "x" }, { name: "a", password: "y" }], REALM)
  );
  assert.throws(() => new UserStore([{ name: "a" }], REALM));
  assert.throws(() => new UserStore([{ name: "a", ha1: { md5: "nothex" } }], REALM));
  assert.throws(() => new UserStore([{ name: "a", basic: "pbkdf2-sha256$x" }], REALM));
});

Deno.test("UserStore caches successful PBKDF2 checks, bounded, keyed by the stored hash", () => {
  // Counts PBKDF2 runs (the real function, spied on) rather than timing them.
  let runs = 0;
  const store = new UserStore(
    ["dave", "erin", "fay"].map((name) => ({
      name,
      basic: hashPasswordForConfig("pw", SALT, 1000),
    })),
    REALM,
    {
      basicCacheEntries: 2,
      pbkdf2: (...args) => {
        runs++;
        return pbkdf2Sha256(...args);
      },
    },
  );
  const ran = (f: () => void) => {
    const before = runs;
    f();
    return runs - before;
  };
  assert.equal(ran(() => assert.equal(store.verifyBasic("dave", "pw"), "ok")), 1);
  assert.equal(ran(() => assert.equal(store.verifyBasic("dave", "pw"), "ok")), 0, "cached");
  // A wrong password is never cached as good.
  assert.equal(ran(() => assert.equal(store.verifyBasic("dave", "px"), "bad-password")), 1);
  assert.equal(ran(() => assert.equal(store.verifyBasic("dave", "px"), "bad-password")), 1);
  // Two entries: a third success evicts the least recently used (dave).
  assert.equal(ran(() => assert.equal(store.verifyBasic("erin", "pw"), "ok")), 1);
  assert.equal(ran(() => assert.equal(store.verifyBasic("fay", "pw"), "ok")), 1);
  assert.equal(ran(() => assert.equal(store.verifyBasic("fay", "pw"), "ok")), 0);
  assert.equal(ran(() => assert.equal(store.verifyBasic("dave", "pw"), "ok")), 1, "evicted");
});
