/**
 * A sans-I/O RTSP client (RFC 2326) for one session to one URL: bytes, UDP
 * datagrams and a clock go in; bytes to write, effects and typed events come
 * out through one `output` callback. The shell (`_server/rtsp_client.ts`)
 * carries out the effects; tests drive it byte for byte with a manual scheduler.
 *
 * The sequence is OPTIONS, DESCRIBE, SETUP per track, then PLAY when asked;
 * keep-alives before the session times out (RFC 2326, 12.37); TEARDOWN on close.
 * One request is outstanding at a time, each with a deadline.
 * @module
 */

import { MessageFramer } from "../framer.ts";
import { interleavedFrame } from "../interleaved.ts";
import { buildCompound, buildReceiverReport, buildSdes } from "../rtp/rtcp.ts";
import { buildRtpPacket } from "../rtp/rtp_packet.ts";
import { RtspHeaders } from "../headers.ts";
import { hasControlCharacter } from "../url.ts";
import {
  RTSP_VERSION,
  type RtspRequest,
  type RtspResponseMessage,
  serializeRequest,
  serializeResponse,
} from "../message.ts";
import { type Cancel, every, type Scheduler } from "../scheduler.ts";
import { parseSdp } from "../sdp_parse.ts";
import { STATUS } from "../status.ts";
import { parseTransport } from "../transport.ts";
import { ClientAuthenticator } from "./client_auth.ts";
import { type ClientDescription, describeTracks } from "./client_tracks.ts";
import {
  type ClientError,
  type ClientOutput,
  ClientState,
  type ClientTransport,
  type TrackTransport,
} from "./client_outputs.ts";
import { type ClientUrl, parseClientUrl } from "./client_url.ts";
import { describeBase } from "./control_url.ts";
import {
  matchRtpInfo,
  parsePublic,
  parseRtpInfo,
  parseSessionResponse,
} from "./response_headers.ts";
import { type Received, TrackReceiver } from "./track_receiver.ts";

/** Default deadline for each response. */
export const DEFAULT_RESPONSE_TIMEOUT_MS = 10_000;
/** Default wait for the first RTP over UDP after PLAY before falling back to TCP. */
export const DEFAULT_UDP_TIMEOUT_MS = 3_000;
/** Default silence (no RTP nor RTCP) while playing before giving up. */
export const DEFAULT_MEDIA_TIMEOUT_MS = 10_000;
/** Default bound on 3xx answers followed in a row. */
export const DEFAULT_MAX_REDIRECTS = 3;
/** Default bound on the media of an SDP. */
export const DEFAULT_MAX_TRACKS = 16;
/** Default largest response head. */
export const DEFAULT_MAX_RESPONSE_HEAD_BYTES = 16 * 1024;
/** Default largest response body (the SDP). */
export const DEFAULT_MAX_RESPONSE_BODY_BYTES = 64 * 1024;
/** What a request's `User-Agent` says by default. */
export const DEFAULT_USER_AGENT = "rtsp.ts";
/**
 * Times one request is sent again after a 401: once for a challenge, once more
 * for a new nonce or `stale=true` (RFC 7616, 3.3).
 */
const MAX_AUTH_RETRIES = 2;
/** RFC 2326, 11.3: the 3xx statuses that carry a Location to follow. */
const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 305, 307]);
/** RFC 3550, 6.2: the minimum interval between RTCP reports, 5 s. */
const RECEIVER_REPORT_INTERVAL_MS = 5_000;
/** The CNAME of our RTCP (RFC 3550, 6.5.1); one per client is all it must be. */
const RTCP_CNAME = "rtsp.ts-client";
/** CSeqs of abandoned requests remembered, so their late answers are ignored. */
const MAX_ABANDONED = 8;

