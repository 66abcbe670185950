/**
 * RTCP (RFC 3550, 6): building SR, RR, SDES and BYE packets and compounds, and
 * parsing received compounds. NTP time comes in as an argument: this module never
 * reads a clock.
 *
 * ```text
 * Common header (RFC 3550, 6.4.1):
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |V=2|P|    RC   |      PT       |             length            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 *
 * @module
 */

/** RFC 3550, 12.1: RTCP packet types. */
export const RtcpPacketType = {
  /** 6.4.1 Sender Report. */
  SenderReport: 200,
  /** 6.4.2 Receiver Report. */
  ReceiverReport: 201,
  /** 6.5 Source Description. */
  SourceDescription: 202,
  /** 6.6 Goodbye. */
  Goodbye: 203,
  /** 6.7 Application-defined. */
  App: 204,
} as const;

/** One of the {@linkcode RtcpPacketType} values. */
export type RtcpPacketType = typeof RtcpPacketType[keyof typeof RtcpPacketType];

/** RFC 3550, 6.5: SDES item types used here (12.2). */
export const SdesItemType = {
  /** Terminates the item list of a chunk. */
  End: 0,
  /** 6.5.1 Canonical end-point identifier. */
  Cname: 1,
} as const;

/** RFC 868 / RFC 5905: seconds from the NTP epoch (1900-01-01) to the Unix epoch (1970-01-01). */
export const NTP_UNIX_EPOCH_OFFSET_SECONDS = 2_208_988_800;

/** RFC 3550, 4: the NTP fraction is in units of 2^-32 seconds. */
const NTP_FRACTION_UNITS_PER_SECOND = 0x1_0000_0000;
/** RFC 4330, 3: an NTP seconds value with the top bit clear is in era 1 (after 2036). */
const NTP_ERA_1_THRESHOLD_SECONDS = 0x8000_0000;
/** Milliseconds per second. */
const MS_PER_SECOND = 1000;
/** RFC 3550, 6.4.1: the version field. */
const RTCP_VERSION = 2;
/** RFC 3550, 6.4.1: bit shift of V within the first octet. */
const VERSION_SHIFT_BITS = 6;
/** RFC 3550, 6.4.1: padding flag P. */
const PADDING_FLAG = 0x20;
/** RFC 3550, 6.4.1: RC / SC count, 5 bits. */
const COUNT_MASK = 0x1f;
/** RFC 3550, 6.4.1: at most 31 report blocks (or SSRCs in BYE) per packet. */
export const MAX_RTCP_COUNT: number = COUNT_MASK;
/** RFC 3550, 6.4.1: common header size. */
const HEADER_SIZE_BYTES = 4;
/** RFC 3550, 6.4.1: lengths count 32-bit words. */
const WORD_SIZE_BYTES = 4;
/** RFC 3550, 6.4.1: SSRC + NTP (8) + RTP timestamp + packet count + octet count. */
const SENDER_INFO_SIZE_BYTES = 24;
/** RFC 3550, 6.4.2: the reporter's SSRC. */
const SSRC_SIZE_BYTES = 4;
/** RFC 3550, 6.4.1: each report block is 6 words. */
const REPORT_BLOCK_SIZE_BYTES = 24;
/** RFC 3550, 6.4.1: cumulative number of packets lost is a signed 24-bit field. */
const CUMULATIVE_LOST_MAX = 0x7f_ffff;
/** RFC 3550, 6.4.1: the most negative 24-bit cumulative loss. */
const CUMULATIVE_LOST_MIN = -0x80_0000;
/** Mask/sign of a 24-bit field. */
const UINT24_MASK = 0xff_ffff;
/** RFC 3550, 6.4.1: fraction lost is an 8-bit field. */
const FRACTION_LOST_MASK = 0xff;
/** RFC 3550, 6.5: an SDES item has a type octet and a length octet. */
const SDES_ITEM_HEADER_SIZE_BYTES = 2;
/** RFC 3550, 6.5: the length octet follows the item type octet. */
const SDES_ITEM_LENGTH_OFFSET = 1;
/** RFC 3550, 6.5: SDES item text is at most 255 octets (8-bit length). */
const MAX_SDES_TEXT_SIZE_BYTES = 255;
/** RFC 3550, 6.5: the null octet ending a chunk's item list. */
const SDES_END_SIZE_BYTES = 1;
/** buildSdes describes one source per packet. */
const SDES_CHUNK_COUNT = 1;
/** RFC 3550, 6.6: the BYE reason is preceded by a length octet. */
const BYE_REASON_LENGTH_SIZE_BYTES = 1;

