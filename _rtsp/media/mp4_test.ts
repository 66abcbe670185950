import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import {
  MAX_MOOV_SIZE,
  type Mp4File,
  type Mp4Result,
  type Mp4Track,
  openMp4,
  type ReadAt,
  rescaleTimestamp,
  splitLengthPrefixed,
} from "./mp4.ts";
import { MAX_TOP_LEVEL_BOXES } from "./mp4_boxes.ts";
import { run, toolTest } from "../../_testing/tools.ts";
import { fileReadAt } from "../../_testing/media_units.ts";
import { concatBytes as concat } from "../bytes.ts";

// ---------------------------------------------------------------------------
// Box builders
// ---------------------------------------------------------------------------

const u8 = (...v: number[]) => Uint8Array.from(v);
function u16(v: number): Uint8Array {
  const b = new Uint8Array(2);
  new DataView(b.buffer).setUint16(0, v);
  return b;
}
function i16(v: number): Uint8Array {
  const b = new Uint8Array(2);
  new DataView(b.buffer).setInt16(0, v);
  return b;
}
function u24(v: number): Uint8Array {
  return u8((v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff);
}
function u32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v);
  return b;
}
function i32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, v);
  return b;
}
function u64(v: number): Uint8Array {
  return concat(u32(Math.floor(v / 2 ** 32)), u32(v % 2 ** 32));
}
/** Big-endian 32-bit values back to back (no argument spreading: tables can be large). */
function u32Table(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setUint32(i * 4, v));
  return out;
}
const zeros = (n: number) => new Uint8Array(n);
const ascii = (s: string) => new TextEncoder().encode(s);

/** A box with a 32-bit size. */
function box(type: string, ...payload: Uint8Array[]): Uint8Array {
  const body = concat(...payload);
  return concat(u32(8 + body.length), ascii(type), body);
}
/** A box with size == 1 and a 64-bit largesize. */
function largeBox(type: string, ...payload: Uint8Array[]): Uint8Array {
  const body = concat(...payload);
  return concat(u32(1), ascii(type), u64(16 + body.length), body);
}
function fullBox(type: string, version: number, ...payload: Uint8Array[]): Uint8Array {
  return box(type, u8(version), u24(0), ...payload);
}
/** An MPEG-4 descriptor (ISO/IEC 14496-1) with a 4-byte expandable length, as ffmpeg writes. */
function descriptor(tag: number, ...payload: Uint8Array[]): Uint8Array {
  const body = concat(...payload);
  return concat(u8(tag, 0x80, 0x80, 0x80, body.length), body);
}

const SPS = u8(0x67, 0x42, 0xc0, 0x1e, 0xd9);
const PPS = u8(0x68, 0xce, 0x3c, 0x80);
const AAC_LC_48K_STEREO = u8(0x11, 0x90);

function visualEntry(type: string, width: number, height: number, config: Uint8Array) {
  return box(
    type,
    zeros(6),
    u16(1),
    zeros(16),
    u16(width),
    u16(height),
    u32(0x00480000),
    u32(0x00480000),
    u32(0),
    u16(1),
    zeros(32),
    u16(0x18),
    i16(-1),
    config,
  );
}

function avc1Entry(lengthSizeMinusOne = 3): Uint8Array {
  const avcC = box(
    "avcC",
    u8(1, 0x42, 0xc0, 0x1e, 0xfc | lengthSizeMinusOne, 0xe1),
    u16(SPS.length),
    SPS,
    u8(1),
    u16(PPS.length),
    PPS,
  );
  return visualEntry("avc1", 320, 240, avcC);
}

function hvc1Entry(): Uint8Array {
  const nalArray = (type: number, nal: Uint8Array) =>
    concat(u8(0x80 | type), u16(1), u16(nal.length), nal);
  const hvcC = box(
    "hvcC",
    u8(1, 0x01),
    u32(0x60000000),
    zeros(6),
    u8(93),
    u16(0xf000),
    u8(0xfc, 0xfd, 0xf8, 0xf8),
    u16(0),
    u8(0x0f), // lengthSizeMinusOne = 3
    u8(3),
    nalArray(32, u8(0x40, 0x01, 0x0c)),
    nalArray(33, u8(0x42, 0x01, 0x01, 0x01)),
    nalArray(34, u8(0x44, 0x01, 0xc1)),
  );
  return visualEntry("hvc1", 640, 360, hvcC);
}

function audioEntry(type: string, channels: number, rate: number, config: Uint8Array) {
  return box(
    type,
    zeros(6),
    u16(1),
    zeros(8),
    u16(channels),
    u16(16),
    u16(0),
    u16(0),
    u32(rate * 65536),
    config,
  );
}

function mp4aEntry(asc = AAC_LC_48K_STEREO, objectType = 0x40): Uint8Array {
  const esds = fullBox(
    "esds",
    0,
    descriptor(
      0x03,
      u16(1),
      u8(0),
      descriptor(
        0x04,
        u8(objectType, 0x15),
        u24(0),
        u32(128000),
        u32(128000),
        descriptor(0x05, asc),
      ),
      descriptor(0x06, u8(0x02)),
    ),
  );
  return audioEntry("mp4a", 2, 48000, esds);
}

function opusEntry(): Uint8Array {
  const dOps = box("dOps", u8(0, 2), u16(312), u32(44100), i16(0), u8(0));
  return audioEntry("Opus", 2, 48000, dOps);
}

