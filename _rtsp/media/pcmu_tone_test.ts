import { deepStrictEqual as assertEquals, ok as assert, throws } from "node:assert/strict";
import { linearToPcmu, PcmuTone } from "./pcmu_tone.ts";
import { run, toolTest } from "../../_testing/tools.ts";
import { concatBytes } from "../bytes.ts";

/** G.711 µ-law decoder written independently from the encoder, from the spec's formula. */
function pcmuToLinear(code: number): number {
  const u = ~code & 0xff;
  const segment = (u >> 4) & 7;
  const mantissa = u & 0x0f;
  const magnitude = (((mantissa << 3) + 0x84) << segment) - 0x84;
  return u & 0x80 ? -magnitude : magnitude;
}

Deno.test("linearToPcmu matches known G.711 µ-law codes", () => {
  const cases: [number, number][] = [
    [0, 0xff],
    [1, 0xff],
    [-1, 0x7f],
    [32767, 0x80],
    [-32768, 0x00],
    [1000, 0xce],
    [-1000, 0x4e],
    [123, 0xf0], // top of segment 0
    [124, 0xef], // bottom of segment 1
    [40000, 0x80], // clamped to full scale
    [-40000, 0x00],
  ];
  for (const [sample, code] of cases) {
    assertEquals(linearToPcmu(sample), code, `linearToPcmu(${sample})`);
  }
  throws(() => linearToPcmu(NaN), RangeError);
});

Deno.test("linearToPcmu: every 16-bit sample decodes to within half a quantization step", () => {
  let previous = -Infinity;
  for (let x = -32768; x <= 32767; x++) {
    const code = linearToPcmu(x);
    const decoded = pcmuToLinear(code);
    const segment = (~code >> 4) & 7;
    const halfStep = 4 << segment;
    if (Math.abs(x) <= 32635) {
      assert(Math.abs(decoded - x) <= halfStep, `x=${x} code=${code} decoded=${decoded}`);
    }
    // Quantization never reverses order.
    assert(decoded >= previous, `not monotonic at ${x}`);
    previous = decoded;
  }
});

Deno.test("PcmuTone frames: 160 bytes, timestamps index·160, keyframes", () => {
  const tone = new PcmuTone();
  assertEquals(tone.samplesPerFrame, 160);
  for (const index of [0, 1, 2, 49, 50, 12345]) {
    const au = tone.frame(index);
    assertEquals(au.timestamp, index * 160);
    assertEquals(au.keyframe, true);
    assertEquals(au.units.length, 1);
    assertEquals(au.units[0].length, 160);
  }
  throws(() => tone.frame(-1), RangeError);
  throws(() => tone.frame(1.5), RangeError);
});

Deno.test("PcmuTone: beep for the first 100 ms of each second, µ-law silence otherwise", () => {
  const tone = new PcmuTone();
  for (let index = 0; index < 150; index++) {
    const samples = tone.frame(index).units[0];
    const inBeep = index % 50 < 5; // 5 frames × 20 ms = 100 ms of every 50-frame second
    const silent = samples.every((b) => b === 0xff);
    assertEquals(silent, !inBeep, `frame ${index}`);
    if (inBeep) {
      const linear = [...samples].map(pcmuToLinear);
      assert(Math.max(...linear) > 15000 && Math.min(...linear) < -15000, `frame ${index} level`);
    }
  }
  // Deterministic, and every second is the same.
  assertEquals(tone.frame(3).units[0], tone.frame(53).units[0]);
  assertEquals(new PcmuTone().frame(2).units[0], tone.frame(2).units[0]);
});

Deno.test("PcmuTone: the sample stream does not depend on frame size", () => {
  const by20 = new PcmuTone({ frameMs: 20 });
  const by30 = new PcmuTone({ frameMs: 30 }); // 240-sample frames straddle period ends
  const a = concatBytes(
    ...Array.from({ length: 300 }, (_, i) => by20.frame(i).units[0] as Uint8Array),
  );
  const b = concatBytes(
    ...Array.from({ length: 200 }, (_, i) => by30.frame(i).units[0] as Uint8Array),
  );
  assertEquals(a, b);
  assertEquals(by30.frame(7).timestamp, 7 * 240);
});

Deno.test("PcmuTone rejects options that do not give whole samples", () => {
  throws(() => new PcmuTone({ frameMs: 0.1 }), RangeError);
  throws(() => new PcmuTone({ frameMs: 0 }), RangeError);
  throws(() => new PcmuTone({ beepMs: 2000 }), RangeError);
  throws(() => new PcmuTone({ toneHz: 5000 }), RangeError);
  throws(() => new PcmuTone({ sampleRate: 0 }), RangeError);
});

await toolTest("PcmuTone decodes with ffmpeg to a 1 kHz, −6 dBFS beep and digital silence", [
  "ffmpeg",
], async () => {
  const tone = new PcmuTone();
  const seconds = 2;
  const frames = seconds * 50;
  const dir = await Deno.makeTempDir({ prefix: "pcmu_tone_" });
  try {
    const file = `${dir}/tone.ul`;
    await Deno.writeFile(
      file,
      concatBytes(
        ...Array.from({ length: frames }, (_, i) => tone.frame(i).units[0] as Uint8Array),
      ),
    );
    const out = await run("ffmpeg", [
      "-v",
      "error",
      "-f",
      "mulaw",
      "-ar",
      "8000",
      "-ac",
      "1",
      "-i",
      file,
      "-f",
      "s16le",
      "-",
    ]);
    assertEquals(out.stderr, "");
    assertEquals(out.code, 0);
    const pcm = new Int16Array(out.stdout.buffer, out.stdout.byteOffset, out.stdout.length / 2);
    assertEquals(pcm.length, seconds * 8000);
    for (let s = 0; s < seconds; s++) {
      const beep = pcm.subarray(s * 8000, s * 8000 + 800);
      const rest = pcm.subarray(s * 8000 + 800, (s + 1) * 8000);
      assert(rest.every((v) => v === 0), `second ${s}: silence is exact zero`);
      const rms = Math.sqrt(beep.reduce((acc, v) => acc + v * v, 0) / beep.length);
      const expectedRms = (0.5 * 32767) / Math.SQRT2;
      assert(Math.abs(rms - expectedRms) / expectedRms < 0.03, `second ${s}: rms ${rms}`);
      let crossings = 0;
      for (let i = 1; i < beep.length; i++) if ((beep[i - 1] < 0) !== (beep[i] < 0)) crossings++;
      // 100 ms of 1 kHz = 100 cycles = ~200 sign changes.
      assert(Math.abs(crossings - 200) <= 2, `second ${s}: ${crossings} zero crossings`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
