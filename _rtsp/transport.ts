/**
 * The `Transport` header (RFC 2326, 12.39): lenient parsing of what clients and
 * cameras send, one canonical form written back.
 * @module
 */

/** How RTP travels for one track. */
export type LowerTransport = "UDP" | "TCP";

/** One transport choice from a client's `Transport` header. */
export interface TransportSpec {
  /** `RTP/AVP` for everything this server serves; other profiles are kept so they can be refused. */
  readonly profile: string;
  /** RFC 2326, 12.39: UDP when absent. */
  readonly lower: LowerTransport;
  /** `unicast` unless `multicast` is named. */
  readonly delivery: "unicast" | "multicast";
  /** RFC 2326, 12.39 `interleaved=`: RTP and RTCP channels (a single number means n and n+1). */
  readonly interleaved?: readonly [number, number];
  /** RFC 2326, 12.39 `client_port=`: RTP and RTCP ports (a single port means p and p+1). */
  readonly clientPorts?: readonly [number, number];
  /** RFC 2326, 12.39 `server_port=` */
  readonly serverPorts?: readonly [number, number];
  /** RFC 2326, 12.39 `port=` (multicast) */
  readonly ports?: readonly [number, number];
  /** RFC 2326, 12.39 `destination=` */
  readonly destination?: string;
  /** RFC 2326, 12.39 `source=` */
  readonly source?: string;
  /** RFC 2326, 12.39 `ttl=` */
  readonly ttl?: number;
  /** RFC 2326, 12.39 `ssrc=`: 8 hex digits. */
  readonly ssrc?: number;
  /** RFC 2326, 12.39 `mode=`; `receive` is an old alias of record used by ffmpeg's listen mode. */
  readonly mode?: "play" | "record";
}

/** A Transport header that has no parseable choice. */
export interface TransportError {
  readonly error: string;
}

const MAX_PORT = 65535;
const MAX_CHANNEL = 255;

function parsePair(text: string, max: number): readonly [number, number] | undefined {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text.trim());
  if (!m) return undefined;
  const a = Number(m[1]);
  const b = m[2] === undefined ? a + 1 : Number(m[2]);
  if (a > max || b > max) return undefined;
  return [a, b];
}

function unquote(text: string): string {
  const t = text.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1) : t;
}

/**
 * Parses one transport choice, e.g. `RTP/AVP/TCP;unicast;interleaved=0-1`.
 * Unknown parameters are ignored (RFC 2326, 12.39 lets servers skip them).
 */
export function parseTransportSpec(text: string): TransportSpec | TransportError {
  const parts = text.split(";").map((p) => p.trim()).filter((p) => p !== "");
  if (parts.length === 0) return { error: `Cannot parse Transport header "${text}"` };
  const protocol = parts[0].toUpperCase().split("/");
  if (protocol.length < 2 || protocol.length > 3) {
    return { error: `Cannot parse Transport header "${text}"` };
  }
  const profile = `${protocol[0]}/${protocol[1]}`;
  const lowerText = protocol[2] ?? "UDP";
  if (lowerText !== "UDP" && lowerText !== "TCP") {
    return { error: `Unknown lower transport "${protocol[2]}" in Transport header "${text}"` };
  }
  const spec: {
    -readonly [K in keyof TransportSpec]: TransportSpec[K];
  } = { profile, lower: lowerText, delivery: "unicast" };
  for (const param of parts.slice(1)) {
    const eq = param.indexOf("=");
    const name = (eq < 0 ? param : param.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? "" : unquote(param.slice(eq + 1));
    switch (name) {
      case "unicast":
        spec.delivery = "unicast";
        break;
      case "multicast":
        spec.delivery = "multicast";
        break;
      case "interleaved": {
        const pair = parsePair(value, MAX_CHANNEL);
        if (!pair) return { error: `Cannot parse interleaved "${value}"` };
        spec.interleaved = pair;
        break;
      }
      case "client_port": {
        const pair = parsePair(value, MAX_PORT);
        if (!pair) return { error: `Cannot parse client_port "${value}"` };
        spec.clientPorts = pair;
        break;
      }
      case "server_port": {
        const pair = parsePair(value, MAX_PORT);
        if (pair) spec.serverPorts = pair;
        break;
      }
      case "port": {
        const pair = parsePair(value, MAX_PORT);
        if (pair) spec.ports = pair;
        break;
      }
      case "destination":
        if (value !== "") spec.destination = value;
        break;
      case "source":
        if (value !== "") spec.source = value;
        break;
      case "ttl": {
        const ttl = Number(value);
        if (Number.isInteger(ttl) && ttl >= 0 && ttl <= 255) spec.ttl = ttl;
        break;
      }
      case "ssrc": {
        // Some cameras pad the value with spaces; RFC 2326 says 8 hex digits.
        const ssrc = /^[0-9a-f]{1,8}$/i.test(value.trim()) ? parseInt(value.trim(), 16) : undefined;
        if (ssrc !== undefined) spec.ssrc = ssrc;
        break;
      }
      case "mode": {
        const mode = value.toLowerCase();
        if (mode === "play") spec.mode = "play";
        // "receive" is an old alias of record, sent by ffmpeg in listen mode.
        else if (mode === "record" || mode === "receive") spec.mode = "record";
        else return { error: `Unknown transport mode "${value}"` };
        break;
      }
      default:
        break;
    }
  }
  return spec;
}

/** Parses a whole header: several comma-separated choices in the client's order of preference. */
export function parseTransport(text: string): TransportSpec[] | TransportError {
  const choices: TransportSpec[] = [];
  let lastError: TransportError | undefined;
  for (const part of text.split(",")) {
    if (part.trim() === "") continue;
    const spec = parseTransportSpec(part);
    if ("error" in spec) lastError = spec;
    else choices.push(spec);
  }
  if (choices.length === 0) {
    return lastError ?? { error: `Cannot parse Transport header "${text}"` };
  }
  return choices;
}

function hex8(n: number): string {
  return (n >>> 0).toString(16).toUpperCase().padStart(8, "0");
}

/** Writes one choice canonically, as servers answer a SETUP. */
export function formatTransport(spec: TransportSpec): string {
  let out = spec.lower === "TCP" ? `${spec.profile}/TCP` : spec.profile;
  out += `;${spec.delivery}`;
  if (spec.destination !== undefined) out += `;destination=${spec.destination}`;
  if (spec.source !== undefined) out += `;source=${spec.source}`;
  if (spec.interleaved) out += `;interleaved=${spec.interleaved[0]}-${spec.interleaved[1]}`;
  if (spec.ports) out += `;port=${spec.ports[0]}-${spec.ports[1]}`;
  if (spec.ttl !== undefined) out += `;ttl=${spec.ttl}`;
  if (spec.clientPorts) out += `;client_port=${spec.clientPorts[0]}-${spec.clientPorts[1]}`;
  if (spec.serverPorts) out += `;server_port=${spec.serverPorts[0]}-${spec.serverPorts[1]}`;
  if (spec.ssrc !== undefined) out += `;ssrc=${hex8(spec.ssrc)}`;
  if (spec.mode === "record") out += `;mode=record`;
  return out;
}