/** RFC 3550, 6.4.1: byte offsets in the common header. */
const HeaderOffset = { flags: 0, packetType: 1, length: 2 } as const;
/** RFC 3550, 6.4.1: byte offsets of the sender info, from the packet start. */
const SenderOffset = {
  ssrc: 4,
  ntpSeconds: 8,
  ntpFraction: 12,
  rtpTimestamp: 16,
  packetCount: 20,
  octetCount: 24,
} as const;
/** RFC 3550, 6.4.2: byte offset of the reporter's SSRC in an RR (and the first SDES chunk). */
const FIRST_SSRC_OFFSET = 4;
/** RFC 3550, 6.4.1: byte offsets inside a report block. */
const BlockOffset = {
  ssrc: 0,
  loss: 4,
  highestSequence: 8,
  jitter: 12,
  lastSr: 16,
  delaySinceLastSr: 20,
} as const;
/** RFC 3550, 6.4.1: fraction lost is the top byte of the loss word. */
const FRACTION_LOST_SHIFT_BITS = 24;
/** RFC 3550, 6.4.1: LSR keeps the low 16 bits of NTP seconds and the high 16 of the fraction. */
const COMPACT_NTP_SHIFT_BITS = 16;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A 64-bit NTP timestamp (RFC 3550, 4). */
export interface NtpTimestamp {
  /** Seconds since 1900-01-01 00:00 UTC, modulo 2^32. */
  readonly seconds: number;
  /** Fraction of a second in units of 2^-32 s. */
  readonly fraction: number;
}

/** Converts Unix time in milliseconds to an NTP timestamp (RFC 3550, 4). */
export function unixMsToNtp(ms: number): NtpTimestamp {
  const wholeSeconds = Math.floor(ms / MS_PER_SECOND);
  const remainderMs = ms - wholeSeconds * MS_PER_SECOND;
  const fraction = Math.min(
    Math.floor((remainderMs / MS_PER_SECOND) * NTP_FRACTION_UNITS_PER_SECOND),
    NTP_FRACTION_UNITS_PER_SECOND - 1,
  );
  // >>> 0 wraps into the next NTP era (2036) the way the 32-bit field does.
  return { seconds: (wholeSeconds + NTP_UNIX_EPOCH_OFFSET_SECONDS) >>> 0, fraction };
}

/**
 * Converts an NTP timestamp to Unix milliseconds, reading seconds with the top
 * bit clear as era 1 (RFC 4330, 3), so 1968..2104 map correctly.
 */
export function ntpToUnixMs(ntp: NtpTimestamp): number {
  const seconds = ntp.seconds >= NTP_ERA_1_THRESHOLD_SECONDS
    ? ntp.seconds
    : ntp.seconds + NTP_FRACTION_UNITS_PER_SECOND;
  return (seconds - NTP_UNIX_EPOCH_OFFSET_SECONDS) * MS_PER_SECOND +
    (ntp.fraction / NTP_FRACTION_UNITS_PER_SECOND) * MS_PER_SECOND;
}

/**
 * RFC 3550, 6.4.1: the middle 32 bits of an NTP timestamp, the form used by the
 * "last SR" (LSR) field of report blocks.
 */
export function compactNtp(ntp: NtpTimestamp): number {
  return ((ntp.seconds << COMPACT_NTP_SHIFT_BITS) | (ntp.fraction >>> COMPACT_NTP_SHIFT_BITS)) >>>
    0;
}

