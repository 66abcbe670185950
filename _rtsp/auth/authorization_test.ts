import assert from "node:assert/strict";
import {
  type AuthorizationError,
  claimedUser,
  type DigestCredentials,
  MAX_AUTHORIZATION_LENGTH,
  parseAuthorization,
} from "./authorization.ts";

function digest(header: string): DigestCredentials {
  const result = parseAuthorization(header);
  if (!result.ok) throw new Error(`${header}: ${result.error.message}`);
  assert.equal(result.credentials.scheme, "digest");
  return result.credentials as DigestCredentials;
}

Deno.test("parseAuthorization() reads Basic (RFC 7617, 2 example) with any scheme case", () => {
  for (const scheme of ["Basic", "basic", "BASIC", "bAsIc"]) {
    const result = parseAuthorization(`${scheme} QWxhZGRpbjpvcGVuIHNlc2FtZQ==`);
    assert.deepEqual(result, {
      ok: true,
      credentials: { scheme: "basic", user: "Aladdin", password: "open sesame" },
    });
  }
  // Extra spaces, no padding, a colon in the password, UTF-8 (RFC 7617, 2.1), ISO-8859-1 fallback.
  const cases: ReadonlyArray<[string, string, string]> = [
    ["  Basic   QWxhZGRpbjpvcGVuIHNlc2FtZQ  ", "Aladdin", "open sesame"],
    [`Basic ${btoa("user:pa:ss")}`, "user", "pa:ss"],
    [`Basic ${btoa("user:")}`, "user", ""],
    ["Basic dGVzdDoxMjPCow==", "test", "123\u00a3"], // RFC 7617, 2.1 example
    [`Basic ${btoa("j\xe9r\xf4me:pw")}`, "j\u00e9r\u00f4me", "pw"],
  ];
  for (const [header, user, password] of cases) {
    assert.deepEqual(parseAuthorization(header), {
      ok: true,
      credentials: { scheme: "basic", user, password },
    }, header);
  }
});

Deno.test("parseAuthorization() reads Digest as ffmpeg sends it (quoted algorithm, qop; bare nc)", () => {
  const c = digest(
    'Digest username="admin", realm="rtsp.ts", nonce="AAABjX1", uri="rtsp://192.168.1.10:554/cam/1", ' +
      'response="0123456789abcdef0123456789abcdef", algorithm="MD5", qop="auth", cnonce="6b8b4567327b23c6", nc=00000001',
  );
  assert.equal(c.username, "admin");
  assert.equal(c.realm, "rtsp.ts");
  assert.equal(c.nonce, "AAABjX1");
  assert.equal(c.uri, "rtsp://192.168.1.10:554/cam/1");
  assert.equal(c.response, "0123456789abcdef0123456789abcdef");
  assert.equal(c.algorithm, "MD5");
  assert.equal(c.qop, "auth");
  assert.equal(c.cnonce, "6b8b4567327b23c6");
  assert.equal(c.nc, "00000001");
  assert.equal(c.userhash, false);
});

Deno.test("parseAuthorization() reads Digest as live555/VLC and GStreamer send it (no qop)", () => {
  const live555 = digest(
    'Digest username="viewer", realm="rtsp.ts", nonce="n0nce", uri="rtsp://cam.local/stream/track1", response="d41d8cd98f00b204e9800998ecf8427e"',
  );
  assert.equal(live555.uri, "rtsp://cam.local/stream/track1");
  assert.equal(live555.qop, undefined);
  assert.equal(live555.nc, undefined);
  const gstreamer = digest(
    'Digest username="viewer", realm="rtsp.ts", nonce="n0nce", uri="rtsp://127.0.0.1:554/test", response="d41d8cd98f00b204e9800998ecf8427e", opaque="xyz"',
  );
  assert.equal(gstreamer.opaque, "xyz");
});

Deno.test("parseAuthorization() is lenient with bare values, spaces, commas and escapes", () => {
  const c = digest(
    'DIGEST  username = "a\\"b" ,realm=rtsp.ts,, nonce=abc ,  uri=/dir/index.html, ' +
      'response=ABCDEF0123456789ABCDEF0123456789, algorithm=SHA-256, qop=auth, nc=1, cnonce="x, y", ',
  );
  assert.equal(c.username, 'a"b');
  assert.equal(c.realm, "rtsp.ts");
  assert.equal(c.nonce, "abc");
  assert.equal(c.uri, "/dir/index.html");
  assert.equal(c.algorithm, "SHA-256");
  assert.equal(c.cnonce, "x, y", "commas inside quotes");
  assert.equal(c.nc, "1");
  // RFC 7616, 3.4.4: username* with RFC 8187 encoding; userhash.
  const ext = digest(
    "Digest username*=UTF-8''J%C3%A4s%C3%B8n%20Doe, realm=r, nonce=n, uri=/, response=00, userhash=TRUE",
  );
  assert.equal(ext.username, "J\u00e4s\u00f8n Doe");
  assert.equal(ext.userhash, true);
  // Tabs are whitespace.
  assert.equal(digest('Digest\tusername="u",\tnonce="n", uri="/", response="r"').username, "u");
});

