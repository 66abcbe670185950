import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { fromHex, toHex } from "./encoding.ts";
import { HmacSha256, hmacSha256, Sha256, sha256, sha256Hex } from "./sha256.ts";

Deno.test("sha256() matches the FIPS 180-4 / NIST CSRC examples", () => {
  const vectors: ReadonlyArray<[string, string]> = [
    ["", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"],
    ["abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"],
    [
      "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    ],
    [
      "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
      "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
    ],
  ];
  for (const [input, hex] of vectors) assert.equal(sha256Hex(input), hex, input);
});

Deno.test("sha256() of one million 'a' (NIST long message)", () => {
  assert.equal(
    sha256Hex(new Uint8Array(1_000_000).fill(0x61)),
    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
  );
});

Deno.test("Sha256 gives the same digest however the input is split, and clone() forks state", () => {
  const data = Uint8Array.from({ length: 700 }, (_, i) => (i * 13) & 0xff);
  const whole = sha256(data);
  for (const chunk of [1, 3, 55, 56, 63, 64, 65, 127, 128, 500]) {
    const h = new Sha256();
    for (let i = 0; i < data.length; i += chunk) h.update(data.subarray(i, i + chunk));
    assert.deepEqual(h.digest(), whole, `chunk ${chunk}`);
  }
  const base = new Sha256().update(data.subarray(0, 100));
  const fork = base.clone();
  assert.deepEqual(base.update(data.subarray(100)).digest(), whole);
  assert.deepEqual(fork.update(data.subarray(100)).digest(), whole);
});

Deno.test("sha256() agrees with node:crypto around every padding boundary", () => {
  const data = Uint8Array.from({ length: 200 }, (_, i) => (i * 29 + 3) & 0xff);
  for (let n = 0; n <= data.length; n++) {
    const input = data.subarray(0, n);
    assert.equal(sha256Hex(input), createHash("sha256").update(input).digest("hex"), `length ${n}`);
  }
});

Deno.test("hmacSha256() matches RFC 4231, 4.2-4.8", () => {
  const hex = (s: string) => fromHex(s) ?? new Uint8Array();
  const cases: ReadonlyArray<[Uint8Array, Uint8Array | string, string]> = [
    // 4.2 Test Case 1
    [
      new Uint8Array(20).fill(0x0b),
      "Hi There",
      "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
    ],
    // 4.3 Test Case 2: a key shorter than the output
    [
      new TextEncoder().encode("Jefe"),
      "what do ya want for nothing?",
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    ],
    // 4.4 Test Case 3
    [
      new Uint8Array(20).fill(0xaa),
      new Uint8Array(50).fill(0xdd),
      "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
    ],
    // 4.5 Test Case 4
    [
      hex("0102030405060708090a0b0c0d0e0f10111213141516171819"),
      new Uint8Array(50).fill(0xcd),
      "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
    ],
    // 4.7 Test Case 6: a key longer than a block is hashed first
    [
      new Uint8Array(131).fill(0xaa),
      "Test Using Larger Than Block-Size Key - Hash Key First",
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
    ],
    // 4.8 Test Case 7
    [
      new Uint8Array(131).fill(0xaa),
      "This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.",
      "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
    ],
  ];
  for (const [key, data, expected] of cases) {
    assert.equal(toHex(hmacSha256(key, data)), expected);
    // A reused keyed instance gives the same answer twice.
    const keyed = new HmacSha256(key);
    assert.equal(toHex(keyed.mac(data)), expected);
    assert.equal(toHex(keyed.mac(data)), expected);
  }
});

Deno.test("hmacSha256() agrees with node:crypto for keys of every size around a block", () => {
  for (let k = 0; k <= 130; k += 13) {
    const key = Uint8Array.from({ length: k }, (_, i) => i);
    const msg = Uint8Array.from({ length: 3 * k + 1 }, (_, i) => 255 - (i & 0xff));
    assert.equal(toHex(hmacSha256(key, msg)), createHmac("sha256", key).update(msg).digest("hex"));
  }
});
