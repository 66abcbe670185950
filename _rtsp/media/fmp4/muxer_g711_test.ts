/**
 * G.711 through the muxer as FLAC (`flac_entry.ts`): each packet one MP4
 * sample lasting its samples, and ffmpeg decoding the fMP4 to exactly the
 * PCM its own pcm_mulaw / pcm_alaw decoders make of the G.711 input.
 */

import assert from "node:assert/strict";
import type { TrackDescription } from "../../catalogue.ts";
import { concatBytes } from "../../bytes.ts";
import { run, toolTest } from "../../../_testing/tools.ts";
import { pcmaTrack, pcmuTrack } from "../source_track.ts";
import { Fmp4Muxer, type Fmp4Output } from "./muxer.ts";
import { parseFragment, testH264Track } from "./_test_helpers.ts";
import { G711_MAX_BLOCK_SIZE } from "./flac_entry.ts";
import { crc16 } from "../flac.ts";

/** Packet sizes in samples, repeated: 20 ms mostly, 10 and 40 ms, and one past the FLAC block cap. */
const PACKET_SIZES = [160, 160, 80, 320, 160, G711_MAX_BLOCK_SIZE + 100, 160];

/** Muxes G.711 codes as RTP-sized access units from timestamp `start` (wrapping 32 bits). */
function mux(track: TrackDescription, codes: Uint8Array, start: number): Fmp4Output[] {
  const muxer = new Fmp4Muxer([track]);
  assert.deepEqual(muxer.muxedTracks, [0]);
  const out: Fmp4Output[] = [];
  let at = 0;
  for (let i = 0; at < codes.length; i++) {
    const size = PACKET_SIZES[i % PACKET_SIZES.length];
    const unit = codes.subarray(at, at + size);
    const au = { timestamp: (start + at) >>> 0, units: [unit], keyframe: true };
    out.push(...muxer.push(0, au, (at / 8000) * 1000));
    at += unit.length;
  }
  out.push(...muxer.flush());
  return out;
}

function fileOf(outputs: readonly Fmp4Output[]): Uint8Array {
  return concatBytes(...outputs.map((o) => (o.kind === "init" ? o.bytes : o.fragment.bytes)));
}

Deno.test("muxer: a G.711 track's samples are FLAC frames lasting their packet's samples", () => {
  const codes = new Uint8Array(8000).fill(0xff);
  const outputs = mux(pcmuTrack(0).description, codes, 0xffff_ff00); // wraps
  const inits = outputs.filter((o) => o.kind === "init");
  assert.equal(inits.length, 1);
  assert.equal(inits[0].kind === "init" && inits[0].codecs, "flac");
  const durations: number[] = [];
  let next = 0;
  for (const o of outputs) {
    if (o.kind !== "fragment") continue;
    const [run] = parseFragment(o.fragment.bytes).runs;
    assert.equal(run.baseDecodeTime, next);
    for (const s of run.samples) {
      durations.push(s.duration);
      // Header (7 or 8 bytes with its CRC-8 and 8- or 16-bit size; 9 past 2^11 samples
      // for the 2-byte sample number), subframe header, 2 bytes a sample, CRC-16.
      assert.ok(s.size >= 1 + 2 * s.duration + 2 + 7 && s.size <= 1 + 2 * s.duration + 2 + 10);
      next += s.duration;
    }
  }
  assert.equal(durations.reduce((a, b) => a + b, 0), 8000);
  // The long packet became two frames: the cap, then the rest.
  assert.deepEqual(durations.slice(0, 8), [160, 160, 80, 320, 160, 4096, 100, 160]);
  // The last packet (cut short: 1884 samples) lasts its own samples.
  assert.equal(durations.at(-1), 1884);
});