function stsd(entry: Uint8Array): Uint8Array {
  return fullBox("stsd", 0, u32(1), entry);
}
function stts(runs: [number, number][]): Uint8Array {
  return fullBox("stts", 0, u32(runs.length), ...runs.map(([c, d]) => concat(u32(c), u32(d))));
}
function ctts(version: number, runs: [number, number][]): Uint8Array {
  return fullBox(
    "ctts",
    version,
    u32(runs.length),
    ...runs.map(([c, o]) => concat(u32(c), i32(o))),
  );
}
function stsc(entries: [number, number, number][]): Uint8Array {
  return fullBox("stsc", 0, u32(entries.length), ...entries.map((e) => concat(...e.map(u32))));
}
function stsz(sizes: number[]): Uint8Array {
  return fullBox("stsz", 0, u32(0), u32(sizes.length), u32Table(sizes));
}
function stz2(fieldSize: number, sizes: number[]): Uint8Array {
  let packed: Uint8Array;
  if (fieldSize === 4) {
    packed = new Uint8Array(Math.ceil(sizes.length / 2));
    sizes.forEach((s, i) => (packed[i >> 1] |= i % 2 === 0 ? s << 4 : s));
  } else if (fieldSize === 8) packed = Uint8Array.from(sizes);
  else packed = concat(...sizes.map(u16));
  return fullBox("stz2", 0, u24(0), u8(fieldSize), u32(sizes.length), packed);
}
function stco(offsets: number[], wide: boolean): Uint8Array {
  return wide
    ? fullBox("co64", 0, u32(offsets.length), concat(...offsets.map(u64)))
    : fullBox("stco", 0, u32(offsets.length), u32Table(offsets));
}
function stss(numbers: number[]): Uint8Array {
  return fullBox("stss", 0, u32(numbers.length), u32Table(numbers));
}
function tkhd(id: number, width: number, height: number): Uint8Array {
  return fullBox(
    "tkhd",
    0,
    u32(0),
    u32(0),
    u32(id),
    u32(0),
    u32(0),
    zeros(8),
    zeros(8),
    zeros(36),
    u32(width * 65536),
    u32(height * 65536),
  );
}
function mdhd(timescale: number, duration: number): Uint8Array {
  return fullBox("mdhd", 0, u32(0), u32(0), u32(timescale), u32(duration), u16(0x55c4), u16(0));
}
function hdlr(handler: string): Uint8Array {
  return fullBox("hdlr", 0, u32(0), ascii(handler), zeros(12), u8(0));
}
function elst(version: number, entries: [number, number][]): Uint8Array {
  const entry = ([duration, mediaTime]: [number, number]) =>
    version === 1
      ? concat(u64(duration), i32(mediaTime < 0 ? -1 : 0), i32(mediaTime), u16(1), u16(0))
      : concat(u32(duration), i32(mediaTime), u16(1), u16(0));
  return box("edts", fullBox("elst", version, u32(entries.length), ...entries.map(entry)));
}
function mvhd(timescale: number): Uint8Array {
  return fullBox("mvhd", 0, u32(0), u32(0), u32(timescale), u32(0), zeros(80));
}

/** The boxes of one track; tests swap single boxes to build corrupt variants. */
interface TrackBoxes {
  tkhd: Uint8Array;
  edts?: Uint8Array;
  mdhd: Uint8Array;
  hdlr: Uint8Array;
  stsd: Uint8Array;
  stts: Uint8Array;
  ctts?: Uint8Array;
  stsc: Uint8Array;
  sizes: Uint8Array;
  chunks: Uint8Array;
  stss?: Uint8Array;
}

function trak(t: TrackBoxes): Uint8Array {
  const stbl = box(
    "stbl",
    t.stsd,
    t.stts,
    t.ctts ?? zeros(0),
    t.stsc,
    t.sizes,
    t.chunks,
    t.stss ?? zeros(0),
  );
  const minf = box("minf", stbl);
  const mdia = box("mdia", t.mdhd, t.hdlr, minf);
  return box("trak", t.tkhd, t.edts ?? zeros(0), mdia);
}

// The hand-built movie: 4 video samples (two chunks) and 3 AAC frames (one
// chunk) interleaved in mdat as [v0 v1][a0 a1 a2][v2 v3].
const nal = (type: number, length: number) => {
  const n = new Uint8Array(length);
  n[0] = type;
  for (let i = 1; i < length; i++) n[i] = i & 0xff;
  return n;
};
const lengthPrefixed = (...nals: Uint8Array[]) =>
  concat(...nals.flatMap((n) => [u32(n.length), n]));
const VIDEO_SAMPLES = [
  lengthPrefixed(nal(0x06, 5), nal(0x65, 20)),
  lengthPrefixed(nal(0x41, 9)),
  lengthPrefixed(nal(0x65, 12)),
  lengthPrefixed(nal(0x41, 7), nal(0x41, 3)),
];
const AUDIO_SAMPLES = [nal(0x21, 6), nal(0x21, 10), nal(0x21, 8)];

interface MovieOptions {
  moovFirst?: boolean;
  co64?: boolean;
  largeMdat?: boolean;
  /** Write mdat with size == 0 ("to end of file"); needs moovFirst. */
  mdatToEof?: boolean;
  videoSizes?: "stsz" | "stz2-8" | "stz2-16";
  cttsVersion?: number;
  /** Replace boxes of the video (0) or audio (1) track. */
  patch?: (track: number, boxes: TrackBoxes) => void;
  /** Extra boxes appended inside moov. */
  moovExtra?: Uint8Array;
  /** Replace the whole moov payload after building. */
  patchMoov?: (moov: Uint8Array) => Uint8Array;
}

const FTYP = box("ftyp", ascii("isom"), u32(0x200), ascii("isomavc1"));

function buildMovie(options: MovieOptions = {}): Uint8Array {
  const payload = concat(
    VIDEO_SAMPLES[0],
    VIDEO_SAMPLES[1],
    ...AUDIO_SAMPLES,
    VIDEO_SAMPLES[2],
    VIDEO_SAMPLES[3],
  );
  const mdatHeaderSize = options.largeMdat ? 16 : 8;
  const makeMoov = (dataStart: number) => {
    const v0 = dataStart;
    const a0 = v0 + VIDEO_SAMPLES[0].length + VIDEO_SAMPLES[1].length;
    const v2 = a0 + AUDIO_SAMPLES.reduce((n, s) => n + s.length, 0);
    const videoSizes = VIDEO_SAMPLES.map((s) => s.length);
    const video: TrackBoxes = {
      tkhd: tkhd(1, 320, 240),
      mdhd: mdhd(1000, 160),
      hdlr: hdlr("vide"),
      stsd: stsd(avc1Entry()),
      stts: stts([[4, 40]]),
      stsc: stsc([[1, 2, 1]]),
      sizes: options.videoSizes === "stz2-8"
        ? stz2(8, videoSizes)
        : options.videoSizes === "stz2-16"
        ? stz2(16, videoSizes)
        : stsz(videoSizes),
      chunks: stco([v0, v2], options.co64 ?? false),
      stss: stss([1, 3]),
    };
    if (options.cttsVersion !== undefined) {
      video.ctts = ctts(options.cttsVersion, [[1, 80], [1, -40], [2, 0]]);
    }
    const audio: TrackBoxes = {
      tkhd: tkhd(2, 0, 0),
      mdhd: mdhd(48000, 3072),
      hdlr: hdlr("soun"),
      stsd: stsd(mp4aEntry()),
      stts: stts([[3, 1024]]),
      stsc: stsc([[1, 3, 1]]),
      sizes: stsz(AUDIO_SAMPLES.map((s) => s.length)),
      chunks: stco([a0], options.co64 ?? false),
    };
    options.patch?.(0, video);
    options.patch?.(1, audio);
    const moov = box("moov", mvhd(1000), trak(video), trak(audio), options.moovExtra ?? zeros(0));
    return options.patchMoov ? options.patchMoov(moov) : moov;
  };
  const mdat = (body: Uint8Array) =>
    options.mdatToEof
      ? concat(u32(0), ascii("mdat"), body)
      : options.largeMdat
      ? largeBox("mdat", body)
      : box("mdat", body);
  if (options.moovFirst) {
    const length = makeMoov(0).length;
    const moov = makeMoov(FTYP.length + length + mdatHeaderSize);
    return concat(FTYP, moov, mdat(payload));
  }
  return concat(FTYP, mdat(payload), makeMoov(FTYP.length + mdatHeaderSize));
}

