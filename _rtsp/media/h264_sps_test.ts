import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { BitWriter, rbspToNal } from "./bit_writer.ts";
import {
  h264FirstSliceInPicture,
  H264NalType,
  h264NalType,
  type H264Sps,
  isH264Keyframe,
  isH264Vcl,
  parseH264Sps,
} from "./h264_sps.ts";

function hex(s: string): Uint8Array {
  return Uint8Array.from(s.match(/../g) ?? [], (h) => parseInt(h, 16));
}

/** SPS fields for {@link buildSps}; the defaults describe a 320x240 High-profile stream. */
interface SpsSpec {
  profileIdc?: number;
  constraintFlags?: number;
  levelIdc?: number;
  chromaFormatIdc?: number;
  scalingLists?: boolean;
  pocType?: 0 | 1 | 2;
  widthMbs?: number;
  heightMapUnits?: number;
  frameMbsOnly?: boolean;
  crop?: [number, number, number, number];
  vui?: { sar?: boolean; signal?: boolean; chromaLoc?: boolean; timing?: [number, number] };
}

/** Writes an SPS NAL unit per H.264 7.3.2.1.1, with emulation prevention. */
function buildSps(spec: SpsSpec = {}): Uint8Array {
  const w = new BitWriter();
  const profile = spec.profileIdc ?? 100;
  w.u(8, profile).u(8, spec.constraintFlags ?? 0).u(8, spec.levelIdc ?? 30).ue(0);
  if (profile === 100 || profile === 110 || profile === 122 || profile === 244) {
    const chroma = spec.chromaFormatIdc ?? 1;
    w.ue(chroma);
    if (chroma === 3) w.u(1, 0); // separate_colour_plane_flag
    w.ue(0).ue(0).u(1, 0); // bit depths, qpprime_y_zero_transform_bypass_flag
    w.flag(spec.scalingLists ?? false);
    if (spec.scalingLists) {
      const lists = chroma !== 3 ? 8 : 12;
      for (let i = 0; i < lists; i++) {
        const present = i % 2 === 0;
        w.flag(present);
        if (!present) continue;
        const size = i < 6 ? 16 : 64;
        // Deltas that walk the scale up, then a delta to 0 that ends the list early
        // (useDefaultScalingMatrixFlag when j == 0) for list 2.
        if (i === 2) {
          w.se(-8);
          continue;
        }
        for (let j = 0; j < size; j++) w.se(j % 3 === 0 ? 5 : -2);
      }
    }
  }
  w.ue(0); // log2_max_frame_num_minus4
  const poc = spec.pocType ?? 0;
  w.ue(poc);
  if (poc === 0) w.ue(2);
  if (poc === 1) {
    w.u(1, 0).se(-3).se(7).ue(3).se(1).se(-2).se(300);
  }
  w.ue(4).u(1, 0); // max_num_ref_frames, gaps_in_frame_num_value_allowed_flag
  w.ue((spec.widthMbs ?? 20) - 1).ue((spec.heightMapUnits ?? 15) - 1);
  const frameMbsOnly = spec.frameMbsOnly ?? true;
  w.flag(frameMbsOnly);
  if (!frameMbsOnly) w.u(1, 1);
  w.u(1, 1); // direct_8x8_inference_flag
  w.flag(spec.crop !== undefined);
  if (spec.crop) { for (const c of spec.crop) w.ue(c); }
  w.flag(spec.vui !== undefined);
  if (spec.vui) {
    const v = spec.vui;
    w.flag(v.sar ?? false);
    if (v.sar) w.u(8, 255).u(16, 4).u(16, 3);
    w.u(1, 1).u(1, 0); // overscan present, not appropriate
    w.flag(v.signal ?? false);
    if (v.signal) w.u(3, 5).u(1, 1).u(1, 1).u(8, 1).u(8, 1).u(8, 1);
    w.flag(v.chromaLoc ?? false);
    if (v.chromaLoc) w.ue(1).ue(1);
    w.flag(v.timing !== undefined);
    if (v.timing) w.u(32, v.timing[0]).u(32, v.timing[1]).u(1, 1);
    // The rest of the VUI, which the parser does not read.
    w.u(1, 0).u(1, 0).u(1, 0).u(1, 0);
  }
  w.trailingBits();
  return rbspToNal(0x67, w.finish());
}

