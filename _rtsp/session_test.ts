import assert from "node:assert/strict";
import {
  nextSessionState,
  parseSessionHeader,
  type SessionState,
  type StateMethod,
} from "./session.ts";

/** RFC 2326, A.1, every state × method; `455` marks a method not valid in that state. */
const TABLE: Record<SessionState, Record<StateMethod, SessionState | 455>> = {
  init: { SETUP: "ready", PLAY: 455, PAUSE: 455, RECORD: 455, TEARDOWN: "init" },
  ready: { SETUP: "ready", PLAY: "playing", PAUSE: 455, RECORD: "recording", TEARDOWN: "init" },
  playing: { SETUP: 455, PLAY: "playing", PAUSE: "ready", RECORD: 455, TEARDOWN: "init" },
  recording: { SETUP: 455, PLAY: 455, PAUSE: "ready", RECORD: "recording", TEARDOWN: "init" },
};

Deno.test("nextSessionState() follows RFC 2326 Appendix A.1", () => {
  for (
    const [state, row] of Object.entries(TABLE) as [
      SessionState,
      Record<StateMethod, SessionState | 455>,
    ][]
  ) {
    for (const [method, expected] of Object.entries(row) as [StateMethod, SessionState | 455][]) {
      assert.equal(nextSessionState(state, method) ?? 455, expected, `${method} in ${state}`);
    }
  }
});

Deno.test("parseSessionHeader() takes the id before parameters", () => {
  assert.equal(parseSessionHeader("12345678;timeout=60"), "12345678");
  assert.equal(parseSessionHeader(" F3D02FD26180584E "), "F3D02FD26180584E");
});