Deno.test("parseAuthorization() returns a typed error for hostile input, never throws", () => {
  const huge = "Digest " + 'username="' + "a".repeat(MAX_AUTHORIZATION_LENGTH) + '"';
  const many = "Digest " + Array.from({ length: 40 }, (_, i) => `p${i}=x`).join(", ");
  const binary = String.fromCharCode(...Array.from({ length: 64 }, (_, i) => (i * 37) & 0xff));
  const cases: ReadonlyArray<[string, AuthorizationError["code"]]> = [
    ["", "empty"],
    ["   ", "empty"],
    [huge, "too-long"],
    ["Bearer abc.def.ghi", "unsupported-scheme"],
    ["Negotiate YIIB", "unsupported-scheme"],
    ["QWxhZGRpbjpvcGVuIHNlc2FtZQ==", "unsupported-scheme"],
    ["Basic", "bad-basic"],
    ["Basic !!!!", "bad-basic"],
    ["Basic QWxhZGRpbg==", "bad-basic"], // no colon
    ["Basic QWxh ZGRp", "bad-basic"],
    [`Basic ${btoa("us\x01er:pw")}`, "bad-basic"],
    ["Basic Zg=", "bad-basic"],
    ["Digest", "missing-parameter"],
    ['Digest username="u", nonce="n", uri="/"', "missing-parameter"],
    ['Digest nonce="n", uri="/", response="r"', "missing-parameter"],
    ['Digest username="u, nonce="n", uri="/", response="r"', "bad-syntax"], // unbalanced quote
    ['Digest username="u", nonce="n", uri="/", response="r', "bad-syntax"],
    ['Digest username="u" nonce="n"', "bad-syntax"], // no comma
    ['Digest username="u", username="v", nonce="n", uri="/", response="r"', "duplicate-parameter"],
    ['Digest USERNAME="u", username="v", nonce="n", uri="/", response="r"', "duplicate-parameter"],
    ['Digest username="u", username*=UTF-8\'\'v, nonce="n", uri="/", response="r"', "bad-syntax"],
    ["Digest username*=latin1''x, nonce=n, uri=/, response=r", "bad-syntax"],
    ["Digest =x", "bad-syntax"],
    ["Digest username", "bad-syntax"],
    ["Digest username=a b, nonce=n, uri=/, response=r", "bad-syntax"],
    ['Digest username=a"b, nonce=n', "bad-syntax"],
    ['Digest username="u\\', "bad-syntax"],
    [many, "bad-syntax"],
    ['Digest username="u\r\nX-Injected: 1", nonce="n", uri="/", response="r"', "control-character"],
    ['Digest username="u\0", nonce="n", uri="/", response="r"', "control-character"],
    [binary, "control-character"],
    ["\x7f", "control-character"],
  ];
  for (const [header, code] of cases) {
    let result;
    try {
      result = parseAuthorization(header);
    } catch (e) {
      assert.fail(`threw on ${JSON.stringify(header.slice(0, 60))}: ${e}`);
    }
    assert.equal(result.ok, false, JSON.stringify(header.slice(0, 60)));
    if (!result.ok) assert.equal(result.error.code, code, JSON.stringify(header.slice(0, 60)));
  }
});

Deno.test("parseAuthorization() survives random bytes without throwing", () => {
  let seed = 12345;
  const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  const alphabet = 'Digest Basic username="=,\\ \t:abc\x00\xff\u20ac';
  for (let i = 0; i < 2000; i++) {
    let s = i % 2 === 0 ? "Digest " : "";
    const n = next() % 80;
    for (let j = 0; j < n; j++) s += alphabet[next() % alphabet.length];
    const result = parseAuthorization(s);
    assert.equal(typeof result.ok, "boolean");
  }
});

Deno.test('claimedUser() reads the name credentials claim, or "" when it cannot', () => {
  const cases: ReadonlyArray<[string, string]> = [
    [`Basic ${btoa("alice:wrong")}`, "alice"],
    [`basic ${btoa(":pw")}`, ""],
    [`Digest username="bob", realm="r", nonce="n", uri="/x", response="00"`, "bob"],
    [`Digest username*=UTF-8''J%C3%A4ger, realm="r", nonce="n", uri="/x", response="00"`, "Jäger"],
    [`Digest username="${"m".repeat(300)}", nonce="n", uri="/x", response="00"`, "m".repeat(300)],
    ["Basic !!!notbase64", ""],
    ['Digest username="carol"', ""],
    ["Bearer token", ""],
    ["", ""],
  ];
  for (const [header, user] of cases) assert.equal(claimedUser(header), user, header);
});
