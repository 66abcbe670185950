/**
 * Command-line flags of `main.ts`, parsed with `node:util`'s `parseArgs`
 * (the built-in stand-in for `@std/cli`, which lives on JSR).
 * @module
 */

import { parseArgs } from "node:util";
import { LOG_LEVELS, type LogLevel } from "./log.ts";

/** RFC 2326, 3.2: the default RTSP port. */
export const DEFAULT_RTSP_PORT = 8554;

/** The server's configuration from flags. */
export interface ServerFlags {
  readonly port: number;
  readonly hostname: string;
  readonly logLevel: LogLevel;
  readonly help: boolean;
}

/** The `--help` text. */
export const USAGE = `Usage: deno run --allow-net main.ts [options]

RTSP/RTP server. Play the built-in test stream with:
  ffplay rtsp://127.0.0.1:8554/test

Options:
  --port N            TCP port for RTSP (default ${DEFAULT_RTSP_PORT}; 0 picks a free one)
  --hostname ADDR     address to listen on (default 0.0.0.0)
  --log-level LEVEL   one of ${LOG_LEVELS.join(", ")} (default info)
  -h, --help          show this help
`;

/** Parses flags; returns an error message instead of throwing. */
export function parseFlags(args: readonly string[]): ServerFlags | { error: string } {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: "string" },
        hostname: { type: "string" },
        "log-level": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
  const portText = values.port ?? String(DEFAULT_RTSP_PORT);
  const port = Number(portText);
  if (!/^\d{1,5}$/.test(portText) || port > 65535) {
    return { error: `Invalid --port "${portText}": expected 0 to 65535` };
  }
  const level = values["log-level"] ?? "info";
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    return { error: `Invalid --log-level "${level}": expected one of ${LOG_LEVELS.join(", ")}` };
  }
  return {
    port,
    hostname: values.hostname ?? "0.0.0.0",
    logLevel: level as LogLevel,
    help: values.help ?? false,
  };
}
