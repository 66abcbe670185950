import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  Authenticator,
  type AuthenticatorOptions,
  type AuthFailure,
  type AuthResult,
  type AuthScheme,
  DEFAULT_NONCE_LIFETIME_MS,
} from "./authenticator.ts";
import { digestHa1, hashPasswordForConfig, type UserRecord, UserStore } from "./credentials.ts";

const REALM = "rtsp.ts";

function seeded(seed: number): (n: number) => Uint8Array {
  let s = seed >>> 0 || 1;
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      out[i] = s & 0xff;
    }
    return out;
  };
}

const USERS: UserRecord[] = [
  { name: "admin", password: "s3cret" },
  { name: "Aladdin", password: "open sesame" },
  { name: "md5only", ha1: { md5: digestHa1("md5only", REALM, "pw", "MD5") } },
  { name: "shaonly", ha1: { sha256: `sha256:${digestHa1("shaonly", REALM, "pw", "SHA-256")}` } },
  { name: "basiconly", basic: hashPasswordForConfig("pw", new Uint8Array(16).fill(9), 100) },
];

function setup(options: Partial<AuthenticatorOptions> = {}, users = USERS, realm = REALM) {
  const clock = { t: 1_700_000_000_000 };
  const auth = new Authenticator({
    realm,
    users: new UserStore(users, realm),
    now: () => clock.t,
    random: seeded(42),
    ...options,
  });
  return { clock, auth };
}

/** A client's H(): node:crypto, independent of the code under test. */
function h(algorithm: "MD5" | "SHA-256", text: string): string {
  return createHash(algorithm === "MD5" ? "md5" : "sha256").update(text).digest("hex");
}

interface ClientRequest {
  algorithm?: "MD5" | "SHA-256";
  user: string;
  password: string;
  realm?: string;
  nonce: string;
  method: string;
  uri: string;
  /** With qop=auth when set. */
  nc?: number;
  cnonce?: string;
}

function clientResponse(r: ClientRequest): string {
  const algorithm = r.algorithm ?? "MD5";
  const ha1 = h(algorithm, `${r.user}:${r.realm ?? REALM}:${r.password}`);
  const ha2 = h(algorithm, `${r.method}:${r.uri}`);
  if (r.nc === undefined) return h(algorithm, `${ha1}:${r.nonce}:${ha2}`);
  const nc = r.nc.toString(16).padStart(8, "0");
  return h(algorithm, `${ha1}:${r.nonce}:${nc}:${r.cnonce ?? "0a4f113b"}:auth:${ha2}`);
}

/** As libavformat/httpauth.c writes it: quoted algorithm and qop, bare nc, last. */
function ffmpegHeader(request: ClientRequest): string {
  const r = { nc: 1, cnonce: "6b8b4567327b23c6", ...request };
  const nc = r.nc.toString(16).padStart(8, "0");
  return `Digest username="${r.user}", realm="${r.realm ?? REALM}", nonce="${r.nonce}", ` +
    `uri="${r.uri}", response="${clientResponse(r)}", ` +
    `algorithm="${r.algorithm ?? "MD5"}", qop="auth", cnonce="${r.cnonce}", nc=${nc}`;
}

/** As live555 (openRTSP, VLC) writes it: no qop, no algorithm. */
function live555Header(r: ClientRequest): string {
  return `Digest username="${r.user}", realm="${r.realm ?? REALM}", nonce="${r.nonce}", ` +
    `uri="${r.uri}", response="${clientResponse({ ...r, nc: undefined })}"`;
}

/** An RFC 7616 client (as newer GStreamer rtspsrc and browsers write): bare tokens, SHA-256. */
function rfc7616Header(request: ClientRequest): string {
  const r = {
    algorithm: "SHA-256" as const,
    nc: 1,
    cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv",
    ...request,
  };
  const nc = r.nc.toString(16).padStart(8, "0");
  return `Digest username="${r.user}",\trealm="${r.realm ?? REALM}", uri="${r.uri}", ` +
    `algorithm=${r.algorithm}, nonce="${r.nonce}", nc=${nc}, ` +
    `cnonce="${r.cnonce}", qop=auth, response="${clientResponse(r)}"`;
}

