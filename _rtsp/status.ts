/**
 * RTSP status codes and their reason phrases (RFC 2326, 7.1.1 and 11).
 * @module
 */

/** Status codes this server sends. Each cites RFC 2326. */
export const STATUS = {
  /** RFC 2326, 11.1 */
  Ok: 200,
  /** RFC 2326, 11.4.1 (from RFC 2616 10.4.1) */
  BadRequest: 400,
  /** RFC 2326, 11.4.2 */
  Unauthorized: 401,
  /** RFC 2326, 11.4.4 */
  Forbidden: 403,
  /** RFC 2326, 11.4.5 */
  NotFound: 404,
  /** RFC 2326, 11.4.6: must carry `Allow`. */
  MethodNotAllowed: 405,
  /** RFC 2326, 11.4.14 */
  RequestEntityTooLarge: 413,
  /** RFC 2326, 11.4.15 */
  RequestUriTooLarge: 414,
  /** RFC 2326, 11.4.16 */
  UnsupportedMediaType: 415,
  /** RFC 2326, 11.3.1 */
  ParameterNotUnderstood: 451,
  /** RFC 2326, 11.3.4 */
  SessionNotFound: 454,
  /** RFC 2326, 11.3.5 */
  MethodNotValidInThisState: 455,
  /** RFC 2326, 11.3.7 */
  InvalidRange: 457,
  /** RFC 2326, 11.3.9 */
  AggregateOperationNotAllowed: 459,
  /** RFC 2326, 11.3.10 */
  OnlyAggregateOperationAllowed: 460,
  /** RFC 2326, 11.3.11 */
  UnsupportedTransport: 461,
  /** RFC 2326, 11.5.1 */
  InternalServerError: 500,
  /** RFC 2326, 11.5.2 */
  NotImplemented: 501,
  /** RFC 2326, 11.5.3 */
  BadGateway: 502,
  /** RFC 2326, 11.5.4 */
  ServiceUnavailable: 503,
  /** RFC 2326, 11.5.5 */
  GatewayTimeout: 504,
  /** RFC 2326, 11.5.6 */
  RtspVersionNotSupported: 505,
  /** RFC 2326, 11.5.7 */
  OptionNotSupported: 551,
  /**
   * A request that came back to this server through proxies (its `Via`, RFC
   * 2326 12.43, names us). RTSP 1.0 has no code for it; HTTP's (RFC 5842, 7.2) is used.
   */
  LoopDetected: 508,
} as const;

/** One of the status codes in {@linkcode STATUS}. */
export type StatusCode = typeof STATUS[keyof typeof STATUS];

/** Reason phrases as listed in RFC 2326, 7.1.1. */
export const REASON_PHRASE: Readonly<Record<StatusCode, string>> = {
  200: "OK",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  413: "Request Entity Too Large",
  414: "Request-URI Too Large",
  415: "Unsupported Media Type",
  451: "Parameter Not Understood",
  454: "Session Not Found",
  455: "Method Not Valid in This State",
  457: "Invalid Range",
  459: "Aggregate Operation Not Allowed",
  460: "Only Aggregate Operation Allowed",
  461: "Unsupported Transport",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Time-out",
  505: "RTSP Version Not Supported",
  508: "Loop Detected",
  551: "Option not supported",
};
