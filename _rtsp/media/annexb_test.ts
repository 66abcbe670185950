import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import type { AccessUnit } from "./access_unit.ts";
import {
  AnnexBAccessUnitReader,
  type AnnexBCodec,
  type AnnexBReaderOptions,
  DEFAULT_FRAME_RATE,
  DEFAULT_MAX_NAL_BYTES,
  findStartCode,
  splitAnnexB,
  VIDEO_CLOCK_RATE,
} from "./annexb.ts";
import { BitWriter, rbspToNal } from "./bit_writer.ts";
import { parseH264Sps } from "./h264_sps.ts";
import { type Requirement, run, toolTest } from "../../_testing/tools.ts";
import { concatBytes as concat } from "../bytes.ts";

function hex(s: string): Uint8Array {
  return Uint8Array.from(s.replaceAll(" ", "").match(/../g) ?? [], (h) => parseInt(h, 16));
}

const SC3 = hex("000001");
const SC4 = hex("00000001");

/** Joins NAL units with 4-byte start codes. */
function annexB(nals: Uint8Array[]): Uint8Array {
  return concat(...nals.flatMap((n) => [SC4, n]));
}

function toHex(u: Uint8Array): string {
  return Array.from(u, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** AUs as comparable plain data. */
function summary(aus: AccessUnit[]): { t: number; k: boolean; units: string[] }[] {
  return aus.map((a) => ({ t: a.timestamp, k: a.keyframe, units: a.units.map(toHex) }));
}

/** Feeds `chunks` then end(), asserting success, and returns every AU. */
function readAll(
  codec: AnnexBCodec,
  chunks: Uint8Array[],
  options?: AnnexBReaderOptions,
): AccessUnit[] {
  const r = new AnnexBAccessUnitReader(codec, options);
  const out: AccessUnit[] = [];
  for (const c of chunks) {
    assertEquals(r.push(c), { ok: true });
    out.push(...r.takeAccessUnits());
  }
  assertEquals(r.end(), { ok: true });
  out.push(...r.takeAccessUnits());
  return out;
}

// H.264 NAL units. SPS/PPS are from libx264 (320x240 High, VUI 25 fps).
const H264_SPS = hex("6764000dacd94141fb011000000300100000030320f1429960");
const H264_PPS = hex("68ebe3cb22c0");
const H264_SEI = hex("0605 01ff 80");
const IDR_A = hex("6588 8400 0003 0102 ff"); // first_mb_in_slice 0, an escape inside
const IDR_B = hex("6540 1234 56"); // first_mb_in_slice > 0
const P1_A = hex("419a 2400 00");
const P1_B = hex("4120 77");
const AUD = hex("09f0");
const P2 = hex("419b 01");
const P3 = hex("419c 02");
const P4 = hex("419d 03");
const EOS = hex("0b");

/** Leading zeros, 3- and 4-byte start codes, trailing zeros after a NAL unit. */
const H264_STREAM = concat(
  hex("0000"),
  SC4,
  H264_SPS,
  SC3,
  H264_PPS,
  SC3,
  H264_SEI,
  SC4,
  IDR_A,
  SC3,
  IDR_B,
  hex("000000"),
  SC4,
  P1_A,
  SC3,
  P1_B,
  SC3,
  AUD,
  SC3,
  P2,
  SC4,
  H264_SEI,
  SC3,
  P3,
  SC3,
  P4,
  SC3,
  EOS,
);

// P1_A ends in 00 00: those are trailing zeros to Annex B and are stripped.
const H264_EXPECTED = [
  {
    t: 0,
    k: true,
    units: [H264_SPS, H264_PPS, H264_SEI, IDR_A, IDR_B].map(toHex),
  },
  { t: 3600, k: false, units: [hex("419a24"), P1_B].map(toHex) },
  { t: 7200, k: false, units: [AUD, P2].map(toHex) },
  { t: 10800, k: false, units: [H264_SEI, P3].map(toHex) },
  { t: 14400, k: false, units: [P4, EOS].map(toHex) },
];

// H.265 NAL units. VPS/SPS/PPS are from libx265 (322x242, VUI 30 fps).
const H265_VPS = hex("40010c01ffff01600000030090000003000003003c959809");
const H265_SPS = hex(
  "42010101600000030090000003000003003ca00a480f9c9265959a4932bc05a020000003002000000303c1",
);
const H265_PPS = hex("4401c172b46240");
const H265_PREFIX_SEI = hex("4e01 05ff 80");
const H265_SUFFIX_SEI = hex("5001 0aff 80");
const H265_IDR_A = hex("2801 af08 4800 0003 01");
const H265_IDR_B = hex("2801 2f11");
const H265_TRAIL = hex("0201 d022");
const H265_CRA = hex("2a01 af33");
const H265_AUD = hex("4601 50");
const H265_TRAIL2 = hex("0201 d044");

const H265_STREAM = concat(
  annexB([H265_VPS, H265_SPS, H265_PPS, H265_PREFIX_SEI, H265_IDR_A]),
  SC3,
  H265_IDR_B,
  annexB([H265_SUFFIX_SEI, H265_TRAIL, H265_CRA, H265_AUD, H265_TRAIL2]),
  hex("00"),
);

const H265_EXPECTED = [
  {
    t: 0,
    k: true,
    units: [H265_VPS, H265_SPS, H265_PPS, H265_PREFIX_SEI, H265_IDR_A, H265_IDR_B, H265_SUFFIX_SEI]
      .map(toHex),
  },
  { t: 3000, k: false, units: [toHex(H265_TRAIL)] },
  { t: 6000, k: true, units: [toHex(H265_CRA)] },
  { t: 9000, k: false, units: [H265_AUD, H265_TRAIL2].map(toHex) },
];

Deno.test("splitAnnexB: start codes, leading garbage, trailing zeros", () => {
  const table: [string, string[]][] = [
    ["", []],
    ["6742", []], // no start code at all
    ["000001 6742", ["6742"]],
    ["00000001 6742 00000001 68ce", ["6742", "68ce"]],
    ["000001 6742 000001 68ce", ["6742", "68ce"]],
    ["ffee 000001 65aa", ["65aa"]], // bytes before the first start code are not a NAL unit
    ["0000000000 000001 65aa 000000 000001 41bb 0000", ["65aa", "41bb"]],
    ["000001 000001 65aa 000001", ["65aa"]], // empty NAL units are skipped
    ["000001 65 000002 00 000003 01 02", ["65000002000000030102"]], // not start codes
    ["000001 65 0000 01", ["65"]], // a start code at the very end
    ["000001 6501 0001", ["65010001"]], // 00 01 is not a start code
  ];
  for (const [input, want] of table) {
    assertEquals(splitAnnexB(hex(input)).map(toHex), want, input);
  }
});

Deno.test("AnnexBAccessUnitReader groups H.264 NAL units into pictures", () => {
  assertEquals(summary(readAll("H264", [H264_STREAM])), H264_EXPECTED);
});

Deno.test("AnnexBAccessUnitReader gives the same H.264 AUs at every split point", () => {
  for (let k = 0; k <= H264_STREAM.length; k++) {
    const chunks = [H264_STREAM.subarray(0, k), H264_STREAM.subarray(k)];
    assertEquals(summary(readAll("H264", chunks)), H264_EXPECTED, `split at ${k}`);
  }
  // Every pair of split points (three chunks), and one byte at a time.
  for (let i = 0; i <= H264_STREAM.length; i += 3) {
    for (let j = i; j <= H264_STREAM.length; j++) {
      const chunks = [
        H264_STREAM.subarray(0, i),
        H264_STREAM.subarray(i, j),
        H264_STREAM.subarray(j),
      ];
      assertEquals(summary(readAll("H264", chunks)), H264_EXPECTED, `split at ${i}, ${j}`);
    }
  }
  const bytes = Array.from(H264_STREAM, (b) => Uint8Array.of(b));
  assertEquals(summary(readAll("H264", bytes)), H264_EXPECTED);
});

Deno.test("AnnexBAccessUnitReader groups H.265 NAL units, at every split point", () => {
  assertEquals(summary(readAll("H265", [H265_STREAM])), H265_EXPECTED);
  for (let k = 0; k <= H265_STREAM.length; k++) {
    const chunks = [H265_STREAM.subarray(0, k), H265_STREAM.subarray(k)];
    assertEquals(summary(readAll("H265", chunks)), H265_EXPECTED, `split at ${k}`);
  }
  const r = new AnnexBAccessUnitReader("H265");
  r.push(H265_STREAM);
  assertEquals([r.vps, r.sps, r.pps].map((u) => u && toHex(u)), [
    toHex(H265_VPS),
    toHex(H265_SPS),
    toHex(H265_PPS),
  ]);
  assertEquals(r.frameRate, 30);
  assertEquals([r.spsInfo?.width, r.spsInfo?.height], [322, 242]);
});

Deno.test("AnnexBAccessUnitReader exposes parameter sets and SPS timing", () => {
  const r = new AnnexBAccessUnitReader("H264");
  assertEquals([r.sps, r.pps, r.frameRate], [undefined, undefined, DEFAULT_FRAME_RATE]);
  r.push(H264_STREAM);
  assertEquals(toHex(r.sps!), toHex(H264_SPS));
  assertEquals(toHex(r.pps!), toHex(H264_PPS));
  assertEquals(r.vps, undefined);
  assertEquals(r.frameRate, 25);
  assertEquals(r.spsInfo, {
    profileIdc: 100,
    constraintFlags: 0,
    levelIdc: 13,
    spsId: 0,
    chromaFormatIdc: 1,
    width: 320,
    height: 240,
    separateColourPlane: false,
    log2MaxFrameNum: 4,
    pocType: 0,
    log2MaxPocLsb: 6,
    frameMbsOnly: true,
    frameRate: 25,
    bitDepthLuma: 8,
    bitDepthChroma: 8,
    maxNumReorderFrames: 2,
  });
});

/** A Baseline SPS (H.264 7.3.2.1.1), with VUI timing when `fps` is given. */
function baselineSps(fps?: number): Uint8Array {
  const w = new BitWriter();
  w.u(8, 66).u(8, 0xc0).u(8, 30).ue(0).ue(0).ue(2).ue(1).u(1, 0); // pic_order_cnt_type 2
  w.ue(19).ue(14).u(1, 1).u(1, 1).u(1, 0); // 320x240, frame_mbs_only, no cropping
  w.flag(fps !== undefined);
  if (fps !== undefined) w.u(4, 0).u(1, 1).u(32, 1).u(32, 2 * fps).u(1, 1).u(4, 0);
  return rbspToNal(0x67, w.trailingBits().finish());
}

Deno.test("AnnexBAccessUnitReader timestamps: default rate, and a rate change mid-stream", () => {
  const slice = hex("4188");
  const built = parseH264Sps(baselineSps(50));
  assertEquals(built.ok && [built.sps.width, built.sps.height, built.sps.frameRate], [
    320,
    240,
    50,
  ]);
  // No SPS at all: the option's rate.
  const noSps = readAll("H264", [annexB([slice, slice, slice])], { defaultFrameRate: 30 });
  assertEquals(noSps.map((a) => a.timestamp), [0, 3000, 6000]);
  // An SPS without timing info keeps the default.
  const noVui = readAll("H264", [annexB([baselineSps(), slice, slice])]);
  assertEquals(noVui.map((a) => a.timestamp), [0, 3600]);
  // 50 fps for two pictures, then 25 fps: time continues from where it was.
  const stream = annexB([baselineSps(50), slice, slice, baselineSps(25), slice, slice]);
  assertEquals(readAll("H264", [stream]).map((a) => a.timestamp), [0, 1800, 3600, 7200]);
  // NTSC rates stay exact over many frames (no drift from accumulating floats).
  const ntsc = readAll("H264", [annexB(Array(1001).fill(slice))], {
    defaultFrameRate: 30000 / 1001,
  });
  assertEquals(ntsc[1000].timestamp, 1000 * 3003);
});

Deno.test("AnnexBAccessUnitReader keeps parameter sets that come before an AUD", () => {
  const aus = readAll("H264", [annexB([H264_SPS, H264_PPS, AUD, IDR_A, H264_SPS])]);
  // The trailing SPS has no picture after it and is dropped at end().
  assertEquals(summary(aus), [{
    t: 0,
    k: true,
    units: [H264_SPS, H264_PPS, AUD, IDR_A].map(toHex),
  }]);
});

Deno.test("AnnexBAccessUnitReader: a NAL unit over the limit is an error, early and sticky", () => {
  const big = new Uint8Array(300).fill(0x55);
  big[0] = 0x65;
  const stream = annexB([IDR_A, big, P2]);
  const r = new AnnexBAccessUnitReader("H264", { maxNalBytes: 100 });
  let failedAt = -1;
  for (let i = 0; i < stream.length; i++) {
    const res = r.push(stream.subarray(i, i + 1));
    if (!res.ok) {
      assertEquals(res.code, "nal-too-large");
      failedAt = i;
      break;
    }
  }
  // Detected while the big NAL unit is still arriving, not after buffering it all.
  assert(failedAt > 0 && failedAt < 4 + IDR_A.length + 4 + 110, `failed at ${failedAt}`);
  assertEquals(r.push(hex("00")).ok, false);
  const e = r.end();
  assertEquals(e.ok === false && e.code, "nal-too-large");
  // IDR_A's picture never saw its end (the next NAL unit was the broken one).
  assertEquals(r.takeAccessUnits(), []);
  // In one push, the same.
  const one = new AnnexBAccessUnitReader("H264", { maxNalBytes: 100 }).push(stream);
  assertEquals(one.ok === false && one.code, "nal-too-large");
  assertEquals(DEFAULT_MAX_NAL_BYTES, 16 * 1024 * 1024);
});

Deno.test("AnnexBAccessUnitReader: other limits and misuse", () => {
  // No start code in a long run of bytes.
  const garbage = new Uint8Array(5000).fill(0xaa);
  const r = new AnnexBAccessUnitReader("H265", { maxNalBytes: 1000 });
  let res = r.push(garbage.subarray(0, 600));
  assertEquals(res.ok, true);
  res = r.push(garbage.subarray(600));
  assertEquals(res.ok === false && res.code, "no-start-code");

  // An access unit whose slices never start a new picture.
  const cont = hex("4120 99");
  const many = annexB([P2, ...Array(50).fill(cont)]);
  const big = new AnnexBAccessUnitReader("H264", { maxAccessUnitBytes: 64 }).push(many);
  assertEquals(big.ok === false && big.code, "access-unit-too-large");

  // end() twice, push after end().
  const done = new AnnexBAccessUnitReader("H264");
  assertEquals(done.end(), { ok: true });
  assertEquals(done.end().ok, false);
  const after = done.push(H264_STREAM);
  assertEquals(after.ok === false && after.code, "ended");

  // Leading garbage is skipped and counted.
  const g = new AnnexBAccessUnitReader("H264");
  g.push(concat(hex("aabbcc"), H264_STREAM));
  g.end();
  assertEquals(g.takeAccessUnits().length, 5);
  // aa bb cc, the stream's two leading zeros and the first zero of its 00 00 00 01.
  assertEquals(g.skippedBytes, 6);

  // The caller may reuse its chunk buffer: units are copies.
  const reuse = new AnnexBAccessUnitReader("H264");
  const buf = annexB([IDR_A, P2]);
  reuse.push(buf);
  buf.fill(0xee);
  reuse.end();
  assertEquals(summary(reuse.takeAccessUnits()).map((a) => a.units), [
    [toHex(IDR_A)],
    [toHex(P2)],
  ]);
});

Deno.test("AnnexBAccessUnitReader survives random bytes in random chunks", () => {
  let seed = 4242;
  const next = () => (seed = (seed * 1664525 + 1013904223) >>> 0) >>> 24;
  for (const codec of ["H264", "H265"] as const) {
    for (let trial = 0; trial < 200; trial++) {
      // Bias towards zeros and ones so start codes and NAL headers appear.
      const data = Uint8Array.from({ length: 50 + trial * 5 }, () => {
        const v = next();
        return v < 80 ? 0 : v < 110 ? 1 : v;
      });
      const r = new AnnexBAccessUnitReader(codec, { maxNalBytes: 200 });
      let pos = 0;
      while (pos < data.length) {
        const n = 1 + (next() % 40);
        if (!r.push(data.subarray(pos, pos + n)).ok) break;
        pos += n;
      }
      r.end();
      let last = -1;
      for (const au of r.takeAccessUnits()) {
        assert(au.units.length > 0 && au.units.every((u) => u.length > 0));
        assert(au.timestamp > last);
        last = au.timestamp;
      }
    }
  }
});

/** Reads `path` through a reader in chunks of `chunkSize` bytes, as the server will. */
async function readFileIncrementally(
  path: string,
  codec: AnnexBCodec,
  chunkSize: number,
): Promise<{ reader: AnnexBAccessUnitReader; aus: AccessUnit[] }> {
  const reader = new AnnexBAccessUnitReader(codec);
  const aus: AccessUnit[] = [];
  using file = await Deno.open(path);
  const buf = new Uint8Array(chunkSize);
  for (;;) {
    const n = await file.read(buf);
    if (n === null) break;
    assertEquals(reader.push(buf.subarray(0, n)), { ok: true });
    aus.push(...reader.takeAccessUnits());
  }
  assertEquals(reader.end(), { ok: true });
  aus.push(...reader.takeAccessUnits());
  return { reader, aus };
}

/** ffprobe's packet count, per-packet key flags, and stream geometry. */
async function probe(path: string): Promise<{
  packets: number;
  keyIndices: number[];
  width: number;
  height: number;
  rate: number;
}> {
  const res = await run("ffprobe", [
    "-v",
    "error",
    "-select_streams",
    "v:0",
    "-show_entries",
    "stream=width,height,r_frame_rate:packet=flags",
    "-of",
    "json",
    path,
  ]);
  assertEquals(res.code, 0, res.stderr);
  const json = JSON.parse(new TextDecoder().decode(res.stdout));
  const packets: { flags: string }[] = json.packets;
  const s = json.streams[0];
  const [num, den] = String(s.r_frame_rate).split("/").map(Number);
  return {
    packets: packets.length,
    keyIndices: packets.flatMap((p, i) => (p.flags.startsWith("K") ? [i] : [])),
    width: s.width,
    height: s.height,
    rate: num / den,
  };
}

const REAL_FILES: {
  name: string;
  codec: AnnexBCodec;
  args: string[];
  width: number;
  height: number;
  fps: number;
  profileIdc: number;
}[] = [
  {
    name: "high.h264",
    codec: "H264",
    args: ["-c:v", "libx264", "-profile:v", "high", "-g", "25", "-sc_threshold", "0"],
    width: 320,
    height: 240,
    fps: 25,
    profileIdc: 100,
  },
  {
    name: "baseline.264",
    codec: "H264",
    args: ["-c:v", "libx264", "-profile:v", "baseline", "-g", "25", "-sc_threshold", "0"],
    width: 320,
    height: 240,
    fps: 25,
    profileIdc: 66,
  },
  {
    name: "cropped.h264",
    codec: "H264",
    args: ["-c:v", "libx264", "-profile:v", "high", "-g", "25", "-sc_threshold", "0"],
    width: 640,
    height: 360,
    fps: 25,
    profileIdc: 100,
  },
  {
    name: "ntsc.h264",
    codec: "H264",
    args: ["-c:v", "libx264", "-profile:v", "main", "-g", "25", "-sc_threshold", "0"],
    width: 320,
    height: 240,
    fps: 30000 / 1001,
    profileIdc: 77,
  },
];

const HEVC_FILE = {
  name: "odd.h265",
  codec: "H265" as const,
  args: [
    "-c:v",
    "libx265",
    "-x265-params",
    "keyint=25:min-keyint=25:scenecut=0:log-level=error",
  ],
  width: 322,
  height: 242,
  fps: 30,
  profileIdc: 1,
};

// libx265 is optional in ffmpeg builds: without it the H.265 stream's test is ignored.
const REAL_RUNS: [string, typeof REAL_FILES, Requirement[]][] = [
  ["libx264", REAL_FILES, []],
  ["libx265", [HEVC_FILE], ["ffmpeg:libx265"]],
];

for (const [encoder, files, needs] of REAL_RUNS) {
  await toolTest(`AnnexBAccessUnitReader on real ${encoder} streams matches ffprobe`, [
    "ffmpeg",
    "ffprobe",
    ...needs,
  ], async () => {
    const dir = await Deno.makeTempDir({ prefix: "annexb_test_" });
    try {
      for (const f of files) {
        const path = `${dir}/${f.name}`;
        const rate = f.fps === 30000 / 1001 ? "30000/1001" : String(f.fps);
        const made = await run("ffmpeg", [
          ...["-v", "error", "-y", "-f", "lavfi"],
          ...["-i", `testsrc=size=${f.width}x${f.height}:rate=${rate}`],
          ...["-t", "2", "-pix_fmt", "yuv420p", ...f.args],
          ...(f.codec === "H264" ? ["-bsf:v", "h264_mp4toannexb"] : []),
          ...["-f", f.codec === "H264" ? "h264" : "hevc", path],
        ]);
        assertEquals(made.code, 0, made.stderr);

        // An odd chunk size so start codes straddle chunk boundaries.
        const { reader, aus } = await readFileIncrementally(path, f.codec, 4093);
        const expected = await probe(path);
        const info = reader.spsInfo!;
        assertEquals(
          [info.width, info.height, info.profileIdc],
          [f.width, f.height, f.profileIdc],
          f.name,
        );
        assertEquals([expected.width, expected.height], [f.width, f.height], f.name);
        assert(Math.abs(info.frameRate! - f.fps) < 1e-9, `${f.name}: fps ${info.frameRate}`);
        assertEquals(aus.length, expected.packets, `${f.name}: AU count`);
        const keys = aus.flatMap((a, i) => (a.keyframe ? [i] : []));
        assertEquals(keys, expected.keyIndices, `${f.name}: keyframes`);
        if (f.codec === "H264") assertEquals(keys, [0, 25, 50].filter((i) => i < aus.length));
        aus.forEach((a, i) =>
          assertEquals(a.timestamp, Math.round(i * VIDEO_CLOCK_RATE / f.fps), `${f.name} AU ${i}`)
        );
        // Nothing lost or altered: the AUs hold exactly the file's NAL units.
        const whole = await Deno.readFile(path);
        assertEquals(
          aus.flatMap((a) => a.units.map(toHex)),
          splitAnnexB(whole).map(toHex),
          `${f.name}: NAL units`,
        );
        assertEquals(
          toHex(reader.sps!),
          toHex(
            splitAnnexB(whole).find((n) =>
              f.codec === "H264" ? (n[0] & 0x1f) === 7 : ((n[0] >> 1) & 0x3f) === 33
            )!,
          ),
        );
        if (f.codec === "H265") assert(reader.vps !== undefined);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("findStartCode finds 00 00 01, or says where to resume", () => {
  const cases: [number[], number, number][] = [
    // bytes, from, expected
    [[0, 0, 1, 9], 0, 0],
    [[0, 0, 0, 1, 9], 0, 1], // the extra zero of a 4-byte start code is not part of it
    [[9, 9, 9, 9, 0, 0, 1], 0, 4],
    [[0, 0, 1, 9, 0, 0, 1], 1, 4],
    [[0, 1, 0, 2, 0, 0, 2, 1], 0, 7], // none: resume where one may still begin
    [[9, 9, 9, 9, 9, 9], 0, 6], // none, and none can begin in the last two bytes
    [[9, 9, 9, 9, 0, 0], 0, 4],
    [[9, 9, 9, 9, 9, 0], 0, 4],
    [[], 0, 0],
  ];
  for (const [bytes, from, expected] of cases) {
    assertEquals(findStartCode(Uint8Array.from(bytes), from, bytes.length), expected, `${bytes}`);
  }
  // `end` bounds the search even when the buffer holds more.
  const bytes = Uint8Array.of(9, 0, 0, 1, 0, 0, 1);
  assertEquals(findStartCode(bytes, 0, 3), 1);
  assertEquals(findStartCode(bytes, 0, 4), 1);
  assertEquals(findStartCode(bytes, 2, 6), 4);
});

Deno.test("takeAccessUnitsWithOffsets gives each unit's start code offset in the stream", () => {
  const stream = concat(
    hex("0000"), // leading zeros, skipped
    SC4,
    H264_SPS,
    SC3,
    H264_PPS,
    SC3,
    IDR_A,
    SC3,
    P2,
    SC3, // an empty NAL unit (a lone zero before the next start code): not a unit
    SC4,
    P3,
  );
  const second = 2 + 4 + H264_SPS.length + 3 + H264_PPS.length + 3 + IDR_A.length;
  const expected = [2 + 1, second, second + 3 + P2.length + 3 + 1];
  for (const chunkSize of [1, 5, stream.length]) {
    const reader = new AnnexBAccessUnitReader("H264");
    const offsets: number[] = [];
    for (let at = 0; at < stream.length; at += chunkSize) {
      reader.push(stream.subarray(at, at + chunkSize));
      offsets.push(...reader.takeAccessUnitsWithOffsets().offsets);
    }
    reader.end();
    const last = reader.takeAccessUnitsWithOffsets();
    assertEquals(last.units.length, last.offsets.length);
    offsets.push(...last.offsets);
    assertEquals(offsets, expected, `chunks of ${chunkSize}`);
    // Each offset is a start code, where a fresh reader reads the same units.
    for (const offset of offsets) assertEquals([...stream.subarray(offset, offset + 3)], [0, 0, 1]);
  }
});
