/**
 * The URL a client is given: `rtsp[s]://[user[:password]@]host[:port]/path`
 * (RFC 2326, 3.2). Credentials are taken out of it, percent-decoded (RFC 3986,
 * 3.2.1), and never sent in a request line.
 * @module
 */

/** RFC 2326, 3.2: the default port of `rtsp://`. */
export const RTSP_DEFAULT_PORT = 554;
/** The default port of `rtsps://` (IANA: rtsps, 322/tcp). */
export const RTSPS_DEFAULT_PORT = 322;

/** User name and password from the URL's userinfo. */
export interface ClientCredentials {
  readonly user: string;
  readonly password: string;
}

/** A parsed client URL. */
export interface ClientUrl {
  /** `rtsps://`: TLS. */
  readonly secure: boolean;
  /** Host name or address to connect to; an IPv6 address without brackets. */
  readonly hostname: string;
  readonly port: number;
  /** The URL with the userinfo removed: what requests carry. */
  readonly url: string;
  /** From the userinfo, decoded; absent when the URL has none. */
  readonly credentials?: ClientCredentials;
}

const CLIENT_URL =
  /^(rtsps?):\/\/(?:([^@/?#]*)@)?(\[[0-9a-f:.]+\]|[^:/?#[\]]+)(?::(\d{1,5}))?([/?#].*)?$/i;

function decode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/**
 * Parses `text`. Returns `undefined` when it is not an absolute `rtsp://` or
 * `rtsps://` URL with a host, its port is out of range, its userinfo is not
 * valid percent-encoding, or it holds whitespace or control characters.
 */
export function parseClientUrl(text: string): ClientUrl | undefined {
  // deno-lint-ignore no-control-regex -- refusing control characters is the point
  if (/[\x00-\x20\x7f]/.test(text)) return undefined;
  const m = CLIENT_URL.exec(text);
  if (!m) return undefined;
  const [, schemeText, userinfo, host, portText, rest] = m;
  const scheme = schemeText.toLowerCase();
  const secure = scheme === "rtsps";
  const port = portText === undefined
    ? (secure ? RTSPS_DEFAULT_PORT : RTSP_DEFAULT_PORT)
    : Number(portText);
  if (port < 1 || port > 65535) return undefined;
  let credentials: ClientCredentials | undefined;
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(":");
    const user = decode(colon < 0 ? userinfo : userinfo.slice(0, colon));
    const password = decode(colon < 0 ? "" : userinfo.slice(colon + 1));
    if (user === undefined || password === undefined) return undefined;
    credentials = { user, password };
  }
  const hostname = host.startsWith("[") ? host.slice(1, -1) : host;
  const authority = portText === undefined ? host : `${host}:${portText}`;
  // The fragment is the client's own (RFC 3986, 3.5): never sent.
  const path = (rest ?? "").split("#", 1)[0];
  return {
    secure,
    hostname,
    port,
    url: `${scheme}://${authority}${path}`,
    ...(credentials ? { credentials } : {}),
  };
}