/** RFC 3550, 6.4.1: one reception report block. */
export interface ReportBlock {
  /** Source this block reports on. */
  readonly ssrc: number;
  /** Fraction lost since the last report, as an 8-bit fixed-point number (0..255 = 0..~1). */
  readonly fractionLost: number;
  /** Cumulative packets lost (signed 24-bit; clamped when built). */
  readonly cumulativeLost: number;
  /** Extended highest sequence number received (cycles << 16 | max seq). */
  readonly highestSequence: number;
  /** Interarrival jitter in RTP timestamp units (RFC 3550, 6.4.1, A.8). */
  readonly jitter: number;
  /** Middle 32 bits of the last SR's NTP timestamp (see {@linkcode compactNtp}), 0 if none. */
  readonly lastSr: number;
  /** Delay since that SR in units of 1/65536 s, 0 if none. */
  readonly delaySinceLastSr: number;
}

/** Input of {@linkcode buildSenderReport}. */
export interface SenderReportInit {
  /** Sender's SSRC. */
  readonly ssrc: number;
  /** Wallclock of this report, Unix milliseconds. */
  readonly ntpTimeMs: number;
  /** RTP timestamp corresponding to `ntpTimeMs` (same instant, media clock). */
  readonly rtpTimestamp: number;
  /** Packets sent so far (RFC 3550, 6.4.1: sender's packet count). */
  readonly packetCount: number;
  /** Payload octets sent so far, excluding headers and padding. */
  readonly octetCount: number;
  /** Reception reports, at most {@linkcode MAX_RTCP_COUNT}. */
  readonly reports?: readonly ReportBlock[];
}

/** Input of {@linkcode buildReceiverReport}. */
export interface ReceiverReportInit {
  /** Reporter's SSRC. */
  readonly ssrc: number;
  /** Reception reports, at most {@linkcode MAX_RTCP_COUNT}. */
  readonly reports: readonly ReportBlock[];
}

/** Writes the common header; `totalSize` must be a multiple of 4. */
function writeHeader(
  view: DataView,
  count: number,
  packetType: RtcpPacketType,
  totalSize: number,
): void {
  view.setUint8(HeaderOffset.flags, (RTCP_VERSION << VERSION_SHIFT_BITS) | count);
  view.setUint8(HeaderOffset.packetType, packetType);
  // RFC 3550, 6.4.1: "The length of this RTCP packet in 32-bit words minus one,
  // including the header and any padding."
  view.setUint16(HeaderOffset.length, totalSize / WORD_SIZE_BYTES - 1);
}

function checkCount(count: number, what: string): void {
  if (count > MAX_RTCP_COUNT) {
    throw new RangeError(`at most ${MAX_RTCP_COUNT} ${what} fit in one RTCP packet`);
  }
}

function writeReportBlocks(view: DataView, offset: number, reports: readonly ReportBlock[]): void {
  for (const report of reports) {
    const lost = Math.max(
      CUMULATIVE_LOST_MIN,
      Math.min(CUMULATIVE_LOST_MAX, report.cumulativeLost),
    );
    view.setUint32(offset + BlockOffset.ssrc, report.ssrc >>> 0);
    const fraction = (report.fractionLost & FRACTION_LOST_MASK) << FRACTION_LOST_SHIFT_BITS;
    view.setUint32(offset + BlockOffset.loss, (fraction | (lost & UINT24_MASK)) >>> 0);
    view.setUint32(offset + BlockOffset.highestSequence, report.highestSequence >>> 0);
    view.setUint32(offset + BlockOffset.jitter, report.jitter >>> 0);
    view.setUint32(offset + BlockOffset.lastSr, report.lastSr >>> 0);
    view.setUint32(offset + BlockOffset.delaySinceLastSr, report.delaySinceLastSr >>> 0);
    offset += REPORT_BLOCK_SIZE_BYTES;
  }
}

/**
 * Builds a Sender Report (RFC 3550, 6.4.1).
 * @throws {RangeError} with more than 31 report blocks.
 */
