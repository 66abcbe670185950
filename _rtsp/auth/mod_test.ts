import assert from "node:assert/strict";
import * as auth from "./mod.ts";

Deno.test("mod.ts exports the wiring surface, and a config round-trip works through it", () => {
  for (
    const name of [
      "Authenticator",
      "UserStore",
      "Permissions",
      "validateAuthConfig",
      "createAuth",
      "authorizeRequest",
      "actionForMethod",
      "hashPasswordForConfig",
      "digestHa1",
    ]
  ) {
    assert.equal(typeof (auth as Record<string, unknown>)[name], "function", name);
  }
  const config = auth.validateAuthConfig({
    users: [{ name: "cam", password: "pw" }],
    paths: [{ pattern: "/live/*", read: ["anonymous"], publish: ["cam"] }],
  });
  assert.ok(config.ok);
  const built = auth.createAuth(config.config, {
    now: () => 0,
    random: (n) => new Uint8Array(n).fill(3),
  });
  const result = auth.authorizeRequest(built, {
    method: "ANNOUNCE",
    uri: "rtsp://h/live/a",
    path: "/live/a",
    authorization: undefined,
    action: "publish",
  });
  assert.equal(result.verdict, "unauthorized");
  assert.deepEqual(
    auth.authorizeRequest(built, {
      method: "DESCRIBE",
      uri: "rtsp://h/live/a",
      path: "/live/a",
      authorization: undefined,
      action: "read",
    }),
    { verdict: "allow", user: undefined },
  );
});
