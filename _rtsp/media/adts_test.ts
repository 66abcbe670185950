import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import type { AccessUnit } from "./access_unit.ts";
import {
  AAC_SAMPLES_PER_FRAME,
  type AdtsHeader,
  AdtsReader,
  type AdtsReaderOptions,
  audioSpecificConfigFromAdts,
  parseAdtsHeader,
} from "./adts.ts";
import { BitWriter } from "./bit_writer.ts";
import { run, toolTest } from "../../_testing/tools.ts";
import { concatBytes as concat } from "../bytes.ts";

interface FrameSpec {
  mpeg2?: boolean;
  layer?: number;
  crc?: boolean;
  profile?: number;
  sfi?: number;
  channels?: number;
  blocks?: number;
  /** Overrides the computed frame_length. */
  frameLength?: number;
}

/** Writes one ADTS frame (13818-7 6.2.1) around `payload`; the CRC is a dummy value. */
function adtsFrame(payload: Uint8Array, spec: FrameSpec = {}): Uint8Array {
  const crc = spec.crc ?? false;
  const headerLength = crc ? 9 : 7;
  const w = new BitWriter();
  w.u(12, 0xfff).u(1, spec.mpeg2 ? 1 : 0).u(2, spec.layer ?? 0).u(1, crc ? 0 : 1);
  w.u(2, spec.profile ?? 1).u(4, spec.sfi ?? 4).u(1, 0).u(3, spec.channels ?? 2).u(2, 0);
  w.u(2, 0).u(13, spec.frameLength ?? headerLength + payload.length).u(11, 0x7ff);
  w.u(2, (spec.blocks ?? 1) - 1);
  if (crc) w.u(16, 0xbeef);
  const head = w.finish();
  const out = new Uint8Array(head.length + payload.length);
  out.set(head);
  out.set(payload, head.length);
  return out;
}

