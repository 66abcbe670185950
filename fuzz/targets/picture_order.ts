/**
 * The picture-order reader of raw H.264 / H.265 files: NAL units from the
 * input (length-prefixed, three per access unit), seeded with a stream that
 * has parameter sets and B-frame slices.
 * @module
 */

import {
  H264PictureOrderCount,
  H265PictureOrderCount,
  MAX_REORDER,
  PresentationShifts,
} from "../../_rtsp/media/picture_order.ts";
import { BitWriter } from "../../_rtsp/media/bit_writer.ts";
import { check, type FuzzTarget } from "../check.ts";
import { packetStream, splitPackets } from "../packet_stream.ts";

/** NAL units per access unit of the input. */
const UNITS_PER_ACCESS_UNIT = 3;

/** An SPS (POC type 0), a PPS and IDR / P / B slices with their POC LSBs. */
function seeds(): Uint8Array[] {
  const sps = new BitWriter().u(8, 0x67).u(8, 77).u(8, 0).u(8, 30).ue(0).ue(0).ue(0).ue(0)
    .ue(2).flag(0).ue(19).ue(14).flag(1).flag(1).flag(0).flag(0).trailingBits().finish();
  const pps = new BitWriter().u(8, 0x68).ue(0).ue(0).trailingBits().finish();
  const slice = (header: number, type: number, lsb: number) => {
    const w = new BitWriter().u(8, header).ue(0).ue(type).ue(0).u(4, 0);
    if ((header & 0x1f) === 5) w.ue(0);
    return w.u(4, lsb).flag(1).trailingBits().finish();
  };
  return [
    packetStream([
      sps,
      pps,
      slice(0x65, 7, 0),
      slice(0x41, 5, 8),
      slice(0x01, 6, 4),
      slice(0x41, 5, 2),
    ]),
  ];
}

function pictureOrderTarget(codec: "H264" | "H265"): FuzzTarget {
  return {
    name: `picture-order-${codec.toLowerCase()}`,
    seeds,
    run(input) {
      const order = codec === "H264" ? new H264PictureOrderCount() : new H265PictureOrderCount();
      const shifts = new PresentationShifts();
      const nals = splitPackets(input);
      let pictures = 0;
      for (let i = 0; i < nals.length; i += UNITS_PER_ACCESS_UNIT) {
        const found = order.push(nals.slice(i, i + UNITS_PER_ACCESS_UNIT));
        check(
          found.poc === undefined || Number.isSafeInteger(found.poc),
          `POC ${found.poc}`,
        );
        shifts.add(found);
        pictures++;
      }
      const out = shifts.finish();
      check(out.length === pictures, `${out.length} shifts for ${pictures} pictures`);
      check(out.every((s) => Math.abs(s) <= MAX_REORDER), "a shift past the reorder bound");
    },
  };
}

/** Both codecs' targets. */
export const pictureOrderTargets: readonly FuzzTarget[] = [
  pictureOrderTarget("H264"),
  pictureOrderTarget("H265"),
];
