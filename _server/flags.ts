/**
 * Command-line flags of `main.ts`, parsed with `node:util`'s `parseArgs`
 * (the built-in stand-in for `@std/cli`, which lives on JSR).
 * @module
 */

import { parseArgs } from "node:util";
import { LOG_LEVELS, type LogLevel } from "./log.ts";
import type { PortRange, UdpBackend } from "./udp_transport.ts";
import { type AbuseLimits, DEFAULT_ABUSE_LIMITS } from "./abuse_limits.ts";
import { patternError } from "../_rtsp/auth/permissions.ts";
import type { PullSourceSpec } from "../_engine/pull/pull_sources.ts";
import { parseOriginFlag, parseProxyFlag } from "./pull_config.ts";

/** RTSPS default port (mediamtx and common practice; RFC 2326 names none). */
export const DEFAULT_RTSPS_PORT = 8322;

/** Flags that set one abuse limit each: flag name, limit field, and how the flag's number maps to it. */
const LIMIT_FLAGS: ReadonlyArray<readonly [string, keyof AbuseLimits, number]> = [
  ["max-connections", "maxConnections", 1],
  ["max-connections-per-ip", "maxConnectionsPerAddress", 1],
  ["max-sessions", "maxSessions", 1],
  ["max-sessions-per-ip", "maxSessionsPerAddress", 1],
  ["max-sessions-per-connection", "maxSessionsPerConnection", 1],
  ["setup-timeout", "setupTimeoutMs", 1000],
  ["max-request-rate", "maxRequestsPerSecond", 1],
  ["head-timeout", "headTimeoutMs", 1000],
  ["idle-timeout", "idleTimeoutMs", 1000],
  ["auth-lockout-after", "authFailuresBeforeLockout", 1],
  ["auth-lockout", "lockoutMs", 1000],
  ["auth-pbkdf2-rate", "pbkdf2PerAddressPerSecond", 1],
];

/** Default port of the HTTP listener (status page, API, metrics), as mediamtx's HLS port. */
export const DEFAULT_HTTP_PORT = 8888;

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
  /** HTTP listener port (status page, API, metrics); "off" disables it. */
  readonly httpPort: number | "off";
  readonly hostname: string;
  readonly logLevel: LogLevel;
  readonly rtpPorts: PortRange | "any" | "off";
  /** Which UDP API sends RTP: "auto" takes the fastest the permissions allow. */
  readonly udpApi: UdpBackend;
  /** Multicast groups: first address (32-bit) and count. */
  readonly multicastRange: { readonly firstAddress: number; readonly addressCount: number };
  readonly multicastTtl: number;
  /** Directory of media files to serve, if any. */
  readonly root?: string;
  /** Start files again when they end. */
  readonly loop: boolean;
  /** Milliseconds readers of a published path wait for a new publisher. */
  readonly graceMs: number;
  /** Path patterns where a new publisher replaces the current one. */
  readonly replacePublisher: readonly string[];
  /** Milliseconds a DESCRIBE of a path with no publisher waits for one. */
  readonly waitForPublisherMs: number;
  /** Milliseconds a TCP reader may stay behind before it is disconnected. */
  readonly maxReaderLagMs: number;
  /** Limits set by flags (they override the config file's, which override the defaults). */
  readonly abuse: Partial<AbuseLimits>;
  /** RTSPS: PEM certificate and key files, and the port (both listeners run). */
  readonly tls?: { readonly certFile: string; readonly keyFile: string; readonly port: number };
  /** JSON configuration file (users, per-path rules, limits). */
  readonly config?: string;
  /** Pull sources from `--proxy` (in order), then `--origin` (every other path). */
  readonly pullSources: readonly PullSourceSpec[];
  /** `--upstream-ca FILE`: PEM certificates trusted for `rtsps://` upstreams, besides the system's. */
  readonly upstreamCaFile?: string;
  /** Users from `--user NAME:PASS`. */
  readonly users: ReadonlyArray<{ readonly name: string; readonly password: string }>;
  /** Users given the admin right by `--admin NAME`. */
  readonly admins: readonly string[];
  readonly help: boolean;
}

/** The values of `--udp-api`. */
const UDP_APIS: readonly UdpBackend[] = ["auto", "mmsg", "deno", "node"];