/** Options of {@linkcode RtspClientMachine}. */
export interface RtspClientMachineOptions {
  /** Receives every effect and event, in order. */
  readonly output: (output: ClientOutput) => void;
  /** The clock and timers. */
  readonly scheduler: Scheduler;
  /** @default {"auto"} */
  readonly transport?: ClientTransport;
  /** @default {DEFAULT_RESPONSE_TIMEOUT_MS} */
  readonly responseTimeoutMs?: number;
  /** @default {DEFAULT_UDP_TIMEOUT_MS} */
  readonly udpTimeoutMs?: number;
  /** @default {DEFAULT_MEDIA_TIMEOUT_MS}; 0 disables it. */
  readonly mediaTimeoutMs?: number;
  /** @default {DEFAULT_MAX_REDIRECTS} */
  readonly maxRedirects?: number;
  /** @default {DEFAULT_MAX_TRACKS} */
  readonly maxTracks?: number;
  /** @default {DEFAULT_MAX_RESPONSE_HEAD_BYTES} */
  readonly maxHeadBytes?: number;
  /** @default {DEFAULT_MAX_RESPONSE_BODY_BYTES} */
  readonly maxBodyBytes?: number;
  /** @default {DEFAULT_USER_AGENT} */
  readonly userAgent?: string;
  /**
   * Header fields sent with every request, e.g. `Via` when a proxy pulls for its
   * readers (RFC 2326, 12.43). Values holding a control character are refused
   * at construction, so nothing can end a header line early.
   */
  readonly extraHeaders?: ReadonlyArray<readonly [string, string]>;
  /** Randomness for Digest cnonces. @default crypto.getRandomValues */
  readonly randomBytes?: (length: number) => Uint8Array;
}

/** What a request was sent for: decides what its answer does. */
type Purpose =
  | { readonly kind: "options" }
  | { readonly kind: "describe" }
  | { readonly kind: "setup"; readonly track: number }
  | { readonly kind: "play" }
  | { readonly kind: "keep-alive" }
  | { readonly kind: "teardown"; readonly then: "close" | "setup-tcp" };

/** The request waiting for its answer. */
interface Pending {
  readonly method: string;
  readonly uri: string;
  readonly cseq: number;
  readonly purpose: Purpose;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  /** The challenge its Authorization was made from. */
  readonly authKey: string | undefined;
  readonly authRetries: number;
  readonly cancelTimer: Cancel;
}

/** Which track and kind an interleaved channel carries. */
interface ChannelUse {
  readonly track: number;
  readonly rtcp: boolean;
}

function randomBytes(length: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(length));
}

const decoder = new TextDecoder();

/**
 * The client state machine. Call `start()`, then feed it: `connected()` once
 * the shell's connection is open, `receive(bytes)` with what it reads,
 * `useUdpPorts()` when asked, `receiveDatagram()` with UDP input,
 * `connectionClosed()` at EOF; ask it to `play()` and `close()`. Nothing it
 * is fed makes it throw: bad input ends in an `error` event and `closed`.
 *
 * @example
 * ```ts
 * const machine = new RtspClientMachine("rtsp://cam/live", {
 *   scheduler,
 *   transport: "tcp",
 *   output: (o) => {
 *     if (o.kind === "connect") openSocket(o.hostname, o.port).then(() => machine.connected());
 *     else if (o.kind === "write") socket.write(o.bytes);
 *     else if (o.kind === "ready") machine.play();
 *     else if (o.kind === "frame") use(o.frame);
 *   },
 * });
 * machine.start();
 * // for each read: machine.receive(bytes); at EOF: machine.connectionClosed()
 * ```
 */
export class RtspClientMachine {
  readonly #output: (output: ClientOutput) => void;
  readonly #scheduler: Scheduler;
  readonly #wantedTransport: ClientTransport;
  readonly #responseTimeoutMs: number;
  readonly #udpTimeoutMs: number;
  readonly #mediaTimeoutMs: number;
  readonly #maxRedirects: number;
  readonly #maxTracks: number;
  readonly #maxHeadBytes: number;
  readonly #maxBodyBytes: number;
  readonly #userAgent: string;
  readonly #extraHeaders: ReadonlyArray<readonly [string, string]>;
  readonly #randomBytes: (length: number) => Uint8Array;

  #state: ClientState = ClientState.Idle;
  #url: ClientUrl;
  #auth: ClientAuthenticator;
  #framer: MessageFramer;
  #cseq = 0;
  #pending: Pending | undefined;
  #abandoned: number[] = [];
  #redirects = 0;
  #public = new Set<string>();
  #description: ClientDescription | undefined;
  /** UDP while it is tried; TCP once chosen or fallen back to. */
  #lower: "UDP" | "TCP";
  #udpPorts: ReadonlyArray<readonly [number, number]> | undefined;
  /** Whether the shell was asked to open UDP ports and not yet to close them. */
  #udpOpen = false;
  #session: string | undefined;
  #transports: TrackTransport[] = [];
  #receivers: TrackReceiver[] = [];
  #channels = new Map<number, ChannelUse>();
  #wantPlay = false;
  #keepAlive: Cancel | undefined;
  #udpCheck: Cancel | undefined;
  #mediaCheck: Cancel | undefined;
  #reports: Cancel | undefined;
  #lastMediaAt = 0;
  /** Our SSRC in receiver reports (RFC 3550, 8.1: random). */
  readonly #ssrc: number;

