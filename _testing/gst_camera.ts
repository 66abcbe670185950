/**
 * gst-rtsp-server as a stand-in IP camera (`gst_rtsp_camera.py`): `/cam` is a
 * live shared H.264 + AAC test pattern. Needs {@linkcode GST_RTSP_SERVER}.
 */

export { GST_RTSP_SERVER } from "./tools.ts";

const SCRIPT = new URL("./gst_rtsp_camera.py", import.meta.url).pathname;

/** A running camera; `await using` stops it. */
export interface GstCamera extends AsyncDisposable {
  readonly port: number;
  /** `rtsp://127.0.0.1:<port>/cam` */
  readonly url: string;
  /** Stops it (SIGKILL: as a camera that loses power). */
  kill(): Promise<void>;
}

/** Starts the camera on `port` (0: one the OS picks) and waits until it listens. */
export async function startGstCamera(port = 0, timeoutMs = 15_000): Promise<GstCamera> {
  const child = new Deno.Command("/usr/bin/python3", {
    args: [SCRIPT, String(port)],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  child.stderr.pipeTo(new WritableStream()).catch(() => {});
  const ready = Promise.withResolvers<number>();
  const timer = setTimeout(() => ready.reject(new Error("gst camera did not start")), timeoutMs);
  (async () => {
    let text = "";
    const decoder = new TextDecoder();
    for await (const chunk of child.stdout) {
      text += decoder.decode(chunk, { stream: true });
      const m = /ready (\d+)/.exec(text);
      if (m) ready.resolve(Number(m[1]));
    }
    ready.reject(new Error(`gst camera exited: ${text}`));
  })().catch(() => {});
  let bound: number;
  try {
    bound = await ready.promise;
  } catch (e) {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await child.status;
    throw e;
  } finally {
    clearTimeout(timer);
  }
  let stopped = false;
  const kill = async () => {
    if (stopped) return;
    stopped = true;
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await child.status;
  };
  return { port: bound, url: `rtsp://127.0.0.1:${bound}/cam`, kill, [Symbol.asyncDispose]: kill };
}
