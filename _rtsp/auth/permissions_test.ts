import assert from "node:assert/strict";
import { canonicalPath } from "../url.ts";
import {
  type Action,
  type Decision,
  type PathRule,
  patternError,
  Permissions,
} from "./permissions.ts";

const RULES: PathRule[] = [
  { pattern: "/public/**", read: ["anonymous"], publish: ["alice"] },
  { pattern: "/cam/*", read: ["*any*"], publish: ["camera"] },
  { pattern: "/cam-*/hd", read: ["alice"] },
  { pattern: "/exact", read: ["bob"], publish: [] },
  // Shadowed for read by /cam/*: the first matching rule with a read list wins.
  { pattern: "/cam/private", read: ["alice"] },
  // No read list: read falls through to the next rule or the defaults.
  { pattern: "/drop/*", publish: ["*any*"] },
  { pattern: "*", publish: ["admin"] },
];

Deno.test("Permissions.decide(): patterns × users × actions, first matching rule wins", () => {
  const permissions = new Permissions(RULES, { anonymousRead: false, anonymousPublish: false });
  const cases: ReadonlyArray<[Action, string, string | undefined, Decision]> = [
    // /public/** matches /public itself and any depth.
    ["read", "/public", undefined, "allow"],
    ["read", "/public/a", undefined, "allow"],
    ["read", "/public/a/b/c", "bob", "allow"],
    ["publish", "/public/a", "alice", "allow"],
    ["publish", "/public/a", "bob", "deny"],
    ["publish", "/public/a", undefined, "authenticate"],
    ["read", "/publicity", undefined, "authenticate"], // not under /public
    // /cam/* is one segment.
    ["read", "/cam/1", undefined, "authenticate"],
    ["read", "/cam/1", "bob", "allow"],
    ["read", "/cam/1/2", "bob", "allow"], // no rule: defaults let any user read
    ["read", "/cam", undefined, "authenticate"],
    ["publish", "/cam/1", "camera", "allow"],
    ["publish", "/cam/1", "alice", "deny"],
    ["read", "/cam/private", "bob", "allow"], // shadowed by /cam/*
    // * inside a segment.
    ["read", "/cam-front/hd", "alice", "allow"],
    ["read", "/cam-front/hd", "bob", "deny"],
    ["read", "/cam-/hd", "alice", "allow"],
    ["read", "/cam-front/sd", "bob", "allow"],
    // Exact, and an empty list: nobody, so no point asking for credentials.
    ["read", "/exact", "bob", "allow"],
    ["read", "/exact", "alice", "deny"],
    ["read", "/exact", undefined, "authenticate"],
    ["read", "/exact/sub", "alice", "allow"],
    ["publish", "/exact", "admin", "deny"],
    ["publish", "/exact", undefined, "deny"],
    // A rule without a list for the action is skipped for that action.
    ["read", "/drop/x", undefined, "authenticate"],
    ["read", "/drop/x", "bob", "allow"],
    ["publish", "/drop/x", "bob", "allow"],
    // The catch-all.
    ["publish", "/anything/else", "admin", "allow"],
    ["publish", "/anything/else", "bob", "deny"],
    ["publish", "/anything/else", undefined, "authenticate"],
    // Dot segments and doubled slashes are resolved before matching.
    ["read", "/public/../exact", "alice", "deny"],
    ["read", "/public/./a", undefined, "allow"],
    ["read", "//public//a", undefined, "allow"],
    ["read", "/cam/1/../../exact", "alice", "deny"],
    // Case-sensitive paths and users.
    ["read", "/Public/a", undefined, "authenticate"],
    ["read", "/exact", "Bob", "deny"],
  ];
  for (const [action, path, user, expected] of cases) {
    assert.equal(permissions.decide(action, path, user), expected, `${action} ${path} ${user}`);
  }
});

Deno.test("Permissions.decide(): defaults when no rule decides", () => {
  const cases: ReadonlyArray<[boolean, boolean, Action, string | undefined, Decision]> = [
    [false, false, "read", undefined, "authenticate"],
    [false, false, "read", "u", "allow"],
    [true, false, "read", undefined, "allow"],
    [true, false, "publish", undefined, "authenticate"],
    [true, false, "publish", "u", "allow"],
    [false, true, "publish", undefined, "allow"],
    [true, true, "read", undefined, "allow"],
  ];
  for (const [anonymousRead, anonymousPublish, action, user, expected] of cases) {
    const permissions = new Permissions([], { anonymousRead, anonymousPublish });
    assert.equal(permissions.decide(action, "/x", user), expected);
  }
});

Deno.test("patternError() explains invalid patterns; the constructor refuses them", () => {
  const cases: ReadonlyArray<[string, boolean]> = [
    ["*", true],
    ["**", true],
    ["/", true],
    ["/a", true],
    ["/a/*", true],
    ["/a/**", true],
    ["/**/x", true],
    ["/a-*-b/c", true],
    ["a", false],
    ["/a/", false],
    ["/a//b", false],
    ["/a/**b", false],
    ["/a/../b", false],
    ["", false],
  ];
  for (const [pattern, valid] of cases) {
    assert.equal(patternError(pattern) === undefined, valid, pattern);
    if (!valid) {
      assert.throws(() =>
        new Permissions([{ pattern, read: [] }], { anonymousRead: false, anonymousPublish: false })
      );
    }
  }
  // Regex metacharacters are literal.
  const p = new Permissions([{ pattern: "/a.b/(x)", read: ["anonymous"] }], {
    anonymousRead: false,
    anonymousPublish: false,
  });
  assert.equal(p.decide("read", "/a.b/(x)", undefined), "allow");
  assert.equal(p.decide("read", "/aXb/(x)", undefined), "authenticate");
  // "/**/x" matches x at any depth.
  const deep = new Permissions([{ pattern: "/**/x", read: ["anonymous"] }], {
    anonymousRead: false,
    anonymousPublish: false,
  });
  assert.equal(deep.decide("read", "/x", undefined), "allow");
  assert.equal(deep.decide("read", "/a/b/x", undefined), "allow");
  assert.equal(deep.decide("read", "/a/b/y", undefined), "authenticate");
});

Deno.test("canonicalPath() resolves dot segments and never climbs above the root", () => {
  const cases: ReadonlyArray<[string, string]> = [
    ["/a/b", "/a/b"],
    ["/a/./b", "/a/b"],
    ["/a/../b", "/b"],
    ["/../../b", "/b"],
    ["//a///b/", "/a/b"],
    ["/", "/"],
    ["", "/"],
  ];
  for (const [input, expected] of cases) assert.equal(canonicalPath(input), expected, input);
});
