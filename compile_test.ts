/**
 * `deno task compile` makes one binary. `deno compile` builds it on the Deno
 * runtime (denort) for the target, which it takes from `DENORT_BIN`, from its
 * cache under DENO_DIR, or else downloads from dl.deno.land. Which of these is
 * possible is decided before building: with none of them the test is ignored and
 * its name says why (under CI too: CI machines cannot reach that host). When one
 * is possible, any build failure fails the test.
 */

import assert from "node:assert/strict";
import { RawClient } from "./_testing/raw_client.ts";

/** Where `deno compile` would get denort from here, or why it could not. */
async function denortRuntime(): Promise<{ from: string } | { unavailable: string }> {
  // deno compile reads DENORT_BIN first; a wrong path there is a build failure.
  const bin = Deno.env.get("DENORT_BIN");
  if (bin) return { from: `DENORT_BIN=${bin}` };
  const info = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
    stderr: "null",
  }).output();
  assert.ok(info.success, "deno info --json failed");
  const denoDir: string = JSON.parse(new TextDecoder().decode(info.stdout)).denoDir;
  // Release builds cache it as dl/release/v<version>/denort-<target>.zip.
  const cached = `${denoDir}/dl/release/v${Deno.version.deno}/denort-${Deno.build.target}.zip`;
  try {
    if ((await Deno.stat(cached)).isFile) return { from: cached };
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  try {
    const conn = await Deno.connect({
      hostname: "dl.deno.land",
      port: 443,
      signal: AbortSignal.timeout(3000),
    });
    conn.close();
    return { from: "https://dl.deno.land" };
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return {
      unavailable: `no DENORT_BIN, no ${cached}, dl.deno.land:443 unreachable (${why})`,
    };
  }
}

const runtime = await denortRuntime();

Deno.test({
  name: "deno compile builds a binary that serves RTSP" +
    ("unavailable" in runtime ? ` [ignored: no denort runtime: ${runtime.unavailable}]` : ""),
  ignore: "unavailable" in runtime,
  fn: async () => {
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
    assert.ok(
      built.success,
      `deno compile (denort from ${"from" in runtime ? runtime.from : "?"}) failed: ${stderr}`,
    );
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
  },
});
