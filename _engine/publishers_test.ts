import assert from "node:assert/strict";
import { announcedTracks, parseSdp } from "../_rtsp/sdp_parse.ts";
import type { Announcement, Session } from "../_rtsp/session.ts";
import { ManualScheduler } from "../_testing/manual_scheduler.ts";
import { MediaLibrary } from "./library.ts";
import { PublisherRegistry } from "./publishers.ts";
import type { RelayStream } from "./relay_stream.ts";

const SDP = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\nt=0 0\r\n" +
  "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=control:trackID=0\r\n";

function announcement(path: string): Announcement {
  const parsed = parseSdp(SDP);
  assert.ok(parsed.ok);
  return { path, sdp: SDP, tracks: announcedTracks(parsed.sdp) };
}

function publisher(id: string, path: string): Session {
  return {
    id,
    path,
    connectionId: 1,
    mode: "record",
    announcement: announcement(path),
    state: "ready-to-record",
    tracks: new Map(),
    lastActivityMs: 0,
    timeoutMs: 60_000,
  };
}

Deno.test("PublisherRegistry: busy, replaceable, grace period and takeover", () => {
  const clock = new ManualScheduler();
  const library = new MediaLibrary(clock);
  const expired: RelayStream[] = [];
  const registry = new PublisherRegistry({
    library,
    scheduler: clock,
    graceMs: 10_000,
    replacePublisher: (path) => path.startsWith("/replace/"),
    onExpired: (relay) => expired.push(relay),
  });
  const a = publisher("A", "/cam");
  assert.equal(registry.verdict("/cam"), "ok");
  const relay = registry.start(a, a.announcement!);
  assert.equal(registry.isPublishing(a), true);
  assert.equal(registry.verdict("/cam"), "busy", "someone publishes there");
  assert.equal(registry.currentPublisher("/cam", "B")?.id, "A");
  assert.equal(registry.currentPublisher("/cam", "A"), undefined);
  // The publisher leaves: within the grace period another may take over the same relay.
  assert.equal(registry.left(a), true);
  assert.equal(registry.left(a), false, "once");
  assert.equal(registry.verdict("/cam"), "ok");
  clock.advance(5_000);
  const b = publisher("B", "/cam");
  assert.equal(registry.start(b, b.announcement!), relay, "readers keep their relay");
  clock.advance(60_000);
  assert.deepEqual(expired, []);
  // Left for good: the grace period ends the path.
  registry.left(b);
  clock.advance(10_000);
  assert.deepEqual(expired, [relay]);
  // Paths configured for replacement are never busy.
  const c = publisher("C", "/replace/x");
  registry.start(c, c.announcement!);
  assert.equal(registry.verdict("/replace/x"), "ok");
  assert.equal(registry.currentPublisher("/replace/x", "D")?.id, "C");
});
