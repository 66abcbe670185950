/**
 * Command-line flags of `main.ts`, parsed with `node:util`'s `parseArgs`
 * (the built-in stand-in for `@std/cli`, which lives on JSR).
 * @module
 */

import { parseArgs } from "node:util";
import { LOG_LEVELS, type LogLevel } from "./log.ts";
import type { PortRange } from "./udp_transport.ts";

/** RFC 2326, 3.2: the default RTSP port. */
export const DEFAULT_RTSP_PORT = 8554;
/** Default multicast groups: RFC 2365 organization-local scope. */
export const DEFAULT_MULTICAST_RANGE = "239.255.42.0/24";
/** Default multicast TTL: 1 keeps packets on the local network. */
export const DEFAULT_MULTICAST_TTL = 1;
/** Default UDP ports searched for an RTP/RTCP pair (live555 and VLC use 6970 up). */
export const DEFAULT_RTP_PORTS = "6970-6999";

/** The server's configuration from flags. */
export interface ServerFlags {
  readonly port: number;
  readonly hostname: string;
  readonly logLevel: LogLevel;
  readonly rtpPorts: PortRange | "any" | "off";
  /** Multicast groups: first address (32-bit) and count. */
  readonly multicastRange: { readonly firstAddress: number; readonly addressCount: number };
  readonly multicastTtl: number;
  /** Directory of media files to serve, if any. */
  readonly root?: string;
  /** Start files again when they end. */
  readonly loop: boolean;
  /** Milliseconds readers of a published path wait for a new publisher. */
  readonly graceMs: number;
  /** Milliseconds a TCP reader may stay behind before it is disconnected. */
  readonly maxReaderLagMs: number;
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
  --rtp-ports A-B     UDP ports for RTP/RTCP; the first free even/odd pair is used
                      (default ${DEFAULT_RTP_PORTS}; "0" lets the OS pick; "off" disables UDP)
  --multicast-range CIDR  groups handed to multicast readers of live streams
                      (default ${DEFAULT_MULTICAST_RANGE})
  --multicast-ttl N   TTL of multicast packets (default ${DEFAULT_MULTICAST_TTL})
  --root DIR          serve the files under DIR: rtsp://host:port/<relative path>
                      (MP4 with H.264/H.265/AAC/Opus, .264/.h264/.265/.h265, .aac)
  --loop              start files again from the beginning when they end
  --publish-grace S   seconds readers of a published path wait for a new publisher
                      after the publisher leaves (default 10)
  --max-reader-lag S  seconds a TCP reader may keep dropping frames before it is
                      disconnected (default 10)
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
        "rtp-ports": { type: "string" },
        "multicast-range": { type: "string" },
        "multicast-ttl": { type: "string" },
        root: { type: "string" },
        loop: { type: "boolean" },
        "publish-grace": { type: "string" },
        "max-reader-lag": { type: "string" },
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
  const rtpText = values["rtp-ports"] ?? DEFAULT_RTP_PORTS;
  let rtpPorts: PortRange | "any" | "off";
  if (rtpText === "off") rtpPorts = "off";
  else if (rtpText === "0") rtpPorts = "any";
  else {
    const m = /^(\d{1,5})-(\d{1,5})$/.exec(rtpText);
    const first = Number(m?.[1]);
    const last = Number(m?.[2]);
    if (!m || first < 1024 || last > 65535 || last < first + 1) {
      return {
        error:
          `Invalid --rtp-ports "${rtpText}": expected A-B with 1024 <= A < B <= 65535, 0 or off`,
      };
    }
    rtpPorts = { first, last };
  }
  const rangeText = values["multicast-range"] ?? DEFAULT_MULTICAST_RANGE;
  const multicastRange = parseMulticastRange(rangeText);
  if (!multicastRange) {
    return {
      error: `Invalid --multicast-range "${rangeText}": expected a CIDR inside 224.0.0.0/4`,
    };
  }
  const ttlText = values["multicast-ttl"] ?? String(DEFAULT_MULTICAST_TTL);
  const multicastTtl = Number(ttlText);
  if (!/^\d{1,3}$/.test(ttlText) || multicastTtl > 255) {
    return { error: `Invalid --multicast-ttl "${ttlText}": expected 0 to 255` };
  }
  const graceText = values["publish-grace"] ?? "10";
  const grace = Number(graceText);
  if (!/^\d+(\.\d+)?$/.test(graceText) || grace > 86400) {
    return { error: `Invalid --publish-grace "${graceText}": expected seconds, 0 to 86400` };
  }
  const lagText = values["max-reader-lag"] ?? "10";
  const lag = Number(lagText);
  if (!/^\d+(\.\d+)?$/.test(lagText) || lag > 86400) {
    return { error: `Invalid --max-reader-lag "${lagText}": expected seconds, 0 to 86400` };
  }
  return {
    port,
    graceMs: grace * 1000,
    maxReaderLagMs: lag * 1000,
    rtpPorts,
    multicastRange,
    multicastTtl,
    root: values.root,
    loop: values.loop ?? false,
    hostname: values.hostname ?? "0.0.0.0",
    logLevel: level as LogLevel,
    help: values.help ?? false,
  };
}

/** Parses `a.b.c.d/n` inside the multicast block 224.0.0.0/4 (RFC 5771). */
export function parseMulticastRange(
  text: string,
): { firstAddress: number; addressCount: number } | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const bits = Number(m[5]);
  if (octets.some((o) => o > 255) || bits < 4 || bits > 32) return undefined;
  const address = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
  const count = 2 ** (32 - bits);
  const first = bits === 32 ? address : (address & ~(count - 1)) >>> 0;
  if (first >>> 28 !== 0xe) return undefined;
  return { firstAddress: first, addressCount: count };
}
