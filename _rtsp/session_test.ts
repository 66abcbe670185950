import assert from "node:assert/strict";
import {
  nextSessionState,
  parseSessionHeader,
  type SessionState,
  type StateMethod,
} from "./session.ts";

/**
 * RFC 2326, A.1, every state × method, with Ready split by what the session
 * was set up for; `455` marks a method not valid in that state.
 */
const TABLE: Record<SessionState, Record<StateMethod, SessionState | 455>> = {
  "init": { SETUP: "ready-to-play", PLAY: 455, PAUSE: 455, RECORD: 455, TEARDOWN: "init" },
  "announced": { SETUP: "ready-to-record", PLAY: 455, PAUSE: 455, RECORD: 455, TEARDOWN: "init" },
  "ready-to-play": {
    SETUP: "ready-to-play",
    PLAY: "playing",
    PAUSE: 455,
    RECORD: 455,
    TEARDOWN: "init",
  },
  "playing": { SETUP: 455, PLAY: "playing", PAUSE: "ready-to-play", RECORD: 455, TEARDOWN: "init" },
  "ready-to-record": {
    SETUP: "ready-to-record",
    PLAY: 455,
    PAUSE: 455,
    RECORD: "recording",
    TEARDOWN: "init",
  },
  "recording": {
    SETUP: 455,
    PLAY: 455,
    PAUSE: "ready-to-record",
    RECORD: "recording",
    TEARDOWN: "init",
  },
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
