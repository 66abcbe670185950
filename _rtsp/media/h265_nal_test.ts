import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { BitWriter, rbspToNal } from "./bit_writer.ts";
import {
  h265FirstSliceInPicture,
  H265NalType,
  h265NalType,
  type H265Sps,
  isH265Irap,
  isH265Keyframe,
  isH265Vcl,
  parseH265Sps,
} from "./h265_nal.ts";

function hex(s: string): Uint8Array {
  return Uint8Array.from(s.match(/../g) ?? [], (h) => parseInt(h, 16));
}

/** SPS fields for {@link buildSps}; defaults give a 1280x720 Main profile SPS without VUI. */
interface SpsSpec {
  maxSubLayersMinus1?: number;
  chromaFormatIdc?: number;
  width?: number;
  height?: number;
  window?: [number, number, number, number];
  scalingLists?: boolean;
  pcm?: boolean;
  /** Short-term RPS: three sets, the last two inter-predicted (exercises NumDeltaPocs). */
  interRps?: boolean;
  longTerm?: boolean;
  vui?: {
    sar?: boolean;
    signal?: boolean;
    chromaLoc?: boolean;
    defaultWindow?: boolean;
    timing?: [number, number];
  };
}

/** Writes an SPS NAL unit per H.265 7.3.2.2.1, with emulation prevention. */
function buildSps(spec: SpsSpec = {}): Uint8Array {
  const w = new BitWriter();
  const msl = spec.maxSubLayersMinus1 ?? 0;
  w.u(8, 0x01); // second NAL header byte: nuh_layer_id 0, nuh_temporal_id_plus1 1
  w.u(4, 0).u(3, msl).u(1, 1);
  // profile_tier_level(1, msl)
  w.u(2, 0).u(1, 0).u(5, 1).u(32, 0x60000000).u(4, 0b1001).u(32, 0).u(12, 0).u(8, 93);
  const profilePresent = Array.from({ length: msl }, (_, i) => i % 2 === 0);
  for (let i = 0; i < msl; i++) w.flag(profilePresent[i]).u(1, 1);
  if (msl > 0) { for (let i = msl; i < 8; i++) w.u(2, 0); }
  for (let i = 0; i < msl; i++) {
    if (profilePresent[i]) w.u(32, 0x41000000).u(32, 0xffffffff).u(24, 0xabcdef);
    w.u(8, 90);
  }
  const chroma = spec.chromaFormatIdc ?? 1;
  w.ue(0).ue(chroma);
  if (chroma === 3) w.u(1, 0);
  w.ue(spec.width ?? 1280).ue(spec.height ?? 720);
  w.flag(spec.window !== undefined);
  if (spec.window) { for (const o of spec.window) w.ue(o); }
  w.ue(0).ue(0).ue(4); // bit depths, log2_max_pic_order_cnt_lsb_minus4 = 4
  w.u(1, 1); // sps_sub_layer_ordering_info_present_flag
  for (let i = 0; i <= msl; i++) w.ue(4).ue(2).ue(0);
  w.ue(0).ue(3).ue(0).ue(3).ue(1).ue(1);
  w.flag(spec.scalingLists ?? false);
  if (spec.scalingLists) {
    w.u(1, 1); // sps_scaling_list_data_present_flag
    for (let sizeId = 0; sizeId < 4; sizeId++) {
      for (let m = 0; m < 6; m += sizeId === 3 ? 3 : 1) {
        if (m % 2 === 1) {
          w.u(1, 0).ue(1); // predicted from the previous matrix
          continue;
        }
        w.u(1, 1);
        if (sizeId > 1) w.se(8);
        const coefNum = Math.min(64, 1 << (4 + (sizeId << 1)));
        for (let i = 0; i < coefNum; i++) w.se(i % 2 ? 3 : -1);
      }
    }
  }
  w.u(1, 1).u(1, 1); // amp, sao
  w.flag(spec.pcm ?? false);
  if (spec.pcm) w.u(4, 7).u(4, 7).ue(0).ue(1).u(1, 0);
  if (spec.interRps) {
    w.ue(3);
    // Set 0: 2 negative, 1 positive → NumDeltaPocs 3.
    w.ue(2).ue(1);
    for (let i = 0; i < 3; i++) w.ue(i).u(1, 1);
    // Set 1 predicted from set 0: 4 entries; used, (unused, use_delta), (unused, no
    // delta), used → NumDeltaPocs 3.
    w.u(1, 1).u(1, 0).ue(0);
    w.u(1, 1).u(1, 0).u(1, 1).u(1, 0).u(1, 0).u(1, 1);
    // Set 2 predicted from set 1: 4 entries, all used → NumDeltaPocs 4.
    w.u(1, 1).u(1, 1).ue(1);
    for (let j = 0; j < 4; j++) w.u(1, 1);
  } else {
    w.ue(1).ue(1).ue(0).ue(0).u(1, 1);
  }
  w.flag(spec.longTerm ?? false);
  if (spec.longTerm) w.ue(2).u(8, 17).u(1, 1).u(8, 200).u(1, 0);
  w.u(1, 1).u(1, 1); // temporal mvp, strong intra smoothing
  w.flag(spec.vui !== undefined);
  if (spec.vui) {
    const v = spec.vui;
    w.flag(v.sar ?? false);
    if (v.sar) w.u(8, 255).u(16, 16).u(16, 11);
    w.u(1, 0);
    w.flag(v.signal ?? false);
    if (v.signal) w.u(3, 5).u(1, 0).u(1, 1).u(8, 9).u(8, 16).u(8, 9);
    w.flag(v.chromaLoc ?? false);
    if (v.chromaLoc) w.ue(2).ue(2);
    w.u(3, 0); // neutral_chroma_indication, field_seq, frame_field_info_present
    w.flag(v.defaultWindow ?? false);
    if (v.defaultWindow) w.ue(1).ue(2).ue(3).ue(4);
    w.flag(v.timing !== undefined);
    if (v.timing) w.u(32, v.timing[0]).u(32, v.timing[1]).u(1, 0).u(1, 0);
    w.u(1, 0); // bitstream_restriction_flag
  }
  w.u(1, 0); // sps_extension_present_flag
  w.trailingBits();
  return rbspToNal(0x42, w.finish());
}

