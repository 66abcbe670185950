/**
 * Low-level ISO Base Media File Format (ISO/IEC 14496-12) box primitives:
 * box type constants, parsing limits, a bounds-checked big-endian reader and
 * a box-header iterator over an in-memory buffer.
 *
 * Everything here reports malformed input by throwing {@link Mp4FormatError};
 * the public entry points in `mp4.ts` catch it and turn it into a typed error
 * result, so parsing code can stay linear while callers never see a throw.
 *
 * @module
 */

/** Box type four-character codes used by the reader. */
export const BoxType = {
  /** File Type Box, ISO/IEC 14496-12 §4.3. */
  ftyp: "ftyp",
  /** Movie Box, §8.2.1: all metadata; the only box we load into memory. */
  moov: "moov",
  /** Media Data Box, §8.1.1: sample bytes, never loaded as a whole. */
  mdat: "mdat",
  /** Movie Header Box, §8.2.2: movie timescale (for edit list durations). */
  mvhd: "mvhd",
  /** Movie Extends Box, §8.8.1: present only in fragmented files. */
  mvex: "mvex",
  /** Track Box, §8.3.1. */
  trak: "trak",
  /** Track Header Box, §8.3.2: track id, presentation width/height. */
  tkhd: "tkhd",
  /** Edit Box, §8.6.5. */
  edts: "edts",
  /** Edit List Box, §8.6.6. */
  elst: "elst",
  /** Media Box, §8.4.1. */
  mdia: "mdia",
  /** Media Header Box, §8.4.2: media timescale and duration. */
  mdhd: "mdhd",
  /** Handler Reference Box, §8.4.3: track kind (vide/soun/...). */
  hdlr: "hdlr",
  /** Media Information Box, §8.4.4. */
  minf: "minf",
  /** Sample Table Box, §8.5.1. */
  stbl: "stbl",
  /** Sample Description Box, §8.5.2. */
  stsd: "stsd",
  /** Decoding Time to Sample Box, §8.6.1.2. */
  stts: "stts",
  /** Composition Time to Sample Box, §8.6.1.3. */
  ctts: "ctts",
  /** Sample To Chunk Box, §8.7.4. */
  stsc: "stsc",
  /** Sample Size Box, §8.7.3.2. */
  stsz: "stsz",
  /** Compact Sample Size Box, §8.7.3.3. */
  stz2: "stz2",
  /** Chunk Offset Box (32-bit), §8.7.5. */
  stco: "stco",
  /** Chunk Large Offset Box (64-bit), §8.7.5. */
  co64: "co64",
  /** Sync Sample Box, §8.6.2. */
  stss: "stss",
  /** User-extended box type, §4.2: a 16-byte extended type follows the header. */
  uuid: "uuid",
  /** AVC sample entries, ISO/IEC 14496-15 §5.4.2 (avc3: parameter sets may be in-band). */
  avc1: "avc1",
  avc3: "avc3",
  /** AVC decoder configuration, ISO/IEC 14496-15 §5.4.2.1. */
  avcC: "avcC",
  /** HEVC sample entries, ISO/IEC 14496-15 §8.4.1 (hev1: parameter sets may be in-band). */
  hvc1: "hvc1",
  hev1: "hev1",
  /** HEVC decoder configuration, ISO/IEC 14496-15 §8.4.1.1. */
  hvcC: "hvcC",
  /** MPEG-4 audio sample entry, ISO/IEC 14496-14 §6.7.2. */
  mp4a: "mp4a",
  /** Elementary stream descriptor box, ISO/IEC 14496-14 §6.7.2. */
  esds: "esds",
  /** Opus sample entry, "Encapsulation of Opus in ISO Base Media File Format" §4.3.1. */
  Opus: "Opus",
  /** Opus specific box, same document §4.3.2. */
  dOps: "dOps",
} as const;

/** Handler types from the `hdlr` box, ISO/IEC 14496-12 §8.4.3.3 and §12.1/§12.2. */
export const HandlerType = {
  video: "vide",
  audio: "soun",
} as const;