/** A ReadAt over memory that records every call. */
function memoryReader(bytes: Uint8Array) {
  const calls: [number, number][] = [];
  const readAt: ReadAt = (offset, length) => {
    calls.push([offset, length]);
    return Promise.resolve(bytes.slice(offset, offset + length));
  };
  return { readAt, calls };
}

async function open(bytes: Uint8Array): Promise<Mp4Result> {
  return await openMp4(memoryReader(bytes).readAt, bytes.length);
}

async function openOk(bytes: Uint8Array): Promise<Mp4File> {
  const result = await open(bytes);
  if (!result.ok) throw new Error(`expected ok, got: ${result.error}`);
  return result.file;
}

async function readOk(track: Mp4Track, i: number) {
  const result = await track.readAccessUnit(i);
  if (!result.ok) throw new Error(`expected ok, got: ${result.error}`);
  return result.unit;
}

// ---------------------------------------------------------------------------
// Hand-built files
// ---------------------------------------------------------------------------

async function checkHandBuilt(file: Mp4File) {
  assertEquals(file.tracks.length, 2);
  const [video, audio] = file.tracks;
  assertEquals(video.id, 1);
  assertEquals(video.kind, "video");
  assertEquals(video.codec, "H264");
  assertEquals(video.codecTag, "avc1");
  assertEquals([video.width, video.height], [320, 240]);
  assertEquals(video.timescale, 1000);
  assertEquals(video.durationSeconds, 0.16);
  assertEquals(video.sampleCount, 4);
  assertEquals(video.rtpClockRate, 90000);
  assertEquals(video.h264, { sps: [SPS], pps: [PPS], nalLengthSize: 4 });
  assertEquals(
    [0, 1, 2, 3].map((i) => video.sampleInfo(i).keyframe),
    [true, false, true, false],
  );
  assertEquals(
    [0, 1, 2, 3].map((i) => video.sampleInfo(i).size),
    VIDEO_SAMPLES.map((s) => s.length),
  );

  assertEquals(audio.kind, "audio");
  assertEquals(audio.codec, "AAC");
  assertEquals(audio.aacConfig, AAC_LC_48K_STEREO);
  assertEquals([audio.sampleRate, audio.channels, audio.rtpClockRate], [48000, 2, 48000]);
  assertEquals(audio.sampleCount, 3);
  assertEquals(audio.width, undefined);

  // Samples come back from their interleaved places in mdat.
  for (let i = 0; i < 4; i++) {
    const unit = await readOk(video, i);
    assertEquals(concat(...unit.units.flatMap((n) => [u32(n.length), n])), VIDEO_SAMPLES[i]);
  }
  const first = await readOk(video, 0);
  assertEquals(first.units.map((n) => n[0]), [0x06, 0x65]);
  assertEquals(first.keyframe, true);
  assertEquals((await readOk(video, 3)).units.length, 2);
  for (let i = 0; i < 3; i++) {
    const unit = await readOk(audio, i);
    assertEquals(unit.units, [AUDIO_SAMPLES[i]]);
    assertEquals(unit.timestamp, i * 1024);
    assertEquals(unit.keyframe, true);
  }
}

Deno.test("mp4: moov after mdat", async () => {
  const bytes = buildMovie();
  const file = await openOk(bytes);
  assertEquals(file.moovOffset + file.moovSize, bytes.length);
  await checkHandBuilt(file);
  const video = file.tracks[0];
  // 40 ms frames at 1 kHz become 3600 ticks of the 90 kHz RTP clock.
  assertEquals((await readOk(video, 2)).timestamp, 7200);
  assertEquals(video.sampleInfo(3), {
    offset: video.sampleInfo(2).offset + VIDEO_SAMPLES[2].length,
    size: VIDEO_SAMPLES[3].length,
    dts: 120,
    pts: 120,
    keyframe: false,
  });
});

Deno.test("mp4: moov before mdat reads only headers, moov and the sample", async () => {
  const bytes = buildMovie({ moovFirst: true });
  const { readAt, calls } = memoryReader(bytes);
  const result = await openMp4(readAt, bytes.length);
  assert(result.ok);
  assertEquals(result.file.moovOffset, FTYP.length);
  // ftyp header, moov header, then moov itself; mdat is never touched.
  assertEquals(calls, [[0, 16], [FTYP.length, 16], [FTYP.length, result.file.moovSize]]);
  calls.length = 0;
  await checkHandBuilt(result.file);
  const video = result.file.tracks[0];
  calls.length = 0;
  await readOk(video, 1);
  assertEquals(calls, [[video.sampleInfo(1).offset, VIDEO_SAMPLES[1].length]]);
});

Deno.test("mp4: mdat with size 0 runs to end of file", async () => {
  await checkHandBuilt(await openOk(buildMovie({ moovFirst: true, mdatToEof: true })));
});

Deno.test("mp4: co64 chunk offsets and a 64-bit largesize mdat", async () => {
  await checkHandBuilt(await openOk(buildMovie({ co64: true, largeMdat: true })));
  await checkHandBuilt(await openOk(buildMovie({ co64: true, largeMdat: true, moovFirst: true })));
});

