import { deepStrictEqual as assertEquals, ok as assert, throws } from "node:assert/strict";
import { H264TestPattern } from "./test_pattern.ts";
import { FONT_CHARS, FONT_HEIGHT, FONT_WIDTH, glyph } from "./font.ts";
import { run, toolTest } from "../../_testing/tools.ts";

// ---- A minimal, independent H.264 reader for checking our parameter sets ----------

/** Strips emulation prevention bytes (00 00 03 → 00 00) from a NAL payload. */
function unescape(nal: Uint8Array): Uint8Array {
  const out: number[] = [];
  let zeros = 0;
  for (let i = 1; i < nal.length; i++) {
    if (zeros >= 2 && nal[i] === 3) {
      zeros = 0;
      continue;
    }
    out.push(nal[i]);
    zeros = nal[i] === 0 ? zeros + 1 : 0;
  }
  return new Uint8Array(out);
}

class Reader {
  #pos = 0;
  constructor(private readonly data: Uint8Array) {}
  bit(): number {
    const b = (this.data[this.#pos >> 3] >> (7 - (this.#pos & 7))) & 1;
    this.#pos++;
    return b;
  }
  u(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 2 + this.bit();
    return v;
  }
  ue(): number {
    let zeros = 0;
    while (this.bit() === 0) zeros++;
    return 2 ** zeros - 1 + this.u(zeros);
  }
  se(): number {
    const k = this.ue();
    return k % 2 ? (k + 1) / 2 : 0 - k / 2;
  }
  /** §7.2 more_rbsp_data(): any bit left before the rbsp_stop_one_bit. */
  moreRbspData(): boolean {
    let last = this.data.length * 8 - 1;
    while (last >= 0 && ((this.data[last >> 3] >> (7 - (last & 7))) & 1) === 0) last--;
    return this.#pos < last;
  }
  align(): void {
    while (this.#pos & 7) assertEquals(this.bit(), 0, "pcm_alignment_zero_bit");
  }
  skipBytes(n: number): void {
    this.#pos += n * 8;
  }
}

function parseSps(nal: Uint8Array) {
  const r = new Reader(unescape(nal));
  const profileIdc = r.u(8);
  const constraints = r.u(8);
  const levelIdc = r.u(8);
  const spsId = r.ue();
  const log2MaxFrameNum = r.ue() + 4;
  const pocType = r.ue();
  const maxRefFrames = r.ue();
  const gaps = r.bit();
  const widthMbs = r.ue() + 1;
  const heightMbs = r.ue() + 1;
  const frameMbsOnly = r.bit();
  r.bit(); // direct_8x8_inference_flag
  const cropping = r.bit();
  const vui = r.bit();
  let numUnitsInTick = 0;
  let timeScale = 0;
  if (vui) {
    if (r.bit()) r.u(8); // aspect ratio (idc 1, so no SAR fields)
    r.bit(); // overscan
    r.bit(); // video signal type
    r.bit(); // chroma loc
    if (r.bit()) {
      numUnitsInTick = r.u(32);
      timeScale = r.u(32);
    }
  }
  return {
    profileIdc,
    constraints,
    levelIdc,
    spsId,
    log2MaxFrameNum,
    pocType,
    maxRefFrames,
    gaps,
    widthMbs,
    heightMbs,
    frameMbsOnly,
    cropping,
    numUnitsInTick,
    timeScale,
  };
}

function parsePps(nal: Uint8Array) {
  const r = new Reader(unescape(nal));
  const ppsId = r.ue();
  const spsId = r.ue();
  const cabac = r.bit();
  r.bit();
  const sliceGroups = r.ue() + 1;
  r.ue();
  r.ue();
  r.bit();
  r.u(2);
  r.se();
  r.se();
  r.se();
  const deblockingControl = r.bit();
  return { ppsId, spsId, cabac, sliceGroups, deblockingControl };
}

/** First fields of a slice header (§7.3.3), enough to check type, frame_num and IDR id. */
function parseSliceStart(nal: Uint8Array, log2MaxFrameNum: number) {
  const r = new Reader(unescape(nal));
  const firstMb = r.ue();
  const sliceType = r.ue();
  const ppsId = r.ue();
  const frameNum = r.u(log2MaxFrameNum);
  const idrPicId = (nal[0] & 0x1f) === 5 ? r.ue() : undefined;
  return { firstMb, sliceType, ppsId, frameNum, idrPicId };
}

/**
 * Walks a whole slice (§7.3.3, §7.3.4, §7.3.5) and returns its first_mb_in_slice
 * and how many macroblocks it covers as skipped and as I_PCM; fails on any
 * unexpected syntax.
 */
function walkSlice(nal: Uint8Array, log2MaxFrameNum: number) {
  const idr = (nal[0] & 0x1f) === 5;
  const r = new Reader(unescape(nal));
  const firstMb = r.ue(); // first_mb_in_slice
  const sliceType = r.ue();
  r.ue(); // pps id
  r.u(log2MaxFrameNum);
  if (idr) {
    r.ue(); // idr_pic_id
    r.bit(); // no_output_of_prior_pics_flag
    r.bit(); // long_term_reference_flag
  } else {
    assertEquals(r.bit(), 0); // num_ref_idx_active_override_flag
    assertEquals(r.bit(), 0); // ref_pic_list_modification_flag_l0
    assertEquals(r.bit(), 0); // adaptive_ref_pic_marking_mode_flag
  }
  assertEquals(r.se(), 0); // slice_qp_delta
  assertEquals(r.ue(), 1); // disable_deblocking_filter_idc
  let skipped = 0;
  let pcm = 0;
  let more = true;
  while (more) {
    if (sliceType === 5) {
      const run = r.ue();
      skipped += run;
      if (run > 0) more = r.moreRbspData();
    }
    if (more) {
      assertEquals(r.ue(), sliceType === 5 ? 30 : 25, "mb_type I_PCM");
      r.align();
      r.skipBytes(384);
      pcm++;
    }
    more = r.moreRbspData();
  }
  return { firstMb, skipped, pcm };
}

/** The slice NAL units (types 1 and 5) of an access unit. */
function slicesOf(units: readonly Uint8Array[]): Uint8Array[] {
  return units.filter((u) => (u[0] & 0x1f) === 1 || (u[0] & 0x1f) === 5);
}

function totalLength(units: readonly Uint8Array[]): number {
  return units.reduce((n, u) => n + u.length, 0);
}

function annexB(units: Uint8Array[]): Uint8Array {
  const size = units.reduce((n, u) => n + 4 + u.length, 0);
  const out = new Uint8Array(size);
  let o = 0;
  for (const u of units) {
    out.set([0, 0, 0, 1], o);
    out.set(u, o + 4);
    o += 4 + u.length;
  }
  return out;
}

function stream(tp: H264TestPattern, from: number, to: number): Uint8Array {
  const units: Uint8Array[] = [];
  for (let i = from; i < to; i++) units.push(...tp.frame(i).units);
  return annexB(units);
}

function lumaAt(yuv: Uint8Array, width: number, x: number, y: number): number {
  return yuv[y * width + x];
}

// ---- Unit tests ---------------------------------------------------------------------

Deno.test("font: every glyph is 5x7 and digits are distinct", () => {
  assertEquals(FONT_CHARS.length, 11);
  const seen = new Set<string>();
  for (const ch of FONT_CHARS) {
    const g = glyph(ch);
    assertEquals(g.length, FONT_WIDTH * FONT_HEIGHT);
    assert(g.some((v) => v === 1), `glyph ${ch} is blank`);
    seen.add(g.join(""));
  }
  assertEquals(seen.size, FONT_CHARS.length);
  throws(() => glyph("A"), RangeError);
});

Deno.test("frame(0) is an IDR access unit with SPS, PPS and IDR slices", () => {
  const tp = new H264TestPattern();
  const au = tp.frame(0);
  assertEquals(au.keyframe, true);
  assertEquals(au.timestamp, 0);
  // SPS, PPS, then the IDR picture as 3 slices of 5 macroblock rows (~38.6 KB each):
  // one ~116 KB slice would exceed MAX_SLICE_NAL_BYTES.
  assertEquals(au.units.length, 2 + 3);
  const [sps, pps, ...slices] = au.units;
  assertEquals(sps, tp.sps);
  assertEquals(pps, tp.pps);
  assertEquals(sps[0], 0x67); // nal_ref_idc 3, type 7
  assertEquals(sps[1], 66); // profile_idc Baseline
  assertEquals(sps[2], 0xc0); // constraint_set0 + set1: Constrained Baseline
  assertEquals(pps[0], 0x68); // type 8
  for (const idr of slices) assertEquals(idr[0], 0x65); // type 5
  // 300 I_PCM macroblocks of 384 samples, plus 2 bytes of mb_type/alignment each,
  // plus at most 16 bytes of NAL header, slice header and trailing bits per slice.
  const mbs = (320 / 16) * (240 / 16);
  const idrBytes = totalLength(slices);
  assert(
    idrBytes > mbs * 384 && idrBytes < mbs * 386 + 16 * slices.length,
    `IDR is ${idrBytes} bytes`,
  );
  assertEquals(
    slices.map((idr) => parseSliceStart(idr, 4)),
    [0, 100, 200].map((firstMb) => ({ firstMb, sliceType: 7, ppsId: 0, frameNum: 0, idrPicId: 0 })),
  );
});

Deno.test("SPS and PPS parse to the intended parameters", () => {
  const tp = new H264TestPattern({ width: 352, height: 288, fps: 30 });
  const sps = parseSps(tp.sps);
  assertEquals(sps, {
    profileIdc: 66,
    constraints: 0xc0,
    levelIdc: tp.levelIdc,
    spsId: 0,
    log2MaxFrameNum: 4,
    pocType: 2,
    maxRefFrames: 1,
    gaps: 0,
    widthMbs: 22,
    heightMbs: 18,
    frameMbsOnly: 1,
    cropping: 0,
    numUnitsInTick: 1,
    timeScale: 60,
  });
  assertEquals(parsePps(tp.pps), {
    ppsId: 0,
    spsId: 0,
    cabac: 0,
    sliceGroups: 1,
    deblockingControl: 1,
  });
});

Deno.test("level_idc covers frame size, macroblock rate and bit rate (Table A-1)", () => {
  assertEquals(new H264TestPattern().levelIdc, 21);
  // 1280x720 = 3600 MBs: MaxFS rules out everything below 3.1.
  assert(new H264TestPattern({ width: 1280, height: 720 }).levelIdc >= 31);
});

Deno.test("frame(1) is a small P slice with frame_num 1", () => {
  const tp = new H264TestPattern();
  const idrSize = totalLength(slicesOf(tp.frame(0).units));
  const au = tp.frame(1);
  assertEquals(au.keyframe, false);
  assertEquals(au.timestamp, 3600);
  assertEquals(au.units.length, 1);
  const p = au.units[0];
  assertEquals(p[0], 0x41); // nal_ref_idc 2, type 1
  assert(p.length < idrSize / 20, `P frame is ${p.length} bytes`);
  assertEquals(parseSliceStart(p, 4), {
    firstMb: 0,
    sliceType: 5,
    ppsId: 0,
    frameNum: 1,
    idrPicId: undefined,
  });
});

Deno.test("GOP structure: IDR every gopFrames, frame_num wraps at 16, idr_pic_id alternates", () => {
  const tp = new H264TestPattern({ gopFrames: 40 });
  for (let i = 0; i < 120; i++) {
    const au = tp.frame(i);
    assertEquals(au.keyframe, i % 40 === 0, `frame ${i}`);
    const slice = au.units[au.units.length - 1];
    const header = parseSliceStart(slice, 4);
    assertEquals(header.frameNum, (i % 40) % 16, `frame_num of ${i}`);
    if (au.keyframe) assertEquals(header.idrPicId, i / 40);
  }
});

Deno.test("timestamps are index · 90000 / fps", () => {
  const tp30 = new H264TestPattern({ fps: 30 });
  assertEquals(tp30.frame(0).timestamp, 0);
  assertEquals(tp30.frame(7).timestamp, 21000);
  assertEquals(new H264TestPattern({ fps: 24 }).frame(5).timestamp, 18750);
});

Deno.test("frames are deterministic whatever the call order", () => {
  const a = new H264TestPattern();
  const sequential = Array.from({ length: 60 }, (_, i) => a.frame(i).units);
  const b = new H264TestPattern();
  for (const i of [37, 3, 3, 59, 0, 26, 25, 1, 36, 37, 38, 12]) {
    assertEquals(b.frame(i).units, sequential[i], `frame ${i}`);
  }
});

Deno.test("picture content: bars, moving bar, flash box in step with ~100 ms of each second", () => {
  const tp = new H264TestPattern();
  const { bars, movingBar, flashBox, motionBand } = tp.layout;
  const fx = flashBox.x + flashBox.width / 2;
  const fy = flashBox.y + flashBox.height / 2;
  for (let i = 0; i < 75; i++) {
    const yuv = tp.yuv420(i);
    // BT.601 video range: 75% grey Y = 16 + 219·0.75 = 180, black 16, white 235.
    assertEquals(lumaAt(yuv, 320, bars[0].x + 4, 20), 180);
    assertEquals(lumaAt(yuv, 320, bars[7].x + 4, 20), 16);
    const lit = i % 25 < 3; // ceil(25 / 10) frames = 120 ms
    assertEquals(lumaAt(yuv, 320, fx, fy), lit ? 235 : 16, `flash at frame ${i}`);
  }
  // The bar sweeps right: find its left edge in the motion band row.
  const barLeft = (i: number) => {
    const yuv = tp.yuv420(i);
    const y = movingBar.y + 1;
    for (let x = 0; x < 320; x++) if (lumaAt(yuv, 320, x, y) === 235) return x;
    return -1;
  };
  assertEquals(barLeft(0), 0);
  assert(barLeft(10) > barLeft(5) && barLeft(5) > barLeft(0));
  // Grey band above and below the bar stays grey (64 → Y 71).
  assertEquals(lumaAt(tp.yuv420(10), 320, barLeft(10), motionBand.y), 71);
});

Deno.test("only changed macroblocks are coded in P frames", () => {
  const tp = new H264TestPattern();
  tp.frame(0);
  // Frame 1: bar moves, FF digit changes, flash stays lit: a few macroblocks only.
  const p1 = tp.frame(1).units[0].length;
  // Frame 3: the flash turns off as well, so more blocks change.
  tp.frame(2);
  const p3 = tp.frame(3).units[0].length;
  assert(p3 > p1, `flash-off frame ${p3} should be larger than ${p1}`);
  assert(p1 < 12 * 390, `frame 1 is ${p1} bytes`);
});

Deno.test("every slice covers each macroblock exactly once (slice data walk)", () => {
  const tp = new H264TestPattern();
  const mbs = 300;
  for (let i = 0; i < 60; i++) {
    const au = tp.frame(i);
    let skipped = 0;
    let pcm = 0;
    for (const slice of slicesOf(au.units)) {
      const walked = walkSlice(slice, 4);
      // Slices follow each other in raster order with no gap or overlap.
      assertEquals(walked.firstMb, skipped + pcm, `frame ${i}: first_mb_in_slice`);
      skipped += walked.skipped;
      pcm += walked.pcm;
    }
    assertEquals(skipped + pcm, mbs, `frame ${i}`);
    if (au.keyframe) assertEquals(pcm, mbs);
    else assert(pcm > 0 && pcm < 40, `frame ${i}: ${pcm} coded macroblocks`);
  }
});

Deno.test("no slice NAL unit exceeds 60,000 bytes; the slices of a picture agree", () => {
  // live555-based clients (openRTSP, older VLC) cut NAL units over 100,000 bytes;
  // a one-slice 320x240 IDR was 115,804. The limit here is the 60,000.
  const cases = [
    { options: {}, frames: 75, idrSlices: 3, splitP: false },
    { options: { width: 640, height: 480, fps: 30 }, frames: 35, idrSlices: 10, splitP: false },
    { options: { width: 1920, height: 1088, fps: 30 }, frames: 8, idrSlices: 68, splitP: false },
    // A macroblock row (240 I_PCM blocks, ~93 KB) is too big: slices end mid-row.
    // Frame 3 (the flash turning off) is a P picture big enough to be split too.
    { options: { width: 3840, height: 512 }, frames: 4, idrSlices: 51, splitP: true },
  ];
  for (const { options, frames, idrSlices, splitP } of cases) {
    const tp = new H264TestPattern(options);
    const mbs = (tp.width / 16) * (tp.height / 16);
    let pictures = 0;
    let splitPictures = 0;
    for (let i = 0; i < frames; i++) {
      const au = tp.frame(i);
      const what = `${tp.width}x${tp.height} frame ${i}`;
      for (const u of au.units) assert(u.length <= 60_000, `${what}: ${u.length}-byte NAL unit`);
      const slices = slicesOf(au.units);
      if (au.keyframe) assertEquals(slices.length, idrSlices, `${what}: IDR slices`);
      else if (slices.length > 1) splitPictures++;
      // One picture: every slice has the picture's type, frame_num and idr_pic_id,
      // and together they cover each macroblock once, in order.
      const first = parseSliceStart(slices[0], 4);
      let covered = 0;
      for (const slice of slices) {
        const header = parseSliceStart(slice, 4);
        assertEquals(slice[0], slices[0][0], `${what}: NAL header`);
        assertEquals({ ...header, firstMb: covered }, { ...first, firstMb: covered }, what);
        const walked = walkSlice(slice, 4);
        assertEquals(walked.firstMb, covered, `${what}: first_mb_in_slice`);
        covered += walked.skipped + walked.pcm;
      }
      assertEquals(covered, mbs, `${what}: macroblocks covered`);
      pictures++;
    }
    assertEquals(pictures, frames);
    assertEquals(splitPictures > 0, splitP, `${tp.width}x${tp.height}: split P pictures`);
  }
});

Deno.test("options are validated", () => {
  throws(() => new H264TestPattern({ width: 328 }), RangeError);
  throws(() => new H264TestPattern({ height: 100 }), RangeError);
  throws(() => new H264TestPattern({ fps: 0 }), RangeError);
  throws(() => new H264TestPattern({ fps: 29.97 }), RangeError);
  throws(() => new H264TestPattern({ gopFrames: 0 }), RangeError);
  throws(() => new H264TestPattern({ width: 128 }), RangeError); // too narrow for the clock
  throws(() => new H264TestPattern({ height: 48 }), RangeError); // too short
  throws(() => new H264TestPattern().frame(-1), RangeError);
});

Deno.test("P frames are produced in well under 1 ms at 320x240", () => {
  const tp = new H264TestPattern();
  for (let i = 0; i < 100; i++) tp.frame(i); // warm up the JIT
  let pMs = 0;
  let pCount = 0;
  for (let i = 100; i < 1100; i++) {
    const start = performance.now();
    const au = tp.frame(i);
    const ms = performance.now() - start;
    if (!au.keyframe) {
      pMs += ms;
      pCount++;
    }
  }
  const avg = pMs / pCount;
  assert(avg < 0.5, `P frame average ${avg.toFixed(3)} ms`);
});

// ---- Decoding with ffmpeg -------------------------------------------------------------

async function decode(file: string): Promise<Uint8Array> {
  const out = await run("ffmpeg", [
    "-v",
    "error",
    "-f",
    "h264",
    "-i",
    file,
    "-fps_mode",
    "passthrough",
    "-f",
    "rawvideo",
    "-pix_fmt",
    "yuv420p",
    "-",
  ]);
  assertEquals(out.stderr, "");
  assertEquals(out.code, 0);
  return out.stdout;
}

/** Decodes frames [from, to) and checks every sample of every frame against yuv420(). */
async function checkDecodesExactly(
  tp: H264TestPattern,
  from: number,
  to: number,
  dir: string,
): Promise<Uint8Array> {
  const file = `${dir}/pattern_${tp.width}x${tp.height}_${from}.264`;
  await Deno.writeFile(file, stream(tp, from, to));

  const nullOut = await run("ffmpeg", ["-v", "error", "-i", file, "-f", "null", "-"]);
  assertEquals(nullOut.stderr, "");
  assertEquals(nullOut.code, 0);

  const decoded = await decode(file);
  const frameBytes = (tp.width * tp.height * 3) / 2;
  assertEquals(decoded.length / frameBytes, to - from, "decoded frame count");
  const reference = new H264TestPattern({
    width: tp.width,
    height: tp.height,
    fps: tp.fps,
    gopFrames: tp.gopFrames,
  });
  for (let i = from; i < to; i++) {
    const got = decoded.subarray((i - from) * frameBytes, (i - from + 1) * frameBytes);
    const want = reference.yuv420(i);
    let diff = 0;
    for (let k = 0; k < frameBytes; k++) if (got[k] !== want[k]) diff++;
    assertEquals(diff, 0, `frame ${i}: ${diff} samples differ from what was drawn`);
  }
  return decoded;
}

await toolTest("ffmpeg decodes 2 s of the pattern without errors, pixel-exact", [
  "ffmpeg",
  "ffprobe",
], async () => {
  const dir = await Deno.makeTempDir({ prefix: "test_pattern_" });
  try {
    const tp = new H264TestPattern();
    const decoded = await checkDecodesExactly(tp, 0, 50, dir);

    const probe = await run("ffprobe", [
      "-v",
      "error",
      "-select_streams",
      "v:0",
      "-show_entries",
      "stream=codec_name,profile,width,height,r_frame_rate,level",
      "-of",
      "json",
      `${dir}/pattern_320x240_0.264`,
    ]);
    assertEquals(probe.code, 0, probe.stderr);
    const info = JSON.parse(new TextDecoder().decode(probe.stdout)).streams[0];
    assertEquals(info, {
      codec_name: "h264",
      profile: "Constrained Baseline",
      width: 320,
      height: 240,
      level: tp.levelIdc,
      r_frame_rate: "25/1",
    });

    // Spot checks with literal values (BT.601 video range), independent of yuv420().
    const frameBytes = 320 * 240 * 1.5;
    const { flashBox } = tp.layout;
    const fx = flashBox.x + 10;
    const fy = flashBox.y + 10;
    const frame = (i: number) => decoded.subarray(i * frameBytes, (i + 1) * frameBytes);
    assertEquals(lumaAt(frame(0), 320, 10, 10), 180); // 75% grey bar
    assertEquals(lumaAt(frame(30), 320, 10, 10), 180);
    assertEquals(lumaAt(frame(0), 320, fx, fy), 235); // flash lit (0 % 25 < 3)
    assertEquals(lumaAt(frame(2), 320, fx, fy), 235);
    assertEquals(lumaAt(frame(3), 320, fx, fy), 16); // flash off
    assertEquals(lumaAt(frame(26), 320, fx, fy), 235); // next second
    assertEquals(lumaAt(frame(49), 320, fx, fy), 16);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

await toolTest("ffmpeg decodes a stream joined at a later IDR, and other sizes", [
  "ffmpeg",
  "ffprobe",
], async () => {
  const dir = await Deno.makeTempDir({ prefix: "test_pattern_" });
  try {
    // A live client joins at the second IDR (frame 25) of a running stream.
    const tp = new H264TestPattern();
    for (let i = 0; i < 25; i++) tp.frame(i);
    await checkDecodesExactly(tp, 25, 60, dir);
    // Larger picture (font scale 4), 30 fps, short GOP (idr_pic_id changes).
    await checkDecodesExactly(
      new H264TestPattern({ width: 640, height: 480, fps: 30, gopFrames: 10 }),
      0,
      35,
      dir,
    );
    // Every picture an IDR.
    await checkDecodesExactly(new H264TestPattern({ gopFrames: 1 }), 0, 5, dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

await toolTest("ffmpeg decodes pictures split into many slices pixel-exact, P pictures too", [
  "ffmpeg",
  "ffprobe",
], async () => {
  const dir = await Deno.makeTempDir({ prefix: "test_pattern_" });
  try {
    // 51 slices of (up to) 151 macroblocks that start and end mid-row; frame 3 (the
    // flash turning off) is a P picture split the same way.
    const tp = new H264TestPattern({ width: 3840, height: 512 });
    await checkDecodesExactly(tp, 0, 5, dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
