/**
 * Packetizer throughput. Each case name carries the bytes packetized per
 * iteration, so MB/s = bytes / (time per iteration).
 *
 * Run: deno bench bench/packetize_bench.ts
 */

import type { AccessUnit } from "../_rtsp/media/access_unit.ts";
import { AacPacketizer } from "../_rtsp/rtp/aac_packetizer.ts";
import { H264Packetizer } from "../_rtsp/rtp/h264_packetizer.ts";

const OPTIONS = {
  payloadType: 96,
  ssrc: 0x1234_5678,
  initialSequenceNumber: 0,
  initialTimestamp: 0,
};

/** A NAL unit of `size` bytes with header byte `header` and filler content. */
function nal(header: number, size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + 7) & 0xff;
  bytes[0] = header;
  return bytes;
}

const SPS = Uint8Array.of(0x67, 0x42, 0xc0, 0x1f, 0xda, 0x01, 0x40, 0x16, 0xe8);
const PPS = Uint8Array.of(0x68, 0xce, 0x3c, 0x80);
const IDR_SIZE_BYTES = 100_000;
const P_FRAME_SIZE_BYTES = 5_000;
const AAC_FRAME_SIZE_BYTES = 370;

const idr: AccessUnit = {
  timestamp: 0,
  units: [SPS, PPS, nal(0x65, IDR_SIZE_BYTES)],
  keyframe: true,
};
const pFrame: AccessUnit = {
  timestamp: 3000,
  units: [nal(0x41, P_FRAME_SIZE_BYTES)],
  keyframe: false,
};
const aacFrame: AccessUnit = {
  timestamp: 1024,
  units: [nal(0x21, AAC_FRAME_SIZE_BYTES)],
  keyframe: true,
};

const bytesOf = (au: AccessUnit) => au.units.reduce((sum, unit) => sum + unit.length, 0);

const h264 = new H264Packetizer(OPTIONS);
const aac = new AacPacketizer({ ...OPTIONS, payloadType: 97 });

Deno.bench(
  `H.264 IDR access unit (${bytesOf(idr)} bytes/iter)`,
  { group: "h264", baseline: true },
  () => {
    h264.packetize(idr);
  },
);

Deno.bench(`H.264 P frame (${bytesOf(pFrame)} bytes/iter)`, { group: "h264" }, () => {
  h264.packetize(pFrame);
});

Deno.bench(`AAC frame (${bytesOf(aacFrame)} bytes/iter)`, { group: "aac" }, () => {
  aac.packetize(aacFrame);
});

const AAC_BATCH = 100;
Deno.bench(
  `AAC 100 frames (${AAC_BATCH * bytesOf(aacFrame)} bytes/iter)`,
  { group: "aac" },
  (b) => {
    b.start();
    for (let i = 0; i < AAC_BATCH; i++) aac.packetize(aacFrame);
    b.end();
  },
);
