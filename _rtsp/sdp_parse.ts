/**
 * Reading the session descriptions publishers send with ANNOUNCE (RFC 8866,
 * with the RFC 2326 Appendix C attributes), leniently: real encoders and
 * cameras break the grammar in many small ways, and none of those ways matter
 * to a relay, which needs only the media lines, their formats, `a=rtpmap`,
 * `a=fmtp` and `a=control`. What it refuses is input too big or not text.
 *
 * The announced tracks are turned into our own {@link TrackDescription}s, so
 * readers get a canonical SDP from `buildSdp` rather than the publisher's.
 *
 * @module
 */

import type { TrackDescription } from "./catalogue.ts";
import type { CodecId } from "./media/source_track.ts";
import { canonicalPath, parseRequestTarget } from "./url.ts";
import { bytesToBase64, bytesToHex } from "./rtp/fmtp.ts";

/** Largest SDP body accepted, in UTF-16 code units (~bytes for the ASCII SDP is). */
export const MAX_SDP_LENGTH = 64 * 1024;
/** Most `m=` sections accepted; dynamic payload types (RFC 3551 §6) give 32 distinct tracks. */
export const MAX_SDP_MEDIA = 32;
/** Longest line accepted; big sprop-parameter-sets stay well under this. */
export const MAX_SDP_LINE_LENGTH = 4 * 1024;
/** RFC 3550 §5.1: the payload type is a 7-bit field. */
const MAX_PAYLOAD_TYPE = 127;
/** Sanity bound on `a=rtpmap` channels (RFC 3551 §4.1 allows any count; 255 covers ambisonics). */
const MAX_RTPMAP_CHANNELS = 255;
/** Sanity bound on a clock rate, Hz; every registered rate is far below. */
const MAX_CLOCK_RATE_HZ = 10_000_000;
/** A byte order mark some Windows tools put before `v=0`. */
const BYTE_ORDER_MARK = "\uFEFF";
/** Code units allowed below 0x20 (RFC 8866 §9 `text` excludes the other controls): TAB, LF, CR. */
const ALLOWED_CONTROL_CODES = new Set([0x09, 0x0a, 0x0d]);
/** DEL, also excluded by RFC 8866 §9. */
const DELETE_CODE = 0x7f;
/** Smallest printable code unit. */
const FIRST_PRINTABLE_CODE = 0x20;
/** RFC 8866 §5: `<type>=<value>`, type a single lower-case letter. */
const LINE_PATTERN = /^([a-z])=(.*)$/;
/** RFC 8866 §5.14 `m=<media> <port>[/<number>] <proto> <fmt> ...`. */
const MEDIA_PATTERN = /^(\S+)\s+(\d+)(?:\/\d+)?\s+(\S+)(?:\s+(.*))?$/;
/** RFC 8866 §6.6 `a=rtpmap:<pt> <encoding>/<clock>[/<channels>]`; spaces tolerated. */
const RTPMAP_PATTERN = /^(\d{1,3})\s+([^\s/]+)\s*\/\s*(\d+)(?:\s*\/\s*(\d+))?\s*$/;
/** RFC 8866 §6.15 `a=fmtp:<pt> <parameters>`; the parameters may be empty. */
const FMTP_PATTERN = /^(\d{1,3})(?:\s+(.*))?$/;
/** RFC 3640 §4.1 `mode` values that carry AAC. */
const AAC_MODE_PATTERN = /^aac-(hbr|lbr)$/i;
/** Media attributes worth passing on to readers; the rest describe the publisher's side. */
const FORWARDED_ATTRIBUTES = new Set(["framerate", "x-dimensions"]);
/** RFC 6184 §8.1: the only packetization mode a relayed stream is assumed to use. */
const H264_DEFAULT_PACKETIZATION_MODE = "1";
/** H.264 7.3.2.1.1: profile_idc, constraint flags, level_idc follow the NAL header. */
const H264_PROFILE_LEVEL_START = 1;
/** RFC 6184 §8.1: profile-level-id is those 3 bytes. */
const H264_PROFILE_LEVEL_END = 4;

