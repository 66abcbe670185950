import assert from "node:assert/strict";
import { toHex } from "./encoding.ts";
import { MAX_PBKDF2_ITERATIONS, pbkdf2Sha256 } from "./pbkdf2.ts";

Deno.test("pbkdf2Sha256() matches RFC 7914, 11 and the common PBKDF2-HMAC-SHA256 vectors", () => {
  const cases: ReadonlyArray<[string, string, number, number, string]> = [
    [
      "passwd",
      "salt",
      1,
      64,
      "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc" +
      "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783",
    ],
    [
      "Password",
      "NaCl",
      80000,
      64,
      "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56" +
      "a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d",
    ],
    ["password", "salt", 1, 32, "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b"],
    ["password", "salt", 2, 32, "ae4d0c95af6b46d32d0adff928f06dd02a303f8ef3c251dfd6e2d85a95474c43"],
    [
      "password",
      "salt",
      4096,
      32,
      "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a",
    ],
  ];
  for (const [password, salt, iterations, length, expected] of cases) {
    assert.equal(toHex(pbkdf2Sha256(password, salt, iterations, length)), expected, password);
  }
});

Deno.test("pbkdf2Sha256() truncates the last block and refuses out-of-range arguments", () => {
  const full = pbkdf2Sha256("p", "saltsalt", 3, 64);
  assert.deepEqual(pbkdf2Sha256("p", "saltsalt", 3, 40), full.subarray(0, 40));
  for (const iterations of [0, -1, 1.5, MAX_PBKDF2_ITERATIONS + 1, NaN]) {
    assert.throws(() => pbkdf2Sha256("p", "s", iterations, 32), RangeError);
  }
  assert.throws(() => pbkdf2Sha256("p", "s", 1, 0), RangeError);
});