function parsed(nal: Uint8Array): H265Sps {
  const r = parseH265Sps(nal);
  if (!r.ok) throw new Error(`expected an SPS, got: ${r.error}`);
  return r.sps;
}

Deno.test("NAL type helpers follow H.265 Table 7-1", () => {
  const table: [string, number][] = [
    ["4001", H265NalType.VPS],
    ["4201", H265NalType.SPS],
    ["4401", H265NalType.PPS],
    ["4601", H265NalType.AUD],
    ["4e01", H265NalType.PREFIX_SEI],
    ["5001", H265NalType.SUFFIX_SEI],
    ["2601", H265NalType.IDR_W_RADL],
    ["2801", H265NalType.IDR_N_LP],
    ["2a01", H265NalType.CRA_NUT],
    ["2001", H265NalType.BLA_W_LP],
    ["0201", H265NalType.TRAIL_R],
    ["0001", H265NalType.TRAIL_N],
  ];
  for (const [h, type] of table) assertEquals(h265NalType(hex(h)), type, h);
  assertEquals([H265NalType.VPS, H265NalType.SPS, H265NalType.PPS, H265NalType.AUD], [
    32,
    33,
    34,
    35,
  ]);
  assertEquals(h265NalType(hex("40")), -1);
  assertEquals([15, 16, 19, 21, 23, 24].map(isH265Irap), [false, true, true, true, true, false]);
  assertEquals([0, 31, 32, -1].map(isH265Vcl), [true, true, false, false]);
  assertEquals(isH265Keyframe([hex("4001"), hex("4201"), hex("4401"), hex("2601af")]), true);
  assertEquals(isH265Keyframe([hex("2a01af")]), true);
  assertEquals(isH265Keyframe([hex("0201d0"), hex("5001")]), false);
  assertEquals(h265FirstSliceInPicture(hex("2601af")), true);
  assertEquals(h265FirstSliceInPicture(hex("02015f")), false);
  assertEquals(h265FirstSliceInPicture(hex("0201")), false);
});

Deno.test("parseH265Sps reads an SPS made by libx265 (byte vector)", () => {
  // testsrc 322x242 at 30 fps: coded 328x248, cropped by the conformance window.
  const sps = hex(
    "42010101600000030090000003000003003ca00a480f9c9265959a4932bc05a020000003002000000303c1",
  );
  assertEquals(parsed(sps), {
    profileSpace: 0,
    tierFlag: 0,
    profileIdc: 1,
    levelIdc: 60,
    spsId: 0,
    chromaFormatIdc: 1,
    width: 322,
    height: 242,
    separateColourPlane: false,
    log2MaxPocLsb: 8,
    frameRate: 30,
    bitDepthLuma: 8,
    bitDepthChroma: 8,
    maxNumReorderPics: 2, // x265's B-pyramid
  });
});

