/**
 * Byte tables for the boxes the fMP4 muxer writes, each computed by hand from
 * ISO/IEC 14496-12 / -14 / -15 and the Opus-in-ISOBMFF document; the
 * comments give the field layout.
 */

import assert from "node:assert/strict";
import { avcC, avcCodecString } from "./avc_entry.ts";
import { esds } from "./aac_entry.ts";
import { dOps } from "./opus_entry.ts";
import { dfLa, flacSampleEntry } from "./flac_entry.ts";
import { hevcCodecString, type HevcConfig } from "./hevc_entry.ts";
import { ftyp, initSegment, mvhd } from "./init_segment.ts";
import { mediaSegment, tfdt, trun } from "./media_segment.ts";
import {
  codecString,
  configFromDescription,
  fmp4CodecOf,
  sampleEntry as sampleEntryOf,
} from "./codec_config.ts";
import { parseFragment, testH264Track } from "./_test_helpers.ts";
import { iterBoxes, requireChild } from "../mp4_boxes.ts";
import { parseStsd } from "../mp4_codecs.ts";
import { LiveTestSource } from "../live_test_source.ts";
import { aacTrack, pcmaTrack, pcmuTrack } from "../source_track.ts";

/**
 * Bytes from a table: two-digit hex bytes and quoted four-character codes,
 * separated by spaces or `|`; `//` starts a comment to the end of the line.
 */
function hex(text: string): Uint8Array {
  const out: number[] = [];
  for (const line of text.split("\n")) {
    for (const token of line.replace(/\/\/.*$/, "").split(/[\s|]+/)) {
      if (token === "") continue;
      if (/^'.{4}'$/.test(token)) { for (const c of token.slice(1, 5)) out.push(c.charCodeAt(0)); }
      else if (/^[0-9a-f]{2}$/i.test(token)) out.push(parseInt(token, 16));
      else throw new Error(`hex table: bad token "${token}"`);
    }
  }
  return Uint8Array.from(out);
}

Deno.test("ftyp: major brand iso5, minor version 512, compatible iso5 iso6 mp41", () => {
  assert.deepEqual(ftyp(), hex(`00 00 00 1c 'ftyp' 'iso5' | 00 00 02 00 | 'iso5' 'iso6' 'mp41'`));
});

Deno.test("mvhd: version 0, timescale 1000, no duration, unity rate/volume/matrix, next_track_ID", () => {
  assert.deepEqual(
    mvhd(3),
    hex(`
      00 00 00 6c 'mvhd' 00 00 00 00          // size 108, version 0, flags 0
      00 00 00 00 | 00 00 00 00               // creation_time, modification_time
      00 00 03 e8 | 00 00 00 00               // timescale 1000, duration 0
      00 01 00 00 | 01 00 | 00 00             // rate 1.0, volume 1.0, reserved
      00 00 00 00 00 00 00 00                 // reserved[2]
      00 01 00 00 00 00 00 00 00 00 00 00     // matrix
      00 00 00 00 00 01 00 00 00 00 00 00
      00 00 00 00 00 00 00 00 40 00 00 00
      00 00 00 00 00 00 00 00 00 00 00 00     // pre_defined[6]
      00 00 00 00 00 00 00 00 00 00 00 00
      00 00 00 03                             // next_track_ID
    `),
  );
});

const SPS = hex("67 42 c0 1e 01 02");
const PPS = hex("68 ce 38 80");

Deno.test("avcC: one SPS and one PPS behind 16-bit lengths, 4-byte NAL lengths in samples", () => {
  assert.deepEqual(
    avcC({ sps: SPS, pps: PPS, width: 320, height: 240 }),
    hex(`
      00 00 00 1d 'avcC'
      01 | 42 | c0 | 1e     // configurationVersion, profile, compatibility, level (SPS bytes 1..3)
      ff                    // reserved 111111, lengthSizeMinusOne 3
      e1 | 00 06            // reserved 111, numOfSequenceParameterSets 1; length 6
      67 42 c0 1e 01 02
      01 | 00 04            // numOfPictureParameterSets 1; length 4
      68 ce 38 80
    `),
  );
  assert.equal(avcCodecString({ sps: SPS, pps: PPS, width: 0, height: 0 }), "avc1.42c01e");
});

Deno.test("avcC: High profile records end with chroma format, bit depths and no SPS extensions", () => {
  const high = hex("67 64 00 1f 01 02");
  const bytes = avcC({ sps: high, pps: PPS, width: 0, height: 0, chromaFormatIdc: 1 });
  // chroma_format 1 (4:2:0) behind six reserved 1 bits; 8-bit luma and chroma; 0 SPS extensions.
  assert.deepEqual(bytes.subarray(bytes.length - 4), hex("fd f8 f8 00"));
  assert.equal(bytes.length, 0x1d + 4);
});