/** The `--help` text. */
export const USAGE = `Usage: deno run --allow-net main.ts [options]

RTSP/RTP server. Play the built-in test stream with:
  ffplay rtsp://127.0.0.1:8554/test

Options:
  --port N            TCP port for RTSP (default ${DEFAULT_RTSP_PORT}; 0 picks a free one)
  --http-port N       HTTP port of the status page, JSON API (/v1/) and /metrics
                      (default ${DEFAULT_HTTP_PORT}; 0 picks a free one; "off" disables it;
                      HTTPS with the --tls-cert certificate when RTSPS is on)
  --hostname ADDR     address to listen on (default 0.0.0.0)
  --log-level LEVEL   one of ${LOG_LEVELS.join(", ")} (default info)
  --rtp-ports A-B     UDP ports for RTP/RTCP; the first free even/odd pair is used
                      (default ${DEFAULT_RTP_PORTS}; "0" lets the OS pick; "off" disables UDP)
  --udp-api API       auto, mmsg, deno or node (default auto: mmsg, one sendmmsg
                      per batch, when --allow-ffi is given on Linux; else deno
                      with --unstable-net; else node:dgram)
  --multicast-range CIDR  groups handed to multicast readers (live, published, files)
                      (default ${DEFAULT_MULTICAST_RANGE})
  --multicast-ttl N   TTL of multicast packets (default ${DEFAULT_MULTICAST_TTL})
  --root DIR          serve the files under DIR: rtsp://host:port/<relative path>
                      (MP4 with H.264/H.265/AAC/Opus, .264/.h264/.265/.h265, .aac)
  --loop              start files again from the beginning when they end
  --publish-grace S   seconds readers of a published path wait for a new publisher
                      after the publisher leaves (default 10)
  --replace-publisher PATTERN  on paths matching PATTERN (e.g. /cam/*, ** for
                      all; repeatable) a new publisher replaces the current one,
                      whose connection is closed; elsewhere it gets 403
  --wait-for-publisher S  seconds a reader of a path with no publisher waits for
                      one before 404 (default 0)
  --max-reader-lag S  seconds a TCP reader may keep dropping frames before it is
                      disconnected (default 10)
  --tls-cert FILE     PEM certificate: also serve rtsps:// (with --tls-key)
  --tls-key FILE      PEM private key for --tls-cert
  --tls-port N        RTSPS port (default ${DEFAULT_RTSPS_PORT})
  --config FILE       JSON configuration: users, per-path read/publish rules, limits
  --user NAME:PASS    a user (repeatable); once any is given, reading and
                      publishing need credentials
  --proxy PATH=URL    serve PATH by pulling rtsp://URL on demand: one upstream
                      session for all readers (repeatable; credentials in the URL)
  --origin URL        be an edge: pull any other path P from URL/P on demand
  --upstream-ca FILE  PEM certificate(s) trusted for rtsps:// upstreams (a
                      camera's or origin's private CA), besides the system's
  --admin NAME        give a user the admin right (repeatable): the HTTP API's
                      session list, transcripts and kicks

Limits (503 with Retry-After, or the connection closed; 0 switches one off):
  --max-connections N         in total (default ${DEFAULT_ABUSE_LIMITS.maxConnections}, lowered at start
                              to what the open file limit fits)
  --max-connections-per-ip N  from one address (default ${DEFAULT_ABUSE_LIMITS.maxConnectionsPerAddress} = none)
  --max-sessions N            in total (default ${DEFAULT_ABUSE_LIMITS.maxSessions})
  --max-sessions-per-ip N     held by one address (default ${DEFAULT_ABUSE_LIMITS.maxSessionsPerAddress})
  --max-sessions-per-connection N  made on one connection (default ${DEFAULT_ABUSE_LIMITS.maxSessionsPerConnection})
  --setup-timeout S           seconds a session that never played may idle (default ${
  DEFAULT_ABUSE_LIMITS.setupTimeoutMs / 1000
})
  --max-request-rate N        requests per second per connection (default ${DEFAULT_ABUSE_LIMITS.maxRequestsPerSecond} = none)
  --head-timeout S            seconds to finish a request head, and an RTSPS
                              TLS handshake (default ${DEFAULT_ABUSE_LIMITS.headTimeoutMs / 1000})
  --idle-timeout S            seconds a connection without a session may idle (default ${
  DEFAULT_ABUSE_LIMITS.idleTimeoutMs / 1000
})
  --auth-lockout-after N      failed logins for one user from one address before that
                              user is locked out there (default ${DEFAULT_ABUSE_LIMITS.authFailuresBeforeLockout})
  --auth-lockout S            lockout length in seconds (default ${
  DEFAULT_ABUSE_LIMITS.lockoutMs / 1000
})
  --auth-pbkdf2-rate N        PBKDF2 checks (Basic, stored hashes) per address per
                              second, burst 2N; past it 503 (default ${DEFAULT_ABUSE_LIMITS.pbkdf2PerAddressPerSecond})
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
        "http-port": { type: "string" },
        hostname: { type: "string" },
        "log-level": { type: "string" },
        "rtp-ports": { type: "string" },
        "udp-api": { type: "string" },
        "multicast-range": { type: "string" },
        "multicast-ttl": { type: "string" },
        root: { type: "string" },
        loop: { type: "boolean" },
        "publish-grace": { type: "string" },
        "wait-for-publisher": { type: "string" },
        "replace-publisher": { type: "string", multiple: true },
        "max-reader-lag": { type: "string" },
        "tls-cert": { type: "string" },
        "tls-key": { type: "string" },
        "tls-port": { type: "string" },
        config: { type: "string" },
        user: { type: "string", multiple: true },
        proxy: { type: "string", multiple: true },
        origin: { type: "string" },
        "upstream-ca": { type: "string" },
        admin: { type: "string", multiple: true },
        ...Object.fromEntries(LIMIT_FLAGS.map(([name]) => [name, { type: "string" as const }])),
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
  const httpText = values["http-port"] ?? String(DEFAULT_HTTP_PORT);
  if (httpText !== "off" && (!/^\d{1,5}$/.test(httpText) || Number(httpText) > 65535)) {
    return { error: `Invalid --http-port "${httpText}": expected 0 to 65535 or off` };
  }
  const httpPort = httpText === "off" ? "off" : Number(httpText);
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
  const replacePublisher = values["replace-publisher"] ?? [];
  for (const pattern of replacePublisher) {
    const why = patternError(pattern);
    if (why) return { error: `Invalid --replace-publisher "${pattern}": ${why}` };
  }
  const udpApi = values["udp-api"] ?? "auto";
  if (!(UDP_APIS as readonly string[]).includes(udpApi)) {
    return { error: `Invalid --udp-api "${udpApi}": expected one of ${UDP_APIS.join(", ")}` };
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
  const abuse: Record<string, number> = {};
  for (const [name, field, scale] of LIMIT_FLAGS) {
    const text = (values as Record<string, unknown>)[name];
    if (text === undefined) continue;
    if (typeof text !== "string" || !/^\d+(\.\d+)?$/.test(text)) {
      return { error: `Invalid --${name} "${text}": expected a number >= 0` };
    }
    abuse[field] = Math.round(Number(text) * scale);
  }
  let tls: ServerFlags["tls"];
  if (values["tls-cert"] !== undefined || values["tls-key"] !== undefined) {
    if (values["tls-cert"] === undefined || values["tls-key"] === undefined) {
      return { error: "--tls-cert and --tls-key go together" };
    }
    const tlsPortText = values["tls-port"] ?? String(DEFAULT_RTSPS_PORT);
    if (!/^\d{1,5}$/.test(tlsPortText) || Number(tlsPortText) > 65535) {
      return { error: `Invalid --tls-port "${tlsPortText}": expected 0 to 65535` };
    }
    tls = { certFile: values["tls-cert"], keyFile: values["tls-key"], port: Number(tlsPortText) };
  }
  const users: Array<{ name: string; password: string }> = [];
  for (const entry of values.user ?? []) {
    const colon = entry.indexOf(":");
    if (colon <= 0) return { error: `Invalid --user "${entry}": expected NAME:PASSWORD` };
    users.push({ name: entry.slice(0, colon), password: entry.slice(colon + 1) });
  }
  const pullSources: PullSourceSpec[] = [];
  for (const entry of values.proxy ?? []) {
    const spec = parseProxyFlag(entry);
    if ("error" in spec) return spec;
    pullSources.push(spec);
  }
  if (values.origin !== undefined) {
    const spec = parseOriginFlag(values.origin);
    if ("error" in spec) return spec;
    pullSources.push(spec);
  }
  const waitText = values["wait-for-publisher"] ?? "0";
  const wait = Number(waitText);
  if (!/^\d+(\.\d+)?$/.test(waitText) || wait > 3600) {
    return { error: `Invalid --wait-for-publisher "${waitText}": expected seconds, 0 to 3600` };
  }
  return {
    port,
    httpPort,
    admins: values.admin ?? [],
    waitForPublisherMs: wait * 1000,
    abuse: abuse as Partial<AbuseLimits>,
    tls,
    config: values.config,
    users,
    pullSources,
    upstreamCaFile: values["upstream-ca"],
    graceMs: grace * 1000,
    replacePublisher,
    maxReaderLagMs: lag * 1000,
    rtpPorts,
    udpApi: udpApi as UdpBackend,
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