/** Why {@linkcode parseSdp} refused a body. */
export const SdpParseError = {
  /** Longer than {@linkcode MAX_SDP_LENGTH}. */
  TooLarge: "too-large",
  /** A line longer than {@linkcode MAX_SDP_LINE_LENGTH}. */
  LineTooLong: "line-too-long",
  /** More than {@linkcode MAX_SDP_MEDIA} media sections. */
  TooManyMedia: "too-many-media",
  /** Control characters: binary data, not a description. */
  Binary: "binary",
  /** Neither `v=` nor any `m=`: text, but not SDP. */
  NotSdp: "not-sdp",
  /** `v=` other than 0 (RFC 8866 §5.1). */
  BadVersion: "bad-version",
} as const;

/** One of the {@linkcode SdpParseError} values. */
export type SdpParseError = typeof SdpParseError[keyof typeof SdpParseError];

/** An `a=rtpmap` entry (RFC 8866 §6.6). */
export interface RtpMap {
  /** Encoding name as written (media subtype names are case-insensitive, RFC 4855 §3). */
  readonly encoding: string;
  /** RTP clock rate, Hz. */
  readonly clockRate: number;
  /** Audio channels, when given. */
  readonly channels?: number;
}

/** One `m=` section. */
export interface ParsedMedia {
  /** Media type: `video`, `audio`, `application`, ... */
  readonly type: string;
  /** Port (0 in RTSP, RFC 2326 C.1.2). */
  readonly port: number;
  /** Transport protocol, e.g. `RTP/AVP`. */
  readonly protocol: string;
  /** Payload types, in preference order; non-numeric formats are left out. */
  readonly formats: number[];
  /** `a=rtpmap` by payload type (the first line for a type wins). */
  readonly rtpmap: Map<number, RtpMap>;
  /** `a=fmtp` parameter text by payload type, trimmed. */
  readonly fmtp: Map<number, string>;
  /** `a=control` (RFC 2326 C.1.1): absolute URL, relative, or `*`. */
  readonly control?: string;
  /** Other `a=` lines, raw `name[:value]`. */
  readonly attributes: string[];
}

/** A session description, as far as a relay cares. */
export interface ParsedSdp {
  /** `s=`, trimmed; empty when absent. */
  readonly sessionName: string;
  /** Session-level `a=control`. */
  readonly control?: string;
  /** Media sections in order. */
  readonly media: ParsedMedia[];
  /** Session-level `a=` lines other than control, raw `name[:value]`. */
  readonly attributes: string[];
}

/** Result of {@linkcode parseSdp}. */
export type SdpParseResult =
  | { readonly ok: true; readonly sdp: ParsedSdp }
  | { readonly ok: false; readonly error: SdpParseError; readonly detail: string };

function failure(error: SdpParseError, detail: string): SdpParseResult {
  return { ok: false, error, detail };
}

/** Mutable form of {@linkcode ParsedMedia} while its lines are read. */
interface MediaBuilder {
  type: string;
  port: number;
  protocol: string;
  formats: number[];
  rtpmap: Map<number, RtpMap>;
  fmtp: Map<number, string>;
  control?: string;
  attributes: string[];
}

/** The index of the first control character other than TAB/CR/LF, or -1. */
function firstControlCharacter(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if ((code < FIRST_PRINTABLE_CODE && !ALLOWED_CONTROL_CODES.has(code)) || code === DELETE_CODE) {
      return i;
    }
  }
  return -1;
}

/** A payload type 0..127 from its decimal text, or undefined. */
function payloadType(text: string): number | undefined {
  if (!/^\d{1,3}$/.test(text)) return undefined;
  const value = Number(text);
  return value <= MAX_PAYLOAD_TYPE ? value : undefined;
}