Deno.test("parseH265Sps handles the optional SPS syntax", () => {
  const cases: [string, SpsSpec, Partial<H265Sps>][] = [
    ["defaults", {}, { width: 1280, height: 720, levelIdc: 93, frameRate: undefined }],
    ["1080p window", { width: 1920, height: 1088, window: [0, 0, 0, 4] }, { height: 1080 }],
    ["sub-layers", { maxSubLayersMinus1: 3, vui: { timing: [1, 50] } }, { frameRate: 50 }],
    ["seven sub-layers", { maxSubLayersMinus1: 6, vui: { timing: [1, 24] } }, { frameRate: 24 }],
    ["scaling lists", { scalingLists: true, vui: { timing: [1001, 30000] } }, {
      frameRate: 30000 / 1001,
    }],
    ["pcm", { pcm: true, vui: { timing: [1, 25] } }, { frameRate: 25 }],
    ["inter-predicted RPS", { interRps: true, vui: { timing: [1, 60] } }, { frameRate: 60 }],
    ["long-term refs", { longTerm: true, vui: { timing: [2, 50] } }, { frameRate: 25 }],
    ["full VUI", {
      vui: { sar: true, signal: true, chromaLoc: true, defaultWindow: true, timing: [1, 30] },
    }, { frameRate: 30 }],
    ["VUI without timing", { vui: { sar: true } }, { frameRate: undefined }],
    ["4:4:4 window in luma units", { chromaFormatIdc: 3, window: [1, 2, 3, 4] }, {
      chromaFormatIdc: 3,
      width: 1277,
      height: 713,
    }],
    ["4:2:2 window", { chromaFormatIdc: 2, window: [1, 1, 1, 1] }, { width: 1276, height: 718 }],
    ["everything", {
      maxSubLayersMinus1: 2,
      scalingLists: true,
      pcm: true,
      interRps: true,
      longTerm: true,
      window: [0, 4, 0, 2],
      vui: { sar: true, signal: true, chromaLoc: true, defaultWindow: true, timing: [1, 48] },
    }, { width: 1272, height: 716, frameRate: 48 }],
  ];
  for (const [name, spec, want] of cases) {
    const sps = parsed(buildSps(spec));
    for (const [k, v] of Object.entries(want)) {
      assertEquals(sps[k as keyof H265Sps], v, `${name}: ${k}`);
    }
  }
});

Deno.test("parseH265Sps returns errors for a truncated SPS at every length", () => {
  const full = buildSps({ interRps: true, vui: { sar: true, timing: [1, 60] } });
  assertEquals(parsed(full).frameRate, 60);
  // The last 2 bytes hold only flags the parser does not read and the trailing bits.
  for (let n = 0; n < full.length - 2; n++) {
    assertEquals(parseH265Sps(full.subarray(0, n)).ok, false, `length ${n}`);
  }
});

Deno.test("parseH265Sps rejects hostile values without throwing", () => {
  const cases: [string, Uint8Array, string][] = [
    ["not an SPS", hex("4001"), "not an SPS"],
    ["one byte", hex("42"), "not an SPS"],
    ["too many sub-layers", hex("42010f"), "sps_max_sub_layers_minus1"],
    ["huge width", buildSps({ width: 100000 }), "pic_width_in_luma_samples"],
    ["window eats the picture", buildSps({ window: [320, 320, 0, 0] }), "empty picture"],
    ["bad chroma_format_idc", buildSps({ chromaFormatIdc: 5 }), "chroma_format_idc"],
  ];
  for (const [name, nal, text] of cases) {
    const r = parseH265Sps(nal);
    assertEquals(r.ok, false, name);
    if (!r.ok) assertEquals(r.error.includes(text), true, `${name}: ${r.error}`);
  }
  // A profile_tier_level followed by zeros: sps_seq_parameter_set_id never ends.
  const zeros = new Uint8Array(40);
  zeros.set([0x42, 0x01, 0x01]);
  const r = parseH265Sps(zeros);
  assertEquals(r.ok, false);
});

Deno.test("parseH265Sps never throws on random bytes", () => {
  let seed = 7;
  const next = () => (seed = (seed * 1664525 + 1013904223) >>> 0) >>> 24;
  for (let trial = 0; trial < 2000; trial++) {
    const nal = Uint8Array.from({ length: 2 + (trial % 60) }, next);
    nal[0] = 0x42;
    const r = parseH265Sps(nal);
    if (r.ok) assertEquals(r.sps.width > 0 && r.sps.height > 0, true);
  }
});