Deno.test("mp4: stz2 compact sample sizes (8, 16 and 4 bits)", async () => {
  await checkHandBuilt(await openOk(buildMovie({ videoSizes: "stz2-8" })));
  await checkHandBuilt(await openOk(buildMovie({ videoSizes: "stz2-16" })));
  // 4-bit fields can only hold sizes < 16: give the audio track 3 tiny frames.
  const file = await openOk(buildMovie({
    patch: (t, b) => {
      if (t === 1) b.sizes = stz2(4, [6, 10, 8]);
    },
  }));
  assertEquals([0, 1, 2].map((i) => file.tracks[1].sampleInfo(i).size), [6, 10, 8]);
});

Deno.test("mp4: ctts version 1 with negative composition offsets", async () => {
  const file = await openOk(buildMovie({ cttsVersion: 1 }));
  const video = file.tracks[0];
  assertEquals([0, 1, 2, 3].map((i) => video.sampleInfo(i).dts), [0, 40, 80, 120]);
  assertEquals([0, 1, 2, 3].map((i) => video.sampleInfo(i).pts), [80, 0, 80, 120]);
  assertEquals((await readOk(video, 1)).timestamp, 0);
  assertEquals((await readOk(video, 0)).timestamp, 80 * 90);
  // Version 0 offsets are read as signed too, as every demuxer does.
  const v0 = await openOk(buildMovie({ cttsVersion: 0 }));
  assertEquals(v0.tracks[0].sampleInfo(1).pts, 0);
});

Deno.test("mp4: edit list shifts presentation times", async () => {
  const file = await openOk(buildMovie({
    cttsVersion: 1,
    patch: (t, b) => {
      // Video: first media edit starts at media time 40. Audio: a 500 ms empty
      // edit (movie timescale 1000) then media from time 1024.
      b.edts = t === 0 ? elst(0, [[160, 40]]) : elst(1, [[500, -1], [64, 1024]]);
    },
  }));
  const [video, audio] = file.tracks;
  assertEquals(video.mediaTimeShift, 40);
  assertEquals(video.sampleInfo(1).pts, -40);
  assertEquals(video.sampleInfo(0).dts, -40);
  assertEquals(audio.mediaTimeShift, 1024 - 24000);
  assertEquals(audio.sampleInfo(0).pts, 22976);
  assertEquals((await readOk(audio, 1)).timestamp, 24000);
});

Deno.test("mp4: sync sample and sample index lookups", async () => {
  const file = await openOk(buildMovie());
  const [video, audio] = file.tracks;
  assertEquals(video.syncSampleAtOrBefore(0), 0);
  assertEquals(video.syncSampleAtOrBefore(0.079), 0);
  assertEquals(video.syncSampleAtOrBefore(0.08), 2);
  assertEquals(video.syncSampleAtOrBefore(100), 2);
  assertEquals(video.syncSampleAtOrBefore(-1), 0);
  assertEquals(audio.sampleIndexAtOrAfter(0), 0);
  assertEquals(audio.sampleIndexAtOrAfter(0.001), 1);
  assertEquals(audio.sampleIndexAtOrAfter(2048 / 48000), 2);
  assertEquals(audio.sampleIndexAtOrAfter(1), 3);
  // Without stss every sample is a sync sample.
  const allSync = await openOk(buildMovie({ patch: (_t, b) => delete b.stss }));
  assertEquals(allSync.tracks[0].syncSampleAtOrBefore(0.05), 1);
  assert([0, 1, 2, 3].every((i) => allSync.tracks[0].sampleInfo(i).keyframe));
});

Deno.test("mp4: H.265 and Opus sample entries", async () => {
  const file = await openOk(buildMovie({
    patch: (t, b) => {
      if (t === 0) b.stsd = stsd(hvc1Entry());
      else b.stsd = stsd(opusEntry());
    },
  }));
  const [video, audio] = file.tracks;
  assertEquals(video.codec, "H265");
  assertEquals(video.codecTag, "hvc1");
  assertEquals(video.h265?.nalLengthSize, 4);
  assertEquals(video.h265?.vps, [u8(0x40, 0x01, 0x0c)]);
  assertEquals(video.h265?.sps, [u8(0x42, 0x01, 0x01, 0x01)]);
  assertEquals(video.h265?.pps, [u8(0x44, 0x01, 0xc1)]);
  assertEquals(audio.codec, "OPUS");
  assertEquals(audio.opus, { channels: 2, preSkip: 312, inputSampleRate: 44100 });
  assertEquals([audio.rtpClockRate, audio.channels], [48000, 2]);
  assertEquals((await readOk(audio, 2)).timestamp, 2048);
});

Deno.test("mp4: unknown codecs and handlers are not errors", async () => {
  const file = await openOk(buildMovie({
    patch: (t, b) => {
      if (t === 0) b.stsd = stsd(visualEntry("mp4v", 320, 240, zeros(0)));
      else b.stsd = stsd(audioEntry("ac-3", 2, 48000, zeros(0)));
    },
    moovExtra: trak({
      tkhd: tkhd(3, 0, 0),
      mdhd: mdhd(1000, 0),
      hdlr: hdlr("text"),
      stsd: stsd(box("tx3g")),
      stts: stts([]),
      stsc: stsc([]),
      sizes: stsz([]),
      chunks: stco([], false),
    }),
  }));
  assertEquals(file.tracks.map((t) => [t.codec, t.codecTag]), [
    ["unsupported", "mp4v"],
    ["unsupported", "ac-3"],
  ]);
  assertEquals(file.tracks[0].sampleCount, 4);
  const read = await file.tracks[0].readAccessUnit(0);
  assert(!read.ok && read.error.includes("unsupported"));
  // An esds whose object type is not AAC (0x6B = MPEG-1 audio) is unsupported too.
  const mp3 = await openOk(buildMovie({
    patch: (t, b) => {
      if (t === 1) b.stsd = stsd(mp4aEntry(u8(0x11, 0x90), 0x6b));
    },
  }));
  assertEquals(mp3.tracks[1].codec, "unsupported");
});

