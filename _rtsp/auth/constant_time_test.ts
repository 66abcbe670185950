import assert from "node:assert/strict";
import { timingSafeEqual } from "./constant_time.ts";

Deno.test("timingSafeEqual() compares strings and bytes by value", () => {
  const bytes = (s: string) => new TextEncoder().encode(s);
  const cases: ReadonlyArray<[string | Uint8Array, string | Uint8Array, boolean]> = [
    ["", "", true],
    ["abc", "abc", true],
    ["abc", "abd", false],
    ["abc", "xbc", false],
    ["abc", "ab", false],
    ["ab", "abc", false],
    ["é", "é", true],
    ["é", "e", false],
    [bytes("abc"), bytes("abc"), true],
    [bytes("abc"), bytes("abC"), false],
    [new Uint8Array(0), new Uint8Array(0), true],
    [new Uint8Array([0]), new Uint8Array(0), false],
    // A string against bytes is taken as UTF-8.
    ["é", bytes("é"), true],
    [bytes("é"), "é", true],
    ["é", new Uint8Array([0xe9]), false],
  ];
  for (const [a, b, expected] of cases) assert.equal(timingSafeEqual(a, b), expected, `${a} ${b}`);
});

Deno.test("timingSafeEqual() looks at every byte: a difference at the end is found", () => {
  const a = new Uint8Array(1000);
  const b = new Uint8Array(1000);
  b[999] = 1;
  assert.equal(timingSafeEqual(a, b), false);
  b[999] = 0;
  b[0] = 0x80;
  assert.equal(timingSafeEqual(a, b), false);
});
