import assert from "node:assert/strict";
import { BitWriter } from "./bit_writer.ts";
import {
  H264PictureOrderCount,
  H265PictureOrderCount,
  type PictureOrder,
  PresentationShifts,
} from "./picture_order.ts";

function shiftsOf(orders: PictureOrder[]): number[] {
  const shifts = new PresentationShifts();
  for (const order of orders) shifts.add(order);
  return [...shifts.finish()];
}

Deno.test("PresentationShifts ranks POCs between resets", () => {
  const p = (poc: number | undefined, reset = false): PictureOrder => ({ poc, reset });
  const table: [string, PictureOrder[], number[]][] = [
    ["no B-frames", [p(0, true), p(2), p(4), p(6)], [0, 0, 0, 0]],
    // I0 P3 B1 B2 (decode) are shown I0 B1 B2 P3.
    ["one GOP with B-frames", [p(0, true), p(6), p(2), p(4)], [0, 2, -1, -1]],
    ["a reset starts over", [p(0, true), p(4), p(2), p(0, true), p(4), p(2)], [0, 1, -1, 0, 1, -1]],
    ["no POC known (type 2): decode order", [p(undefined, true), p(undefined)], [0, 0]],
    ["one unknown POC: the period stays in decode order", [p(0, true), p(4), p(undefined)], [
      0,
      0,
      0,
    ]],
    [
      "a jump past the reorder bound is not believed",
      [p(0, true), p(100), ...Array.from({ length: 20 }, (_, i) => p(2 * (i + 1)))],
      Array(22).fill(0),
    ],
    ["ties keep decode order", [p(0, true), p(0), p(0)], [0, 0, 0]],
  ];
  for (const [name, orders, expected] of table) assert.deepEqual(shiftsOf(orders), expected, name);
});

/** An H.264 Baseline-style SPS with pic_order_cnt_type 0 and 4-bit frame_num / POC LSB. */
function h264Sps(): Uint8Array {
  const w = new BitWriter().u(8, 0x67).u(8, 77).u(8, 0).u(8, 30).ue(0); // Main, level 3, id 0
  w.ue(0).ue(0).ue(0); // log2_max_frame_num_minus4, pic_order_cnt_type, log2_max_poc_lsb_minus4
  w.ue(2).flag(0).ue(19).ue(14).flag(1).flag(1).flag(0).flag(0); // refs, 320x240, frame_mbs_only
  return w.trailingBits().finish();
}

/** A slice NAL: `header` byte (nal_ref_idc, type), then the fields up to pic_order_cnt_lsb. */
function h264Slice(header: number, sliceType: number, lsb: number): Uint8Array {
  const w = new BitWriter().u(8, header).ue(0).ue(sliceType).ue(0).u(4, 0); // .. frame_num
  if ((header & 0x1f) === 5) w.ue(0); // idr_pic_id
  return w.u(4, lsb).flag(1).trailingBits().finish();
}

Deno.test("H264PictureOrderCount follows pic_order_cnt_lsb across its wrap (H.264 8.2.1.1)", () => {
  const order = new H264PictureOrderCount();
  const pps = new BitWriter().u(8, 0x68).ue(0).ue(0).trailingBits().finish();
  const IDR = 0x65, REF = 0x41, NON_REF = 0x01;
  const pictures: [Uint8Array[], number, boolean][] = [
    [[h264Sps(), pps, h264Slice(IDR, 7, 0)], 0, true],
    [[h264Slice(REF, 5, 8)], 8, false],
    [[h264Slice(NON_REF, 6, 4)], 4, false],
    [[h264Slice(REF, 5, 14)], 14, false],
    [[h264Slice(REF, 5, 2)], 18, false], // the 4-bit LSB wrapped: MSB 16
    [[h264Slice(NON_REF, 6, 0)], 16, false],
    [[h264Slice(IDR, 7, 0)], 0, true],
  ];
  for (const [units, poc, reset] of pictures) {
    assert.deepEqual(order.push(units), { poc, reset });
  }
  assert.deepEqual(order.push([new Uint8Array([0x06, 5, 1, 0])]), { poc: undefined, reset: false });
  assert.deepEqual(order.push([new Uint8Array([0x41])]), { poc: undefined, reset: false });
});

/** The libx265 SPS of h265_nal_test.ts (log2_max_pic_order_cnt_lsb 8). */
const X265_SPS = Uint8Array.from(
  "42010101600000030090000003000003003ca00a480f9c9265959a4932bc05a020000003002000000303c1"
    .match(/../g)!.map((h) => parseInt(h, 16)),
);

function h265Slice(type: number, temporalId: number, lsb?: number): Uint8Array {
  const w = new BitWriter().u(8, type << 1).u(8, temporalId + 1).flag(1); // first slice
  if (type >= 16 && type <= 23) w.flag(0); // no_output_of_prior_pics_flag
  w.ue(0).ue(1); // slice_pic_parameter_set_id, slice_type P
  if (lsb !== undefined) w.u(8, lsb);
  return w.flag(1).trailingBits().finish();
}

Deno.test("H265PictureOrderCount follows slice_pic_order_cnt_lsb from TemporalId-0 pictures (H.265 8.3.1)", () => {
  const order = new H265PictureOrderCount();
  const pps = new BitWriter().u(8, 34 << 1).u(8, 1).ue(0).ue(0).flag(0).flag(0).u(3, 0)
    .trailingBits().finish();
  const IDR_W_RADL = 19, TRAIL_R = 1, TRAIL_N = 0, CRA = 21;
  const pictures: [Uint8Array[], number, boolean][] = [
    [[X265_SPS, pps, h265Slice(IDR_W_RADL, 0)], 0, true],
    [[h265Slice(TRAIL_R, 0, 100)], 100, false],
    [[h265Slice(TRAIL_R, 0, 200)], 200, false],
    [[h265Slice(TRAIL_N, 0, 150)], 150, false], // a sub-layer non-reference picture
    [[h265Slice(TRAIL_R, 0, 40)], 296, false], // wrapped past 256
    [[h265Slice(TRAIL_N, 0, 30)], 286, false],
    [[h265Slice(CRA, 0, 60)], 316, false], // a CRA inside the stream does not restart the POC
  ];
  for (const [units, poc, reset] of pictures) {
    assert.deepEqual(order.push(units), { poc, reset });
  }
  const fresh = new H265PictureOrderCount();
  assert.deepEqual(fresh.push([X265_SPS, pps, h265Slice(CRA, 0, 60)]), { poc: 60, reset: true });
});
