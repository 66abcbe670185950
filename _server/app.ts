/**
 * Assembles a server: library of streams, UDP sockets, media hub, responder and
 * accept loop. `main.ts` and the integration tests both build it this way.
 * @module
 */

import type { Scheduler } from "../_rtsp/scheduler.ts";
import { SYSTEM_SCHEDULER } from "./system_scheduler.ts";
import { RtspResponder } from "../_rtsp/responder.ts";
import type { MessageLimits } from "../_rtsp/limits.ts";
import { LiveTestSource } from "../_rtsp/media/live_test_source.ts";
import { FileLibrary } from "./file_library.ts";
import { MediaLibrary } from "../_engine/library.ts";
import { LiveStream } from "../_engine/live_stream.ts";
import type { Logger } from "./log.ts";
import { MediaHub } from "../_engine/media_hub.ts";
import { RtspServer } from "./server.ts";
import { type AbuseLimits, AuthFailureTracker, DEFAULT_ABUSE_LIMITS } from "./abuse_limits.ts";
import { type AuthConfig, createAuth } from "../_rtsp/auth/config.ts";
import { type PortRange, type UdpBackend, UdpPair } from "./udp_transport.ts";
import { compilePathPattern } from "../_rtsp/auth/permissions.ts";
import { canonicalPath } from "../_rtsp/url.ts";
import { OperatorCounters } from "./operator_counters.ts";
import { PullRegistry } from "../_engine/pull/pull_registry.ts";
import { RtspUpstreams } from "./rtsp_upstream.ts";
import { toHex } from "../_rtsp/auth/encoding.ts";
import { PullSources, type PullSourceSpec } from "../_engine/pull/pull_sources.ts";
import type { UpstreamConnector } from "../_engine/pull/upstream_port.ts";

/** Default wait for a new publisher before a published path's readers are ended. */
export const DEFAULT_GRACE_MS = 10_000;

/** The path of the built-in live test stream. */
export const TEST_STREAM_PATH = "/test";

/** Whether a path matches any of `patterns`; patterns must be valid. */
function pathMatcher(patterns: readonly string[]): (path: string) => boolean {
  const compiled = patterns.map(compilePathPattern);
  return (path) => compiled.some((regex) => regex.test(canonicalPath(path)));
}

/** Options of {@linkcode createApp}. */
export interface AppOptions {
  /** Address the UDP sockets bind to. */
  readonly hostname: string;
  /** UDP ports for RTP/RTCP: a range, "any" (OS-chosen pair) or "off". */
  readonly rtpPorts: PortRange | "any" | "off";
  /** "node" forces `node:dgram` even where `Deno.listenDatagram` is available. */
  readonly udpBackend?: UdpBackend;
  readonly log: Logger;
  readonly limits?: Partial<MessageLimits>;
  /** Session timeout. */
  readonly sessionTimeoutMs?: number;
  /** Directory of files to serve (`--root`). */
  readonly root?: string;
  /** Start files again when they end (`--loop`). */
  readonly loopFiles?: boolean;
  /** How long a DESCRIBE of a path with no publisher waits for one (ms); 0: 404 at once. */
  readonly waitForPublisherMs?: number;
  /** How long readers of a published path wait for a new publisher (ms). */
  readonly graceMs?: number;
  /**
   * Path patterns (as in the configuration's `paths`) where a new publisher
   * replaces the current one instead of being refused. @default none
   */
  readonly replacePublisher?: readonly string[];
  /** How long a TCP reader may stay behind before it is disconnected (ms). */
  readonly maxReaderLagMs?: number;
  /** Connection, session, rate and deadline limits. */
  readonly abuse?: AbuseLimits;
  /** Users and per-path rules; undefined: anyone may read and publish. */
  readonly auth?: AuthConfig;
  /** The clock and timers of everything built. @default {SYSTEM_SCHEDULER} */
  readonly scheduler?: Scheduler;
  /** Multicast groups for live streams; undefined disables multicast. */
  /** Paths pulled from upstream servers (`--proxy`, `--origin`, the config's `proxy`). */
  readonly pullSources?: readonly PullSourceSpec[];
  /** Opens upstream sessions for pulled paths. @default the RTSP client over Deno sockets */
  readonly upstreams?: UpstreamConnector;
  /** PEM certificates trusted for `rtsps://` upstreams besides the system's (`--upstream-ca`). */
  readonly upstreamCaCerts?: string[];
  readonly multicast?: {
    readonly firstAddress: number;
    readonly addressCount: number;
    readonly ttl: number;
  };
}