Deno.test("esds: ES_Descriptor > DecoderConfigDescriptor (MPEG-4 audio) > AudioSpecificConfig, SLConfig 2", () => {
  const asc = hex("12 10"); // AAC LC, 44.1 kHz, 2 channels
  assert.deepEqual(
    esds({ audioSpecificConfig: asc, audioObjectType: 2, sampleRate: 44100, channels: 2 }),
    hex(`
      00 00 00 27 'esds' 00 00 00 00
      03 19 | 00 00 | 00                        // ES_Descriptor, 25 bytes: ES_ID 0, no flags
      04 11 | 40 | 15                           // DecoderConfigDescriptor, 17 bytes: 14496-3 audio
      00 00 00 | 00 00 00 00 | 00 00 00 00      // bufferSizeDB, maxBitrate, avgBitrate
      05 02 | 12 10                             // DecoderSpecificInfo: the AudioSpecificConfig
      06 01 | 02                                // SLConfigDescriptor, predefined 2
    `),
  );
});

Deno.test("dOps: version 0, channels, no pre-skip, 48 kHz, gain 0, mapping family 0", () => {
  assert.deepEqual(
    dOps({ channels: 2 }),
    hex(`00 00 00 13 'dOps' 00 | 02 | 00 00 | 00 00 bb 80 | 00 00 | 00`),
  );
});

Deno.test("fLaC + dfLa (FLAC in ISOBMFF §3.3): G.711 as 8 kHz 16-bit mono FLAC, STREAMINFO the last block", () => {
  const streamInfo = `
    80 00 00 22                    // last metadata block, type 0 STREAMINFO, 34 bytes
    00 10 | 10 00                  // block sizes 16 to 4096
    00 00 00 | 00 00 00            // frame sizes unknown
    01 f4 00 f0                    // 8000 Hz (20 bits), 1 channel (3), 16 bits (5), ...
    00 00 00 00                    // ... total samples unknown (36 bits)
    00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  // MD5 not computed
  `;
  assert.deepEqual(
    dfLa({ law: "ulaw", sampleRate: 8000 }),
    hex(`00 00 00 32 'dfLa' 00 00 00 00 ${streamInfo}`),
  );
  assert.deepEqual(
    flacSampleEntry({ law: "alaw", sampleRate: 8000 }),
    hex(`
      00 00 00 56 'fLaC'             // size 86
      00 00 00 00 00 00 | 00 01      // reserved, data_reference_index 1
      00 00 00 00 00 00 00 00        // reserved[2]
      00 01 | 00 10 | 00 00 | 00 00  // channelcount 1, samplesize 16, pre_defined, reserved
      1f 40 00 00                    // samplerate 8000 << 16
      00 00 00 32 'dfLa' 00 00 00 00 ${streamInfo}
    `),
  );
});

Deno.test("G.711 tracks are muxed as FLAC: 8 kHz mono PCMU and PCMA, codecs 'flac'", () => {
  for (const track of [pcmuTrack(1).description, pcmaTrack(1).description]) {
    const codec = fmp4CodecOf(track);
    assert.equal(codec, track.encoding);
    const config = configFromDescription(codec!, track)!;
    assert.equal(codecString(config), "flac");
    assert.equal(new TextDecoder().decode(sampleEntryOf(config).subarray(4, 8)), "fLaC");
  }
  const pcmu = pcmuTrack(1).description;
  assert.deepEqual(
    configFromDescription("PCMA", pcmaTrack(1).description),
    { codec: "PCMA", g711: { law: "alaw", sampleRate: 8000 } },
  );
  // A dynamic payload type names PCMU by its rtpmap.
  assert.equal(fmp4CodecOf({ ...pcmu, payloadType: 97 }), "PCMU");
  // Not G.711 as RFC 3551 §4.5.14 has it: left out.
  assert.equal(fmp4CodecOf({ ...pcmu, payloadType: 97, channels: 2 }), undefined);
  assert.equal(fmp4CodecOf({ ...pcmu, payloadType: 97, clockRate: 16000 }), undefined);
});

Deno.test("tfdt: version 1 with a 64-bit baseMediaDecodeTime", () => {
  assert.deepEqual(
    tfdt(2 ** 32 + 5),
    hex(`00 00 00 14 'tfdt' 01 00 00 00 | 00 00 00 01 00 00 00 05`),
  );
});

Deno.test("trun: version 1, data offset, duration/size/flags/signed composition offset per sample", () => {
  const run = {
    trackId: 1,
    baseDecodeTime: 0,
    compositionOffsets: true,
    samples: [
      { data: new Uint8Array(10), duration: 3600, sync: true, compositionOffset: 0 },
      { data: new Uint8Array(4), duration: 3600, sync: false, compositionOffset: -3600 },
    ],
  };
  assert.deepEqual(
    trun(run, 100),
    hex(`
      00 00 00 34 'trun' 01 00 0f 01   // version 1; data offset, duration, size, flags, offset
      00 00 00 02 | 00 00 00 64        // sample_count 2, data_offset 100
      00 00 0e 10 | 00 00 00 0a        // 3600 ticks, 10 bytes
      02 00 00 00 | 00 00 00 00        // sync (depends on no other), offset 0
      00 00 0e 10 | 00 00 00 04        // 3600 ticks, 4 bytes
      01 01 00 00 | ff ff f1 f0        // non-sync, depends on others; offset -3600
    `),
  );
});