export function buildSenderReport(init: SenderReportInit): Uint8Array {
  const reports = init.reports ?? [];
  checkCount(reports.length, "report blocks");
  const size = HEADER_SIZE_BYTES + SENDER_INFO_SIZE_BYTES +
    reports.length * REPORT_BLOCK_SIZE_BYTES;
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  writeHeader(view, reports.length, RtcpPacketType.SenderReport, size);
  const ntp = unixMsToNtp(init.ntpTimeMs);
  view.setUint32(SenderOffset.ssrc, init.ssrc >>> 0);
  view.setUint32(SenderOffset.ntpSeconds, ntp.seconds);
  view.setUint32(SenderOffset.ntpFraction, ntp.fraction);
  view.setUint32(SenderOffset.rtpTimestamp, init.rtpTimestamp >>> 0);
  view.setUint32(SenderOffset.packetCount, init.packetCount >>> 0);
  view.setUint32(SenderOffset.octetCount, init.octetCount >>> 0);
  writeReportBlocks(view, HEADER_SIZE_BYTES + SENDER_INFO_SIZE_BYTES, reports);
  return bytes;
}

/**
 * Builds a Receiver Report (RFC 3550, 6.4.2).
 * @throws {RangeError} with more than 31 report blocks.
 */
export function buildReceiverReport(init: ReceiverReportInit): Uint8Array {
  checkCount(init.reports.length, "report blocks");
  const size = HEADER_SIZE_BYTES + SSRC_SIZE_BYTES + init.reports.length * REPORT_BLOCK_SIZE_BYTES;
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  writeHeader(view, init.reports.length, RtcpPacketType.ReceiverReport, size);
  view.setUint32(FIRST_SSRC_OFFSET, init.ssrc >>> 0);
  writeReportBlocks(view, HEADER_SIZE_BYTES + SSRC_SIZE_BYTES, init.reports);
  return bytes;
}

/** Rounds up to a whole number of 32-bit words (RFC 3550, 6.4.1: packets are word-aligned). */
function padToWord(size: number): number {
  return Math.ceil(size / WORD_SIZE_BYTES) * WORD_SIZE_BYTES;
}

/**
 * Builds an SDES packet with one chunk carrying a CNAME (RFC 3550, 6.5.1), which
 * every compound packet must include (6.1).
 * @throws {RangeError} when the UTF-8 CNAME exceeds 255 bytes.
 */
export function buildSdes(ssrc: number, cname: string): Uint8Array {
  const text = encoder.encode(cname);
  if (text.length > MAX_SDES_TEXT_SIZE_BYTES) {
    throw new RangeError(`CNAME longer than ${MAX_SDES_TEXT_SIZE_BYTES} bytes`);
  }
  // RFC 3550, 6.5: items end with at least one null octet, then pad the chunk
  // with nulls to a word boundary; a zero-filled buffer gives both.
  const chunkSize = padToWord(
    SSRC_SIZE_BYTES + SDES_ITEM_HEADER_SIZE_BYTES + text.length + SDES_END_SIZE_BYTES,
  );
  const size = HEADER_SIZE_BYTES + chunkSize;
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  writeHeader(view, SDES_CHUNK_COUNT, RtcpPacketType.SourceDescription, size);
  const itemOffset = FIRST_SSRC_OFFSET + SSRC_SIZE_BYTES;
  view.setUint32(FIRST_SSRC_OFFSET, ssrc >>> 0);
  bytes[itemOffset] = SdesItemType.Cname;
  bytes[itemOffset + 1] = text.length;
  bytes.set(text, itemOffset + SDES_ITEM_HEADER_SIZE_BYTES);
  return bytes;
}

/**
 * Builds a BYE packet (RFC 3550, 6.6) for `ssrcs`, with an optional reason.
 * @throws {RangeError} with more than 31 SSRCs or a reason over 255 UTF-8 bytes.
 */
