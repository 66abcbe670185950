import assert from "node:assert/strict";
import {
  decodeLatin1,
  decodeUtf8,
  fromBase64,
  fromBase64Url,
  fromHex,
  isHex,
  toBase64,
  toBase64Url,
  toHex,
  utf8,
} from "./encoding.ts";

Deno.test("toBase64()/fromBase64() match the RFC 4648, 10 test vectors", () => {
  const vectors: ReadonlyArray<[string, string]> = [
    ["", ""],
    ["f", "Zg=="],
    ["fo", "Zm8="],
    ["foo", "Zm9v"],
    ["foob", "Zm9vYg=="],
    ["fooba", "Zm9vYmE="],
    ["foobar", "Zm9vYmFy"],
  ];
  for (const [plain, encoded] of vectors) {
    assert.equal(toBase64(utf8(plain)), encoded);
    assert.deepEqual(fromBase64(encoded), utf8(plain), encoded);
    // Padding is optional on input.
    assert.deepEqual(fromBase64(encoded.replace(/=+$/, "")), utf8(plain), encoded);
    assert.equal(toBase64Url(utf8(plain)), encoded.replace(/=+$/, ""));
  }
});

Deno.test("fromBase64() refuses what is not Base64", () => {
  const bad = [
    "Z",
    "Zg=",
    "Zg===",
    "Z===",
    "Zm9v!",
    "Zm 9v",
    "=Zm9",
    "Zm9v\0",
    "Zh==",
    "Zm9vYmFy=",
    "é",
  ];
  for (const text of bad) assert.equal(fromBase64(text), undefined, JSON.stringify(text));
});

Deno.test("Base64url uses - and _ and round-trips every byte", () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  const url = toBase64Url(all);
  assert.ok(!/[+/=]/.test(url));
  assert.deepEqual(fromBase64Url(url), all);
  assert.deepEqual(fromBase64(toBase64(all)), all);
  assert.equal(toBase64Url(new Uint8Array([0xfb, 0xff])), "-_8");
  assert.equal(fromBase64Url("+_8"), undefined);
});

Deno.test("hex round-trips and refuses non-hex", () => {
  assert.equal(toHex(new Uint8Array([0, 1, 0xab, 0xff])), "0001abff");
  assert.deepEqual(fromHex("0001ABff"), new Uint8Array([0, 1, 0xab, 0xff]));
  assert.equal(fromHex("abc"), undefined);
  assert.equal(fromHex("zz"), undefined);
  assert.equal(isHex("00ff", 4), true);
  assert.equal(isHex("00fg", 4), false);
  assert.equal(isHex("00ff", 6), false);
});

Deno.test("decodeUtf8() reports invalid UTF-8; decodeLatin1() maps bytes to code points", () => {
  assert.equal(decodeUtf8(utf8("é€")), "é€");
  assert.equal(decodeUtf8(new Uint8Array([0xc3])), undefined);
  assert.equal(decodeUtf8(new Uint8Array([0xff, 0xfe])), undefined);
  assert.equal(decodeLatin1(new Uint8Array([0x41, 0xe9])), "Aé");
});
