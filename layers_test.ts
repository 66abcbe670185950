/**
 * The layers stay apart: the protocol core and the stream engine are pure and
 * import nothing from the shell; the core knows the engine only through its port.
 */

import assert from "node:assert/strict";

const ROOT = new URL("./", import.meta.url);

/** Every non-test `.ts` file under `folder`, as [path, text]. */
function sources(folder: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const walk = (dir: URL, rel: string) => {
    for (const entry of Deno.readDirSync(dir)) {
      const path = `${rel}/${entry.name}`;
      if (entry.isDirectory) walk(new URL(`${entry.name}/`, dir), path);
      else if (entry.name.endsWith(".ts") && !entry.name.endsWith("_test.ts")) {
        out.push([path, Deno.readTextFileSync(new URL(entry.name, dir))]);
      }
    }
  };
  walk(new URL(`${folder}/`, ROOT), folder);
  return out;
}

function importsOf(text: string): string[] {
  // Static imports and re-exports start a line; their specifier follows `from`.
  return [...text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s*"([^"]+)"/gm)].map((m) => m[1]);
}

Deno.test("_rtsp/ imports only _rtsp/ and uses no Deno or node: API", () => {
  const files = sources("_rtsp");
  assert.ok(files.length > 50);
  for (const [path, text] of files) {
    for (const spec of importsOf(text)) {
      assert.ok(spec.startsWith("./") || spec.startsWith("../"), `${path}: ${spec}`);
      assert.doesNotMatch(spec, /_engine|_server|_testing/, `${path}: ${spec}`);
    }
    assert.doesNotMatch(text, /\bDeno\./, `${path} uses a Deno API`);
  }
});

Deno.test("_engine/ imports only _rtsp/ and _engine/ and uses no Deno or node: API", () => {
  const files = sources("_engine");
  assert.ok(files.length > 10);
  for (const [path, text] of files) {
    for (const spec of importsOf(text)) {
      assert.ok(spec.startsWith("./") || spec.startsWith("../"), `${path}: ${spec}`);
      assert.doesNotMatch(spec, /_server|_testing/, `${path}: ${spec}`);
    }
    assert.doesNotMatch(text, /\bDeno\./, `${path} uses a Deno API`);
  }
});

Deno.test("the responder reaches media only through the port", () => {
  const text = Deno.readTextFileSync(new URL("_rtsp/responder.ts", ROOT));
  assert.ok(importsOf(text).includes("./media_port.ts"));
});
