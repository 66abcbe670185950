import assert from "node:assert/strict";
import { Fmp4SendGate } from "./fmp4_send_gate.ts";

const key = { keyframe: true, bytes: new Uint8Array(100) };
const delta = { keyframe: false, bytes: new Uint8Array(10) };

Deno.test("Fmp4SendGate passes every fragment while the backlog is under the bound", () => {
  const gate = new Fmp4SendGate(1000);
  assert.deepEqual([key, delta, delta, key].map((f) => gate.admit(f, 1000)), [
    true,
    true,
    true,
    true,
  ]);
  assert.equal(gate.dropped, 0);
  assert.equal(gate.state, "passing");
});

Deno.test("Fmp4SendGate drops up to the next keyframe once the backlog passes the bound", () => {
  const gate = new Fmp4SendGate(1000);
  assert.equal(gate.admit(delta, 1001), false);
  assert.equal(gate.state, "dropping-to-keyframe");
  // The backlog drained, but a delta fragment cannot be decoded without its GOP.
  assert.equal(gate.admit(delta, 0), false);
  assert.equal(gate.admit(key, 0), true);
  assert.equal(gate.state, "passing");
  assert.equal(gate.admit(delta, 0), true);
  assert.equal(gate.dropped, 2);
  assert.equal(gate.droppedBytes, 20);
  assert.equal(gate.dropRuns, 1);
});

Deno.test("Fmp4SendGate drops a keyframe too while the backlog is still over the bound", () => {
  const gate = new Fmp4SendGate(1000);
  assert.equal(gate.admit(key, 5000), false);
  assert.equal(gate.admit(delta, 5000), false);
  assert.equal(gate.admit(key, 2000), false);
  assert.equal(gate.admit(delta, 10), false);
  assert.equal(gate.admit(key, 10), true);
  assert.equal(gate.dropped, 4);
  assert.equal(gate.droppedBytes, 220);
  // A second slow spell is a second run.
  gate.admit(delta, 1e6);
  assert.equal(gate.dropRuns, 2);
});
