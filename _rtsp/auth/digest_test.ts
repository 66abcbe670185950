import assert from "node:assert/strict";
import {
  type DigestAlgorithm,
  digestHa1,
  digestHash,
  digestResponse,
  parseDigestAlgorithm,
} from "./digest.ts";

Deno.test("digestResponse() reproduces RFC 7616, 3.9.1 (MD5 and SHA-256)", () => {
  const cases: ReadonlyArray<[DigestAlgorithm, string]> = [
    ["MD5", "8ca523f5e9506fed4657c9700eebdbec"],
    ["SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"],
  ];
  for (const [algorithm, expected] of cases) {
    const ha1 = digestHa1("Mufasa", "http-auth@example.org", "Circle of Life", algorithm);
    const response = digestResponse({
      algorithm,
      ha1,
      nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
      method: "GET",
      uri: "/dir/index.html",
      qop: { nc: "00000001", cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ" },
    });
    assert.equal(response, expected, algorithm);
  }
});

Deno.test("digestResponse() reproduces RFC 2617, 3.5", () => {
  const ha1 = digestHa1("Mufasa", "testrealm@host.com", "Circle Of Life", "MD5");
  assert.equal(ha1, "939e7578ed9e3c518a452acee763bce9");
  assert.equal(
    digestResponse({
      algorithm: "MD5",
      ha1,
      nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093",
      method: "GET",
      uri: "/dir/index.html",
      qop: { nc: "00000001", cnonce: "0a4f113b", value: "auth" },
    }),
    "6629fae49393a05397450978507c4ef1",
  );
});

Deno.test("digestResponse() without qop is the RFC 2069 form live555 sends", () => {
  // RFC 2069, 2.4 example (password "CircleOfLife"); the value printed in the RFC
  // is a known error, this one is what H(HA1:nonce:HA2) gives (checked with Python hashlib).
  assert.equal(
    digestResponse({
      algorithm: "MD5",
      ha1: digestHa1("Mufasa", "testrealm@host.com", "CircleOfLife", "MD5"),
      nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093",
      method: "GET",
      uri: "/dir/index.html",
    }),
    "1949323746fe6a43ef61f9606e7febea",
  );
});

Deno.test("parseDigestAlgorithm() defaults to MD5 and knows only MD5 and SHA-256", () => {
  const cases: ReadonlyArray<[string | undefined, DigestAlgorithm | undefined]> = [
    [undefined, "MD5"],
    ["MD5", "MD5"],
    ["md5", "MD5"],
    ["SHA-256", "SHA-256"],
    ["sha-256", "SHA-256"],
    ["MD5-sess", undefined],
    ["SHA-256-sess", undefined],
    ["SHA-512-256", undefined],
    ["SHA256", undefined],
    ["", undefined],
  ];
  for (const [input, expected] of cases) assert.equal(parseDigestAlgorithm(input), expected, input);
});

Deno.test("digestHash() hashes text as UTF-8", () => {
  assert.equal(digestHash("MD5", ""), "d41d8cd98f00b204e9800998ecf8427e");
  assert.equal(
    digestHash("SHA-256", "\u00e9"),
    "4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c",
  );
});