/** RFC 3551, 8: 5004 is the default RTP port; multicast track i uses 5004 + 2i. */
export const MULTICAST_FIRST_PORT = 5004;

/** A server, ready to serve listeners. */
export interface App {
  readonly responder: RtspResponder;
  readonly server: RtspServer;
  readonly hub: MediaHub;
  readonly library: MediaLibrary;
  readonly udp: UdpPair | undefined;
  /** Failed logins and refused connections, for `/metrics`. */
  readonly counters: OperatorCounters;
  /** Failed logins per address and user: the HTTP listener locks out with the same records. */
  readonly authFailures: AuthFailureTracker;
  /** The limits in force. */
  readonly abuse: AbuseLimits;
  /** Users, rules and admins; undefined: no users (anyone may read and publish). */
  readonly auth: AuthConfig | undefined;
  /** The clock and timers everything was built with. */
  readonly scheduler: Scheduler;
  /** The pulled paths, when pull sources are configured. */
  readonly pulls: PullRegistry;
  /** Files start again when they end (`--loop`), for RTSP and browser readers alike. */
  readonly loopFiles: boolean;
  /** Stops streams, sessions, sockets and connections. */
  close(): Promise<void>;
}

function random32(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}

/** Builds the server. */
export async function createApp(options: AppOptions): Promise<App> {
  const { log } = options;
  const scheduler = options.scheduler ?? SYSTEM_SCHEDULER;
  const now = () => scheduler.now();
  const library = new MediaLibrary(
    scheduler,
    options.root ? new FileLibrary(options.root, log) : undefined,
    options.waitForPublisherMs ?? 0,
  );
  library.addShared(
    new LiveStream({
      path: TEST_STREAM_PATH,
      name: "rtsp.ts test pattern",
      source: new LiveTestSource(scheduler.now()),
      scheduler,
      random32,
      cname: "rtsp.ts",
    }),
  );
  let udp: UdpPair | undefined;
  if (options.rtpPorts !== "off") {
    udp = await UdpPair.bind(
      options.hostname,
      options.rtpPorts === "any" ? undefined : options.rtpPorts,
      options.udpBackend,
    );
    if (udp) {
      log.info(`RTP/RTCP over UDP on ports ${udp.rtpPort}-${udp.rtcpPort} (${udp.backend})`);
    } else log.warn("no free UDP port pair: clients must use TCP (UDP SETUP answers 461)");
  }
  let multicastSockets: UdpPair | undefined;
  if (options.multicast) {
    multicastSockets = await UdpPair.bind(options.hostname, undefined, "node");
    // Send on the interface we listen on, so a server bound to 127.0.0.1 keeps
    // its multicast on this machine; 0.0.0.0 leaves the choice to the routing table.
    const iface = options.hostname === "0.0.0.0" ? undefined : options.hostname;
    multicastSockets?.setMulticast(options.multicast.ttl, iface);
  }
  // Always there, even with no source at start: the JSON API may add some.
  const pulls = new PullRegistry({
    sources: new PullSources(options.pullSources ?? []),
    connector: options.upstreams ?? new RtspUpstreams(scheduler, options.upstreamCaCerts),
    scheduler,
    log,
    viaToken: `rtsp.ts-${toHex(crypto.getRandomValues(new Uint8Array(4)))}`,
    publish: (relay) => library.addShared(relay),
    // Readers of a path that stops for good (source removed, server closing)
    // are ended like those of a publisher that never came back.
    unpublish: (relay) => hub.endStream(relay, "pull source stopped"),
  });
  library.pullFrom(pulls);
  const abuse = options.abuse ?? DEFAULT_ABUSE_LIMITS;
  const auth = options.auth
    ? createAuth(options.auth, {
      now,
      random: (n) => crypto.getRandomValues(new Uint8Array(n)),
      slowHashesPerSecond: abuse.pbkdf2PerAddressPerSecond,
    })
    : undefined;
  if (auth) {
    log.info(
      `authentication on: ${options.auth!.users.length} user(s), realm "${options.auth!.realm}", ` +
        `challenges ${options.auth!.schemes.join(", ")}`,
    );
  } else {
    log.info("no users configured: anyone may read and publish");
  }
  const failures = new AuthFailureTracker(abuse, now);
  const counters = new OperatorCounters();
  // Claimed user names come from the network: quoted and cut short in logs.
  const shown = (user: string) => JSON.stringify(user.slice(0, 64));
  const responder = new RtspResponder({
    auth,
    authFailures: {
      lockedOut: (address, user) => failures.lockedOut(address, user),
      failed: (address, user) => {
        if (user !== undefined) counters.authFailures++;
        const delay = failures.failed(address, user);
        if (user === undefined) {
          log.warn(`${address}: PBKDF2 budget spent, answered 503 without verifying`);
        } else if (failures.lockedOut(address, user)) {
          log.warn(
            `${address}: user ${shown(user)} locked out for ${
              abuse.lockoutMs / 1000
            } s after failed logins`,
          );
        } else log.warn(`${address}: failed login as ${shown(user)}`);
        return delay;
      },
      succeeded: (address, user) => failures.succeeded(address, user),
    },
    catalogue: library,
    now,
    sessionTimeoutMs: options.sessionTimeoutMs,
    maxSessions: abuse.maxSessions,
    sessionCaps: {
      perAddress: abuse.maxSessionsPerAddress,
      perConnection: abuse.maxSessionsPerConnection,
    },
    unplayedSessionTimeoutMs: abuse.setupTimeoutMs || undefined,
    retryAfterSeconds: abuse.retryAfterSeconds,
  });
  const server = new RtspServer({
    responder,
    log,
    scheduler,
    abuse,
    counters,
    limits: options.limits,
    onInterleaved: (info, channel, payload) => hub.receivedInterleaved(info.id, channel, payload),
  });
  const hub: MediaHub = new MediaHub({
    library,
    writers: server.writers,
    udp,
    log,
    scheduler,
    loopFiles: options.loopFiles,
    graceMs: options.graceMs ?? DEFAULT_GRACE_MS,
    replacePublisher: pathMatcher(options.replacePublisher ?? []),
    maxReaderLagMs: options.maxReaderLagMs,
    readerLeft: (path) => pulls.readerLeft(path),
    // The engine's requests, carried out here: it never calls the responder itself.
    effects: (effect) => {
      switch (effect.kind) {
        case "end-session":
          responder.endSession(effect.sessionId, effect.reason);
          break;
        case "refresh-session":
          responder.touchSession(effect.sessionId);
          break;
        case "close-connection":
          server.writers.get(effect.connectionId)?.abort();
          break;
      }
    },
    multicast: options.multicast && multicastSockets
      ? { ...options.multicast, firstPort: MULTICAST_FIRST_PORT, sockets: multicastSockets }
      : undefined,
  });
  responder.setMediaController(hub);
  pulls.start();
  return {
    responder,
    server,
    hub,
    library,
    udp,
    counters,
    authFailures: failures,
    abuse,
    auth: options.auth,
    scheduler,
    pulls,
    loopFiles: options.loopFiles ?? false,
    async close() {
      await server.close();
      pulls.close();
      library.close();
      await Promise.all([udp?.close(), multicastSockets?.close()]);
    },
  };
}