export function buildBye(ssrcs: readonly number[], reason?: string): Uint8Array {
  checkCount(ssrcs.length, "SSRCs");
  const text = reason === undefined ? undefined : encoder.encode(reason);
  if (text && text.length > MAX_SDES_TEXT_SIZE_BYTES) {
    throw new RangeError(`BYE reason longer than ${MAX_SDES_TEXT_SIZE_BYTES} bytes`);
  }
  const reasonSize = text ? BYE_REASON_LENGTH_SIZE_BYTES + text.length : 0;
  const size = padToWord(HEADER_SIZE_BYTES + ssrcs.length * SSRC_SIZE_BYTES + reasonSize);
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  writeHeader(view, ssrcs.length, RtcpPacketType.Goodbye, size);
  let offset = HEADER_SIZE_BYTES;
  for (const ssrc of ssrcs) {
    view.setUint32(offset, ssrc >>> 0);
    offset += SSRC_SIZE_BYTES;
  }
  if (text) {
    bytes[offset] = text.length;
    bytes.set(text, offset + BYE_REASON_LENGTH_SIZE_BYTES);
  }
  return bytes;
}

/** Concatenates RTCP packets into one compound packet (RFC 3550, 6.1). */
export function buildCompound(...parts: Uint8Array[]): Uint8Array {
  let size = 0;
  for (const part of parts) size += part.length;
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.length;
  }
  return bytes;
}

/** A parsed Sender Report. */
export interface RtcpSenderReport {
  /** Discriminant. */
  readonly type: "sr";
  /** Sender's SSRC. */
  readonly ssrc: number;
  /** NTP timestamp as sent. */
  readonly ntp: NtpTimestamp;
  /** The NTP timestamp as Unix milliseconds. */
  readonly ntpTimeMs: number;
  /** RTP timestamp of the same instant. */
  readonly rtpTimestamp: number;
  /** Sender's packet count. */
  readonly packetCount: number;
  /** Sender's octet count. */
  readonly octetCount: number;
  /** Reception report blocks. */
  readonly reports: readonly ReportBlock[];
}

/** A parsed Receiver Report. */
export interface RtcpReceiverReport {
  /** Discriminant. */
  readonly type: "rr";
  /** Reporter's SSRC. */
  readonly ssrc: number;
  /** Reception report blocks. */
  readonly reports: readonly ReportBlock[];
}

/** One SDES item (RFC 3550, 6.5). */
export interface SdesItem {
  /** Item type, e.g. {@linkcode SdesItemType.Cname}. */
  readonly itemType: number;
  /** Item text, decoded as UTF-8 (invalid bytes become U+FFFD). */
  readonly text: string;
}

/** One SDES chunk. */
export interface SdesChunk {
  /** Source described. */
  readonly ssrc: number;
  /** Its items. */
  readonly items: readonly SdesItem[];
}

/** A parsed Source Description packet. */
export interface RtcpSdes {
  /** Discriminant. */
  readonly type: "sdes";
  /** Chunks, one per source. */
  readonly chunks: readonly SdesChunk[];
}

/** A parsed BYE packet. */
export interface RtcpBye {
  /** Discriminant. */
  readonly type: "bye";
  /** Sources leaving. */
  readonly ssrcs: readonly number[];
  /** Reason for leaving, if given. */
  readonly reason?: string;
}

/** A packet of a type not interpreted here (APP, RTPFB, PSFB, XR, ...). */
export interface RtcpUnknown {
  /** Discriminant. */
  readonly type: "unknown";
  /** The PT field. */
  readonly packetType: number;
}

/** Any parsed RTCP packet. */
export type RtcpPacket = RtcpSenderReport | RtcpReceiverReport | RtcpSdes | RtcpBye | RtcpUnknown;

/** Why {@linkcode parseRtcpCompound} rejected its input. */
export const RtcpParseError = {
  /** No bytes, or fewer than one common header. */
  TooShort: "too-short",
  /** A V field is not 2. */
  BadVersion: "bad-version",
  /** A length field runs past the end of the input. */
  BadLength: "bad-length",
  /** A padding count is zero or larger than the packet. */
  BadPadding: "bad-padding",
  /** A packet body is shorter than its counts require. */
  Truncated: "truncated",
} as const;

/** One of the {@linkcode RtcpParseError} values. */
export type RtcpParseError = typeof RtcpParseError[keyof typeof RtcpParseError];

/** Result of {@linkcode parseRtcpCompound}. */
export type RtcpParseResult =
  | { readonly ok: true; readonly packets: readonly RtcpPacket[] }
  | { readonly ok: false; readonly error: RtcpParseError };

