/**
 * A real publisher for relay tests: ffmpeg streaming a file in a loop to an
 * `rtsp://` URL with ANNOUNCE/RECORD, or GStreamer's rtspclientsink.
 */

import { RawClient } from "./raw_client.ts";

/** A running publisher; `await using` stops it. */
export interface Publisher extends AsyncDisposable {
  readonly child: Deno.ChildProcess;
  /** Stops it at once (SIGKILL: no TEARDOWN, like a camera losing power). */
  kill(): Promise<void>;
  /** What it printed on stderr. */
  stderr(): string;
}

/** Waits until DESCRIBE of `path` answers 200 (the publisher is live), or throws. */
export async function waitForStream(port: number, path: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const c = await RawClient.connect(port);
    try {
      const r = await c.request(
        `DESCRIBE rtsp://127.0.0.1:${port}${path} RTSP/1.0\r\nCSeq: 1\r\n\r\n`,
      );
      if (r.status === 200) return;
    } finally {
      c.close();
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${path} was not published within ${timeoutMs} ms`);
}

function spawn(cmd: string, args: string[]): Publisher {
  const child = new Deno.Command(cmd, { args, stdin: "null", stdout: "null", stderr: "piped" })
    .spawn();
  let text = "";
  (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stderr) text += decoder.decode(chunk, { stream: true });
  })().catch(() => {});
  const kill = async () => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
    await child.status;
  };
  return { child, kill, stderr: () => text, [Symbol.asyncDispose]: kill };
}

/** `ffmpeg -re -stream_loop -1 -i FILE -c copy [EXTRA] -f rtsp -rtsp_transport T URL` */
export function ffmpegPublish(
  url: string,
  file: string,
  transport: "tcp" | "udp",
  extra: string[] = [],
): Publisher {
  return spawn("ffmpeg", [
    "-hide_banner",
    "-nostdin",
    "-v",
    "error",
    "-re",
    "-stream_loop",
    "-1",
    "-i",
    file,
    "-c",
    "copy",
    ...extra,
    "-f",
    "rtsp",
    "-rtsp_transport",
    transport,
    url,
  ]);
}

/** A live GStreamer test pattern published with rtspclientsink. */
export function gstPublish(url: string): Publisher {
  return spawn("gst-launch-1.0", [
    "-q",
    "videotestsrc",
    "is-live=true",
    "!",
    "video/x-raw,width=320,height=240,framerate=25/1",
    "!",
    "x264enc",
    "tune=zerolatency",
    "key-int-max=25",
    "!",
    "rtspclientsink",
    `location=${url}`,
  ]);
}
