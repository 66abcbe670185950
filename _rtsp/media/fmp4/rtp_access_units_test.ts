import assert from "node:assert/strict";
import type { TrackDescription } from "../../catalogue.ts";
import { aacTrack } from "../source_track.ts";
import { buildRtpPacket } from "../../rtp/rtp_packet.ts";
import { Fmp4Muxer, type Fmp4Output } from "./muxer.ts";
import { parseFragment } from "./_test_helpers.ts";
import { RtpAccessUnits } from "./rtp_access_units.ts";

/** AAC LC, 48 kHz, mono (ISO/IEC 14496-3 §1.6.2.1: object type 2, rate index 3, 1 channel). */
const ASC = Uint8Array.of(0x11, 0x88);
const AAC: TrackDescription = aacTrack(0, ASC, 48000, 1).description;

/**
 * An RFC 3640 AAC-hbr payload with two AUs: AU-headers-length 32 bits, then
 * per AU a 16-bit header of 13-bit AU-size and 3-bit AU-index(-delta) 0.
 */
const TWO_FRAMES = Uint8Array.of(
  0x00,
  0x20, // AU-headers-length: 32 bits
  0x00,
  0x18, // AU-size 3, AU-index 0
  0x00,
  0x10, // AU-size 2, AU-index-delta 0
  0xa1,
  0xa2,
  0xa3, // first frame
  0xb1,
  0xb2, // second frame
);

Deno.test("RtpAccessUnits + Fmp4Muxer: RFC 3640 AU headers split a packet into frames 1024 ticks apart", () => {
  const input = new RtpAccessUnits("AAC", AAC);
  const muxer = new Fmp4Muxer([AAC]);
  assert.equal(muxer.codecs(), "mp4a.40.2");
  const out: Fmp4Output[] = [];
  for (let i = 0; i < 3; i++) {
    const packet = buildRtpPacket(
      {
        payloadType: 96,
        sequenceNumber: i,
        timestamp: 0xffff_f800 + i * 2048,
        ssrc: 1,
        marker: true,
      },
      TWO_FRAMES,
    );
    for (const au of input.push([packet])) out.push(...muxer.push(0, au, i * (2048 / 48)));
  }
  out.push(...muxer.flush());
  assert.equal(input.droppedPackets, 0);
  const runs = out.flatMap((o) =>
    o.kind === "fragment" ? parseFragment(o.fragment.bytes).runs : []
  );
  const samples = runs.flatMap((r) => r.samples);
  assert.equal(samples.length, 6);
  assert.deepEqual(samples.map((s) => s.size), [3, 2, 3, 2, 3, 2]);
  assert.ok(samples.every((s) => s.duration === 1024));
  assert.equal(runs[0].baseDecodeTime, 0);
});

Deno.test("RtpAccessUnits: packets that are not RTP are counted, not thrown on", () => {
  const input = new RtpAccessUnits("AAC", AAC);
  assert.deepEqual(input.push([Uint8Array.of(1, 2, 3)]), []);
  assert.equal(input.droppedPackets, 1);
});
