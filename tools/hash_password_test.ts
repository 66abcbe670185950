import assert from "node:assert/strict";
import { validateAuthConfig } from "../_rtsp/auth/config.ts";
import { UserStore } from "../_rtsp/auth/credentials.ts";

Deno.test("hash-password prints a user entry the config accepts, and Basic verifies with it", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", new URL("./hash_password.ts", import.meta.url).pathname, "dora", "explorer"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const entry = JSON.parse(new TextDecoder().decode(out.stdout));
  assert.equal(entry.name, "dora");
  assert.match(entry.ha1.md5, /^[0-9a-f]{32}$/);
  const result = validateAuthConfig({
    users: [entry],
    schemes: ["basic", "digest-sha256", "digest-md5"],
  });
  assert.ok(result.ok, JSON.stringify(result));
  const users = new UserStore(result.config.users, result.config.realm);
  assert.equal(users.verifyBasic("dora", "explorer"), "ok");
  assert.equal(users.verifyBasic("dora", "wrong"), "bad-password");
});