/** Reads one `a=` line into the session or the current media section. */
function readAttribute(
  value: string,
  media: MediaBuilder | undefined,
  session: { control?: string; attributes: string[] },
): void {
  const colon = value.indexOf(":");
  const name = (colon < 0 ? value : value.slice(0, colon)).trim().toLowerCase();
  const rest = colon < 0 ? "" : value.slice(colon + 1).trim();
  if (name === "control") {
    // The first control line wins: later duplicates are usually a firmware's
    // second, generic one (some NVRs repeat `a=control:*`).
    if (media) media.control ??= rest;
    else session.control ??= rest;
    return;
  }
  if (media && name === "rtpmap") {
    const m = RTPMAP_PATTERN.exec(rest);
    if (!m) return; // Unusable; the track may still resolve through the static table.
    const type = payloadType(m[1]);
    const clockRate = Number(m[3]);
    const channels = m[4] === undefined ? undefined : Number(m[4]);
    if (type === undefined || media.rtpmap.has(type)) return;
    if (clockRate <= 0 || clockRate > MAX_CLOCK_RATE_HZ) return;
    if (channels !== undefined && (channels <= 0 || channels > MAX_RTPMAP_CHANNELS)) return;
    media.rtpmap.set(type, {
      encoding: m[2],
      clockRate,
      ...(channels !== undefined ? { channels } : {}),
    });
    return;
  }
  if (media && name === "fmtp") {
    const m = FMTP_PATTERN.exec(rest);
    const type = m ? payloadType(m[1]) : undefined;
    if (m && type !== undefined && !media.fmtp.has(type)) media.fmtp.set(type, (m[2] ?? "").trim());
    return;
  }
  const raw = value.trim();
  if (media) media.attributes.push(raw);
  else session.attributes.push(raw);
}

/**
 * Parses an SDP body. Never throws. Lenient about what real senders get wrong:
 * LF-only or CR-only line ends, trailing spaces, blank lines, a byte order mark,
 * missing or malformed `o=`/`s=`/`t=`/`c=` (they are not needed here and are
 * not checked), lines out of order, unknown line types and lines that are not
 * `<type>=` at all (ignored). Refuses bodies over {@linkcode MAX_SDP_LENGTH},
 * lines over {@linkcode MAX_SDP_LINE_LENGTH}, more than
 * {@linkcode MAX_SDP_MEDIA} media, control characters, and text with neither
 * `v=` nor `m=`.
 */
export function parseSdp(text: string): SdpParseResult {
  if (text.length > MAX_SDP_LENGTH) {
    return failure(SdpParseError.TooLarge, `${text.length} > ${MAX_SDP_LENGTH} characters`);
  }
  const body = text.startsWith(BYTE_ORDER_MARK) ? text.slice(BYTE_ORDER_MARK.length) : text;
  const control = firstControlCharacter(body);
  if (control >= 0) {
    return failure(SdpParseError.Binary, `control character at offset ${control}`);
  }
  const session: { sessionName?: string; control?: string; attributes: string[] } = {
    attributes: [],
  };
  const media: MediaBuilder[] = [];
  let current: MediaBuilder | undefined;
  let sawVersion = false;
  const lines = body.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].length > MAX_SDP_LINE_LENGTH) {
      return failure(SdpParseError.LineTooLong, `line ${i + 1} exceeds ${MAX_SDP_LINE_LENGTH}`);
    }
    // Leading blanks too: a few firmwares indent their attribute lines.
    const m = LINE_PATTERN.exec(lines[i].trim());
    if (!m) continue;
    const [, type, value] = m;
    switch (type) {
      case "v":
        // RFC 8866 §5.1: version 0 is the only one; anything else is a different format.
        if (value.trim() !== "0") return failure(SdpParseError.BadVersion, `v=${value}`);
        sawVersion = true;
        break;
      case "s":
        if (!current) session.sessionName ??= value.trim();
        break;
      case "m": {
        if (media.length === MAX_SDP_MEDIA) {
          return failure(SdpParseError.TooManyMedia, `more than ${MAX_SDP_MEDIA} media`);
        }
        const fields = MEDIA_PATTERN.exec(value.trim());
        // A malformed m= still opens a section, so its attributes do not leak
        // into the previous one; it just has no formats and is never a track.
        current = {
          type: fields?.[1] ?? "",
          port: fields ? Number(fields[2]) : 0,
          protocol: fields?.[3] ?? "",
          formats: [],
          rtpmap: new Map(),
          fmtp: new Map(),
          attributes: [],
        };
        for (const format of (fields?.[4] ?? "").split(/\s+/)) {
          const pt = payloadType(format);
          if (pt !== undefined) current.formats.push(pt);
        }
        media.push(current);
        break;
      }
      case "a":
        readAttribute(value, current, session);
        break;
      default:
        // o=, c=, t=, b=, i=, ... carry nothing a relay needs: skipping them is
        // what makes float or huge o= numbers and address-less c= harmless.
        break;
    }
  }
  if (!sawVersion && media.length === 0) {
    return failure(SdpParseError.NotSdp, "no v= line and no media");
  }
  return {
    ok: true,
    sdp: {
      sessionName: session.sessionName ?? "",
      ...(session.control !== undefined ? { control: session.control } : {}),
      media: media.map((b) => ({
        type: b.type,
        port: b.port,
        protocol: b.protocol,
        formats: b.formats,
        rtpmap: b.rtpmap,
        fmtp: b.fmtp,
        ...(b.control !== undefined ? { control: b.control } : {}),
        attributes: b.attributes,
      })),
      attributes: session.attributes,
    },
  };
}

