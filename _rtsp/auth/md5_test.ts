import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { md5, md5Hex } from "./md5.ts";

Deno.test("md5() matches the RFC 1321, A.5 test suite", () => {
  const vectors: ReadonlyArray<[string, string]> = [
    ["", "d41d8cd98f00b204e9800998ecf8427e"],
    ["a", "0cc175b9c0f1b6a831c399e269772661"],
    ["abc", "900150983cd24fb0d6963f7d28e17f72"],
    ["message digest", "f96b697d7cb7938d525a2f31aaf161d0"],
    ["abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"],
    [
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
      "d174ab98d277d9f5a5611c2c9f419d9f",
    ],
    ["1234567890".repeat(8), "57edf4a22be3c955ac49da2e2107b67a"],
  ];
  for (const [input, hex] of vectors) {
    assert.equal(md5Hex(input), hex, input);
    assert.equal(md5Hex(new TextEncoder().encode(input)), hex, input);
  }
});

Deno.test("md5() agrees with node:crypto around every padding boundary and on long input", () => {
  const data = Uint8Array.from({ length: 300 }, (_, i) => (i * 31 + 7) & 0xff);
  for (let n = 0; n <= data.length; n++) {
    const input = data.subarray(0, n);
    assert.equal(md5Hex(input), createHash("md5").update(input).digest("hex"), `length ${n}`);
  }
  const long = new Uint8Array(1_000_003).fill(0x61);
  assert.equal(md5Hex(long), createHash("md5").update(long).digest("hex"));
  assert.equal(md5(long).length, 16);
});