function toHex(u: Uint8Array): string {
  return Array.from(u, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A payload of `n` bytes that never contains 0xFF, so it cannot fake a syncword. */
function payload(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (seed * 31 + i * 7) % 0xfe);
}

function summary(aus: AccessUnit[]): { t: number; k: boolean; frame: string }[] {
  assert(aus.every((a) => a.units.length === 1));
  return aus.map((a) => ({ t: a.timestamp, k: a.keyframe, frame: toHex(a.units[0]) }));
}

function readAll(chunks: Uint8Array[], options?: AdtsReaderOptions): {
  reader: AdtsReader;
  aus: AccessUnit[];
} {
  const reader = new AdtsReader(options);
  const aus: AccessUnit[] = [];
  for (const c of chunks) {
    assertEquals(reader.push(c), { ok: true });
    aus.push(...reader.takeAccessUnits());
  }
  assertEquals(reader.end(), { ok: true });
  aus.push(...reader.takeAccessUnits());
  return { reader, aus };
}

Deno.test("parseAdtsHeader reads every header field", () => {
  const lc = parseAdtsHeader(adtsFrame(payload(100, 1)));
  assertEquals(lc, {
    ok: true,
    header: {
      mpegVersion: 4,
      protectionAbsent: true,
      profile: 1,
      samplingFrequencyIndex: 4,
      sampleRate: 44100,
      channelConfiguration: 2,
      frameLength: 107,
      rawDataBlocks: 1,
      headerLength: 7,
    },
  });
  const cases: [FrameSpec, Partial<AdtsHeader>][] = [
    [{ crc: true }, { protectionAbsent: false, headerLength: 9, frameLength: 19 }],
    [{ mpeg2: true, profile: 0, sfi: 3, channels: 1 }, {
      mpegVersion: 2,
      profile: 0,
      sampleRate: 48000,
      channelConfiguration: 1,
    }],
    [{ sfi: 0, channels: 7 }, { sampleRate: 96000, channelConfiguration: 7 }],
    [{ sfi: 12 }, { sampleRate: 7350 }],
    [{ sfi: 11, channels: 0 }, { sampleRate: 8000, channelConfiguration: 0 }],
    [{ blocks: 4 }, { rawDataBlocks: 4 }],
    [{ frameLength: 8191 }, { frameLength: 8191 }],
  ];
  for (const [spec, want] of cases) {
    const r = parseAdtsHeader(adtsFrame(payload(10, 2), spec));
    assert(r.ok, JSON.stringify(spec));
    for (const [k, v] of Object.entries(want)) {
      assertEquals(r.header[k as keyof AdtsHeader], v, `${JSON.stringify(spec)}: ${k}`);
    }
  }
  // At an offset.
  const two = concat(Uint8Array.of(0x12, 0x34), adtsFrame(payload(5, 3), { sfi: 8 }));
  const at = parseAdtsHeader(two, 2);
  assertEquals(at.ok && at.header.sampleRate, 16000);
});

Deno.test("parseAdtsHeader rejects bad headers with a result, never an exception", () => {
  const good = adtsFrame(payload(10, 4));
  const cases: [string, Uint8Array, number, "truncated" | "invalid"][] = [
    ["six bytes", good.subarray(0, 6), 0, "truncated"],
    ["empty", new Uint8Array(0), 0, "truncated"],
    ["offset past the end", good, 100, "truncated"],
    ["negative offset", good, -1, "invalid"],
    ["no syncword", Uint8Array.of(0xff, 0xe1, 0x50, 0x80, 0x02, 0x1f, 0xfc), 0, "invalid"],
    ["layer 1", adtsFrame(payload(10, 4), { layer: 1 }), 0, "invalid"],
    ["reserved frequency index 13", adtsFrame(payload(10, 4), { sfi: 13 }), 0, "invalid"],
    ["escape frequency index 15", adtsFrame(payload(10, 4), { sfi: 15 }), 0, "invalid"],
    ["frame_length 7 has no payload", adtsFrame(payload(0, 4)), 0, "invalid"],
    ["frame_length 0", adtsFrame(payload(3, 4), { frameLength: 0 }), 0, "invalid"],
    ["frame_length 9 with a CRC", adtsFrame(payload(0, 4), { crc: true }), 0, "invalid"],
  ];
  for (const [name, bytes, offset, code] of cases) {
    const r = parseAdtsHeader(bytes, offset);
    assertEquals(r.ok === false && r.code, code, name);
  }
});

Deno.test("audioSpecificConfigFromAdts gives the 2-byte AudioSpecificConfig", () => {
  const table: [FrameSpec, string][] = [
    [{ profile: 1, sfi: 4, channels: 2 }, "1210"], // AAC-LC 44.1 kHz stereo
    [{ profile: 1, sfi: 4, channels: 1 }, "1208"], // AAC-LC 44.1 kHz mono
    [{ profile: 1, sfi: 3, channels: 2 }, "1190"], // AAC-LC 48 kHz stereo
    [{ profile: 1, sfi: 3, channels: 1 }, "1188"], // AAC-LC 48 kHz mono
    [{ profile: 0, sfi: 3, channels: 2 }, "0990"], // AAC Main 48 kHz stereo
    [{ profile: 1, sfi: 11, channels: 1 }, "1588"], // AAC-LC 8 kHz mono
    [{ profile: 3, sfi: 6, channels: 6 }, "2330"], // AAC LTP 24 kHz 5.1
  ];
  for (const [spec, want] of table) {
    const r = parseAdtsHeader(adtsFrame(payload(4, 5), spec));
    assert(r.ok);
    assertEquals(toHex(audioSpecificConfigFromAdts(r.header)), want, JSON.stringify(spec));
  }
});

const FRAMES = [payload(40, 1), payload(1, 2), payload(90, 3), payload(17, 4), payload(60, 5)];
const STREAM = concat(
  adtsFrame(FRAMES[0]),
  adtsFrame(FRAMES[1], { crc: true }),
  adtsFrame(FRAMES[2]),
  adtsFrame(FRAMES[3], { crc: true }),
  adtsFrame(FRAMES[4]),
);
const EXPECTED = FRAMES.map((f, i) => ({ t: i * 1024, k: true, frame: toHex(f) }));

Deno.test("AdtsReader strips headers and CRCs and timestamps by 1024", () => {
  const { reader, aus } = readAll([STREAM]);
  assertEquals(summary(aus), EXPECTED);
  assertEquals(reader.header?.sampleRate, 44100);
  assertEquals(reader.discardedBytes, 0);
  assertEquals(AAC_SAMPLES_PER_FRAME, 1024);
});

Deno.test("AdtsReader gives the same frames at every split point", () => {
  for (let k = 0; k <= STREAM.length; k++) {
    const { aus } = readAll([STREAM.subarray(0, k), STREAM.subarray(k)]);
    assertEquals(summary(aus), EXPECTED, `split at ${k}`);
  }
  for (let i = 0; i <= STREAM.length; i += 7) {
    for (let j = i; j <= STREAM.length; j += 3) {
      const chunks = [STREAM.subarray(0, i), STREAM.subarray(i, j), STREAM.subarray(j)];
      assertEquals(summary(readAll(chunks).aus), EXPECTED, `split at ${i}, ${j}`);
    }
  }
  const bytes = Array.from(STREAM, (b) => Uint8Array.of(b));
  assertEquals(summary(readAll(bytes).aus), EXPECTED);
});

Deno.test("AdtsReader resyncs after garbage, ignoring fake syncwords", () => {
  // Garbage with a syncword whose frame_length points into more garbage.
  const fake = Uint8Array.of(0xff, 0xf1, 0x50, 0x80, 0x02, 0x1f, 0xfc, 0x11, 0x22);
  const junk = Uint8Array.of(0x00, 0xff, 0xff, 0x12, 0xff);
  const stream = concat(
    junk,
    fake,
    adtsFrame(FRAMES[0]),
    adtsFrame(FRAMES[1]),
    junk,
    adtsFrame(FRAMES[2]),
    fake,
    adtsFrame(FRAMES[3]),
    adtsFrame(FRAMES[4]).subarray(0, 30), // cut short by the end of the file
  );
  for (let k = 0; k <= stream.length; k += 5) {
    const { reader, aus } = readAll([stream.subarray(0, k), stream.subarray(k)]);
    // FRAMES[1] is followed by junk, so it cannot be told from a truncated frame
    // and is dropped; the fake after FRAMES[2] confirms FRAMES[2] but is itself
    // refused, as no header follows it. Timestamps count delivered frames.
    assertEquals(
      summary(aus),
      [FRAMES[0], FRAMES[2], FRAMES[3]].map((f, i) => ({ t: i * 1024, k: true, frame: toHex(f) })),
      `split at ${k}`,
    );
    const dropped = 2 * junk.length + 2 * fake.length + adtsFrame(FRAMES[1]).length + 30;
    assertEquals(reader.discardedBytes, dropped, `split at ${k}`);
  }
});

Deno.test("AdtsReader skips multi-block frames but keeps their duration", () => {
  const stream = concat(
    adtsFrame(FRAMES[0]),
    adtsFrame(FRAMES[2], { blocks: 3 }),
    adtsFrame(FRAMES[1]),
  );
  const { reader, aus } = readAll([stream]);
  assertEquals(summary(aus), [
    { t: 0, k: true, frame: toHex(FRAMES[0]) },
    { t: 4 * 1024, k: true, frame: toHex(FRAMES[1]) },
  ]);
  assertEquals(reader.skippedFrames, 1);
});

Deno.test("AdtsReader: a lone frame, limits and misuse", () => {
  // One complete frame with nothing after it is confirmed by the end of stream.
  assertEquals(readAll([adtsFrame(FRAMES[2])]).aus.length, 1);
  // ... but not before end(): it could be a fake syncword in garbage.
  const waiting = new AdtsReader();
  waiting.push(adtsFrame(FRAMES[2]));
  assertEquals(waiting.takeAccessUnits(), []);

  // Garbage beyond maxResyncBytes is an error, and stays one.
  const r = new AdtsReader({ maxResyncBytes: 100 });
  assertEquals(r.push(new Uint8Array(60).fill(0x33)).ok, true);
  const res = r.push(new Uint8Array(60).fill(0x33));
  assertEquals(res.ok === false && res.code, "no-sync");
  assertEquals(r.push(STREAM).ok, false);
  assertEquals(r.end().ok, false);

  const done = new AdtsReader();
  assertEquals(done.end(), { ok: true });
  const again = done.push(STREAM);
  assertEquals(again.ok === false && again.code, "ended");

  // The caller may reuse its chunk buffer: frames are copies.
  const reuse = new AdtsReader();
  const buf = STREAM.slice();
  reuse.push(buf);
  buf.fill(0);
  reuse.end();
  assertEquals(summary(reuse.takeAccessUnits()), EXPECTED);
});

Deno.test("AdtsReader survives random bytes in random chunks", () => {
  let seed = 2024;
  const next = () => (seed = (seed * 1664525 + 1013904223) >>> 0) >>> 24;
  for (let trial = 0; trial < 300; trial++) {
    // Plenty of 0xFF so syncwords show up; some real frames mixed in.
    const parts: Uint8Array[] = [];
    for (let p = 0; p < 5; p++) {
      if (next() < 100) parts.push(adtsFrame(payload(1 + next(), trial)));
      else parts.push(Uint8Array.from({ length: next() }, () => (next() < 90 ? 0xff : next())));
    }
    const data = concat(...parts);
    const r = new AdtsReader();
    let pos = 0;
    while (pos < data.length) {
      const n = 1 + (next() % 50);
      assertEquals(r.push(data.subarray(pos, pos + n)).ok, true);
      pos += n;
    }
    assertEquals(r.end().ok, true);
    r.takeAccessUnits().forEach((au, i) => {
      assertEquals(au.timestamp >= i * 1024, true);
      assert(au.units[0].length > 0);
    });
  }
});

await toolTest("AdtsReader on real ffmpeg AAC matches ffprobe", ["ffmpeg", "ffprobe"], async () => {
  const dir = await Deno.makeTempDir({ prefix: "adts_test_" });
  try {
    const cases = [
      { name: "mono44.aac", args: [], rate: 44100, channels: 1, asc: "1208" },
      {
        name: "stereo48.aac",
        args: ["-ar", "48000", "-ac", "2"],
        rate: 48000,
        channels: 2,
        asc: "1190",
      },
    ];
    for (const c of cases) {
      const path = `${dir}/${c.name}`;
      const made = await run("ffmpeg", [
        ...["-v", "error", "-y", "-f", "lavfi", "-i", "sine", "-t", "2", ...c.args],
        ...["-c:a", "aac", "-f", "adts", path],
      ]);
      assertEquals(made.code, 0, made.stderr);
      const probe = await run("ffprobe", [
        ...["-v", "error", "-show_entries", "packet=size", "-of", "csv=p=0", path],
      ]);
      assertEquals(probe.code, 0, probe.stderr);
      const sizes = new TextDecoder().decode(probe.stdout).trim().split("\n").map(Number);

      // Read in odd-sized chunks, as the server reads a file.
      const reader = new AdtsReader();
      const aus: AccessUnit[] = [];
      using file = await Deno.open(path);
      const buf = new Uint8Array(1001);
      for (;;) {
        const n = await file.read(buf);
        if (n === null) break;
        assertEquals(reader.push(buf.subarray(0, n)), { ok: true });
        aus.push(...reader.takeAccessUnits());
      }
      assertEquals(reader.end(), { ok: true });
      aus.push(...reader.takeAccessUnits());

      assertEquals(aus.length, sizes.length, `${c.name}: frame count`);
      // ffprobe's packets keep the 7-byte header (ffmpeg writes no CRC).
      assertEquals(aus.map((a) => a.units[0].length), sizes.map((s) => s - 7), c.name);
      aus.forEach((a, i) => assertEquals(a.timestamp, i * 1024));
      assertEquals(reader.discardedBytes, 0);
      const h = reader.header!;
      assertEquals([h.sampleRate, h.channelConfiguration, h.profile], [c.rate, c.channels, 1]);
      assertEquals(toHex(audioSpecificConfigFromAdts(h)), c.asc, c.name);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
