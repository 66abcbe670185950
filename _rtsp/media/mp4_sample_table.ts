/**
 * Sample table parsing (ISO/IEC 14496-12 §8.5–§8.7): turns the run-length and
 * chunk-based boxes of an `stbl` into flat per-sample typed arrays, so that
 * looking up a sample's file range and timing is O(1) and seeking is a binary
 * search.
 *
 * Memory is ~20 bytes per sample (+4 with `ctts`): a 2-hour 25 fps video track
 * (180k samples) costs ~4 MB. Every count is checked against the bytes of the
 * box that claims it, or against the file size, before anything is allocated.
 *
 * @module
 */

import {
  type Box,
  BoxType,
  type ByteReader,
  check,
  FULL_BOX_HEADER_SIZE,
  iterBoxes,
  payloadReader,
} from "./mp4_boxes.ts";

/**
 * Most samples one file may declare across its tracks. 2^22 samples is about
 * 24 hours of 48 kHz AAC or 19 hours of 60 fps video; the cap bounds the typed
 * arrays a hostile run-length table could make us allocate (~100 MB worst case).
 */
export const MAX_SAMPLES_PER_FILE = 1 << 22;

/**
 * Largest single sample we accept. One sample is read into memory whole, so
 * this bounds a read; real compressed frames are well below a few MB.
 */
export const MAX_SAMPLE_SIZE = 64 * 1024 * 1024;

/** `stz2` field sizes allowed by ISO/IEC 14496-12 §8.7.3.3.1. */
const STZ2_FIELD_SIZES: readonly number[] = [4, 8, 16];

/** Bytes per entry of each table, ISO/IEC 14496-12 §8.6.1.2, §8.6.1.3, §8.7.4, §8.7.5, §8.6.2. */
const STTS_ENTRY_SIZE = 8;
const CTTS_ENTRY_SIZE = 8;
const STSC_ENTRY_SIZE = 12;
const STCO_ENTRY_SIZE = 4;
const CO64_ENTRY_SIZE = 8;
const STSS_ENTRY_SIZE = 4;
const STSZ_ENTRY_SIZE = 4;

/** Flattened sample table of one track. Times are in the track (media) timescale. */
export interface SampleTable {
  readonly count: number;
  /** Absolute file offset of each sample. */
  readonly offsets: Float64Array;
  /** Byte size of each sample. */
  readonly sizes: Uint32Array;
  /** Decode timestamp of each sample, before any edit list shift. */
  readonly dts: Float64Array;
  /** Composition offset (pts − dts) per sample; null when there is no `ctts`. */
  readonly ctsOffsets: Int32Array | null;
  /** Sorted 0-based indices of sync samples; null when `stss` is absent (all are sync). */
  readonly syncSamples: Uint32Array | null;
}

/**
 * Parses the sample tables inside `stbl`.
 *
 * @param bytes Buffer holding the `moov` box.
 * @param stbl The Sample Table Box inside `bytes`.
 * @param fileSize Total file size; every sample must lie inside the file.
 * @param maxSamples Samples still allowed in this file (see {@link MAX_SAMPLES_PER_FILE}).
 * @throws Mp4FormatError on any inconsistency.
 */
export function parseSampleTable(
  bytes: Uint8Array,
  stbl: Box,
  fileSize: number,
  maxSamples: number,
): SampleTable {
  const boxes = new Map<string, Box>();
  for (const box of iterBoxes(bytes, stbl.payloadStart, stbl.end)) {
    if (!boxes.has(box.type)) boxes.set(box.type, box);
  }
  const get = (type: string) => boxes.get(type);

  const sizeBox = get(BoxType.stsz) ?? get(BoxType.stz2);
  check(sizeBox !== undefined, "stbl: missing stsz/stz2");
  const sizes = sizeBox.type === BoxType.stsz
    ? parseStsz(payloadReader(bytes, sizeBox), fileSize, maxSamples)
    : parseStz2(payloadReader(bytes, sizeBox), maxSamples);
  const count = sizes.length;

  const sttsBox = get(BoxType.stts);
  check(sttsBox !== undefined, "stbl: missing stts");
  const dts = parseStts(payloadReader(bytes, sttsBox), count);

  const cttsBox = get(BoxType.ctts);
  const ctsOffsets = cttsBox ? parseCtts(payloadReader(bytes, cttsBox), count) : null;

  const stssBox = get(BoxType.stss);
  const syncSamples = stssBox ? parseStss(payloadReader(bytes, stssBox), count) : null;

  const chunkBox = get(BoxType.stco) ?? get(BoxType.co64);
  check(chunkBox !== undefined, "stbl: missing stco/co64");
  const chunkOffsets = parseChunkOffsets(payloadReader(bytes, chunkBox), chunkBox.type);

  const stscBox = get(BoxType.stsc);
  check(stscBox !== undefined, "stbl: missing stsc");
  const offsets = placeSamples(payloadReader(bytes, stscBox), chunkOffsets, sizes, fileSize);

  return { count, offsets, sizes, dts, ctsOffsets, syncSamples };
}