function parsed(nal: Uint8Array): H264Sps {
  const r = parseH264Sps(nal);
  if (!r.ok) throw new Error(`expected an SPS, got: ${r.error}`);
  return r.sps;
}

Deno.test("NAL type helpers follow H.264 Table 7-1", () => {
  const table: [number, number][] = [[0x67, 7], [0x68, 8], [0x65, 5], [0x41, 1], [0x06, 6], [
    0x09,
    9,
  ], [0x0c, 12]];
  for (const [header, type] of table) assertEquals(h264NalType(Uint8Array.of(header, 0)), type);
  assertEquals(h264NalType(new Uint8Array(0)), -1);
  assertEquals(H264NalType.SPS, 7);
  assertEquals(H264NalType.SLICE_IDR, 5);
  assertEquals([0, 1, 2, 3, 4, 5, 6].map(isH264Vcl), [false, true, true, true, true, true, false]);
  assertEquals(isH264Keyframe([hex("6742"), hex("68ce"), hex("6588")]), true);
  assertEquals(isH264Keyframe([hex("0605"), hex("419a")]), false);
  assertEquals(isH264Keyframe([]), false);
  // first_mb_in_slice == 0 is a single 1 bit.
  assertEquals(h264FirstSliceInPicture(hex("6588")), true);
  assertEquals(h264FirstSliceInPicture(hex("419a")), true);
  assertEquals(h264FirstSliceInPicture(hex("4160")), false);
  assertEquals(h264FirstSliceInPicture(hex("41")), false);
});

Deno.test("parseH264Sps reads SPS made by libx264 (byte vectors)", () => {
  // testsrc 320x240 High profile, 25 fps (ffmpeg -profile:v high), escapes included.
  const high = hex("6764000dacd94141fb011000000300100000030320f1429960");
  assertEquals(parsed(high), {
    profileIdc: 100,
    constraintFlags: 0,
    levelIdc: 13,
    spsId: 0,
    chromaFormatIdc: 1,
    width: 320,
    height: 240,
    separateColourPlane: false,
    log2MaxFrameNum: 4,
    pocType: 0, // B-frames: slices carry pic_order_cnt_lsb
    log2MaxPocLsb: 6,
    frameMbsOnly: true,
    frameRate: 25,
    bitDepthLuma: 8,
    bitDepthChroma: 8,
    maxNumReorderFrames: 2, // x264's B-pyramid, from the VUI bitstream restriction
  });
  // testsrc 640x360 Constrained Baseline: 368 coded lines cropped to 360.
  const baseline = hex("6742c01ed900a02ff97011000003000100000300320f162e48");
  assertEquals(parsed(baseline), {
    profileIdc: 66,
    constraintFlags: 0xc0,
    levelIdc: 30,
    spsId: 0,
    chromaFormatIdc: 1,
    width: 640,
    height: 360,
    separateColourPlane: false,
    log2MaxFrameNum: 4,
    pocType: 2, // no B-frames: output order is decode order
    log2MaxPocLsb: 0,
    frameMbsOnly: true,
    frameRate: 25,
    bitDepthLuma: 8,
    bitDepthChroma: 8,
    maxNumReorderFrames: 0,
  });
});

