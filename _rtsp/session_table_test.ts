import assert from "node:assert/strict";
import type { Session } from "./session.ts";
import { SessionTable } from "./session_table.ts";

function session(id: string, at: number, connectionId = 1): Session {
  return {
    id,
    path: "/test",
    connectionId,
    mode: "play",
    state: "ready-to-play",
    tracks: new Map(),
    lastActivityMs: at,
    timeoutMs: 60_000,
  };
}

Deno.test("SessionTable expires idle sessions on the injected clock", () => {
  const table = new SessionTable();
  table.add(session("a", 0));
  table.add(session("b", 30_000));
  assert.deepEqual(table.expire(60_000).map((s) => s.id), []);
  assert.deepEqual(table.expire(60_001).map((s) => s.id), ["a"]);
  assert.equal(table.size, 1);
  assert.deepEqual(table.expire(90_001).map((s) => s.id), ["b"]);
  assert.equal(table.size, 0);
});

Deno.test("SessionTable.touch() refreshes a live session and leaves a stale one to expire()", () => {
  const table = new SessionTable();
  table.add(session("a", 0));
  assert.equal(table.touch("a", 59_000)?.id, "a");
  assert.equal(table.touch("a", 118_000)?.lastActivityMs, 118_000);
  assert.equal(table.touch("a", 178_001), undefined);
  // Not dropped silently: expire() returns it, so its media is stopped and its ports freed.
  assert.equal(table.has("a"), true);
  assert.deepEqual(table.expire(178_001).map((s) => s.id), ["a"]);
  assert.equal(table.has("a"), false);
  assert.equal(table.touch("zzz", 0), undefined);
});

Deno.test("SessionTable lists sessions by connection", () => {
  const table = new SessionTable();
  table.add(session("a", 0, 1));
  table.add(session("b", 0, 2));
  table.add(session("c", 0, 1));
  assert.deepEqual(table.byConnection(1).map((s) => s.id), ["a", "c"]);
  assert.equal(table.delete("a")?.id, "a");
  assert.equal(table.delete("a"), undefined);
});