Deno.test("mp4: 2-byte NAL lengths and corrupt NAL lengths in a sample", async () => {
  assertEquals(
    splitLengthPrefixed(u8(0, 2, 0x65, 1, 0, 0, 0, 1, 0x41), 2),
    { ok: true, units: [u8(0x65, 1), u8(0x41)] },
  );
  assert(!splitLengthPrefixed(u8(0, 0, 0, 9, 0x65), 4).ok);
  assert(!splitLengthPrefixed(u8(0, 0, 1), 4).ok);
  assert(!splitLengthPrefixed(u8(0xff, 0xff, 0xff, 0xff), 4).ok);
  // Within a file: patch the first NAL length of sample 0 to overrun the sample.
  const bytes = buildMovie();
  const file = await openOk(bytes);
  const offset = file.tracks[0].sampleInfo(0).offset;
  bytes.set(u32(0x7fffffff), offset);
  const reopened = await openOk(bytes);
  const result = await reopened.tracks[0].readAccessUnit(0);
  assert(!result.ok);
  assert(result.error.includes("runs past the sample"), result.error);
  assert(!(await reopened.tracks[0].readAccessUnit(4)).ok);
  assert(!(await reopened.tracks[0].readAccessUnit(-1)).ok);
});

Deno.test("mp4: I/O failures become error results", async () => {
  const bytes = buildMovie();
  const failing: ReadAt = () => Promise.reject(new Error("disk on fire"));
  assertEquals(await openMp4(failing, bytes.length), {
    ok: false,
    error: "read failed: disk on fire",
  });
  // The file shrinks after opening: sample reads come back short, then fail.
  let limit = bytes.length;
  let fail = false;
  const shrinking: ReadAt = (o, n) =>
    fail
      ? Promise.reject(new Error("gone"))
      : Promise.resolve(bytes.slice(o, Math.min(o + n, limit)));
  const result = await openMp4(shrinking, bytes.length);
  assert(result.ok);
  const video = result.file.tracks[0];
  limit = video.sampleInfo(0).offset + 3;
  const short = await video.readAccessUnit(0);
  assert(!short.ok && short.error.includes("short read"), JSON.stringify(short));
  fail = true;
  assertEquals(await video.readAccessUnit(0), { ok: false, error: "read failed: gone" });
});

Deno.test("mp4: rescaleTimestamp keeps large values exact", () => {
  assertEquals(rescaleTimestamp(1024, 12800, 90000), 7200);
  assertEquals(rescaleTimestamp(-1024, 12800, 90000), -7200);
  assertEquals(rescaleTimestamp(-1024, 48000, 48000), -1024);
  // 10 days at 12.8 kHz: the product would exceed 2^53 if scaled naively.
  const t = 10 * 86400 * 12800 + 1;
  assertEquals(rescaleTimestamp(t, 12800, 90000), 10 * 86400 * 90000 + 7);
});

Deno.test("mp4: a 2-hour table (180k samples) parses into flat arrays quickly", async () => {
  const count = 180_000; // 2 h at 25 fps
  const perChunk = 100;
  const size = 10;
  const dataStart = FTYP.length + 8;
  const chunks = Array.from(
    { length: count / perChunk },
    (_, c) => dataStart + c * perChunk * size,
  );
  const video = trak({
    tkhd: tkhd(1, 1920, 1080),
    mdhd: mdhd(90000, count * 3600),
    hdlr: hdlr("vide"),
    stsd: stsd(avc1Entry()),
    stts: stts([[count, 3600]]),
    stsc: stsc([[1, perChunk, 1]]),
    sizes: stsz(Array(count).fill(size)),
    chunks: stco(chunks, false),
    stss: stss(Array.from({ length: count / 50 }, (_, k) => 1 + k * 50)),
  });
  const bytes = concat(FTYP, box("mdat", zeros(count * size)), box("moov", mvhd(1000), video));
  const started = performance.now();
  const file = await openOk(bytes);
  const elapsed = performance.now() - started;
  assert(elapsed < 2000, `took ${elapsed} ms`);
  const track = file.tracks[0];
  assertEquals(track.sampleCount, count);
  assertEquals(track.durationSeconds, 7200);
  assertEquals(track.sampleInfo(count - 1), {
    offset: dataStart + (count - 1) * size,
    size,
    dts: (count - 1) * 3600,
    pts: (count - 1) * 3600,
    keyframe: false,
  });
  assertEquals(track.syncSampleAtOrBefore(3600.5), 90_000);
  assertEquals(track.syncSampleAtOrBefore(3601.99), 90_000);
  assertEquals(track.syncSampleAtOrBefore(3602), 90_050);
});

// ---------------------------------------------------------------------------
// Corrupt and hostile input
// ---------------------------------------------------------------------------

/** Renames the first box of `type` in `bytes` (a copy), e.g. to hide it as "free". */
function renameBox(bytes: Uint8Array, type: string, to: string): Uint8Array {
  const out = bytes.slice();
  const code = ascii(type);
  for (let i = 4; i + 4 <= out.length; i++) {
    if (code.every((c, k) => out[i + k] === c)) {
      out.set(ascii(to), i);
      return out;
    }
  }
  throw new Error(`no ${type} box`);
}
const setU32 = (b: Uint8Array, at: number, v: number) =>
  new DataView(b.buffer, b.byteOffset).setUint32(at, v);