/** Reads a FullBox entry count and checks `count * entrySize` fits in the box. */
function entryCount(r: ByteReader, entrySize: number, what: string): number {
  const n = r.u32();
  check(n * entrySize <= r.remaining, `${what}: entry count ${n} exceeds box size`);
  return n;
}

/** Sample Size Box, §8.7.3.2: a constant size, or one 32-bit size per sample. */
function parseStsz(r: ByteReader, fileSize: number, maxSamples: number): Uint32Array {
  r.skip(FULL_BOX_HEADER_SIZE);
  const constantSize = r.u32();
  const count = r.u32();
  check(count <= maxSamples, `stsz: ${count} samples exceeds the per-file limit`);
  if (constantSize !== 0) {
    check(constantSize <= MAX_SAMPLE_SIZE, `stsz: sample size ${constantSize} too large`);
    // No table backs a constant size, so bound the count by what the file can hold.
    check(count * constantSize <= fileSize, "stsz: samples exceed the file size");
    return new Uint32Array(count).fill(constantSize);
  }
  check(count * STSZ_ENTRY_SIZE <= r.remaining, `stsz: sample count ${count} exceeds box size`);
  const sizes = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    const size = r.u32();
    check(size <= MAX_SAMPLE_SIZE, `stsz: sample ${i} size ${size} too large`);
    sizes[i] = size;
  }
  return sizes;
}

/** Compact Sample Size Box, §8.7.3.3: 4-, 8- or 16-bit sizes packed back to back. */
function parseStz2(r: ByteReader, maxSamples: number): Uint32Array {
  r.skip(FULL_BOX_HEADER_SIZE);
  r.skip(3); // reserved
  const fieldSize = r.u8();
  check(STZ2_FIELD_SIZES.includes(fieldSize), `stz2: invalid field size ${fieldSize}`);
  const count = r.u32();
  check(count <= maxSamples, `stz2: ${count} samples exceeds the per-file limit`);
  const tableBytes = Math.ceil((count * fieldSize) / 8);
  check(tableBytes <= r.remaining, `stz2: sample count ${count} exceeds box size`);
  const sizes = new Uint32Array(count);
  if (fieldSize === 4) {
    // Two samples per byte, the earlier one in the high nibble (§8.7.3.3.2).
    for (let i = 0; i < count; i += 2) {
      const b = r.u8();
      sizes[i] = b >> 4;
      if (i + 1 < count) sizes[i + 1] = b & 0x0f;
    }
  } else if (fieldSize === 8) {
    for (let i = 0; i < count; i++) sizes[i] = r.u8();
  } else {
    for (let i = 0; i < count; i++) sizes[i] = r.u16();
  }
  return sizes;
}

/** Decoding Time to Sample Box, §8.6.1.2: run-length (count, delta) → cumulative dts. */
function parseStts(r: ByteReader, count: number): Float64Array {
  r.skip(FULL_BOX_HEADER_SIZE);
  const n = entryCount(r, STTS_ENTRY_SIZE, "stts");
  const dts = new Float64Array(count);
  let i = 0;
  let t = 0;
  for (let e = 0; e < n && i < count; e++) {
    const runLength = r.u32();
    const delta = r.u32();
    const stop = Math.min(count, i + runLength);
    for (; i < stop; i++) {
      dts[i] = t;
      t += delta;
    }
  }
  check(i === count, `stts: covers ${i} of ${count} samples`);
  return dts;
}

/**
 * Composition Time to Sample Box, §8.6.1.3. Version 1 offsets are signed;
 * version 0 ones are nominally unsigned, but muxers write negative values
 * there too and every demuxer reads them as signed, so we do the same.
 * Samples past the table's end keep offset 0 rather than failing the file.
 */
function parseCtts(r: ByteReader, count: number): Int32Array {
  r.skip(FULL_BOX_HEADER_SIZE);
  const n = entryCount(r, CTTS_ENTRY_SIZE, "ctts");
  const offsets = new Int32Array(count);
  let i = 0;
  for (let e = 0; e < n && i < count; e++) {
    const runLength = r.u32();
    const offset = r.i32();
    const stop = Math.min(count, i + runLength);
    for (; i < stop; i++) offsets[i] = offset;
  }
  return offsets;
}

