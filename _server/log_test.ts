import assert from "node:assert/strict";
import { escapeForLog, Logger } from "./log.ts";

Deno.test("escapeForLog() keeps a log line one line whatever a client sent", () => {
  assert.equal(escapeForLog("a\r\nINFO forged"), "a\\x0d\\x0aINFO forged");
  assert.equal(escapeForLog("\x1b[31mred\x7f\x85"), "\\x1b[31mred\\x7f\\x85");
  assert.equal(escapeForLog("x\u2028y\u2029"), "x\\u2028y\\u2029");
  assert.equal(escapeForLog("/caméra 1 ok"), "/caméra 1 ok");
});

Deno.test("Logger escapes every line it writes", () => {
  const lines: string[] = [];
  const log = new Logger("info", (line) => lines.push(line));
  log.warn("/live\r\n2026-01-01T00:00:00.000Z INFO admin logged in");
  log.debug("not written");
  assert.equal(lines.length, 1);
  assert.match(
    lines[0],
    /^\S+ WARN {2}\/live\\x0d\\x0a2026-01-01T00:00:00\.000Z INFO admin logged in$/,
  );
});