Deno.test("mediaSegment: each trun's data offset points at its samples in the mdat", () => {
  const video = Uint8Array.of(0, 0, 0, 2, 0x65, 0x88);
  const audio = [Uint8Array.of(1, 2, 3), Uint8Array.of(4, 5)];
  const bytes = mediaSegment(7, [
    {
      trackId: 1,
      baseDecodeTime: 90000,
      compositionOffsets: true,
      samples: [{ data: video, duration: 3600, sync: true, compositionOffset: 0 }],
    },
    {
      trackId: 2,
      baseDecodeTime: 48000,
      compositionOffsets: false,
      samples: audio.map((data) => ({ data, duration: 960, sync: true, compositionOffset: 0 })),
    },
  ]);
  const { sequenceNumber, runs } = parseFragment(bytes);
  assert.equal(sequenceNumber, 7);
  assert.deepEqual(runs.map((r) => [r.trackId, r.baseDecodeTime]), [[1, 90000], [2, 48000]]);
  assert.deepEqual(bytes.subarray(runs[0].dataOffset, runs[0].dataOffset + 6), video);
  assert.deepEqual(
    bytes.subarray(runs[1].dataOffset, runs[1].dataOffset + 5),
    hex("01 02 03 04 05"),
  );
  assert.equal(runs[1].dataOffset + 5, bytes.length);
});

Deno.test("hvc1 codecs string: Annex E.3, compatibility flags reversed, trailing zero constraint bytes left out", () => {
  const config: HevcConfig = {
    vps: new Uint8Array(),
    sps: new Uint8Array(),
    pps: new Uint8Array(),
    width: 0,
    height: 0,
    chromaFormatIdc: 1,
    bitDepthLuma: 8,
    bitDepthChroma: 8,
    reorderFrames: 0,
    // vps id/sub-layers/nesting | space 0 tier 0 profile 1 | compat 0x60000000 | constraints | level 93
    profileTierLevel: hex("01 | 01 | 60 00 00 00 | b0 00 00 00 00 00 | 5d"),
  };
  assert.equal(hevcCodecString(config), "hvc1.1.6.L93.B0");
});

Deno.test("initSegment: the sample entries read back with the MP4 reader the file server uses", () => {
  const { sps, pps } = new LiveTestSource(0).tracks[0].parameterSets!;
  const video = configFromDescription("H264", testH264Track())!;
  const aac = configFromDescription("AAC", aacTrack(1, hex("12 10"), 44100, 2).description)!;
  assert.equal(codecString(video), "avc1.42c015"); // Constrained Baseline, level 2.1
  assert.equal(codecString(aac), "mp4a.40.2");
  const init = initSegment([
    {
      trackId: 1,
      kind: "video",
      timescale: 90000,
      sampleEntry: sampleEntryOf(video),
      width: 320,
      height: 240,
    },
    { trackId: 2, kind: "audio", timescale: 44100, sampleEntry: sampleEntryOf(aac) },
  ]);
  const [ftypBox, moov] = [...iterBoxes(init, 0, init.length)];
  assert.equal(ftypBox.type, "ftyp");
  assert.equal(moov.type, "moov");
  const traks = [...iterBoxes(init, moov.payloadStart, moov.end)].filter((b) => b.type === "trak");
  const entries = traks.map((trak, i) => {
    const stbl = ["mdia", "minf", "stbl"].reduce(
      (box, type) => requireChild(init, box, type),
      trak,
    );
    return parseStsd(init, requireChild(init, stbl, "stsd"), i === 0 ? "vide" : "soun");
  });
  assert.equal(entries[0].codec, "H264");
  assert.equal(entries[0].width, 320);
  assert.equal(entries[0].height, 240);
  assert.deepEqual(entries[0].h264?.sps[0], sps);
  assert.deepEqual(entries[0].h264?.pps[0], pps);
  assert.equal(entries[0].h264?.nalLengthSize, 4);
  assert.equal(entries[1].codec, "AAC");
  assert.equal(entries[1].sampleRate, 44100);
  assert.equal(entries[1].channels, 2);
  assert.deepEqual(entries[1].aacConfig, hex("12 10"));
  const mvex = requireChild(init, moov, "mvex");
  assert.equal([...iterBoxes(init, mvex.payloadStart, mvex.end)].length, 2, "one trex per track");
});