/** Size of a compact box header (32-bit size + type), ISO/IEC 14496-12 §4.2. */
export const BOX_HEADER_SIZE = 8;
/** Size of a box header with a 64-bit `largesize` (size field == 1), §4.2. */
export const LARGE_BOX_HEADER_SIZE = 16;
/** Extra header bytes of a `uuid` box (the extended type), §4.2. */
export const UUID_EXTENDED_TYPE_SIZE = 16;
/** Version (8 bits) + flags (24 bits) prefix of a FullBox, §4.2. */
export const FULL_BOX_HEADER_SIZE = 4;

/**
 * Largest `moov` we are willing to load. A 2-hour movie's moov is a few MB;
 * anything past this is either absurd or hostile, and loading it is the one
 * unbounded allocation the reader would otherwise make.
 */
export const MAX_MOOV_SIZE = 64 * 1024 * 1024;

/**
 * How many top-level boxes we walk looking for `moov` before giving up. Each
 * costs one small read; a file of millions of tiny boxes is not a real MP4.
 */
export const MAX_TOP_LEVEL_BOXES = 10_000;

/** Thrown by parsing helpers on malformed input; converted to a result at the API edge. */
export class Mp4FormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "Mp4FormatError";
  }
}

/** Throws {@link Mp4FormatError} when `condition` is false. */
export function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Mp4FormatError(message);
}

/** Reads a four-character code at `offset` (caller guarantees 4 bytes). */
export function fourCC(bytes: Uint8Array, offset: number): string {
  return String.fromCharCode(
    bytes[offset],
    bytes[offset + 1],
    bytes[offset + 2],
    bytes[offset + 3],
  );
}

/**
 * Bounds-checked big-endian cursor over `[start, end)` of a buffer. Every read
 * checks the remaining length first, so corrupt counts surface as
 * {@link Mp4FormatError} instead of `RangeError` or garbage.
 */
export class ByteReader {
  readonly #view: DataView;
  readonly #bytes: Uint8Array;
  #pos: number;
  readonly #end: number;
  readonly #what: string;

  /** @param what Box or structure name, used in error messages. */
  constructor(bytes: Uint8Array, start: number, end: number, what: string) {
    check(0 <= start && start <= end && end <= bytes.length, `${what}: bad bounds`);
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#pos = start;
    this.#end = end;
    this.#what = what;
  }

  /** Absolute position in the underlying buffer. */
  get position(): number {
    return this.#pos;
  }

  /** Bytes left before the end bound. */
  get remaining(): number {
    return this.#end - this.#pos;
  }

  /** Throws unless at least `n` bytes remain. */
  need(n: number, field = "data"): void {
    check(n >= 0 && n <= this.remaining, `${this.#what}: truncated (${field})`);
  }

  skip(n: number): void {
    this.need(n);
    this.#pos += n;
  }

  u8(): number {
    this.need(1);
    return this.#bytes[this.#pos++];
  }

  u16(): number {
    this.need(2);
    const v = this.#view.getUint16(this.#pos);
    this.#pos += 2;
    return v;
  }

  i16(): number {
    this.need(2);
    const v = this.#view.getInt16(this.#pos);
    this.#pos += 2;
    return v;
  }