/**
 * RFC 3551 §6 Tables 4 and 5: static payload types a sender may use without
 * `a=rtpmap`. Channels only where the table says other than 1.
 */
export const STATIC_PAYLOAD_TYPES: ReadonlyMap<number, RtpMap> = new Map<number, RtpMap>([
  [0, { encoding: "PCMU", clockRate: 8000 }],
  [3, { encoding: "GSM", clockRate: 8000 }],
  [4, { encoding: "G723", clockRate: 8000 }],
  [5, { encoding: "DVI4", clockRate: 8000 }],
  [6, { encoding: "DVI4", clockRate: 16000 }],
  [7, { encoding: "LPC", clockRate: 8000 }],
  [8, { encoding: "PCMA", clockRate: 8000 }],
  [9, { encoding: "G722", clockRate: 8000 }],
  [10, { encoding: "L16", clockRate: 44100, channels: 2 }],
  [11, { encoding: "L16", clockRate: 44100 }],
  [12, { encoding: "QCELP", clockRate: 8000 }],
  [13, { encoding: "CN", clockRate: 8000 }],
  [14, { encoding: "MPA", clockRate: 90000 }],
  [15, { encoding: "G728", clockRate: 8000 }],
  [16, { encoding: "DVI4", clockRate: 11025 }],
  [17, { encoding: "DVI4", clockRate: 22050 }],
  [18, { encoding: "G729", clockRate: 8000 }],
  [25, { encoding: "CelB", clockRate: 90000 }],
  [26, { encoding: "JPEG", clockRate: 90000 }],
  [28, { encoding: "nv", clockRate: 90000 }],
  [31, { encoding: "H261", clockRate: 90000 }],
  [32, { encoding: "MPV", clockRate: 90000 }],
  [33, { encoding: "MP2T", clockRate: 90000 }],
  [34, { encoding: "H263", clockRate: 90000 }],
]);

/** The rtpmap of `pt` in `media`: its own line, else the RFC 3551 static entry. */
export function mediaFormat(media: ParsedMedia, pt: number): RtpMap | undefined {
  return media.rtpmap.get(pt) ?? STATIC_PAYLOAD_TYPES.get(pt);
}

/** Codecs recognised in an announced track: ours, plus Motion JPEG (RFC 2435) which is relayed as is. */
export type AnnouncedCodec = CodecId | "MJPEG";

/** One track of a publisher's ANNOUNCE. */
export interface AnnouncedTrack {
  /** The track as we describe it to readers (control `trackID=<i>`). */
  readonly description: TrackDescription;
  /** The publisher's own `a=control`, to match its SETUP URLs. */
  readonly publisherControl: string | undefined;
  /** The codec, when one we know. */
  readonly codec: AnnouncedCodec | undefined;
}

/** The codec of an encoding, when we know it (names compared case-insensitively, RFC 4855 §3). */
export function codecOf(format: RtpMap, fmtp: string | undefined): AnnouncedCodec | undefined {
  switch (format.encoding.toLowerCase()) {
    case "h264":
      return "H264";
    case "h265":
      return "H265";
    case "mpeg4-generic": {
      // RFC 3640 carries more than AAC (CELP, MPEG-4 video); only the AAC modes are ours.
      const mode = parseFmtp(fmtp ?? "").get("mode");
      return mode !== undefined && AAC_MODE_PATTERN.test(mode) ? "AAC" : undefined;
    }
    case "opus":
      return "OPUS";
    case "pcmu":
      return "PCMU";
    case "pcma":
      return "PCMA";
    case "jpeg":
      // RFC 2435 §3: JPEG uses a 90 kHz clock; anything else is not that format.
      return format.clockRate === 90000 ? "MJPEG" : undefined;
    default:
      return undefined;
  }
}