/**
 * Parses a compound RTCP packet (RFC 3550, 6.1). Never throws. The whole input
 * is rejected if any packet is malformed, as the A.2 validity checks do; the
 * "first packet must be SR/RR" check is not enforced, to accept lax senders.
 */
export function parseRtcpCompound(bytes: Uint8Array): RtcpParseResult {
  if (bytes.length < HEADER_SIZE_BYTES) return { ok: false, error: RtcpParseError.TooShort };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const packets: RtcpPacket[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    if (offset + HEADER_SIZE_BYTES > bytes.length) {
      return { ok: false, error: RtcpParseError.BadLength };
    }
    const first = view.getUint8(offset + HeaderOffset.flags);
    if (first >>> VERSION_SHIFT_BITS !== RTCP_VERSION) {
      return { ok: false, error: RtcpParseError.BadVersion };
    }
    const count = first & COUNT_MASK;
    const packetType = view.getUint8(offset + HeaderOffset.packetType);
    const size = (view.getUint16(offset + HeaderOffset.length) + 1) * WORD_SIZE_BYTES;
    if (offset + size > bytes.length) return { ok: false, error: RtcpParseError.BadLength };
    let end = offset + size;
    if (first & PADDING_FLAG) {
      const padding = view.getUint8(end - 1);
      if (padding === 0 || padding > size - HEADER_SIZE_BYTES) {
        return { ok: false, error: RtcpParseError.BadPadding };
      }
      end -= padding;
    }
    const body = new DataView(bytes.buffer, bytes.byteOffset + offset, end - offset);
    const packet = parseOne(body, packetType, count);
    if (!packet) return { ok: false, error: RtcpParseError.Truncated };
    packets.push(packet);
    offset += size;
  }
  return { ok: true, packets };
}

/** Parses one packet; `view` spans header + body without padding. Undefined if truncated. */
function parseOne(view: DataView, packetType: number, count: number): RtcpPacket | undefined {
  switch (packetType) {
    case RtcpPacketType.SenderReport: {
      const reportsOffset = HEADER_SIZE_BYTES + SENDER_INFO_SIZE_BYTES;
      if (view.byteLength < reportsOffset + count * REPORT_BLOCK_SIZE_BYTES) return undefined;
      const ntp = {
        seconds: view.getUint32(SenderOffset.ntpSeconds),
        fraction: view.getUint32(SenderOffset.ntpFraction),
      };
      return {
        type: "sr",
        ssrc: view.getUint32(SenderOffset.ssrc),
        ntp,
        ntpTimeMs: ntpToUnixMs(ntp),
        rtpTimestamp: view.getUint32(SenderOffset.rtpTimestamp),
        packetCount: view.getUint32(SenderOffset.packetCount),
        octetCount: view.getUint32(SenderOffset.octetCount),
        reports: readReportBlocks(view, reportsOffset, count),
      };
    }
    case RtcpPacketType.ReceiverReport: {
      const reportsOffset = HEADER_SIZE_BYTES + SSRC_SIZE_BYTES;
      if (view.byteLength < reportsOffset + count * REPORT_BLOCK_SIZE_BYTES) return undefined;
      return {
        type: "rr",
        ssrc: view.getUint32(FIRST_SSRC_OFFSET),
        reports: readReportBlocks(view, reportsOffset, count),
      };
    }
    case RtcpPacketType.SourceDescription:
      return parseSdes(view, count);
    case RtcpPacketType.Goodbye:
      return parseBye(view, count);
    default:
      return { type: "unknown", packetType };
  }
}