Deno.test("parseH264Sps handles the optional SPS syntax", () => {
  const cases: [string, SpsSpec, Partial<H264Sps>][] = [
    ["defaults", {}, { width: 320, height: 240, frameRate: undefined }],
    ["baseline has no chroma_format_idc", { profileIdc: 66, constraintFlags: 0xe0 }, {
      profileIdc: 66,
      constraintFlags: 0xe0,
      chromaFormatIdc: 1,
    }],
    ["1080p cropped", { widthMbs: 120, heightMapUnits: 68, crop: [0, 0, 0, 4] }, {
      width: 1920,
      height: 1080,
    }],
    ["scaling lists", { scalingLists: true, vui: { timing: [1, 50] } }, { frameRate: 25 }],
    ["4:4:4 scaling lists (12 lists), crop in luma units", {
      profileIdc: 244,
      chromaFormatIdc: 3,
      scalingLists: true,
      crop: [1, 2, 3, 4],
    }, { chromaFormatIdc: 3, width: 320 - 3, height: 240 - 7 }],
    ["4:2:2 crops 2 across, 1 down", { profileIdc: 122, chromaFormatIdc: 2, crop: [1, 1, 1, 1] }, {
      width: 316,
      height: 238,
    }],
    ["interlaced: map units are field MB pairs", {
      frameMbsOnly: false,
      widthMbs: 45,
      heightMapUnits: 18,
      crop: [0, 0, 0, 2],
    }, { width: 720, height: 576 - 8 }],
    ["pic_order_cnt_type 1", { pocType: 1 }, { width: 320 }],
    ["pic_order_cnt_type 2", { pocType: 2 }, { width: 320 }],
    ["NTSC timing", { vui: { sar: true, signal: true, chromaLoc: true, timing: [1001, 60000] } }, {
      frameRate: 60000 / 2002,
    }],
    ["zero num_units_in_tick means no rate", { vui: { timing: [0, 50] } }, {
      frameRate: undefined,
    }],
    ["VUI without timing", { vui: { sar: true } }, { frameRate: undefined }],
  ];
  for (const [name, spec, want] of cases) {
    const sps = parsed(buildSps(spec));
    for (const [k, v] of Object.entries(want)) {
      assertEquals(sps[k as keyof H264Sps], v, `${name}: ${k}`);
    }
  }
});

Deno.test("parseH264Sps reads through emulation prevention bytes", () => {
  // profile_idc 0, constraint flags 0, level_idc 1 is the RBSP 00 00 01, which
  // rbspToNal must escape to 00 00 03 01.
  const nal = buildSps({ profileIdc: 0, constraintFlags: 0, levelIdc: 1, widthMbs: 8 });
  assertEquals(Array.from(nal.subarray(0, 5)), [0x67, 0, 0, 3, 1]);
  const escapes = nal.some((b, i) => i >= 2 && b === 3 && nal[i - 1] === 0 && nal[i - 2] === 0);
  assertEquals(escapes, true);
  assertEquals(parsed(nal).width, 128);
});

Deno.test("parseH264Sps returns errors for truncated SPS at every length", () => {
  const full = buildSps({ scalingLists: true, vui: { sar: true, timing: [1, 60] } });
  assertEquals(parsed(full).frameRate, 30);
  // Every cut that loses a bit the parser needs (through time_scale) is an error.
  // The last 2 bytes hold fixed_frame_rate_flag, unread VUI flags and trailing bits.
  for (let n = 0; n < full.length - 2; n++) {
    const r = parseH264Sps(full.subarray(0, n));
    assertEquals(r.ok, false, `length ${n}`);
  }
});

Deno.test("parseH264Sps rejects hostile values without throwing", () => {
  const cases: [string, Uint8Array, string][] = [
    ["not an SPS", hex("68ce3c80"), "not an SPS"],
    ["empty", new Uint8Array(0), "not an SPS"],
    // seq_parameter_set_id coded with 32 leading zeros.
    ["endless ue", Uint8Array.of(0x67, 0x42, 0, 0x1e, 0, 0, 0, 0, 0, 0, 0, 0, 0x80), "leading"],
    ["bad chroma_format_idc", buildSps({ chromaFormatIdc: 4 }), "chroma_format_idc"],
    ["bad pic_order_cnt_type", hex("6742001ec8"), "pic_order_cnt_type"],
    ["huge width", buildSps({ widthMbs: 5000 }), "pic_width_in_mbs_minus1"],
    ["cropping everything", buildSps({ crop: [80, 80, 0, 0] }), "empty picture"],
  ];
  for (const [name, nal, text] of cases) {
    const r = parseH264Sps(nal);
    assertEquals(r.ok, false, name);
    if (!r.ok) assertEquals(r.error.includes(text), true, `${name}: ${r.error}`);
  }
});

Deno.test("parseH264Sps never throws on random bytes", () => {
  let seed = 99;
  const next = () => (seed = (seed * 1664525 + 1013904223) >>> 0) >>> 24;
  for (let trial = 0; trial < 2000; trial++) {
    const nal = Uint8Array.from({ length: 1 + (trial % 40) }, next);
    nal[0] = 0x67;
    const r = parseH264Sps(nal);
    if (r.ok) assertEquals(r.sps.width > 0 && r.sps.height > 0, true);
  }
});