/** TrackDescription media types; other SDP media (text, message, image) are not relayed. */
function trackMedia(type: string): TrackDescription["media"] | undefined {
  const lower = type.toLowerCase();
  return lower === "video" || lower === "audio" || lower === "application" ? lower : undefined;
}

/**
 * The tracks a publisher announced, in our TrackDescription form: control
 * rewritten to `trackID=<i>` (i the index in the result), payload type,
 * encoding, clock, channels and fmtp kept; the publisher's own control kept
 * separately so its SETUP URLs can be matched. Media left out: not RTP
 * (protocol not `RTP/...`), a media type other than video/audio/application,
 * or no format resolvable through `a=rtpmap` or the RFC 3551 static table.
 * The first resolvable format of a section is the one relayed. Channels 1 is
 * dropped (the rtpmap default), so `buildSdp` and this agree on round trips.
 */
export function announcedTracks(sdp: ParsedSdp): AnnouncedTrack[] {
  const tracks: AnnouncedTrack[] = [];
  for (const media of sdp.media) {
    const type = trackMedia(media.type);
    if (!type || !media.protocol.toUpperCase().startsWith("RTP/")) continue;
    const pt = media.formats.find((f) => mediaFormat(media, f) !== undefined);
    if (pt === undefined) continue;
    const format = mediaFormat(media, pt)!;
    const fmtp = media.fmtp.get(pt);
    const attributes = media.attributes.filter((a) =>
      FORWARDED_ATTRIBUTES.has(a.split(":", 1)[0].toLowerCase())
    );
    const description: TrackDescription = {
      media: type,
      payloadType: pt,
      encoding: format.encoding,
      clockRate: format.clockRate,
      ...(format.channels !== undefined && format.channels !== 1
        ? { channels: format.channels }
        : {}),
      ...(fmtp ? { fmtp } : {}),
      control: `trackID=${tracks.length}`,
      ...(attributes.length > 0 ? { attributes } : {}),
    };
    tracks.push({
      description,
      publisherControl: media.control,
      codec: codecOf(format, fmtp),
    });
  }
  return tracks;
}

/** Percent-decodes a path, or returns it unchanged when it is not valid percent-encoding. */
function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/**
 * The path a publisher's control designates, resolved against the ANNOUNCE
 * path (RFC 2326 C.1.1: relative to the aggregate URL): absolute URLs give
 * their path (their host is ignored: cameras write their LAN address), `*` or
 * a query-only control is the aggregate itself. Queries are dropped, as the
 * request path of a SETUP has none.
 */
function controlPath(announcePath: string, control: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(control)) return parseRequestTarget(control)?.path;
  if (control === "*" || control === "") return announcePath;
  const withoutQuery = control.split("?", 1)[0];
  if (withoutQuery === "") return announcePath;
  if (withoutQuery.startsWith("/")) return canonicalPath(decodePath(withoutQuery));
  return canonicalPath(`${announcePath}/${decodePath(withoutQuery)}`);
}

/**
 * Which announced track a publisher's SETUP is for. Paths are request paths
 * as `parseRequestTarget` gives them (decoded, no query, no trailing slash).
 * The publisher's own controls are tried first (absolute, or relative to the
 * ANNOUNCE path), because its numbering may differ from ours (Reolink counts
 * from 1); then our `trackID=<i>`; then, for a single track, the aggregate
 * path itself. When several controls resolve to the same path (e.g. all `*`)
 * only an unambiguous match counts.
 */
export function matchSetupTrack(
  announcePath: string,
  setupPath: string,
  tracks: readonly Pick<AnnouncedTrack, "publisherControl">[],
): number | undefined {
  const base = canonicalPath(announcePath);
  const target = canonicalPath(setupPath);
  const matches: number[] = [];
  tracks.forEach((track, i) => {
    if (track.publisherControl === undefined) return;
    if (controlPath(base, track.publisherControl) === target) matches.push(i);
  });
  if (matches.length === 1) return matches[0];
  const prefix = base === "/" ? "/trackID=" : `${base}/trackID=`;
  if (target.startsWith(prefix)) {
    const index = target.slice(prefix.length);
    if (/^\d{1,2}$/.test(index) && Number(index) < tracks.length) return Number(index);
  }
  if (tracks.length === 1 && target === base) return 0;
  return undefined;
}