Deno.test("muxer: 100 hostile G.711 streams beside video give increasing decode times and valid FLAC frames", () => {
  let seed = 1;
  const rnd = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const IDR = Uint8Array.of(0x65, 0x88, 0x84, 0x00);
  let frames = 0;
  for (let stream = 0; stream < 100; stream++) {
    const muxer = new Fmp4Muxer([testH264Track(), pcmaTrack(1).description]);
    const out: Fmp4Output[] = [];
    let audioTs = Math.floor(rnd() * 2 ** 32);
    for (let i = 0; i < 60; i++) {
      out.push(...muxer.push(0, { timestamp: i * 3600, units: [IDR], keyframe: true }, i * 40));
      // Sizes from empty to past the block cap; timestamps steady, repeated, back or far ahead.
      const size = [0, 1, 15, 160, 160, 320, 5000][Math.floor(rnd() * 7)];
      const unit = Uint8Array.from({ length: size }, () => Math.floor(rnd() * 256));
      out.push(
        ...muxer.push(1, { timestamp: audioTs >>> 0, units: [unit], keyframe: true }, i * 40),
      );
      const r = rnd();
      audioTs += r < 0.7 ? size : r < 0.8 ? 0 : r < 0.9 ? -8000 : 2 ** 31;
    }
    out.push(...muxer.flush());
    let next = 0;
    for (const o of out) {
      if (o.kind !== "fragment") continue;
      for (const run of parseFragment(o.fragment.bytes).runs.filter((r) => r.trackId === 2)) {
        assert.ok(
          run.baseDecodeTime >= next,
          `stream ${stream}: tfdt ${run.baseDecodeTime} < ${next}`,
        );
        let at = run.dataOffset;
        for (const s of run.samples) {
          assert.ok(s.duration > 0);
          const frame = o.fragment.bytes.subarray(at, at + s.size);
          assert.deepEqual([...frame.subarray(0, 2)], [0xff, 0xf9], "FLAC sync code");
          assert.equal(crc16(frame), 0, "FLAC frame CRC-16");
          at += s.size;
          frames++;
        }
        next = run.baseDecodeTime + run.samples.reduce((n, s) => n + s.duration, 0);
      }
    }
  }
  assert.ok(frames > 3000, `${frames} FLAC frames`);
});

for (
  const [law, track, format] of [
    ["µ-law", pcmuTrack(0).description, "mulaw"],
    ["A-law", pcmaTrack(0).description, "alaw"],
  ] as const
) {
  await toolTest(
    `muxer: G.711 ${law} as fMP4 FLAC decodes in ffmpeg bit-exactly to ffmpeg's ${format} decoding`,
    ["ffmpeg", "ffprobe"],
    async () => {
      // 3 s of a tone with noise, encoded by ffmpeg.
      const made = await run("ffmpeg", [
        ...["-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=8000:duration=3"],
        ...["-f", "lavfi", "-i", "anoisesrc=color=pink:sample_rate=8000:duration=3:amplitude=0.2"],
        ...["-filter_complex", "amix=inputs=2", "-ac", "1", "-ar", "8000", "-f", format, "pipe:1"],
      ]);
      assert.equal(made.code, 0, made.stderr);
      const codes = made.stdout;
      assert.equal(codes.length, 24000);
      const reference = await run("ffmpeg", [
        ...["-v", "error", "-f", format, "-ar", "8000", "-ac", "1", "-i", "pipe:0"],
        ...["-f", "s16le", "pipe:1"],
      ], { stdin: codes });
      assert.equal(reference.code, 0, reference.stderr);

      const mp4 = fileOf(mux(track, codes, 12345));
      const probe = await run("ffprobe", [
        ...["-v", "error", "-show_entries", "stream=codec_name,sample_rate,channels"],
        ...["-of", "compact=p=0:nk=1", "pipe:0"],
      ], { stdin: mp4 });
      assert.equal(probe.code, 0, probe.stderr);
      assert.equal(new TextDecoder().decode(probe.stdout).trim(), "flac|8000|1");
      const decoded = await run("ffmpeg", [
        ...["-v", "error", "-err_detect", "crccheck+bitstream+explode"],
        ...["-i", "pipe:0", "-f", "s16le", "pipe:1"],
      ], { stdin: mp4 });
      assert.equal(decoded.code, 0, decoded.stderr);
      assert.equal(decoded.stderr, "");
      assert.equal(decoded.stdout.length, reference.stdout.length);
      assert.ok(decoded.stdout.every((b, i) => b === reference.stdout[i]), "bit-exact PCM");
    },
  );
}