const CORRUPT: [string, () => Uint8Array, string][] = [
  ["empty file", () => zeros(0), "no moov"],
  ["4-byte file", () => u8(0, 0, 0, 8), "truncated box header"],
  [
    "box size below header size",
    () => concat(u32(4), ascii("free"), zeros(8)),
    "smaller than its header",
  ],
  [
    "largesize below header size",
    () => concat(u32(1), ascii("free"), u64(8)),
    "smaller than its header",
  ],
  [
    "largesize past 2^53",
    () => concat(u32(1), ascii("free"), u32(0xffffffff), u32(0)),
    "too large",
  ],
  ["truncated largesize header", () => concat(u32(1), ascii("free"), u8(0, 0)), "truncated"],
  ["mdat past end of file", () => concat(FTYP, u32(1000), ascii("mdat"), zeros(10)), "past"],
  ["no moov", () => concat(FTYP, box("mdat", zeros(100))), "no moov"],
  ["truncated moov", () => buildMovie().subarray(0, buildMovie().length - 10), "past"],
  ["fragmented", () => buildMovie({ moovExtra: box("mvex", box("trex")) }), "fragmented"],
  [
    "missing mvhd",
    () => buildMovie({ patchMoov: (m) => renameBox(m, "mvhd", "free") }),
    "moov: missing mvhd",
  ],
  [
    "trak child past its parent",
    () => buildMovie({ patch: (t, b) => t === 0 && setU32(b.tkhd, 0, 500) }),
    "past its container",
  ],
  [
    "missing stbl",
    () => buildMovie({ patchMoov: (m) => renameBox(m, "stbl", "free") }),
    "minf: missing stbl",
  ],
  [
    "missing mdia",
    () => buildMovie({ patchMoov: (m) => renameBox(m, "mdia", "free") }),
    "trak: missing mdia",
  ],
  [
    "mdhd timescale 0",
    () => buildMovie({ patch: (t, b) => t === 0 && (b.mdhd = mdhd(0, 0)) }),
    "zero timescale",
  ],
  [
    "stts entry count past box",
    () => buildMovie({ patch: (t, b) => t === 0 && setU32(b.stts, 12, 0x10000000) }),
    "exceeds box size",
  ],
  [
    "stts covers too few samples",
    () => buildMovie({ patch: (t, b) => t === 0 && (b.stts = stts([[3, 40]])) }),
    "stts: covers 3 of 4",
  ],
  [
    "stsz count past box",
    () => buildMovie({ patch: (t, b) => t === 0 && setU32(b.sizes, 16, 0x00400000 - 1) }),
    "exceeds box size",
  ],
  [
    "stsz count over the file limit",
    () => buildMovie({ patch: (t, b) => t === 0 && setU32(b.sizes, 16, 0xffffffff) }),
    "per-file limit",
  ],
  [
    "constant stsz larger than the file",
    () =>
      buildMovie({
        patch: (t, b) => t === 0 && (b.sizes = fullBox("stsz", 0, u32(1000), u32(1_000_000))),
      }),
    "exceed the file size",
  ],
  [
    "sample size over the limit",
    () => buildMovie({ patch: (t, b) => t === 0 && (b.sizes = stsz([0x7fffffff, 1, 1, 1])) }),
    "too large",
  ],
  [
    "stz2 bad field size",
    () =>
      buildMovie({
        patch: (t, b) => t === 0 && (b.sizes = fullBox("stz2", 0, u24(0), u8(7), u32(0))),
      }),
    "field size",
  ],
  [
    "stz2 count past box",
    () =>
      buildMovie({
        patch: (t, b) => t === 0 && (b.sizes = fullBox("stz2", 0, u24(0), u8(16), u32(4), u16(1))),
      }),
    "exceeds box size",
  ],
  [
    "missing stsz",
    () => buildMovie({ patch: (t, b) => t === 0 && (b.sizes = box("free")) }),
    "missing stsz",
  ],
  [
    "stco count past box",
    () => buildMovie({ patch: (t, b) => t === 0 && setU32(b.chunks, 12, 1000) }),
    "exceeds box size",
  ],
  [
    "chunk offset past end of file",
    () => buildMovie({ patch: (t, b) => t === 0 && (b.chunks = stco([0, 0xfffffff0], false)) }),
    "past end of file",
  ],
  [
    "co64 offset past 2^53",
    () =>
      buildMovie({
        patch: (t, b) =>
          t === 0 && (b.chunks = fullBox("co64", 0, u32(1), u32(0xffffffff), u32(0))),
      }),
    "too large",
  ],
  [
    "too few chunks for the samples",
    () => buildMovie({ patch: (t, b) => t === 0 && (b.chunks = stco([32], false)) }),
    "chunks hold 2 of 4",
  ],
  [
    "stsc first chunk 0",
    () => buildMovie({ patch: (t, b) => t === 0 && (b.stsc = stsc([[0, 2, 1]])) }),
    "chunk 1",
  ],
  [
    "stsc first chunks not increasing",
    () => buildMovie({ patch: (t, b) => t === 0 && (b.stsc = stsc([[1, 1, 1], [1, 1, 1]])) }),
    "increase",
  ],
  [
    "stsc empty",
    () => buildMovie({ patch: (t, b) => t === 0 && (b.stsc = stsc([])) }),
    "chunks hold 0 of 4",
  ],
  [
    "stss sample number 0",
    () => buildMovie({ patch: (t, b) => t === 0 && (b.stss = stss([0])) }),
    "stss",
  ],
  [
    "stss sample number past count",
    () => buildMovie({ patch: (t, b) => t === 0 && (b.stss = stss([1, 5])) }),
    "stss",
  ],
  [
    "stss not increasing",
    () => buildMovie({ patch: (t, b) => t === 0 && (b.stss = stss([3, 1])) }),
    "stss",
  ],
  [
    "avcC SPS length past box",
    () =>
      buildMovie({
        patch: (t, b) =>
          t === 0 &&
          (b.stsd = stsd(
            visualEntry("avc1", 1, 1, box("avcC", u8(1, 0x42, 0, 0x1e, 0xff, 0xe1), u16(200), SPS)),
          )),
      }),
    "avcC: truncated",
  ],
  [
    "avc1 without avcC",
    () =>
      buildMovie({
        patch: (t, b) => t === 0 && (b.stsd = stsd(visualEntry("avc1", 1, 1, zeros(0)))),
      }),
    "missing avcC",
  ],
  [
    "truncated visual sample entry",
    () => buildMovie({ patch: (t, b) => t === 0 && (b.stsd = stsd(box("avc1", zeros(20)))) }),
    "truncated",
  ],
  [
    "hvcC too short",
    () =>
      buildMovie({
        patch: (t, b) =>
          t === 0 && (b.stsd = stsd(visualEntry("hvc1", 1, 1, box("hvcC", u8(1, 2, 3))))),
      }),
    "hvcC",
  ],
  [
    "esds descriptor length past box",
    () =>
      buildMovie({
        patch: (t, b) =>
          t === 1 &&
          (b.stsd = stsd(audioEntry("mp4a", 2, 48000, fullBox("esds", 0, u8(3, 0x7f, 0, 1, 0))))),
      }),
    "truncated",
  ],
  [
    "AudioSpecificConfig truncated",
    () => buildMovie({ patch: (t, b) => t === 1 && (b.stsd = stsd(mp4aEntry(u8(0x11)))) }),
    "AudioSpecificConfig",
  ],
  [
    "dOps zero channels",
    () =>
      buildMovie({
        patch: (t, b) =>
          t === 1 &&
          (b.stsd = stsd(
            audioEntry("Opus", 2, 48000, box("dOps", u8(0, 0), u16(0), u32(0), i16(0), u8(0))),
          )),
      }),
    "zero channels",
  ],
  [
    "stsd with no entries",
    () => buildMovie({ patch: (t, b) => t === 0 && (b.stsd = fullBox("stsd", 0, u32(0))) }),
    "no sample entries",
  ],
  [
    "elst count past box",
    () =>
      buildMovie({
        patch: (t, b) => t === 0 && (b.edts = box("edts", fullBox("elst", 0, u32(1000)))),
      }),
    "exceeds box size",
  ],
];

