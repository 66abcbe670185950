/**
 * Test media made once per test process with ffmpeg: 25 fps, a keyframe every
 * second unless said otherwise. Tests using it are registered with
 * `toolTest(name, MEDIA_NEEDS, ...)`, so they are ignored where ffmpeg cannot make it.
 */

import { hasTool, type Requirement, run } from "./tools.ts";

/** What {@linkcode testMedia} needs: ffmpeg with the encoders it uses. */
export const MEDIA_NEEDS: readonly Requirement[] = [
  "ffmpeg",
  "ffmpeg:libx264",
  "ffmpeg:libx265",
  "ffmpeg:libopus",
];

let made: Promise<string> | undefined;

/**
 * The directory holding the test media, made on first use.
 * @throws Error when ffmpeg is missing or fails (register the test with MEDIA_NEEDS)
 */
export function testMedia(): Promise<string> {
  made ??= makeMedia();
  return made;
}

/** ffmpeg arguments for 640x360 H.264 at a constant 3 Mbit/s (filler NAL units). */
function cbr3m(seconds: number, gop: string[], out: string): string[] {
  return [
    ...["-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25", "-t", String(seconds)],
    ...["-c:v", "libx264", "-b:v", "3M", "-minrate", "3M", "-maxrate", "3M", "-bufsize", "1M"],
    ...["-x264-params", "nal-hrd=cbr:force-cfr=1", ...gop, out],
  ];
}

/** ffmpeg arguments that copy an MP4's H.264/H.265 bitstream into a raw Annex-B file. */
function toAnnexB(mp4: string, format: "h264" | "hevc", out: string): string[] {
  return ["-i", mp4, "-c", "copy", "-bsf:v", `${format}_mp4toannexb`, "-f", format, out];
}

async function makeMedia(): Promise<string> {
  if (!(await hasTool("ffmpeg"))) throw new Error("test media: ffmpeg is not installed");
  const dir = await Deno.makeTempDir({ prefix: "rtsp_ts_media_" });
  const video = ["-f", "lavfi", "-i", "testsrc=size=320x240:rate=25"];
  const audio = ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"];
  const gop = ["-g", "25", "-sc_threshold", "0", "-pix_fmt", "yuv420p"];
  const x265 = ["-x265-params", "log-level=error:bframes=0"];
  const jobs: string[][] = [
    [
      ...video,
      ...audio,
      "-t",
      "10",
      "-c:v",
      "libx264",
      "-profile:v",
      "baseline",
      ...gop,
      "-c:a",
      "aac",
      `${dir}/clip.mp4`,
    ],
    // Raw streams carry no timestamps: without B-frames decode order is presentation order.
    [
      ...video,
      "-t",
      "10",
      "-c:v",
      "libx264",
      "-bf",
      "0",
      ...gop,
      "-bsf:v",
      "h264_mp4toannexb",
      `${dir}/clip.264`,
    ],
    [...video, "-t", "4", "-c:v", "libx265", ...gop, ...x265, `${dir}/clip.265`],
    [
      ...video,
      ...audio,
      "-t",
      "4",
      "-c:v",
      "libx265",
      ...gop,
      ...x265,
      "-c:a",
      "libopus",
      `${dir}/hevc_opus.mp4`,
    ],
    [...audio, "-t", "4", "-c:a", "aac", `${dir}/tone.aac`],
    // ~3 Mbit/s constant (filler NAL units): enough to fill a stuck reader's buffers quickly.
    cbr3m(10, gop, `${dir}/cbr3m.mp4`),
    // The same with a four-second GOP: a reader joining late in a GOP gets ~1.3 MB cached.
    cbr3m(8, ["-g", "100", "-sc_threshold", "0", "-pix_fmt", "yuv420p"], `${dir}/cbr3m_gop4s.mp4`),
    // B-frames, as MP4 and as the same bitstream raw: raw streams must be stamped like the MP4.
    [
      ...video,
      "-t",
      "4",
      "-c:v",
      "libx264",
      "-profile:v",
      "high",
      "-bf",
      "2",
      ...gop,
      `${dir}/bframes.mp4`,
    ],
    toAnnexB(`${dir}/bframes.mp4`, "h264", `${dir}/bframes.264`),
    [
      ...video,
      "-t",
      "4",
      "-c:v",
      "libx265",
      "-x265-params",
      "log-level=error:bframes=3",
      ...gop,
      `${dir}/bframes_hevc.mp4`,
    ],
    toAnnexB(`${dir}/bframes_hevc.mp4`, "hevc", `${dir}/bframes.265`),
    // A two-second GOP: a reader joining without the cached GOP would wait up to 2 s.
    [
      ...video,
      "-t",
      "10",
      "-c:v",
      "libx264",
      "-profile:v",
      "baseline",
      "-g",
      "50",
      "-sc_threshold",
      "0",
      "-pix_fmt",
      "yuv420p",
      `${dir}/gop2s.mp4`,
    ],
  ];
  for (const job of jobs) {
    const out = await run("ffmpeg", ["-v", "error", "-y", ...job], { timeoutMs: 60_000 });
    if (out.code !== 0) throw new Error(`ffmpeg ${job.at(-1)}: ${out.stderr}`);
  }
  await Deno.writeTextFile(`${dir}/notes.txt`, "not media");
  await Deno.writeTextFile(`${dir}/broken.mp4`, "this is not an MP4 file at all");
  await Deno.mkdir(`${dir}/sub`);
  await Deno.copyFile(`${dir}/clip.264`, `${dir}/sub/nested.264`);
  const outside = await Deno.makeTempDir({ prefix: "rtsp_ts_outside_" });
  await Deno.copyFile(`${dir}/clip.264`, `${outside}/secret.264`);
  await Deno.symlink(`${outside}/secret.264`, `${dir}/escape.264`);
  await Deno.symlink(`${dir}/clip.264`, `${dir}/inside_link.264`);
  return dir;
}
