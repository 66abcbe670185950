/**
 * rtsp.ts: the pure core of an RTSP/RTP server (RFC 2326). No I/O happens
 * here: feed bytes to a {@linkcode MessageFramer}, hand each request to an
 * {@linkcode RtspResponder}, write what it returns. The clock, session ids and
 * randomness are options, so everything can be driven byte for byte in tests.
 *
 * The client side is here too, as pure: {@linkcode RtspClientMachine} takes
 * bytes and a clock and gives bytes to write and typed events. `client.ts`
 * runs it over Deno sockets.
 *
 * Everything imported here is relative, so this module can be imported by URL:
 *
 * ```ts
 * import { MessageFramer, RtspResponder, StaticCatalogue } from "https://host/path/rtsp.ts";
 * ```
 *
 * @module
 */

export { canonicalHeaderName, RtspHeaders } from "./_rtsp/headers.ts";
export {
  DEFAULT_LIMITS,
  MAX_BODY_BYTES,
  MAX_HEAD_BYTES,
  MAX_HEADER_COUNT,
  MAX_INTERLEAVED_PAYLOAD_BYTES,
  MAX_REQUEST_LINE_BYTES,
  MAX_URL_LENGTH,
  type MessageLimits,
} from "./_rtsp/limits.ts";
export { isMethod, type Method, METHODS } from "./_rtsp/method.ts";
export {
  type ResponseHeaders,
  RTSP_VERSION,
  type RtspRequest,
  type RtspResponse,
  type RtspResponseMessage,
  type SerializeOptions,
  serializeRequest,
  serializeResponse,
} from "./_rtsp/message.ts";
export { type Frame, MessageFramer } from "./_rtsp/framer.ts";
export { REASON_PHRASE, STATUS, type StatusCode } from "./_rtsp/status.ts";
export {
  formatTransport,
  type LowerTransport,
  parseTransport,
  parseTransportSpec,
  type TransportError,
  type TransportSpec,
} from "./_rtsp/transport.ts";
export { formatRange, type NptRange, parseRange } from "./_rtsp/range.ts";
export {
  nextSessionState,
  parseSessionHeader,
  type Session,
  SESSION_TRANSITIONS,
  type SessionState,
  type SessionTrack,
  type StateMethod,
} from "./_rtsp/session.ts";
export { SessionTable } from "./_rtsp/session_table.ts";
export { parseRequestTarget, type RequestTarget } from "./_rtsp/url.ts";
export {
  type LookupFailure,
  type MediaCatalogue,
  StaticCatalogue,
  type StreamDescription,
  type TrackDescription,
} from "./_rtsp/catalogue.ts";
export { buildSdp, type SdpOrigin } from "./_rtsp/sdp.ts";
export {
  type ConnectionInfo,
  DEFAULT_SESSION_TIMEOUT_MS,
  type MediaController,
  type MulticastGroup,
  type PlayStart,
  type Reply,
  RtspResponder,
  type RtspResponderOptions,
  SERVER_NAME,
  type SessionEndReason,
  type UdpPorts,
} from "./_rtsp/responder.ts";
export {
  DEFAULT_MAX_REDIRECTS,
  DEFAULT_MAX_RESPONSE_BODY_BYTES,
  DEFAULT_MAX_RESPONSE_HEAD_BYTES,
  DEFAULT_MAX_TRACKS,
  DEFAULT_MEDIA_TIMEOUT_MS,
  DEFAULT_RESPONSE_TIMEOUT_MS,
  DEFAULT_UDP_TIMEOUT_MS,
  RtspClientMachine,
  type RtspClientMachineOptions,
} from "./_rtsp/client/rtsp_client_machine.ts";
export {
  type ClientEffect,
  type ClientError,
  type ClientEvent,
  type ClientFrame,
  type ClientOutput,
  ClientState,
  type ClientTransport,
  type TrackTransport,
} from "./_rtsp/client/client_outputs.ts";
export type { ClientDescription, ClientTrack } from "./_rtsp/client/client_tracks.ts";
export {
  type ClientCredentials,
  type ClientUrl,
  parseClientUrl,
} from "./_rtsp/client/client_url.ts";
export { describeBase, resolveControl } from "./_rtsp/client/control_url.ts";
export { parseRtpInfo, type RtpInfoEntry } from "./_rtsp/client/response_headers.ts";
export type { Cancel, Scheduler } from "./_rtsp/scheduler.ts";
