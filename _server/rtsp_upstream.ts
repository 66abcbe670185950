/**
 * The engine's {@linkcode UpstreamConnector} over the RTSP client: each pulled
 * path's upstream session is an {@linkcode RtspClient}, its packets handed to
 * the engine as they come, its typed errors turned into upstream failures.
 * @module
 */

import type { ClientError, ClientEvent } from "../_rtsp/client/client_outputs.ts";
import type { Scheduler } from "../_rtsp/scheduler.ts";
import type {
  UpstreamConnector,
  UpstreamEvents,
  UpstreamFailure,
  UpstreamHandle,
  UpstreamRequest,
} from "../_engine/pull/upstream_port.ts";
import { RtspClient, RtspClientError } from "./rtsp_client.ts";

/** What an upstream failure is, from the client's typed error. */
export function upstreamFailureOf(error: ClientError, playing: boolean): UpstreamFailure {
  switch (error.kind) {
    case "http-status": {
      const message = `${error.method} answered ${error.status} ${error.reason}`;
      if (error.status === 404) return { kind: "not-found", message };
      if (error.status === 401 || error.status === 403) return { kind: "unauthorized", message };
      // Another server found itself in our Via chain (RFC 2326, 12.43).
      if (error.status === 508) return { kind: "loop", message };
      return { kind: "protocol", message };
    }
    case "auth-failed":
      return { kind: "unauthorized", message: `credentials refused (${error.reason})` };
    case "timeout":
      return error.what === "media"
        ? { kind: "lost", message: "no media" }
        : { kind: "timeout", message: `no answer to ${error.method ?? "a request"}` };
    case "connect-failed":
      return { kind: "unreachable", message: error.detail };
    case "connection-closed":
      return playing
        ? { kind: "lost", message: "connection closed" }
        : { kind: "protocol", message: "connection closed before PLAY was answered" };
    case "malformed":
      return { kind: "protocol", message: error.detail };
    case "too-many-redirects":
      return { kind: "protocol", message: `${error.count} redirects` };
    case "too-many-tracks":
      return { kind: "protocol", message: `${error.count} tracks` };
  }
}

/** Opens upstream sessions with the RTSP client over Deno sockets. */
export class RtspUpstreams implements UpstreamConnector {
  #scheduler: Scheduler;
  #caCerts: string[] | undefined;

  /**
   * @param scheduler the client's clock and timers
   * @param caCerts PEM certificates trusted for `rtsps://` upstreams, besides the system's
   */
  constructor(scheduler: Scheduler, caCerts?: string[]) {
    this.#scheduler = scheduler;
    this.#caCerts = caCerts;
  }

  open(request: UpstreamRequest, events: UpstreamEvents): UpstreamHandle {
    let client: RtspClient | undefined;
    let done = false;
    let playing = false;
    const fail = (failure: UpstreamFailure) => {
      if (done) return;
      done = true;
      events.failed(failure);
      client?.close().catch(() => {});
    };
    const onEvent = (event: ClientEvent) => {
      if (done) return;
      switch (event.kind) {
        case "playing": {
          // Told at once, before the first packet is handed on (the client's
          // promises resolve a turn later, after packets may have come).
          const description = client?.description;
          if (!description) return;
          playing = true;
          events.playing(description.tracks, description.sdp);
          return;
        }
        case "rtp":
          // The bytes are a view into the client's buffer: the relay keeps a copy.
          if (playing) events.rtp(event.track, event.bytes.slice());
          return;
        case "rtcp":
          if (playing) events.rtcp(event.track, event.bytes.slice());
          return;
        case "bye":
          fail({ kind: "lost", message: "the upstream sent RTCP BYE" });
          return;
        case "error":
          fail(upstreamFailureOf(event.error, playing));
          return;
        case "closed":
          fail(upstreamFailureOf({ kind: "connection-closed" }, playing));
          return;
      }
    };
    (async () => {
      try {
        client = await RtspClient.connect(request.url, {
          transport: request.transport,
          scheduler: this.#scheduler,
          // The engine watches for silence itself (the stall time of the source).
          mediaTimeoutMs: 0,
          extraHeaders: [["Via", request.via]],
          onEvent,
          ...(this.#caCerts ? { caCerts: this.#caCerts } : {}),
        });
        if (done) {
          await client.close();
          return;
        }
        await client.play();
      } catch (error) {
        if (error instanceof RtspClientError) fail(upstreamFailureOf(error.error, playing));
        else fail({ kind: "protocol", message: error instanceof Error ? error.message : "error" });
      }
    })();
    return {
      close: () => {
        done = true;
        client?.close().catch(() => {});
      },
    };
  }
}