for (const [name, make, expected] of CORRUPT) {
  Deno.test(`mp4: corrupt input gives an error result: ${name}`, async () => {
    const result = await open(make());
    assert(!result.ok, "expected an error result");
    assert(result.error.includes(expected), `error "${result.error}" should mention "${expected}"`);
  });
}

Deno.test("mp4: a moov over the size limit is refused before reading it", async () => {
  const header = concat(u32(1), ascii("moov"), u64(MAX_MOOV_SIZE + 16 + 1));
  const { readAt, calls } = memoryReader(header);
  const result = await openMp4(readAt, 2 ** 40);
  assert(!result.ok && result.error.includes("limit"), JSON.stringify(result));
  assertEquals(calls, [[0, 16]]);
});

Deno.test("mp4: too many top-level boxes is an error, not a long walk", async () => {
  const bytes = concat(...Array.from({ length: MAX_TOP_LEVEL_BOXES + 1 }, () => box("free")));
  const result = await open(bytes);
  assert(!result.ok && result.error.includes("no moov in the first"), JSON.stringify(result));
});

Deno.test("mp4: truncations and byte flips never throw", async () => {
  const bytes = buildMovie({ moovFirst: true, cttsVersion: 1 });
  for (let n = 0; n < bytes.length; n++) {
    const result = await open(bytes.subarray(0, n));
    if (n <= FTYP.length + 8) assert(!result.ok);
  }
  // Deterministic xorshift so failures reproduce.
  let seed = 0x2545f491;
  const random = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };
  for (let round = 0; round < 3000; round++) {
    const copy = bytes.slice();
    const flips = 1 + Math.floor(random() * 4);
    for (let f = 0; f < flips; f++) {
      copy[FTYP.length + Math.floor(random() * (copy.length - FTYP.length))] = Math.floor(
        random() * 256,
      );
    }
    const result = await open(copy);
    if (result.ok) {
      for (const track of result.file.tracks) {
        for (let i = 0; i < track.sampleCount; i++) {
          track.sampleInfo(i);
          await track.readAccessUnit(i);
        }
        track.syncSampleAtOrBefore(0.1);
        track.sampleIndexAtOrAfter(0.1);
      }
    }
  }
});

// ---------------------------------------------------------------------------
// Real files from ffmpeg
// ---------------------------------------------------------------------------

/** A ReadAt over a real file (seek + read), recording calls. */
async function openFile(path: string) {
  const calls: [number, number][] = [];
  const opened = await fileReadAt(path, (offset, length) => calls.push([offset, length]));
  return { ...opened, calls };
}

interface ProbePacket {
  stream_index: number;
  pts: number;
  dts: number;
  pos: string;
  size: string;
  flags: string;
}
interface ProbeStream {
  index: number;
  id: string;
  codec_name: string;
  codec_tag_string: string;
  time_base: string;
  nb_read_packets: string;
  width?: number;
  height?: number;
  sample_rate?: string;
  channels?: number;
}

async function ffprobe(path: string): Promise<{ streams: ProbeStream[]; packets: ProbePacket[] }> {
  const streams = await run("ffprobe", [
    "-v",
    "error",
    "-count_packets",
    "-show_streams",
    "-of",
    "json",
    path,
  ]);
  assertEquals(streams.code, 0, streams.stderr);
  const packets = await run("ffprobe", [
    "-v",
    "error",
    "-show_entries",
    "packet=stream_index,pts,dts,pos,size,flags",
    "-of",
    "json",
    path,
  ]);
  assertEquals(packets.code, 0, packets.stderr);
  const decode = (b: Uint8Array) => JSON.parse(new TextDecoder().decode(b));
  return { streams: decode(streams.stdout).streams, packets: decode(packets.stdout).packets };
}

async function ffmpeg(args: string[]): Promise<void> {
  const result = await run("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", ...args], {
    timeoutMs: 120_000,
  });
  assertEquals(result.code, 0, result.stderr);
}

const SOURCES = [
  "-f",
  "lavfi",
  "-i",
  "testsrc=size=320x240:rate=25",
  "-f",
  "lavfi",
  "-i",
  "sine=frequency=1000:sample_rate=48000",
  "-t",
  "2",
  "-pix_fmt",
  "yuv420p",
];
const X264 = ["-c:v", "libx264", "-g", "25", "-sc_threshold", "0"];

/** Checks every track and sample of an ffmpeg-made file against ffprobe. */
async function compareWithFfprobe(path: string, file: Mp4File) {
  const probe = await ffprobe(path);
  assertEquals(file.tracks.length, probe.streams.length);
  for (const stream of probe.streams) {
    const track = file.tracks.find((t) => t.id === Number(stream.id));
    assert(track, `track ${stream.id}`);
    assertEquals(track.codecTag, stream.codec_tag_string);
    assertEquals(
      track.codec.toLowerCase(),
      { h264: "h264", hevc: "h265", aac: "aac", opus: "opus" }[stream.codec_name],
    );
    assertEquals(`1/${track.timescale}`, stream.time_base);
    assertEquals(track.sampleCount, Number(stream.nb_read_packets));
    if (track.kind === "video") {
      assertEquals([track.width, track.height], [stream.width, stream.height]);
    } else {
      assertEquals(track.sampleRate, Number(stream.sample_rate));
      assertEquals(track.channels, stream.channels);
    }
    assert(Math.abs(track.durationSeconds - 2) < 0.1, `duration ${track.durationSeconds}`);
    const packets = probe.packets.filter((p) => p.stream_index === stream.index);
    assertEquals(packets.length, track.sampleCount);
    packets.forEach((p, i) => {
      assertEquals(track.sampleInfo(i), {
        offset: Number(p.pos),
        size: Number(p.size),
        dts: p.dts,
        pts: p.pts,
        keyframe: p.flags.startsWith("K"),
      }, `track ${track.id} sample ${i}`);
    });
  }
}

const h264NalType = (n: Uint8Array) => n[0] & 0x1f;
const h265NalType = (n: Uint8Array) => (n[0] >> 1) & 0x3f;