/** The nonce as live555 reads it from a challenge (sscanf `Digest realm="%[^"]", nonce="%[^"]"`). */
function nonceOf(challenge: string): string {
  const m = /^Digest realm="([^"]*)", nonce="([^"]*)"/.exec(challenge);
  assert.ok(m, challenge);
  return m[2];
}

function assertFails(result: AuthResult, reason: AuthFailure, what: string): void {
  assert.equal(result.ok, false, what);
  if (!result.ok) assert.equal(result.reason, reason, `${what}: ${result.detail}`);
}

Deno.test("challenges(): SHA-256 then MD5 by default, one nonce, in the form live555 and ffmpeg parse", () => {
  const { auth } = setup();
  const [sha, md5, ...rest] = auth.challenges();
  assert.deepEqual(rest, []);
  const nonce = nonceOf(sha);
  assert.equal(sha, `Digest realm="rtsp.ts", nonce="${nonce}", algorithm=SHA-256, qop="auth"`);
  assert.equal(md5, `Digest realm="rtsp.ts", nonce="${nonce}", algorithm=MD5, qop="auth"`);
  // stale=true right after the nonce: live555 reads it only there.
  const [staleSha, staleMd5] = auth.challenges(true);
  assert.match(
    staleSha,
    /^Digest realm="rtsp\.ts", nonce="[A-Za-z0-9_-]{43}", stale=true, algorithm=SHA-256, qop="auth"$/,
  );
  assert.match(
    staleMd5,
    /^Digest realm="rtsp\.ts", nonce="[A-Za-z0-9_-]{43}", stale=true, algorithm=MD5, qop="auth"$/,
  );
  assert.notEqual(nonceOf(staleSha), nonce, "a new nonce per 401");
});

Deno.test("challenges() follow the configured order and include Basic when offered", () => {
  const orders: ReadonlyArray<AuthScheme[]> = [
    ["basic"],
    ["digest-md5"],
    ["basic", "digest-sha256", "digest-md5"],
    ["digest-md5", "basic", "digest-md5"],
  ];
  for (const schemes of orders) {
    const { auth } = setup({ schemes });
    const got = auth.challenges().map((c) =>
      c.startsWith("Basic") ? "basic" : c.includes("algorithm=MD5") ? "digest-md5" : "digest-sha256"
    );
    assert.deepEqual(got, [...new Set(schemes)]);
    if (schemes.includes("basic")) assert.ok(auth.challenges().includes('Basic realm="rtsp.ts"'));
  }
});

Deno.test("an ffmpeg session (Digest MD5, qop=auth, nc counting up) passes; a replayed request does not", () => {
  const { auth } = setup();
  const nonce = nonceOf(auth.challenges()[1]);
  const base = "rtsp://127.0.0.1:554/cam/1";
  const requests: ReadonlyArray<[string, string]> = [
    ["DESCRIBE", base],
    ["SETUP", `${base}/trackID=0`],
    ["SETUP", `${base}/trackID=1`],
    ["PLAY", `${base}/`],
    ["GET_PARAMETER", `${base}/`],
    ["TEARDOWN", `${base}/`],
  ];
  const headers: string[] = [];
  requests.forEach(([method, uri], i) => {
    const header = ffmpegHeader({
      user: "admin",
      password: "s3cret",
      nonce,
      method,
      uri,
      nc: i + 1,
    });
    headers.push(header);
    assert.deepEqual(auth.check(method, header, uri), {
      ok: true,
      user: "admin",
      scheme: "digest-md5",
    }, method);
  });
  assertFails(auth.check("DESCRIBE", headers[0], base), "replay", "same nc again");
  assertFails(auth.check("PLAY", headers[3], `${base}/`), "replay", "older nc");
});

Deno.test("a live555/VLC session (Digest without qop, RFC 2069) passes with the same nonce throughout", () => {
  const { auth } = setup();
  const nonce = nonceOf(auth.challenges().at(-1)!);
  const base = "rtsp://cam.example:554/stream";
  for (
    const [method, uri] of [["OPTIONS", base], ["DESCRIBE", base], ["SETUP", `${base}/track1`], [
      "PLAY",
      base,
    ]]
  ) {
    const header = live555Header({ user: "admin", password: "s3cret", nonce, method, uri });
    assert.deepEqual(auth.check(method, header, uri), {
      ok: true,
      user: "admin",
      scheme: "digest-md5",
    });
    // Without nc there is no replay protection within the nonce lifetime (documented).
    assert.equal(auth.check(method, header, uri).ok, true);
  }
});

Deno.test("an RFC 7616 client using SHA-256 passes", () => {
  const { auth } = setup();
  const nonce = nonceOf(auth.challenges()[0]);
  for (let nc = 1; nc <= 3; nc++) {
    const header = rfc7616Header({
      algorithm: "SHA-256",
      user: "admin",
      password: "s3cret",
      nonce,
      method: "DESCRIBE",
      uri: "rtsp://localhost/x",
      nc,
    });
    assert.deepEqual(auth.check("DESCRIBE", header, "rtsp://localhost/x"), {
      ok: true,
      user: "admin",
      scheme: "digest-sha256",
    });
  }
});

Deno.test("Basic: the RFC 7617, 2 example passes when Basic is offered", () => {
  const header = "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==";
  const { auth } = setup({ schemes: ["basic", "digest-md5"] });
  assert.deepEqual(auth.check("DESCRIBE", header), { ok: true, user: "Aladdin", scheme: "basic" });
  assert.deepEqual(auth.check("DESCRIBE", `Basic ${btoa("basiconly:pw")}`), {
    ok: true,
    user: "basiconly",
    scheme: "basic",
  });
  assertFails(
    auth.check("DESCRIBE", `Basic ${btoa("Aladdin:open sesame!")}`),
    "bad-password",
    "wrong",
  );
  assertFails(
    auth.check("DESCRIBE", `Basic ${btoa("aladdin:open sesame")}`),
    "unknown-user",
    "case",
  );
  assertFails(
    auth.check("DESCRIBE", `Basic ${btoa("md5only:pw")}`),
    "bad-password",
    "no Basic credential",
  );
  assertFails(setup().auth.check("DESCRIBE", header), "scheme-not-offered", "default schemes");
});

Deno.test("RFC 7616, 3.9.1 and RFC 2617, 3.5 requests: the response verifies, the foreign nonce makes it stale", () => {
  const rfc7616 = (algorithm: string, response: string) =>
    `Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", ` +
    `algorithm=${algorithm}, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", nc=00000001, ` +
    `cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", qop=auth, response="${response}", ` +
    `opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`;
  const realm = "http-auth@example.org";
  const { auth } = setup({}, [{ name: "Mufasa", password: "Circle of Life" }], realm);
  const md5 = "8ca523f5e9506fed4657c9700eebdbec";
  const sha = "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1";
  // Correct response on a nonce this server did not issue: stale, so the client retries silently.
  assertFails(auth.check("GET", rfc7616("MD5", md5)), "stale", "RFC 7616 MD5");
  assertFails(auth.check("GET", rfc7616("SHA-256", sha)), "stale", "RFC 7616 SHA-256");
  assertFails(auth.check("GET", rfc7616("MD5", sha.slice(0, 32))), "bad-password", "wrong MD5");
  assertFails(auth.check("GET", rfc7616("SHA-256", md5 + md5)), "bad-password", "wrong SHA-256");
  assertFails(auth.check("POST", rfc7616("MD5", md5)), "bad-password", "other method");

  const rfc2617 = new Authenticator({
    realm: "testrealm@host.com",
    users: new UserStore([{ name: "Mufasa", password: "Circle Of Life" }], "testrealm@host.com"),
    now: () => 0,
    random: seeded(1),
  });
  const header = (response: string) =>
    `Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", ` +
    `uri="/dir/index.html", qop=auth, nc=00000001, cnonce="0a4f113b", response="${response}", ` +
    `opaque="5ccc069c403ebaf9f0171e9517f40e41"`;
  assertFails(
    rfc2617.check("GET", header("6629fae49393a05397450978507c4ef1")),
    "stale",
    "RFC 2617",
  );
  assertFails(
    rfc2617.check("GET", header("6629fae49393a05397450978507c4ef2")),
    "bad-password",
    "RFC 2617 wrong",
  );
});

Deno.test("failures are typed: wrong password, unknown user, stale, tampered nonce, replay, scheme", () => {
  const { auth, clock } = setup({ schemes: ["digest-md5"] });
  const nonce = nonceOf(auth.challenges()[0]);
  const uri = "rtsp://h/cam";
  const ok = { user: "admin", password: "s3cret", nonce, method: "DESCRIBE", uri };
  const tampered = nonce.slice(0, 20) + (nonce[20] === "A" ? "B" : "A") + nonce.slice(21);
  const cases: ReadonlyArray<[string, string | undefined, AuthFailure]> = [
    ["no header", undefined, "missing"],
    ["empty header", "", "missing"],
    ["wrong password", ffmpegHeader({ ...ok, password: "S3cret" }), "bad-password"],
    ["unknown user", ffmpegHeader({ ...ok, user: "root" }), "unknown-user"],
    ["user name case", ffmpegHeader({ ...ok, user: "Admin" }), "unknown-user"],
    ["realm of the client differs", ffmpegHeader({ ...ok, realm: "other", nc: 2 }), "bad-password"],
    ["tampered nonce, response for it", ffmpegHeader({ ...ok, nonce: tampered }), "stale"],
    [
      "tampered nonce, response for the real one",
      ffmpegHeader(ok).replace(`nonce="${nonce}"`, `nonce="${tampered}"`),
      "bad-password",
    ],
    ["SHA-256 not offered", rfc7616Header({ ...ok, algorithm: "SHA-256" }), "scheme-not-offered"],
    [
      "MD5-sess",
      ffmpegHeader(ok).replace('algorithm="MD5"', 'algorithm="MD5-sess"'),
      "scheme-not-offered",
    ],
    [
      "qop=auth-int",
      ffmpegHeader(ok).replace('qop="auth"', 'qop="auth-int"'),
      "scheme-not-offered",
    ],
    ["Bearer", "Bearer eyJhbGciOi", "scheme-not-offered"],
    ["Basic not offered", "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", "scheme-not-offered"],
    ["qop without nc", ffmpegHeader(ok).replace(/, nc=\w+/, ""), "malformed"],
    ["nc not hex", ffmpegHeader(ok).replace(/nc=\w+/, "nc=zz"), "malformed"],
    [
      "response not hex",
      live555Header(ok).replace(/response="\w+"/, 'response="nothex"'),
      "malformed",
    ],
    [
      "response too short",
      live555Header(ok).replace(/response="(\w+)"/, 'response="abc"'),
      "malformed",
    ],
    ["unparsable", 'Digest username="admin', "malformed"],
    ["userhash", ffmpegHeader(ok).replace("Digest ", "Digest userhash=true, "), "unknown-user"],
  ];
  for (const [what, header, reason] of cases) {
    assertFails(auth.check("DESCRIBE", header, uri), reason, what);
  }

  // Stale: a correct response on an expired nonce; a wrong one stays bad-password.
  const fresh = nonceOf(auth.challenges()[0]);
  clock.t += DEFAULT_NONCE_LIFETIME_MS + 1;
  assertFails(
    auth.check("DESCRIBE", ffmpegHeader({ ...ok, nonce: fresh }), uri),
    "stale",
    "expired",
  );
  assertFails(
    auth.check("DESCRIBE", ffmpegHeader({ ...ok, nonce: fresh, password: "x" }), uri),
    "bad-password",
    "expired and wrong",
  );
  assertFails(
    auth.check("DESCRIBE", live555Header({ ...ok, nonce: fresh }), uri),
    "stale",
    "expired, no qop",
  );
  // After the stale answer the client takes the new nonce and succeeds.
  const renewed = nonceOf(auth.challenges(true)[0]);
  assert.equal(auth.check("DESCRIBE", ffmpegHeader({ ...ok, nonce: renewed }), uri).ok, true);
});

Deno.test("hash-only users authenticate only with their algorithm", () => {
  const { auth } = setup();
  const [shaChallenge] = auth.challenges();
  const nonce = nonceOf(shaChallenge);
  const r = { password: "pw", nonce, method: "DESCRIBE", uri: "rtsp://h/x" };
  const cases: ReadonlyArray<[string, string, true | AuthFailure]> = [
    ["md5only MD5", ffmpegHeader({ ...r, user: "md5only", nc: 1 }), true],
    ["md5only SHA-256", rfc7616Header({ ...r, user: "md5only", nc: 2 }), "bad-password"],
    ["shaonly SHA-256", rfc7616Header({ ...r, user: "shaonly", nc: 3 }), true],
    ["shaonly MD5", ffmpegHeader({ ...r, user: "shaonly", nc: 4 }), "bad-password"],
    ["basiconly MD5", ffmpegHeader({ ...r, user: "basiconly", nc: 5 }), "bad-password"],
  ];
  for (const [what, header, expected] of cases) {
    const result = auth.check("DESCRIBE", header, r.uri);
    if (expected === true) assert.equal(result.ok, true, what);
    else assertFails(result, expected, what);
  }
});

Deno.test("SHA-256 without qop is refused; MD5 without qop is the live555 exception", () => {
  const { auth } = setup();
  const nonce = nonceOf(auth.challenges()[0]);
  const r = { user: "admin", password: "s3cret", nonce, method: "PLAY", uri: "rtsp://h/x" };
  const header = live555Header({ ...r, algorithm: "SHA-256" }) + ", algorithm=SHA-256";
  assertFails(auth.check("PLAY", header), "malformed", "SHA-256 without qop");
  assert.equal(auth.check("PLAY", live555Header(r)).ok, true);
});

Deno.test("the Digest uri must name the request's resource, leniently", () => {
  const { auth } = setup();
  const nonce = nonceOf(auth.challenges()[1]);
  const cases: ReadonlyArray<[string, string, boolean]> = [
    ["rtsp://127.0.0.1:554/cam/1", "rtsp://127.0.0.1:554/cam/1", true],
    ["rtsp://public.example.com/cam/1", "rtsp://10.0.0.5:554/cam/1", true], // NAT: another host
    ["rtsp://user:pw@h/cam/1", "rtsp://h/cam/1", true],
    ["/cam/1", "rtsp://h/cam/1", true], // relative
    ["rtsp://h/cam/1/", "rtsp://h/cam/1", true], // trailing slash
    ["rtsp://h/cam/1?token=x", "rtsp://h/cam/1", true], // query
    ["RTSP://H/cam%2F1", "rtsp://h/cam/1", true], // case of scheme, encoding
    ["rtsp://h/cam/1", "rtsp://h/cam/1/trackID=0", true], // aggregate URL for a track
    ["rtsp://h/cam/1/trackID=0", "rtsp://h/cam/1", true], // track URL for the aggregate
    ["rtsp://h/anything", "*", true], // OPTIONS *
    ["rtsp://h/cam/2", "rtsp://h/cam/1", false],
    ["rtsp://h/cam", "rtsp://h/cam/1/trackID=0", false], // two levels
    ["rtsp://h/", "rtsp://h/cam", false], // the root vouches for nothing
    ["rtsp://h/cam/10", "rtsp://h/cam/1", false],
    ["*", "rtsp://h/cam/1", false],
  ];
  let nc = 1;
  for (const [headerUri, requestUri, expected] of cases) {
    const header = ffmpegHeader({
      user: "admin",
      password: "s3cret",
      nonce,
      method: "SETUP",
      uri: headerUri,
      nc: nc++,
    });
    const result = auth.check("SETUP", header, requestUri);
    if (expected) assert.equal(result.ok, true, `${headerUri} for ${requestUri}`);
    else assertFails(result, "malformed", `${headerUri} for ${requestUri}`);
  }
});

Deno.test("check() never throws on hostile headers", () => {
  const { auth } = setup({ schemes: ["basic", "digest-sha256", "digest-md5"] });
  const hostile = [
    "Digest " + "a=b,".repeat(5000),
    'Digest username="' + "\\".repeat(100),
    "Digest username=, nonce=, uri=, response=",
    'Digest username="", nonce="", uri="", response=""',
    'Digest username="x", nonce="x", uri="x", response="' + "0".repeat(32) +
    '", nc=ffffffff, qop=auth, cnonce=""',
    "Basic " + "A".repeat(3000),
    "Basic ====",
    "\u{1F600} \u{1F600}",
    "Digest username=\u00ff\u00fe, nonce=n, uri=/, response=" + "f".repeat(64) +
    ", algorithm=SHA-256, qop=auth, nc=1, cnonce=c",
  ];
  for (const header of hostile) {
    const result = auth.check("DESCRIBE", header, "rtsp://h/x");
    assert.equal(result.ok, false, header.slice(0, 40));
  }
});

Deno.test("Authenticator refuses an unsafe realm, a store of another realm, and no schemes", () => {
  const users = (realm: string) => new UserStore([{ name: "a", password: "b" }], realm);
  for (const realm of ['a"b', "a\\b", "a\nb", ""]) {
    assert.throws(
      () => new Authenticator({ realm, users: users(realm), now: () => 0, random: seeded(1) }),
      RangeError,
    );
  }
  assert.throws(
    () => new Authenticator({ realm: "x", users: users("y"), now: () => 0, random: seeded(1) }),
    RangeError,
  );
  assert.throws(
    () =>
      new Authenticator({
        realm: "x",
        users: users("x"),
        schemes: [],
        now: () => 0,
        random: seeded(1),
      }),
    RangeError,
  );
});
