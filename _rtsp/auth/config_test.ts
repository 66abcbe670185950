import assert from "node:assert/strict";
import { createAuth, DEFAULT_REALM, hasAdminRight, validateAuthConfig } from "./config.ts";
import { digestHa1, hashPasswordForConfig } from "./credentials.ts";

const HA1_MD5 = digestHa1("bob", "rtsp.ts", "pw", "MD5");
const HA1_SHA = digestHa1("bob", "rtsp.ts", "pw", "SHA-256");
const BASIC = hashPasswordForConfig("pw", new Uint8Array(16).fill(1), 10);

const GOOD = {
  realm: "rtsp.ts",
  users: [
    { name: "alice", password: "wonderland" },
    { name: "bob", ha1: { md5: HA1_MD5, sha256: `sha256:${HA1_SHA}` }, basic: BASIC },
  ],
  paths: [
    { pattern: "/public/**", read: ["anonymous"], publish: ["alice"] },
    { pattern: "/cam/*", read: ["*any*", "bob"] },
  ],
  anonymous: { read: false, publish: false },
  schemes: ["digest-sha256", "digest-md5", "basic"],
  limits: { maxConnections: 100, anything: ["goes"] },
};

Deno.test("validateAuthConfig() accepts a full config and fills defaults for a minimal one", () => {
  const full = validateAuthConfig(GOOD);
  assert.ok(full.ok, JSON.stringify(!full.ok && full.errors));
  assert.equal(full.config.realm, "rtsp.ts");
  assert.equal(full.config.users.length, 2);
  assert.deepEqual(full.config.schemes, ["digest-sha256", "digest-md5", "basic"]);
  assert.ok(!("limits" in full.config), "limits is ignored here");

  const minimal = validateAuthConfig({});
  assert.deepEqual(minimal, {
    ok: true,
    config: {
      realm: DEFAULT_REALM,
      users: [],
      paths: [],
      anonymous: { read: false, publish: false },
      schemes: ["digest-sha256", "digest-md5"],
    },
  });
});

Deno.test("validateAuthConfig() names the field in every error", () => {
  const user = (u: unknown) => ({
    users: [{ name: "ok", password: "x" }, { name: "ok2", password: "y" }, u],
  });
  const cases: ReadonlyArray<[unknown, string[]]> = [
    [null, ["config: must be an object"]],
    [[], ["config: must be an object"]],
    ["x", ["config: must be an object"]],
    [{ realm: 'a"b' }, [
      'realm: must be a string of 1 to 128 characters without ", \\ or control characters',
    ]],
    [{ realm: 7 }, [
      'realm: must be a string of 1 to 128 characters without ", \\ or control characters',
    ]],
    [{ relm: "x" }, ["relm: unknown field"]],
    [{ users: {} }, ["users: must be an array"]],
    [user({ password: "x" }), ["users[2].name: missing"]],
    [user({ name: "", password: "x" }), ["users[2].name: must be a non-empty string"]],
    [user({ name: 5, password: "x" }), ["users[2].name: must be a non-empty string"]],
    [user({ name: "a:b", password: "x" }), ['users[2].name: must not contain ":" (RFC 7617, 2)']],
    [user({ name: "anonymous", password: "x" }), [
      'users[2].name: "anonymous" is reserved for path rules',
    ]],
    [user({ name: "*any*", password: "x" }), ['users[2].name: "*any*" is reserved for path rules']],
    [user({ name: "ok", password: "z" }), ["users[2].name: duplicate ok"]],
    [user({ name: "c" }), ["users[2]: needs password, ha1 or basic"]],
    [user({ name: "c", password: "" }), ["users[2].password: must be a non-empty string"]],
    [user({ name: "c", pasword: "x" }), [
      "users[2].pasword: unknown field",
      "users[2]: needs password, ha1 or basic",
    ]],
    [
      user({ name: "c", password: "x", ha1: { md5: HA1_MD5 } }),
      ["users[2]: give either password or ha1/basic hashes, not both"],
    ],
    [user({ name: "c", ha1: { md5: "abc" } }), [
      "users[2].ha1.md5: must be 32 hex digits, MD5(user:realm:password)",
    ]],
    [
      user({ name: "c", ha1: { sha256: HA1_MD5 } }),
      ["users[2].ha1.sha256: must be 64 hex digits, SHA-256(user:realm:password)"],
    ],
    [user({ name: "c", ha1: {} }), ["users[2].ha1: needs md5 and/or sha256"]],
    [user({ name: "c", ha1: "x" }), ["users[2].ha1: must be an object with md5 and/or sha256"]],
    [user({ name: "c", ha1: { sha1: "x" } }), [
      "users[2].ha1.sha1: unknown field",
      "users[2].ha1: needs md5 and/or sha256",
    ]],
    [user({ name: "c", basic: "bcrypt$x" }), [
      "users[2].basic: must be pbkdf2-sha256$iterations$saltBase64$hashBase64",
    ]],
    [
      { ...user({ name: "c", basic: BASIC }), schemes: ["digest-md5"] },
      ["users[2]: no credential usable with the offered schemes (digest-md5)"],
    ],
    [{ schemes: [] }, ["schemes: must be a non-empty array of basic, digest-md5, digest-sha256"]],
    [{ schemes: "basic" }, [
      "schemes: must be a non-empty array of basic, digest-md5, digest-sha256",
    ]],
    [{ schemes: ["digest"] }, ["schemes[0]: must be one of basic, digest-md5, digest-sha256"]],
    [{ schemes: ["basic", "basic"] }, ["schemes[1]: duplicate basic"]],
    [{ paths: {} }, ["paths: must be an array"]],
    [{ paths: [{ read: [] }] }, ["paths[0].pattern: missing"]],
    [{ paths: [{ pattern: "cam", read: [] }] }, [
      "paths[0].pattern: must start with / (or be * or **)",
    ]],
    [{ paths: [{ pattern: "/a/**b", read: [] }] }, [
      "paths[0].pattern: ** must be a whole segment",
    ]],
    [{ paths: [{ pattern: "/a" }] }, ["paths[0]: needs read and/or publish"]],
    [{ paths: [{ pattern: "/a", read: "alice" }] }, [
      'paths[0].read: must be an array of user names, "*any*" or "anonymous"',
    ]],
    [{ paths: [{ pattern: "/a", publish: ["mallory"] }] }, [
      "paths[0].publish[0]: unknown user mallory",
    ]],
    [{ paths: [{ pattern: "/a", read: [1] }] }, ["paths[0].read[0]: must be a string"]],
    [{ paths: [{ pattern: "/a", read: [], write: [] }] }, ["paths[0].write: unknown field"]],
    [{ anonymous: true }, ["anonymous: must be an object"]],
    [{ anonymous: { read: "yes" } }, ["anonymous.read: must be true or false"]],
    [{ anonymous: { write: true } }, ["anonymous.write: unknown field"]],
  ];
  for (const [json, errors] of cases) {
    const result = validateAuthConfig(json);
    assert.deepEqual(result, { ok: false, errors }, JSON.stringify(json));
  }
});