  u24(): number {
    this.need(3);
    const v = (this.#bytes[this.#pos] << 16) | this.#view.getUint16(this.#pos + 1);
    this.#pos += 3;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.#view.getUint32(this.#pos);
    this.#pos += 4;
    return v;
  }

  i32(): number {
    this.need(4);
    const v = this.#view.getInt32(this.#pos);
    this.#pos += 4;
    return v;
  }

  /** Unsigned 64-bit value; throws past 2^53 since offsets must stay exact. */
  u64(): number {
    const hi = this.u32();
    const lo = this.u32();
    check(hi < 0x200000, `${this.#what}: 64-bit value too large`);
    return hi * 0x1_0000_0000 + lo;
  }

  /** Signed 64-bit value (elst v1 media_time); must fit a safe integer. */
  i64(): number {
    const hi = this.i32();
    const lo = this.u32();
    check(hi < 0x200000 && hi >= -0x200000, `${this.#what}: 64-bit value too large`);
    return hi * 0x1_0000_0000 + lo;
  }

  /** A view (not a copy) of the next `n` bytes. */
  bytes(n: number): Uint8Array {
    this.need(n);
    const out = this.#bytes.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return out;
  }

  /** Reads the version/flags prefix of a FullBox (ISO/IEC 14496-12 §4.2). */
  fullBoxHeader(): { version: number; flags: number } {
    const version = this.u8();
    const flags = this.u24();
    return { version, flags };
  }
}

/** A box located inside an in-memory buffer. Offsets are absolute buffer indices. */
export interface Box {
  readonly type: string;
  /** Index of the first header byte. */
  readonly start: number;
  /** Index of the first payload byte (after size, type, largesize, uuid). */
  readonly payloadStart: number;
  /** Index one past the last byte of the box. */
  readonly end: number;
}

/**
 * Parses a box header from `bytes` at `offset`, where `available` bytes of the
 * box's enclosing region are known to exist (used both in memory and for
 * top-level headers read from the file).
 *
 * Returns the header length and total box size; `size == 0` ("extends to the
 * end of the enclosing region", §4.2) resolves to `available`.
 */
export function parseBoxHeader(
  bytes: Uint8Array,
  offset: number,
  available: number,
): { type: string; headerSize: number; size: number } {
  const headerBytes = Math.min(available, bytes.length - offset);
  check(headerBytes >= BOX_HEADER_SIZE, "truncated box header");
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, headerBytes);
  const size32 = view.getUint32(0);
  const type = fourCC(bytes, offset + 4);
  let headerSize = BOX_HEADER_SIZE;
  let size: number;
  if (size32 === 1) {
    check(headerBytes >= LARGE_BOX_HEADER_SIZE, `${type}: truncated largesize header`);
    const hi = view.getUint32(8);
    const lo = view.getUint32(12);
    check(hi < 0x200000, `${type}: box size too large`);
    size = hi * 0x1_0000_0000 + lo;
    headerSize = LARGE_BOX_HEADER_SIZE;
  } else if (size32 === 0) {
    size = available;
  } else {
    size = size32;
  }
  if (type === BoxType.uuid) headerSize += UUID_EXTENDED_TYPE_SIZE;
  check(size >= headerSize, `${type}: box size ${size} smaller than its header`);
  check(size <= available, `${type}: box size ${size} runs past its container`);
  return { type, headerSize, size };
}

/**
 * Iterates child boxes in `[start, end)` of an in-memory buffer. Each box has
 * at least a header's worth of size, so the loop always advances; a box
 * running past `end` throws.
 */
export function* iterBoxes(bytes: Uint8Array, start: number, end: number): Generator<Box> {
  let pos = start;
  // Fewer than a header's worth of trailing bytes is padding some muxers leave
  // (e.g. a 32-bit zero terminator after sample entry children); not a box.
  while (end - pos >= BOX_HEADER_SIZE) {
    const { type, headerSize, size } = parseBoxHeader(bytes, pos, end - pos);
    yield { type, start: pos, payloadStart: pos + headerSize, end: pos + size };
    pos += size;
  }
}

/** The first child of `parent` with the given type, or undefined. */
export function findChild(bytes: Uint8Array, parent: Box, type: string): Box | undefined {
  for (const box of iterBoxes(bytes, parent.payloadStart, parent.end)) {
    if (box.type === type) return box;
  }
  return undefined;
}

/** Like {@link findChild} but a missing box is a format error. */
export function requireChild(bytes: Uint8Array, parent: Box, type: string): Box {
  const box = findChild(bytes, parent, type);
  check(box !== undefined, `${parent.type}: missing ${type}`);
  return box;
}

/** A reader over a box's payload. */
export function payloadReader(bytes: Uint8Array, box: Box): ByteReader {
  return new ByteReader(bytes, box.payloadStart, box.end, box.type);
}