await toolTest("mp4 real: H.264 + AAC with moov at the end", ["ffmpeg", "ffprobe"], async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/tail.mp4`;
    await ffmpeg([...SOURCES, ...X264, "-profile:v", "main", "-bf", "2", "-c:a", "aac", path]);
    const f = await openFile(path);
    try {
      const result = await openMp4(f.readAt, f.size);
      assert(result.ok, result.ok ? "" : result.error);
      const file = result.file;
      assertEquals(file.moovOffset + file.moovSize, f.size, "moov should be last");
      // The mdat was skipped over by its header, never read.
      assert(f.calls.every(([, n]) => n <= 16 || n === file.moovSize), JSON.stringify(f.calls));
      await compareWithFfprobe(path, file);

      const video = file.tracks.find((t) => t.kind === "video")!;
      const audio = file.tracks.find((t) => t.kind === "audio")!;
      assertEquals(video.codec, "H264");
      assertEquals(video.sampleCount, 50);
      assertEquals(video.h264?.nalLengthSize, 4);
      assertEquals(video.h264?.sps.map(h264NalType), [7]);
      assertEquals(video.h264?.pps.map(h264NalType), [8]);
      const keyframes = [...Array(video.sampleCount).keys()].filter((i) =>
        video.sampleInfo(i).keyframe
      );
      assertEquals(keyframes, [0, 25]);
      assertEquals(video.syncSampleAtOrBefore(1.5), 25);
      assertEquals(video.syncSampleAtOrBefore(0.96), 0);
      assertEquals(video.sampleInfo(25).pts / video.timescale, 1);

      const first = await readOk(video, 0);
      assertEquals(first.keyframe, true);
      assertEquals(first.timestamp, 0);
      const slices = first.units.map(h264NalType).filter((t) => t >= 1 && t <= 5);
      assert(slices.length > 0 && slices.every((t) => t === 5), `slice types ${slices}`);
      const gop2 = await readOk(video, 25);
      assertEquals(gop2.timestamp, 90000);
      assert(gop2.units.map(h264NalType).includes(5));
      // B-frames: a later picture's slices are non-IDR.
      assert((await readOk(video, 1)).units.map(h264NalType).every((t) => t !== 5));

      assertEquals(audio.codec, "AAC");
      assertEquals(audio.rtpClockRate, 48000);
      // AudioSpecificConfig starts with audioObjectType 2 (AAC LC), 48 kHz (index 3), mono.
      assertEquals(audio.aacConfig?.[0], 0x11);
      assertEquals((audio.aacConfig![1] >> 3) & 0x0f, 1);
      const a = audio.sampleIndexAtOrAfter(1);
      assert(audio.sampleInfo(a).pts >= 48000 && audio.sampleInfo(a - 1).pts < 48000);
      const frame = await readOk(audio, a);
      assertEquals(frame.units.length, 1);
      assertEquals(frame.units[0].length, audio.sampleInfo(a).size);
      assertEquals(frame.timestamp, audio.sampleInfo(a).pts);
    } finally {
      f.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

await toolTest("mp4 real: faststart file reads only headers, moov and one sample", [
  "ffmpeg",
  "ffprobe",
], async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/fast.mp4`;
    await ffmpeg([
      ...SOURCES,
      ...X264,
      "-profile:v",
      "baseline",
      "-c:a",
      "aac",
      "-movflags",
      "+faststart",
      path,
    ]);
    const f = await openFile(path);
    try {
      const result = await openMp4(f.readAt, f.size);
      assert(result.ok, result.ok ? "" : result.error);
      const file = result.file;
      assert(file.moovOffset < 100, `moov at ${file.moovOffset}`);
      const openBytes = f.calls.reduce((n, [, len]) => n + len, 0);
      assert(openBytes <= file.moovSize + 16 * 4, `read ${openBytes} bytes to open`);
      await compareWithFfprobe(path, file);

      const video = file.tracks.find((t) => t.kind === "video")!;
      assertEquals(video.syncSampleAtOrBefore(1.5), 25);
      f.calls.length = 0;
      const unit = await readOk(video, 30);
      assertEquals(f.calls, [[video.sampleInfo(30).offset, video.sampleInfo(30).size]]);
      assertEquals(unit.timestamp, 30 * 3600);
      assertEquals(unit.keyframe, false);
    } finally {
      f.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// libx265 and libopus are optional in ffmpeg builds: without them this is ignored.
await toolTest("mp4 real: H.265 + Opus", [
  "ffmpeg",
  "ffprobe",
  "ffmpeg:libx265",
  "ffmpeg:libopus",
], async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/hevc.mp4`;
    await ffmpeg([
      ...SOURCES,
      "-c:v",
      "libx265",
      "-x265-params",
      "keyint=25:min-keyint=25:scenecut=0:open-gop=0:log-level=error",
      "-c:a",
      "libopus",
      path,
    ]);
    const f = await openFile(path);
    try {
      const result = await openMp4(f.readAt, f.size);
      assert(result.ok, result.ok ? "" : result.error);
      await compareWithFfprobe(path, result.file);
      const video = result.file.tracks.find((t) => t.kind === "video")!;
      const audio = result.file.tracks.find((t) => t.kind === "audio")!;
      assertEquals(video.codec, "H265");
      assertEquals(video.h265?.vps.map(h265NalType), [32]);
      assertEquals(video.h265?.sps.map(h265NalType), [33]);
      assertEquals(video.h265?.pps.map(h265NalType), [34]);
      assertEquals(video.syncSampleAtOrBefore(1.5), 25);
      const first = await readOk(video, 0);
      const slices = first.units.map(h265NalType).filter((t) => t < 32);
      // IRAP pictures are NAL types 16..23 (H.265 Table 7-1).
      assert(slices.length > 0 && slices.every((t) => t >= 16 && t <= 23), `slice types ${slices}`);

      assertEquals(audio.codec, "OPUS");
      assertEquals(audio.rtpClockRate, 48000);
      assertEquals(audio.opus?.channels, 1);
      assertEquals(audio.opus?.inputSampleRate, 48000);
      assertEquals(audio.opus?.preSkip, -audio.sampleInfo(0).pts);
      const packet = await readOk(audio, 10);
      assertEquals(packet.timestamp, audio.sampleInfo(10).pts);
      assertEquals(packet.units[0].length, audio.sampleInfo(10).size);
    } finally {
      f.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