  /**
   * @param url `rtsp://` or `rtsps://`, with optional `user:password@`
   * @throws {TypeError} when `url` cannot be parsed
   */
  constructor(url: string, options: RtspClientMachineOptions) {
    const parsed = parseClientUrl(url);
    if (!parsed) throw new TypeError(`Cannot parse RTSP URL "${url.slice(0, 200)}"`);
    this.#url = parsed;
    this.#output = options.output;
    this.#scheduler = options.scheduler;
    this.#wantedTransport = options.transport ?? "auto";
    this.#lower = this.#wantedTransport === "tcp" ? "TCP" : "UDP";
    this.#responseTimeoutMs = options.responseTimeoutMs ?? DEFAULT_RESPONSE_TIMEOUT_MS;
    this.#udpTimeoutMs = options.udpTimeoutMs ?? DEFAULT_UDP_TIMEOUT_MS;
    this.#mediaTimeoutMs = options.mediaTimeoutMs ?? DEFAULT_MEDIA_TIMEOUT_MS;
    this.#maxRedirects = options.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
    this.#maxTracks = options.maxTracks ?? DEFAULT_MAX_TRACKS;
    this.#maxHeadBytes = options.maxHeadBytes ?? DEFAULT_MAX_RESPONSE_HEAD_BYTES;
    this.#maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_RESPONSE_BODY_BYTES;
    this.#userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
    for (const [name, value] of options.extraHeaders ?? []) {
      if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name) || hasControlCharacter(value)) {
        throw new TypeError(`extra header ${JSON.stringify(name)}: not a valid header field`);
      }
    }
    this.#extraHeaders = options.extraHeaders ?? [];
    this.#randomBytes = options.randomBytes ?? randomBytes;
    this.#auth = new ClientAuthenticator(parsed.credentials, this.#randomBytes);
    this.#framer = this.#newFramer();
    this.#ssrc = new DataView(this.#randomBytes(4).buffer).getUint32(0);
  }

  /** Where the session stands. */
  get state(): ClientState {
    return this.#state;
  }

  /** The URL requests go to now (after redirects), without credentials. */
  get url(): string {
    return this.#url.url;
  }

  /** What DESCRIBE answered, once it has. */
  get description(): ClientDescription | undefined {
    return this.#description;
  }

  /** The session id, once SETUP gave one. */
  get session(): string | undefined {
    return this.#session;
  }

  /** How each track travels, once set up. */
  get transports(): readonly TrackTransport[] {
    return this.#transports;
  }

  /** Per track: RTP packets accepted, input discarded, packets the depacketizer dropped. */
  get trackStats(): Array<{ packets: number; invalid: number; dropped: number }> {
    return this.#receivers.map((r) => ({
      packets: r.packets,
      invalid: r.invalid,
      dropped: r.dropped,
    }));
  }

  /** Asks the shell to connect. */
  start(): void {
    if (this.#state !== ClientState.Idle) return;
    this.#connect();
  }

  /** The shell's connection is open: OPTIONS goes out. */
  connected(): void {
    if (this.#state !== ClientState.Connecting) return;
    this.#emit({ kind: "connected", url: this.#url.url });
    this.#state = ClientState.Options;
    this.#send("OPTIONS", this.#url.url, { kind: "options" });
  }

  /** The shell could not connect. */
  connectFailed(detail: string): void {
    if (this.#state !== ClientState.Connecting) return;
    this.#fail({ kind: "connect-failed", detail });
  }

  /** Bytes read from the connection. */
  receive(bytes: Uint8Array): void {
    if (this.#state === ClientState.Closed || this.#state === ClientState.Idle) return;
    this.#framer.push(bytes);
    while (!this.#isClosed()) {
      const frame = this.#framer.next();
      if (frame === undefined) return;
      switch (frame.kind) {
        case "interleaved":
          this.#onInterleaved(frame.channel, frame.payload);
          break;
        case "response":
          this.#onResponse(frame.response);
          break;
        case "request":
          this.#answerServerRequest(frame.request);
          break;
        case "error":
          this.#fail({ kind: "malformed", detail: frame.message });
          return;
      }
    }
  }

  /** The connection ended (EOF or error). */
  connectionClosed(): void {
    if (this.#state === ClientState.Closed || this.#state === ClientState.Idle) return;
    if (this.#state === ClientState.TearingDown) return this.#shutdown();
    this.#fail({ kind: "connection-closed" });
  }

  /** The UDP port pairs the shell bound, one per track (after an `open-udp` effect). */
  useUdpPorts(ports: ReadonlyArray<readonly [number, number]>): void {
    if (this.#state !== ClientState.AwaitingPorts) return;
    if (ports.length < this.#receivers.length) {
      // Fewer than asked: the shell could not bind them; TCP needs none.
      this.#closeUdp();
      if (this.#wantedTransport === "auto") {
        this.#lower = "TCP";
        this.#setupTrack(0);
        return;
      }
      return this.#fail({ kind: "connect-failed", detail: "cannot bind UDP ports" });
    }
    this.#udpPorts = ports;
    this.#setupTrack(0);
  }

  /** A datagram that came to track `track`'s RTP (or RTCP) port. */
  receiveDatagram(track: number, rtcp: boolean, bytes: Uint8Array): void {
    if (this.#lower !== "UDP" || this.#state === ClientState.Closed) return;
    const receiver = this.#receivers[track];
    if (receiver) this.#onMedia(receiver, rtcp, bytes);
  }

  /** Sends PLAY once every track is set up (at once when they are). */
  play(): void {
    this.#wantPlay = true;
    if (this.#state === ClientState.Ready) this.#sendPlay();
  }

  /** TEARDOWN (when a session exists), then close; `closed` comes last. */
  close(): void {
    const state = this.#state;
    if (state === ClientState.Closed || state === ClientState.TearingDown) return;
    if (
      this.#session === undefined || state === ClientState.Connecting || state === ClientState.Idle
    ) {
      return this.#shutdown();
    }
    this.#abandonPending();
    this.#state = ClientState.TearingDown;
    this.#send("TEARDOWN", this.#description!.aggregateUrl, { kind: "teardown", then: "close" });
  }

  // --- requests and responses ---

  #send(
    method: string,
    uri: string,
    purpose: Purpose,
    headers: ReadonlyArray<readonly [string, string]> = [],
    authRetries = 0,
  ): void {
    const cseq = ++this.#cseq;
    const fields = new RtspHeaders([["CSeq", String(cseq)], ["User-Agent", this.#userAgent]]);
    const authorization = this.#auth.authorization(method, uri);
    if (authorization !== undefined) fields.append("Authorization", authorization);
    if (this.#session !== undefined) fields.append("Session", this.#session);
    for (const [name, value] of this.#extraHeaders) fields.append(name, value);
    for (const [name, value] of headers) fields.append(name, value);
    const cancelTimer = this.#scheduler.after(this.#responseTimeoutMs, () => {
      if (this.#pending?.cseq !== cseq) return;
      this.#pending = undefined;
      if (purpose.kind === "teardown" && purpose.then === "close") return this.#shutdown();
      this.#fail({ kind: "timeout", what: "response", method });
    });
    this.#pending = {
      method,
      uri,
      cseq,
      purpose,
      headers,
      authKey: authorization === undefined ? undefined : this.#auth.challengeKey,
      authRetries,
      cancelTimer,
    };
    const request: RtspRequest = {
      method,
      uri,
      version: RTSP_VERSION,
      headers: fields,
      body: new Uint8Array(0),
    };
    this.#emit({ kind: "write", bytes: serializeRequest(request) });
  }

  /** Forgets the pending request; its late answer is ignored. */
  #abandonPending(): void {
    const pending = this.#pending;
    if (!pending) return;
    pending.cancelTimer();
    this.#pending = undefined;
    this.#abandoned.push(pending.cseq);
    if (this.#abandoned.length > MAX_ABANDONED) this.#abandoned.shift();
  }

  #onResponse(response: RtspResponseMessage): void {
    const cseqText = response.headers.get("cseq")?.trim();
    const cseq = cseqText !== undefined && /^\d{1,10}$/.test(cseqText) ? Number(cseqText) : NaN;
    if (this.#abandoned.includes(cseq)) return;
    const pending = this.#pending;
    if (!pending) {
      return this.#fail({ kind: "malformed", detail: `Response ${response.status} to no request` });
    }
    if (cseq !== pending.cseq) {
      return this.#fail({
        kind: "malformed",
        detail: `Response CSeq "${(cseqText ?? "").slice(0, 20)}" does not match ${pending.cseq}`,
      });
    }
    if (response.status < 100 || response.status > 599) {
      return this.#fail({ kind: "malformed", detail: `Status ${response.status}` });
    }
    // RFC 2326, 7.1.1: 1xx is provisional; the final answer follows with the same CSeq.
    if (response.status < 200) return;
    pending.cancelTimer();
    this.#pending = undefined;
    // Whatever TEARDOWN gets (even a 401 or a 3xx), the session is over for us.
    if (pending.purpose.kind === "teardown") {
      return pending.purpose.then === "close" ? this.#shutdown() : this.#restartOverTcp();
    }
    if (response.status === STATUS.Unauthorized) return this.#onUnauthorized(pending, response);
    if (REDIRECT_STATUSES.has(response.status) && response.headers.has("location")) {
      return this.#redirect(response.headers.get("location")!);
    }
    switch (pending.purpose.kind) {
      case "options":
        return this.#onOptions(response);
      case "describe":
        return this.#onDescribe(pending, response);
      case "setup":
        return this.#onSetup(pending, pending.purpose.track, response);
      case "play":
        return this.#onPlay(pending, response);
      case "keep-alive":
        // RFC 2326, 11.3.5 Session Not Found: the server forgot us.
        if (response.status === STATUS.SessionNotFound) return this.#failStatus(pending, response);
        return;
    }
  }

  #onUnauthorized(pending: Pending, response: RtspResponseMessage): void {
    const refusal = pending.authRetries >= MAX_AUTH_RETRIES
      ? "refused"
      : this.#auth.answer(response.headers.get("www-authenticate") ?? "", pending.authKey);
    if (refusal !== undefined) return this.#fail({ kind: "auth-failed", reason: refusal });
    this.#send(
      pending.method,
      pending.uri,
      pending.purpose,
      pending.headers,
      pending.authRetries + 1,
    );
  }

  #redirect(location: string): void {
    let target: ClientUrl | undefined;
    try {
      target = parseClientUrl(new URL(location.trim(), this.#url.url).href);
    } catch {
      target = undefined;
    }
    if (!target) return this.#fail({ kind: "malformed", detail: "Location is not an RTSP URL" });
    if (++this.#redirects > this.#maxRedirects) {
      return this.#fail({ kind: "too-many-redirects", count: this.#redirects });
    }
    // Credentials go only where the user sent them: the same host and port,
    // unless the Location carries its own.
    const sameOrigin = target.hostname === this.#url.hostname && target.port === this.#url.port;
    const credentials = target.credentials ?? (sameOrigin ? this.#url.credentials : undefined);
    this.#url = { ...target, ...(credentials ? { credentials } : {}) };
    this.#auth = new ClientAuthenticator(credentials, this.#randomBytes);
    this.#emit({ kind: "redirected", url: target.url });
    this.#stopTimers();
    this.#closeUdp();
    this.#lower = this.#wantedTransport === "tcp" ? "TCP" : "UDP";
    this.#session = undefined;
    this.#description = undefined;
    this.#receivers = [];
    this.#transports = [];
    this.#channels.clear();
    this.#public = new Set();
    this.#emit({ kind: "close-connection" });
    this.#connect();
  }

  #onOptions(response: RtspResponseMessage): void {
    // A camera that refuses OPTIONS (405, 501) may still DESCRIBE: carry on.
    if (response.status < 300) this.#public = parsePublic(response.headers.get("public"));
    this.#state = ClientState.Describing;
    this.#send("DESCRIBE", this.#url.url, { kind: "describe" }, [["Accept", "application/sdp"]]);
  }

  #onDescribe(pending: Pending, response: RtspResponseMessage): void {
    if (response.status >= 300) return this.#failStatus(pending, response);
    const type = response.headers.get("content-type");
    if (type !== undefined && !/^\s*application\/sdp\s*(;|$)/i.test(type)) {
      return this.#fail({
        kind: "malformed",
        detail: `DESCRIBE answered with ${type.slice(0, 60)}`,
      });
    }
    const text = decoder.decode(response.body);
    const parsed = parseSdp(text);
    if (!parsed.ok) {
      return this.#fail({ kind: "malformed", detail: `SDP ${parsed.error}: ${parsed.detail}` });
    }
    if (parsed.sdp.media.length > this.#maxTracks) {
      return this.#fail({ kind: "too-many-tracks", count: parsed.sdp.media.length });
    }
    const description = describeTracks(
      text,
      parsed.sdp,
      describeBase(this.#url.url, response.headers),
    );
    if (description.tracks.length === 0) {
      return this.#fail({ kind: "malformed", detail: "SDP describes no RTP track" });
    }
    this.#description = description;
    this.#receivers = description.tracks.map((t) => new TrackReceiver(t));
    this.#emit({ kind: "described", description });
    if (this.#lower === "UDP") {
      this.#state = ClientState.AwaitingPorts;
      this.#udpOpen = true;
      this.#emit({ kind: "open-udp", tracks: description.tracks.length });
    } else {
      this.#setupTrack(0);
    }
  }

  #setupTrack(track: number): void {
    this.#state = ClientState.SettingUp;
    const control = this.#description!.tracks[track].controlUrl;
    let transport: string;
    if (this.#lower === "TCP") {
      // RFC 2326, 10.12: channels 2i and 2i+1 for track i.
      transport = `RTP/AVP/TCP;unicast;interleaved=${2 * track}-${2 * track + 1}`;
    } else {
      const [rtp, rtcp] = this.#udpPorts![track];
      transport = `RTP/AVP;unicast;client_port=${rtp}-${rtcp}`;
    }
    this.#send("SETUP", control, { kind: "setup", track }, [["Transport", transport]]);
  }

  #onSetup(pending: Pending, track: number, response: RtspResponseMessage): void {
    if (response.status === STATUS.UnsupportedTransport && this.#lower === "UDP") {
      if (this.#wantedTransport === "auto") return this.#fallBackToTcp("unsupported-transport");
    }
    if (response.status >= 300) return this.#failStatus(pending, response);
    const sessionText = response.headers.get("session");
    const session = sessionText === undefined ? undefined : parseSessionResponse(sessionText);
    if (!session) {
      return this.#fail({ kind: "malformed", detail: "SETUP answer without a usable Session" });
    }
    if (this.#session === undefined) {
      this.#session = session.id;
      // RFC 2326, 12.37: keep the session alive well before its timeout.
      const periodMs = (session.timeoutSeconds * 1000) / 2;
      this.#keepAlive = every(this.#scheduler, periodMs, () => this.#sendKeepAlive());
    }
    const transport = this.#readTransport(track, response.headers.get("transport"));
    if (typeof transport === "string") return this.#fail({ kind: "malformed", detail: transport });
    this.#transports[track] = transport;
    if (transport.lower === "UDP") this.#punch(track, transport);
    if (transport.lower === "TCP") {
      this.#channels.set(transport.channels[0], { track, rtcp: false });
      this.#channels.set(transport.channels[1], { track, rtcp: true });
    }
    if (track + 1 < this.#description!.tracks.length) return this.#setupTrack(track + 1);
    this.#state = ClientState.Ready;
    this.#emit({ kind: "ready", transports: [...this.#transports] });
    if (this.#wantPlay) this.#sendPlay();
  }

  /** The transport a SETUP answer chose, or why it cannot be used. */
  #readTransport(track: number, text: string | undefined): TrackTransport | string {
    const asked: TrackTransport = this.#lower === "TCP"
      ? { lower: "TCP", channels: [2 * track, 2 * track + 1] }
      : { lower: "UDP", clientPorts: this.#udpPorts![track] };
    if (text === undefined) return asked;
    const choices = parseTransport(text);
    if ("error" in choices) return `SETUP answer: ${choices.error}`;
    const spec = choices[0];
    if (spec.lower !== this.#lower) return `SETUP asked for ${this.#lower}, got ${spec.lower}`;
    if (spec.lower === "TCP") {
      const channels = spec.interleaved ?? [2 * track, 2 * track + 1];
      for (const channel of channels) {
        const used = this.#channels.get(channel);
        if (used && used.track !== track) return `Interleaved channel ${channel} used twice`;
      }
      return { lower: "TCP", channels };
    }
    return {
      lower: "UDP",
      clientPorts: this.#udpPorts![track],
      ...(spec.serverPorts ? { serverPorts: spec.serverPorts } : {}),
      ...(spec.source ? { source: spec.source } : {}),
    };
  }

  /**
   * Sends one RTP packet without payload and one empty receiver report to the
   * server's ports, so a NAT or firewall in front of us lets its media in (as
   * ffmpeg does). RFC 3550, 6.4.2: an RR may hold no report block.
   */
  #punch(track: number, transport: Extract<TrackTransport, { lower: "UDP" }>): void {
    const ports = transport.serverPorts;
    if (!ports) return;
    const payloadType = this.#description!.tracks[track].description.payloadType;
    const rtp = buildRtpPacket(
      { payloadType, marker: false, sequenceNumber: 0, timestamp: 0, ssrc: this.#ssrc },
      new Uint8Array(0),
    );
    this.#emit({ kind: "send-datagram", track, rtcp: false, port: ports[0], bytes: rtp });
    const rr = buildCompound(
      buildReceiverReport({ ssrc: this.#ssrc, reports: [] }),
      buildSdes(this.#ssrc, RTCP_CNAME),
    );
    this.#emit({ kind: "send-datagram", track, rtcp: true, port: ports[1], bytes: rr });
  }

  /** One receiver report per track that has received RTP (RFC 3550, 6.4.2), SDES CNAME with it (6.1). */
  #sendReceiverReports(): void {
    const now = this.#scheduler.now();
    this.#receivers.forEach((receiver, track) => {
      const block = receiver.reportBlock(now);
      const transport = this.#transports[track];
      if (!block || !transport) return;
      const bytes = buildCompound(
        buildReceiverReport({ ssrc: this.#ssrc, reports: [block] }),
        buildSdes(this.#ssrc, RTCP_CNAME),
      );
      if (transport.lower === "TCP") {
        this.#emit({ kind: "write", bytes: interleavedFrame(transport.channels[1], bytes) });
      } else if (transport.serverPorts) {
        this.#emit({
          kind: "send-datagram",
          track,
          rtcp: true,
          port: transport.serverPorts[1],
          bytes,
        });
      }
    });
  }

  #sendPlay(): void {
    this.#state = ClientState.Starting;
    this.#send("PLAY", this.#description!.aggregateUrl, { kind: "play" }, [[
      "Range",
      "npt=0.000-",
    ]]);
  }

  #onPlay(pending: Pending, response: RtspResponseMessage): void {
    if (response.status >= 300) return this.#failStatus(pending, response);
    const description = this.#description!;
    const rtpInfo = matchRtpInfo(
      parseRtpInfo(response.headers.get("rtp-info") ?? ""),
      description.tracks.map((t) => t.controlUrl),
    );
    this.#state = ClientState.Playing;
    this.#lastMediaAt = this.#scheduler.now();
    this.#emit({ kind: "playing", transports: [...this.#transports], rtpInfo });
    if (this.#lower === "UDP") {
      this.#udpCheck = this.#scheduler.after(this.#udpTimeoutMs, () => {
        this.#udpCheck = undefined;
        if (this.#state !== ClientState.Playing || this.#lower !== "UDP") return;
        if (this.#receivers.some((r) => r.packets > 0)) return;
        if (this.#wantedTransport === "auto") return this.#fallBackToTcp("no-udp-data");
        this.#fail({ kind: "timeout", what: "media" });
      });
    }
    this.#reports?.();
    this.#reports = every(
      this.#scheduler,
      RECEIVER_REPORT_INTERVAL_MS,
      () => this.#sendReceiverReports(),
    );
    if (this.#mediaTimeoutMs > 0) {
      this.#mediaCheck?.();
      this.#mediaCheck = every(this.#scheduler, this.#mediaTimeoutMs / 2, () => {
        if (this.#state !== ClientState.Playing) return;
        if (this.#scheduler.now() - this.#lastMediaAt >= this.#mediaTimeoutMs) {
          this.#fail({ kind: "timeout", what: "media" });
        }
      });
    }
  }

  #sendKeepAlive(): void {
    if (this.#pending || this.#state === ClientState.TearingDown || !this.#description) return;
    // RFC 2326, 10.8: GET_PARAMETER without a body is the usual ping; OPTIONS where it is not offered.
    if (this.#public.has("GET_PARAMETER")) {
      this.#send("GET_PARAMETER", this.#description.aggregateUrl, { kind: "keep-alive" });
    } else {
      this.#send("OPTIONS", this.#url.url, { kind: "keep-alive" });
    }
  }

  /** Gives up UDP: tears the session down (if any), then sets up again over TCP. */
  #fallBackToTcp(reason: "unsupported-transport" | "no-udp-data"): void {
    this.#emit({ kind: "transport-fallback", reason });
    this.#closeUdp();
    if (this.#state === ClientState.Playing) this.#wantPlay = true;
    this.#lower = "TCP";
    this.#stopPlayingTimers();
    if (this.#session === undefined) return this.#restartOverTcp();
    this.#state = ClientState.SettingUp;
    this.#send("TEARDOWN", this.#description!.aggregateUrl, {
      kind: "teardown",
      then: "setup-tcp",
    });
  }

  #restartOverTcp(): void {
    this.#keepAlive?.();
    this.#keepAlive = undefined;
    this.#session = undefined;
    this.#udpPorts = undefined;
    this.#transports = [];
    this.#channels.clear();
    this.#receivers = this.#description!.tracks.map((t) => new TrackReceiver(t));
    this.#setupTrack(0);
  }

  /** Answers what a server asks on the connection (RFC 2326, 10: e.g. a GET_PARAMETER ping). */
  #answerServerRequest(request: RtspRequest): void {
    const known = request.method === "OPTIONS" || request.method === "GET_PARAMETER";
    const cseq = request.headers.get("cseq");
    const bytes = serializeResponse(
      {
        status: known ? STATUS.Ok : STATUS.NotImplemented,
        headers: cseq !== undefined && /^\d{1,10}$/.test(cseq.trim()) ? { cseq: cseq.trim() } : {},
      },
      { date: new Date(this.#scheduler.now()).toUTCString(), server: this.#userAgent },
    );
    this.#emit({ kind: "write", bytes });
  }

  // --- media ---

  #onInterleaved(channel: number, payload: Uint8Array): void {
    const use = this.#channels.get(channel);
    if (!use || this.#lower !== "TCP") return;
    this.#onMedia(this.#receivers[use.track], use.rtcp, payload);
  }

  #onMedia(receiver: TrackReceiver, rtcp: boolean, bytes: Uint8Array): void {
    const now = this.#scheduler.now();
    const received = rtcp ? receiver.rtcp(bytes, now) : receiver.rtp(bytes, now);
    if (received.packet === undefined && received.rtcp === undefined) return;
    this.#lastMediaAt = now;
    this.#emitReceived(receiver.track.index, received, bytes);
  }

  #emitReceived(track: number, received: Received, bytes: Uint8Array): void {
    if (received.packet) this.#emit({ kind: "rtp", track, packet: received.packet, bytes });
    for (const unit of received.units) {
      this.#emit({
        kind: "frame",
        frame: { track, timestamp: unit.timestamp, units: unit.units, keyframe: unit.keyframe },
      });
    }
    if (received.rtcp) {
      this.#emit({ kind: "rtcp", track, packets: received.rtcp, bytes });
      for (const packet of received.rtcp) {
        if (packet.type !== "bye") continue;
        this.#emit({
          kind: "bye",
          track,
          ...(packet.reason !== undefined ? { reason: packet.reason } : {}),
        });
      }
    }
  }

  // --- lifecycle ---

  #connect(): void {
    this.#state = ClientState.Connecting;
    this.#framer = this.#newFramer();
    this.#emit({
      kind: "connect",
      hostname: this.#url.hostname,
      port: this.#url.port,
      secure: this.#url.secure,
    });
  }

  #newFramer(): MessageFramer {
    return new MessageFramer({
      maxHeadBytes: this.#maxHeadBytes,
      maxBodyBytes: this.#maxBodyBytes,
      maxRequestLineBytes: Math.min(4096, this.#maxHeadBytes),
    });
  }

  #closeUdp(): void {
    this.#udpPorts = undefined;
    if (!this.#udpOpen) return;
    this.#udpOpen = false;
    this.#emit({ kind: "close-udp" });
  }

  #failStatus(pending: Pending, response: RtspResponseMessage): void {
    this.#fail({
      kind: "http-status",
      method: pending.method,
      status: response.status,
      reason: response.reason.slice(0, 200),
    });
  }

  #fail(error: ClientError): void {
    if (this.#state === ClientState.Closed) return;
    this.#emit({ kind: "error", error });
    this.#shutdown();
  }

  #stopTimers(): void {
    this.#pending?.cancelTimer();
    this.#pending = undefined;
    this.#keepAlive?.();
    this.#keepAlive = undefined;
    this.#stopPlayingTimers();
  }

  /** Stops what runs only while playing: the UDP check, the media check, RTCP reports. */
  #stopPlayingTimers(): void {
    this.#udpCheck?.();
    this.#udpCheck = undefined;
    this.#mediaCheck?.();
    this.#mediaCheck = undefined;
    this.#reports?.();
    this.#reports = undefined;
  }

  #shutdown(): void {
    if (this.#state === ClientState.Closed) return;
    this.#stopTimers();
    const hadConnection = this.#state !== ClientState.Idle;
    this.#state = ClientState.Closed;
    this.#closeUdp();
    if (hadConnection) this.#emit({ kind: "close-connection" });
    this.#emit({ kind: "closed" });
  }

  /** A method, so the compiler does not narrow `#state` across calls that change it. */
  #isClosed(): boolean {
    return this.#state === ClientState.Closed;
  }

  #emit(output: ClientOutput): void {
    this.#output(output);
  }
}
