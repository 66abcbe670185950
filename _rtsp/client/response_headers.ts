/**
 * Header fields only a client reads: `Session` with its timeout (RFC 2326,
 * 12.37), `RTP-Info` (12.33) and `Public` (12.28).
 * @module
 */

/** RFC 2326, 12.37: the session timeout when the server names none, seconds. */
export const DEFAULT_SESSION_TIMEOUT_SECONDS = 60;
/** Longest session id kept (RFC 2326, 3.4 asks for at least 8 octets; none is near this). */
export const MAX_SESSION_ID_LENGTH = 256;
/** Bounds on a server's timeout: below it keep-alives would flood, above it is nonsense. */
const MIN_SESSION_TIMEOUT_SECONDS = 2;
const MAX_SESSION_TIMEOUT_SECONDS = 24 * 3600;

/** A `Session` response header. */
export interface SessionHeader {
  readonly id: string;
  /** Seconds; {@linkcode DEFAULT_SESSION_TIMEOUT_SECONDS} when absent or unusable. */
  readonly timeoutSeconds: number;
}

/**
 * Parses `Session: id[;timeout=N]`. Returns `undefined` for an empty id, one
 * with characters RFC 2326, 3.4 does not allow, or one too long.
 */
export function parseSessionResponse(value: string): SessionHeader | undefined {
  const [idText, ...params] = value.split(";");
  const id = idText.trim();
  // RFC 2326, 3.4: session-id = 1*( ALPHA | DIGIT | safe ); a few servers add more (`.`, `~`).
  if (id === "" || id.length > MAX_SESSION_ID_LENGTH || !/^[\x21-\x7e]+$/.test(id)) {
    return undefined;
  }
  let timeoutSeconds = DEFAULT_SESSION_TIMEOUT_SECONDS;
  for (const param of params) {
    const m = /^\s*timeout\s*=\s*(\d{1,9})\s*$/i.exec(param);
    if (!m) continue;
    const value = Number(m[1]);
    if (value >= MIN_SESSION_TIMEOUT_SECONDS && value <= MAX_SESSION_TIMEOUT_SECONDS) {
      timeoutSeconds = value;
    }
  }
  return { id, timeoutSeconds };
}

/** One entry of `RTP-Info`: the stream URL and where its RTP starts. */
export interface RtpInfoEntry {
  readonly url: string;
  /** First sequence number sent after PLAY. */
  readonly seq?: number;
  /** RTP timestamp that corresponds to the start of the PLAY range. */
  readonly rtptime?: number;
}

/** Most entries read from one `RTP-Info` (one per track). */
const MAX_RTP_INFO_ENTRIES = 64;

/**
 * Parses `RTP-Info: url=U;seq=N;rtptime=T, url=...` (RFC 2326, 12.33).
 * Entries are split at a comma followed by `url=` (a URL may hold commas);
 * an unreadable `seq` or `rtptime` is left out; entries without `url` are dropped.
 */
export function parseRtpInfo(value: string): RtpInfoEntry[] {
  const entries: RtpInfoEntry[] = [];
  for (const part of value.split(/,\s*(?=url\s*=)/i)) {
    if (entries.length === MAX_RTP_INFO_ENTRIES) break;
    let url: string | undefined;
    let seq: number | undefined;
    let rtptime: number | undefined;
    for (const param of part.split(";")) {
      const eq = param.indexOf("=");
      if (eq < 0) continue;
      const name = param.slice(0, eq).trim().toLowerCase();
      const text = param.slice(eq + 1).trim();
      if (name === "url") url = text.replace(/^"(.*)"$/, "$1");
      else if (name === "seq" && /^\d{1,5}$/.test(text) && Number(text) <= 0xffff) {
        seq = Number(text);
      } else if (name === "rtptime" && /^\d{1,10}$/.test(text) && Number(text) <= 0xffff_ffff) {
        rtptime = Number(text);
      }
    }
    if (url === undefined || url === "") continue;
    entries.push({
      url,
      ...(seq !== undefined ? { seq } : {}),
      ...(rtptime !== undefined ? { rtptime } : {}),
    });
  }
  return entries;
}

/**
 * Which track an RTP-Info entry is for: the one whose control URL equals its
 * URL, else the one whose control URL ends with it or it ends with (servers
 * write relative or rewritten URLs), else the entry at the same position.
 * @returns per track, its entry or undefined
 */
export function matchRtpInfo(
  entries: readonly RtpInfoEntry[],
  controls: readonly string[],
): Array<RtpInfoEntry | undefined> {
  const strip = (u: string) => u.replace(/\/+$/, "");
  return controls.map((control, i) => {
    const c = strip(control);
    return entries.find((e) => strip(e.url) === c) ??
      entries.find((e) => {
        const u = strip(e.url);
        return u !== "" && (c.endsWith(u) || u.endsWith(c));
      }) ??
      (entries.length === controls.length ? entries[i] : undefined);
  });
}

/** The methods named in a `Public` header, upper-cased. */
export function parsePublic(value: string | undefined): Set<string> {
  return new Set(
    (value ?? "").split(",").map((m) => m.trim().toUpperCase()).filter((m) => m !== ""),
  );
}