function readReportBlocks(view: DataView, offset: number, count: number): ReportBlock[] {
  const reports: ReportBlock[] = [];
  for (let i = 0; i < count; i++, offset += REPORT_BLOCK_SIZE_BYTES) {
    const lossWord = view.getUint32(offset + BlockOffset.loss);
    const lost24 = lossWord & UINT24_MASK;
    reports.push({
      ssrc: view.getUint32(offset + BlockOffset.ssrc),
      fractionLost: lossWord >>> FRACTION_LOST_SHIFT_BITS,
      // Sign-extend the 24-bit two's complement value.
      cumulativeLost: lost24 > CUMULATIVE_LOST_MAX ? lost24 - (UINT24_MASK + 1) : lost24,
      highestSequence: view.getUint32(offset + BlockOffset.highestSequence),
      jitter: view.getUint32(offset + BlockOffset.jitter),
      lastSr: view.getUint32(offset + BlockOffset.lastSr),
      delaySinceLastSr: view.getUint32(offset + BlockOffset.delaySinceLastSr),
    });
  }
  return reports;
}

function bytesOf(view: DataView, offset: number, length: number): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset + offset, length);
}

function parseSdes(view: DataView, count: number): RtcpSdes | undefined {
  const chunks: SdesChunk[] = [];
  let offset = HEADER_SIZE_BYTES;
  for (let c = 0; c < count; c++) {
    if (offset + SSRC_SIZE_BYTES > view.byteLength) return undefined;
    const ssrc = view.getUint32(offset);
    offset += SSRC_SIZE_BYTES;
    const items: SdesItem[] = [];
    for (;;) {
      if (offset >= view.byteLength) return undefined;
      const itemType = view.getUint8(offset);
      if (itemType === SdesItemType.End) break;
      if (offset + SDES_ITEM_HEADER_SIZE_BYTES > view.byteLength) return undefined;
      const length = view.getUint8(offset + SDES_ITEM_LENGTH_OFFSET);
      const textOffset = offset + SDES_ITEM_HEADER_SIZE_BYTES;
      if (textOffset + length > view.byteLength) return undefined;
      items.push({ itemType, text: decoder.decode(bytesOf(view, textOffset, length)) });
      offset = textOffset + length;
    }
    // Skip the terminating null and the padding to the next word (RFC 3550, 6.5).
    offset = padToWord(offset + SDES_END_SIZE_BYTES);
    chunks.push({ ssrc, items });
  }
  return { type: "sdes", chunks };
}

function parseBye(view: DataView, count: number): RtcpBye | undefined {
  const reasonOffset = HEADER_SIZE_BYTES + count * SSRC_SIZE_BYTES;
  if (reasonOffset > view.byteLength) return undefined;
  const ssrcs: number[] = [];
  for (let i = 0; i < count; i++) {
    ssrcs.push(view.getUint32(HEADER_SIZE_BYTES + i * SSRC_SIZE_BYTES));
  }
  if (reasonOffset >= view.byteLength) return { type: "bye", ssrcs };
  const length = view.getUint8(reasonOffset);
  const textOffset = reasonOffset + BYE_REASON_LENGTH_SIZE_BYTES;
  if (textOffset + length > view.byteLength) return undefined;
  if (length === 0) return { type: "bye", ssrcs };
  return { type: "bye", ssrcs, reason: decoder.decode(bytesOf(view, textOffset, length)) };
}

/** One instant on both clocks, from a Sender Report: the basis of A/V sync (RFC 3550, 6.4.1). */
export interface RtpClockMapping {
  /** Wallclock, Unix milliseconds. */
  readonly unixMs: number;
  /** RTP timestamp of the same instant. */
  readonly rtpTimestamp: number;
}

/** The NTP ↔ RTP pair a Sender Report announces. */
export function senderReportMapping(sr: RtcpSenderReport): RtpClockMapping {
  return { unixMs: sr.ntpTimeMs, rtpTimestamp: sr.rtpTimestamp };
}

/**
 * Wallclock of an RTP timestamp given a mapping and the clock rate. The distance
 * is read as a signed 32-bit difference, so timestamps on either side of the
 * mapping and across a wrap work (within 2^31 ticks).
 */
export function rtpTimestampToUnixMs(
  mapping: RtpClockMapping,
  rtpTimestamp: number,
  clockRate: number,
): number {
  const ticks = (rtpTimestamp - mapping.rtpTimestamp) | 0;
  return mapping.unixMs + (ticks * MS_PER_SECOND) / clockRate;
}
