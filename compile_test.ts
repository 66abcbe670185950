/**
 * `deno task compile` makes one binary. `deno compile` downloads the Deno
 * runtime for the target the first time, so where that host cannot be reached
 * the test says so and skips; elsewhere it builds the binary and runs it.
 */

import assert from "node:assert/strict";
import { RawClient } from "./_testing/raw_client.ts";

Deno.test("deno compile builds a binary that serves RTSP", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rtsp_ts_compile_" });
  const output = `${dir}/rtsp-server`;
  const built = await new Deno.Command(Deno.execPath(), {
    args: [
      "compile",
      "--allow-net",
      "--allow-read",
      "--output",
      output,
      new URL("./main.ts", import.meta.url).pathname,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(built.stderr);
  if (!built.success && /error sending request|dns error|Connect|download/i.test(stderr)) {
    console.log(
      "SKIP deno compile: the Deno runtime download cannot be reached from here",
    );
    return;
  }
  assert.ok(built.success, stderr);
  const child = new Deno.Command(output, {
    args: ["--port", "0", "--hostname", "127.0.0.1", "--rtp-ports", "0"],
    stderr: "piped",
    stdout: "null",
  }).spawn();
  try {
    let text = "";
    const decoder = new TextDecoder();
    const reader = child.stderr.getReader();
    let port = 0;
    for (let i = 0; i < 100 && port === 0; i++) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
      port = Number(/listening on rtsp:\/\/[^:]+:(\d+)\//.exec(text)?.[1] ?? 0);
    }
    reader.releaseLock();
    assert.ok(port > 0, text);
    const c = await RawClient.connect(port);
    assert.equal((await c.request("OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n")).status, 200);
    c.close();
  } finally {
    child.kill("SIGTERM");
    await child.status;
    child.stderr.cancel().catch(() => {});
  }
});
