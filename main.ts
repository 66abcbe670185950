/**
 * The server shell: flags, listener, sockets, timers and logging around the
 * pure core in `rtsp.ts`.
 *
 *     deno run --allow-net main.ts [--port 8554] [--hostname 0.0.0.0] [--log-level info]
 *
 * @module
 */

import { parseFlags, USAGE } from "./_server/flags.ts";
import { Logger } from "./_server/log.ts";
import { createApp, TEST_STREAM_PATH } from "./_server/app.ts";
import { loadConfig } from "./_server/config.ts";
import { udpBackendProblem } from "./_server/udp_transport.ts";
import { listenRtsps, type RtspsListener } from "./_server/rtsps_listener.ts";
import { fitConnectionsToDescriptors } from "./_server/descriptor_budget.ts";
import { readDescriptorLimit } from "./_server/descriptor_limit.ts";
import { type HttpListener, startHttpListener } from "./_server/http/listener.ts";

/** Exit code for a bad flag (as BSD sysexits EX_USAGE). */
const EXIT_USAGE = 64;
/** Exit code when the port cannot be listened on. */
const EXIT_LISTEN_FAILED = 1;

async function main(args: string[]): Promise<number> {
  const flags = parseFlags(args);
  if ("error" in flags) {
    console.error(`error: ${flags.error}\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  if (flags.help) {
    console.log(USAGE);
    return 0;
  }
  const udpProblem = udpBackendProblem(flags.udpApi);
  if (udpProblem) {
    console.error(`error: ${udpProblem}`);
    return EXIT_USAGE;
  }
  const loaded = loadConfig({
    configFile: flags.config,
    users: flags.users,
    admins: flags.admins,
    abuse: flags.abuse,
  });
  if (!loaded.ok) {
    console.error(`error: invalid configuration:\n  ${loaded.errors.join("\n  ")}`);
    return EXIT_USAGE;
  }
  const log = new Logger(flags.logLevel);
  // Past RLIMIT_NOFILE accepts fail (EMFILE): keep the connection limit below it.
  const descriptorLimit = readDescriptorLimit();
  if (descriptorLimit === undefined) {
    log.debug("open file limit unknown (reading it needs --allow-ffi); connection limits kept");
  }
  const budget = fitConnectionsToDescriptors({
    maxConnections: loaded.config.abuse.maxConnections,
    explicit: loaded.config.explicitLimits.has("maxConnections"),
    descriptorLimit,
    // A reader of a file holds the file open too.
    descriptorsPerConnection: flags.root === undefined ? 1 : 2,
  });
  if (budget.message) log.warn(budget.message);
  const abuse = { ...loaded.config.abuse, maxConnections: budget.maxConnections };
  let listener: Deno.TcpListener;
  try {
    listener = Deno.listen({ port: flags.port, hostname: flags.hostname });
  } catch (e) {
    const why = e instanceof Deno.errors.AddrInUse
      ? `port ${flags.port} is already in use`
      : e instanceof Error
      ? e.message
      : String(e);
    log.error(`cannot listen on ${flags.hostname}:${flags.port}: ${why}`);
    return EXIT_LISTEN_FAILED;
  }
  let tlsListener: RtspsListener | undefined;
  let tlsFiles: { cert: string; key: string } | undefined;
  if (flags.tls) {
    try {
      tlsFiles = {
        cert: Deno.readTextFileSync(flags.tls.certFile),
        key: Deno.readTextFileSync(flags.tls.keyFile),
      };
      tlsListener = listenRtsps({
        port: flags.tls.port,
        hostname: flags.hostname,
        ...tlsFiles,
        // A handshake is part of getting the first request head: same deadline.
        handshakeTimeoutMs: abuse.headTimeoutMs,
      });
    } catch (e) {
      listener.close();
      const why = e instanceof Deno.errors.AddrInUse
        ? `port ${flags.tls.port} is already in use`
        : e instanceof Error
        ? e.message
        : String(e);
      log.error(`cannot serve RTSPS on ${flags.hostname}:${flags.tls.port}: ${why}`);
      return EXIT_LISTEN_FAILED;
    }
  }
  if (flags.root !== undefined) {
    try {
      if (!Deno.statSync(flags.root).isDirectory) throw new Error("not a directory");
    } catch (e) {
      console.error(`error: --root "${flags.root}": ${e instanceof Error ? e.message : e}`);
      return EXIT_USAGE;
    }
  }
  let upstreamCaCerts: string[] | undefined;
  if (flags.upstreamCaFile !== undefined) {
    try {
      upstreamCaCerts = [Deno.readTextFileSync(flags.upstreamCaFile)];
    } catch (e) {
      listener.close();
      tlsListener?.close();
      console.error(
        `error: --upstream-ca "${flags.upstreamCaFile}": ${e instanceof Error ? e.message : e}`,
      );
      return EXIT_USAGE;
    }
  }
  const app = await createApp({
    hostname: flags.hostname,
    rtpPorts: flags.rtpPorts,
    udpBackend: flags.udpApi,
    log,
    multicast: { ...flags.multicastRange, ttl: flags.multicastTtl },
    root: flags.root,
    loopFiles: flags.loop,
    graceMs: flags.graceMs,
    replacePublisher: flags.replacePublisher,
    waitForPublisherMs: flags.waitForPublisherMs,
    maxReaderLagMs: flags.maxReaderLagMs,
    // Flags first (--origin last of them, as the catch-all), then the file's.
    pullSources: [
      ...flags.pullSources.filter((s) => s.pattern !== "/**"),
      ...loaded.config.pullSources,
      ...flags.pullSources.filter((s) => s.pattern === "/**"),
    ],
    upstreamCaCerts,
    abuse,
    auth: loaded.config.auth,
  });
  let http: HttpListener | undefined;
  if (flags.httpPort !== "off") {
    try {
      // The RTSPS certificate makes the status page and API HTTPS too.
      http = startHttpListener(app, {
        port: flags.httpPort,
        hostname: flags.hostname,
        tls: tlsFiles,
        log,
      });
    } catch (e) {
      listener.close();
      tlsListener?.close();
      await app.close();
      const why = e instanceof Deno.errors.AddrInUse
        ? `port ${flags.httpPort} is already in use`
        : e instanceof Error
        ? e.message
        : String(e);
      log.error(`cannot serve HTTP on ${flags.hostname}:${flags.httpPort}: ${why}`);
      return EXIT_LISTEN_FAILED;
    }
  }
  const server = app.server;
  const port = listener.addr.port;
  log.info(
    `listening on rtsp://${flags.hostname}:${port}/ (test stream: rtsp://127.0.0.1:${port}${TEST_STREAM_PATH})`,
  );

  const stopped = Promise.withResolvers<void>();
  const stop = () => stopped.resolve();
  for (const signal of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(signal, stop);
  if (tlsListener) {
    log.info(`listening on rtsps://${flags.hostname}:${tlsListener.addr.port}/`);
  }
  if (http) log.info(`listening on ${http.url} (status page; API /v1/; metrics /metrics)`);
  const serving = Promise.all([
    server.serve(listener),
    ...(tlsListener ? [server.serve(tlsListener)] : []),
  ]);
  await Promise.race([serving, stopped.promise]);
  log.info("shutting down");
  await http?.close();
  await app.close();
  await serving;
  for (const signal of ["SIGINT", "SIGTERM"] as const) Deno.removeSignalListener(signal, stop);
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
