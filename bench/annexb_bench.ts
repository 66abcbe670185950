/**
 * Annex-B start-code scanning: splitting a whole stream, the incremental
 * access unit reader, and the index pass of opening a raw `.264` file. Each
 * case name carries the stream size, so MB/s = bytes / (time per iteration).
 *
 * The stream is the test pattern's parameter sets and slice headers with
 * slice data of uniformly random bytes (what an entropy coder's output looks
 * like), escaped as H.264 7.4.1 requires, in 25-picture GOPs.
 *
 * Run: deno bench bench/annexb_bench.ts
 */

import { AnnexBAccessUnitReader, splitAnnexB } from "../_rtsp/media/annexb.ts";
import { openMediaFile, READ_CHUNK_BYTES } from "../_rtsp/media/file_media.ts";
import { H264TestPattern } from "../_rtsp/media/test_pattern.ts";
import { concatBytes } from "../_rtsp/bytes.ts";
import { pseudoRandomBytes } from "../_rtsp/rtp/_test_helpers.ts";

const PICTURES = 250;
const IDR_DATA_BYTES = 60_000;
const P_DATA_BYTES = 8_000;
/** Bytes of each real slice NAL unit kept before the random data: header and slice header. */
const SLICE_HEADER_BYTES = 8;

/** H.264 7.4.1: an emulation prevention byte after two zeros and before 0..3. */
function escape(bytes: Uint8Array): Uint8Array {
  const out: number[] = [];
  let zeros = 0;
  for (const b of bytes) {
    if (zeros >= 2 && b <= 3) {
      out.push(3);
      zeros = 0;
    }
    out.push(b);
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return Uint8Array.from(out);
}

function buildStream(): Uint8Array {
  const pattern = new H264TestPattern();
  const parts: Uint8Array[] = [];
  for (let i = 0; i < PICTURES; i++) {
    const au = pattern.frame(i);
    for (const nal of au.units) {
      const slice = (nal[0] & 0x1f) === 1 || (nal[0] & 0x1f) === 5;
      parts.push(Uint8Array.of(0, 0, 0, 1));
      if (!slice) {
        parts.push(nal);
        continue;
      }
      const size = au.keyframe ? IDR_DATA_BYTES : P_DATA_BYTES;
      parts.push(nal.subarray(0, SLICE_HEADER_BYTES), escape(pseudoRandomBytes(size, i + 1)));
    }
  }
  return concatBytes(...parts);
}

const stream = buildStream();
const megabytes = (stream.length / 1e6).toFixed(1);

Deno.bench(`splitAnnexB (${megabytes} MB)`, { group: "annexb" }, () => {
  splitAnnexB(stream);
});

Deno.bench(`AnnexBAccessUnitReader, 256 KiB pushes (${megabytes} MB)`, {
  group: "annexb",
}, () => {
  const reader = new AnnexBAccessUnitReader("H264");
  for (let at = 0; at < stream.length; at += READ_CHUNK_BYTES) {
    reader.push(stream.subarray(at, at + READ_CHUNK_BYTES));
    reader.takeAccessUnits();
  }
  reader.end();
  reader.takeAccessUnits();
});

Deno.bench(`openMediaFile .264: the index pass (${megabytes} MB)`, {
  group: "annexb",
}, async () => {
  const opened = await openMediaFile(
    "bench.264",
    (offset, length) => Promise.resolve(stream.subarray(offset, offset + length)),
    stream.length,
  );
  if (!opened.ok) throw new Error(opened.error);
});
