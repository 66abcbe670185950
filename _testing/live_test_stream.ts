/** The live `/test` stream for unit tests: a clock that moves only when told, repeatable SSRCs. */

import { LiveStream } from "../_engine/live_stream.ts";
import { LiveTestSource } from "../_rtsp/media/live_test_source.ts";
import type { ManualScheduler } from "./manual_scheduler.ts";

/** `/test` on `clock`, with SSRCs and initial numbers from a fixed pseudo-random sequence. */
export function liveTestStream(clock: ManualScheduler): LiveStream {
  let r = 7;
  return new LiveStream({
    path: "/test",
    name: "test",
    source: new LiveTestSource(clock.now()),
    scheduler: clock,
    random32: () => (r = (r * 1103515245 + 12345) >>> 0),
    cname: "test",
  });
}