/** Sync Sample Box, §8.6.2: 1-based, strictly increasing sample numbers. */
function parseStss(r: ByteReader, count: number): Uint32Array {
  r.skip(FULL_BOX_HEADER_SIZE);
  const n = entryCount(r, STSS_ENTRY_SIZE, "stss");
  check(n <= count, `stss: ${n} entries for ${count} samples`);
  const sync = new Uint32Array(n);
  let previous = 0;
  for (let k = 0; k < n; k++) {
    const number = r.u32();
    check(number > previous && number <= count, `stss: invalid sample number ${number}`);
    sync[k] = number - 1;
    previous = number;
  }
  return sync;
}

/** Chunk Offset Box `stco` / `co64`, §8.7.5. */
function parseChunkOffsets(r: ByteReader, type: string): Float64Array {
  r.skip(FULL_BOX_HEADER_SIZE);
  const wide = type === BoxType.co64;
  const n = entryCount(r, wide ? CO64_ENTRY_SIZE : STCO_ENTRY_SIZE, type);
  const offsets = new Float64Array(n);
  for (let c = 0; c < n; c++) offsets[c] = wide ? r.u64() : r.u32();
  return offsets;
}

/**
 * Sample To Chunk Box, §8.7.4: walks the (first_chunk, samples_per_chunk) runs
 * over the chunk offsets, laying samples out back to back inside each chunk.
 * Work is bounded by chunk count + sample count: runs cover disjoint chunk
 * ranges and each inner step places one sample.
 */
function placeSamples(
  r: ByteReader,
  chunkOffsets: Float64Array,
  sizes: Uint32Array,
  fileSize: number,
): Float64Array {
  r.skip(FULL_BOX_HEADER_SIZE);
  const n = entryCount(r, STSC_ENTRY_SIZE, "stsc");
  const count = sizes.length;
  const chunkCount = chunkOffsets.length;
  const offsets = new Float64Array(count);
  let sample = 0;
  let firstChunk = n > 0 ? r.u32() : 0;
  check(n === 0 || firstChunk === 1, "stsc: first entry must start at chunk 1");
  for (let e = 0; e < n && sample < count; e++) {
    const perChunk = r.u32();
    r.skip(4); // sample_description_index: we only use the first sample entry
    const nextFirst = e + 1 < n ? r.u32() : chunkCount + 1;
    check(nextFirst > firstChunk, "stsc: first_chunk values must increase");
    const lastChunk = Math.min(nextFirst, chunkCount + 1);
    for (let chunk = firstChunk; chunk < lastChunk && sample < count; chunk++) {
      let offset = chunkOffsets[chunk - 1];
      for (let k = 0; k < perChunk && sample < count; k++, sample++) {
        const end = offset + sizes[sample];
        check(end <= fileSize, `sample ${sample} (bytes ${offset}..${end}) is past end of file`);
        offsets[sample] = offset;
        offset = end;
      }
    }
    firstChunk = nextFirst;
  }
  check(sample === count, `stsc/stco: chunks hold ${sample} of ${count} samples`);
  return offsets;
}

/** Presentation time (before edit list shift) of sample `i`. */
export function ptsOf(table: SampleTable, i: number): number {
  return table.dts[i] + (table.ctsOffsets ? table.ctsOffsets[i] : 0);
}

/** Whether sample `i` is a sync sample. */
export function isSync(table: SampleTable, i: number): boolean {
  const sync = table.syncSamples;
  if (sync === null) return true;
  let lo = 0;
  let hi = sync.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (sync[mid] === i) return true;
    if (sync[mid] < i) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/**
 * Index of the last sync sample whose presentation time is ≤ `pts`; the first
 * sync sample when every one is later; 0 when there are none. Assumes sync
 * samples are in presentation order, which holds for real streams.
 */
export function syncAtOrBefore(table: SampleTable, pts: number): number {
  const sync = table.syncSamples;
  const n = sync === null ? table.count : sync.length;
  if (n === 0) return 0;
  const at = (k: number) => (sync === null ? k : sync[k]);
  let lo = 0;
  let hi = n - 1;
  let found = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (ptsOf(table, at(mid)) <= pts) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return at(found);
}

/**
 * Index of the first sample whose presentation time is ≥ `pts`, or `count`
 * when none is. Assumes presentation order equals decode order (audio).
 */
export function firstAtOrAfter(table: SampleTable, pts: number): number {
  let lo = 0;
  let hi = table.count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ptsOf(table, mid) < pts) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