/** `name=value` pairs of an fmtp string, names as written, in order. */
function fmtpEntries(text: string): Array<[string, string]> {
  const entries: Array<[string, string]> = [];
  for (const part of text.split(";")) {
    const trimmed = part.trim();
    if (trimmed === "") continue;
    const eq = trimmed.indexOf("=");
    // Values keep any later `=`: base64 padding in sprop-parameter-sets.
    entries.push(
      eq < 0 ? [trimmed, ""] : [trimmed.slice(0, eq).trim(), trimmed.slice(eq + 1).trim()],
    );
  }
  return entries;
}

/**
 * The parameters of an `a=fmtp` value (RFC 8866 §6.15; `;`-separated
 * `name=value`, the common form of RFC 6184, 7798, 3640, 7587). Names are
 * lower-cased (they are case-insensitive, e.g. RFC 3640 §4.1), spaces around
 * names and values are dropped, empty parts skipped, the first occurrence of
 * a name wins, and a part without `=` maps to "".
 */
export function parseFmtp(text: string): Map<string, string> {
  const parameters = new Map<string, string>();
  for (const [name, value] of fmtpEntries(text)) {
    const key = name.toLowerCase();
    if (!parameters.has(key)) parameters.set(key, value);
  }
  return parameters;
}

/** `fmtp` with the given parameters set (replacing same-named ones in place, case-insensitively) and the rest kept. */
function withParameters(fmtp: string | undefined, updates: Array<[string, string]>): string {
  const entries = fmtpEntries(fmtp ?? "");
  for (const [name, value] of updates) {
    const lower = name.toLowerCase();
    const at = entries.findIndex(([n]) => n.toLowerCase() === lower);
    if (at < 0) {
      entries.push([name, value]);
      continue;
    }
    // The sender's spelling of the name is kept: names are case-insensitive.
    entries[at] = [entries[at][0], value];
    // Drop later duplicates, which would otherwise contradict the new value.
    for (let i = entries.length - 1; i > at; i--) {
      if (entries[i][0].toLowerCase() === lower) entries.splice(i, 1);
    }
  }
  return entries.map(([n, v]) => (v === "" ? n : `${n}=${v}`)).join(";");
}

/**
 * An H.264 fmtp (RFC 6184 §8.1) carrying in-band parameter sets for later
 * readers: `sprop-parameter-sets` set to these SPS/PPS, `profile-level-id`
 * set from the SPS (it must describe the same stream), `packetization-mode=1`
 * added when absent (an FU-A or STAP-A sender is mode 1), other parameters kept.
 */
export function withH264ParameterSets(
  fmtp: string | undefined,
  sps: Uint8Array,
  pps: Uint8Array,
): string {
  const updates: Array<[string, string]> = [];
  if (!parseFmtp(fmtp ?? "").has("packetization-mode")) {
    updates.push(["packetization-mode", H264_DEFAULT_PACKETIZATION_MODE]);
  }
  if (sps.length >= H264_PROFILE_LEVEL_END) {
    updates.push([
      "profile-level-id",
      bytesToHex(sps.subarray(H264_PROFILE_LEVEL_START, H264_PROFILE_LEVEL_END)),
    ]);
  }
  updates.push(["sprop-parameter-sets", `${bytesToBase64(sps)},${bytesToBase64(pps)}`]);
  return withParameters(fmtp, updates);
}

/**
 * An H.265 fmtp (RFC 7798 §7.1) carrying in-band parameter sets:
 * `sprop-vps`, `sprop-sps`, `sprop-pps` set, other parameters kept.
 */
export function withH265ParameterSets(
  fmtp: string | undefined,
  vps: Uint8Array,
  sps: Uint8Array,
  pps: Uint8Array,
): string {
  return withParameters(fmtp, [
    ["sprop-vps", bytesToBase64(vps)],
    ["sprop-sps", bytesToBase64(sps)],
    ["sprop-pps", bytesToBase64(pps)],
  ]);
}