Deno.test("validateAuthConfig() reports every error at once", () => {
  const result = validateAuthConfig({
    realm: "",
    users: [{}, { name: "x" }],
    anonymous: { read: 1 },
  });
  assert.deepEqual(result, {
    ok: false,
    errors: [
      'realm: must be a string of 1 to 128 characters without ", \\ or control characters',
      "users[0].name: missing",
      "users[0]: needs password, ha1 or basic",
      "users[1]: needs password, ha1 or basic",
      "anonymous.read: must be true or false",
    ],
  });
});

Deno.test("createAuth() builds a working authenticator and permissions from a config", () => {
  const result = validateAuthConfig(GOOD);
  assert.ok(result.ok);
  let n = 0;
  const { authenticator, permissions } = createAuth(result.config, {
    now: () => 1_000_000,
    random: (size) => Uint8Array.from({ length: size }, () => n++ & 0xff),
  });
  assert.equal(authenticator.realm, "rtsp.ts");
  assert.deepEqual(authenticator.schemes, ["digest-sha256", "digest-md5", "basic"]);
  assert.deepEqual(authenticator.check("DESCRIBE", `Basic ${btoa("bob:pw")}`), {
    ok: true,
    user: "bob",
    scheme: "basic",
  });
  assert.equal(permissions.decide("read", "/public/x", undefined), "allow");
  assert.equal(permissions.decide("publish", "/public/x", "bob"), "deny");
});

Deno.test("validateAuthConfig() checks the admin list like a rule's lists, without anonymous", () => {
  const users = [{ name: "alice", password: "a" }, { name: "bob", password: "b" }];
  const ok = validateAuthConfig({ users, admin: ["alice"] });
  assert.ok(ok.ok);
  assert.ok(hasAdminRight(ok.config, "alice"));
  assert.ok(!hasAdminRight(ok.config, "bob"));
  assert.ok(!hasAdminRight(ok.config, undefined));
  const any = validateAuthConfig({ users, admin: ["*any*"] });
  assert.ok(any.ok && hasAdminRight(any.config, "bob") && !hasAdminRight(any.config, undefined));
  const none = validateAuthConfig({ users });
  assert.ok(none.ok && !hasAdminRight(none.config, "alice"));
  for (
    const [admin, error] of [
      ["alice", `admin: must be an array of user names or "*any*"`],
      [[3], "admin[0]: must be a string"],
      [["carol"], "admin[0]: unknown user carol"],
      [["anonymous"], `admin[0]: "anonymous" cannot be an admin: the admin right needs a login`],
    ] as const
  ) {
    const result = validateAuthConfig({ users, admin });
    assert.ok(!result.ok);
    assert.deepEqual(result.errors, [error]);
  }
});
