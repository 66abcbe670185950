import assert from "node:assert/strict";
import { ManualScheduler } from "../../_testing/manual_scheduler.ts";
import { announcedTracks, parseSdp } from "../../_rtsp/sdp_parse.ts";
import type { EngineLog } from "../ports.ts";
import type { RelayStream } from "../relay_stream.ts";
import { PulledPath, type PullOutcome, redactUrl } from "./pulled_path.ts";
import { PullRegistry, viaNames } from "./pull_registry.ts";
import { PullSources, pullSourceSpec, sourceUrl } from "./pull_sources.ts";
import type {
  UpstreamConnector,
  UpstreamEvents,
  UpstreamHandle,
  UpstreamRequest,
} from "./upstream_port.ts";

const SDP = [
  "v=0",
  "o=- 1 1 IN IP4 10.0.0.5",
  "s=camera",
  "t=0 0",
  "m=video 0 RTP/AVP 96",
  "a=rtpmap:96 H264/90000",
  "a=fmtp:96 packetization-mode=1",
  "a=control:track1",
  "",
].join("\r\n");
const TRACKS = (() => {
  const parsed = parseSdp(SDP);
  assert.ok(parsed.ok);
  return announcedTracks(parsed.sdp);
})();

/** An upstream the test plays by hand: every open is recorded with its events. */
class FakeConnector implements UpstreamConnector {
  readonly opened: Array<
    { request: UpstreamRequest; events: UpstreamEvents; closed: boolean; atMs: number }
  > = [];
  constructor(private scheduler: ManualScheduler) {}
  open(request: UpstreamRequest, events: UpstreamEvents): UpstreamHandle {
    const entry = { request, events, closed: false, atMs: this.scheduler.now() };
    this.opened.push(entry);
    return { close: () => entry.closed = true };
  }
  get last() {
    return this.opened[this.opened.length - 1];
  }
}

const quiet: EngineLog = { error() {}, warn() {}, info() {}, debug() {} };

/** An RTP packet of track 0 with sequence number `seq` (an IDR NAL unit, so frames complete). */
function rtp(seq: number, ts: number): Uint8Array {
  const p = new Uint8Array(12 + 2);
  p[0] = 0x80;
  p[1] = 0x80 | 96; // marker: end of the access unit
  p[2] = seq >> 8;
  p[3] = seq & 0xff;
  new DataView(p.buffer).setUint32(4, ts);
  new DataView(p.buffer).setUint32(8, 0x1234);
  p[12] = 0x65;
  p[13] = 0x88;
  return p;
}

function setup(options: Partial<Parameters<typeof pullSourceSpec>[0]> = {}) {
  const scheduler = new ManualScheduler();
  const connector = new FakeConnector(scheduler);
  const published: RelayStream[] = [];
  const pulled = new PulledPath({
    target: {
      path: "/cam",
      url: "rtsp://u:secret@10.0.0.5/stream",
      spec: pullSourceSpec({
        pattern: "/cam",
        source: "rtsp://u:secret@10.0.0.5/stream",
        ...options,
      }),
    },
    connector,
    scheduler,
    log: quiet,
    via: "RTSP/1.0 me",
    publish: (r) => published.push(r),
    unpublish: (r) => published.splice(published.indexOf(r), 1),
    random: () => 0.5,
  });
  return { scheduler, connector, pulled, published };
}

function isFailure(outcome: PullOutcome): outcome is Extract<PullOutcome, { error: string }> {
  return "error" in outcome;
}

Deno.test("readers that come together share one upstream session and get its tracks", async () => {
  const { connector, pulled, published } = setup();
  const a = pulled.demand(undefined);
  const b = pulled.demand("RTSP/1.0 edge-a");
  assert.equal(connector.opened.length, 1);
  assert.equal(connector.last.request.via, "RTSP/1.0 me");
  connector.last.events.playing(TRACKS, SDP);
  for (const outcome of [await a, await b]) {
    assert.ok(!isFailure(outcome));
    assert.equal(outcome.tracks[0].encoding, "H264");
    assert.equal(outcome.tracks[0].control, "trackID=0");
  }
  assert.equal(published.length, 1);
  assert.equal(published[0].kind, "pulled");
  // A reader after it is answered at once, from the relay.
  const c = pulled.demand(undefined);
  assert.ok(!(c instanceof Promise) && !isFailure(c));
  assert.equal(connector.opened.length, 1);
});

Deno.test("a reader's Via chain is passed upstream with this server added", () => {
  const { connector, pulled } = setup();
  pulled.demand("RTSP/1.0 edge-a");
  assert.equal(connector.last.request.via, "RTSP/1.0 edge-a, RTSP/1.0 me");
});

Deno.test("an upstream failure gives waiting readers its status, and readers do not hammer it", async () => {
  const table = [
    { failure: { kind: "not-found", message: "404" }, want: { error: "not-found" } },
    {
      failure: { kind: "unreachable", message: "refused" },
      want: { error: "upstream", status: 502 },
    },
    { failure: { kind: "unauthorized", message: "401" }, want: { error: "upstream", status: 502 } },
    { failure: { kind: "protocol", message: "garbage" }, want: { error: "upstream", status: 502 } },
    { failure: { kind: "timeout", message: "slow" }, want: { error: "upstream", status: 504 } },
    { failure: { kind: "loop", message: "via" }, want: { error: "loop" } },
  ] as const;
  for (const { failure, want } of table) {
    const { scheduler, connector, pulled } = setup();
    const waiting = pulled.demand(undefined);
    connector.last.events.failed(failure);
    const outcome = await waiting;
    assert.ok(isFailure(outcome));
    assert.partialDeepStrictEqual(outcome, want, failure.kind);
    // Within the back-off (1 s), the next reader gets the same answer with no new attempt.
    scheduler.advance(500);
    const again = pulled.demand(undefined);
    assert.ok(!(again instanceof Promise) && isFailure(again));
    assert.equal(connector.opened.length, 1, failure.kind);
    // After it, a reader tries the upstream again.
    scheduler.advance(600);
    pulled.demand(undefined);
    assert.equal(connector.opened.length, 2, failure.kind);
  }
});

Deno.test("an upstream that never answers: readers get 504 after the start timeout, and it is closed", async () => {
  const { scheduler, connector, pulled } = setup({ startTimeoutMs: 3000 });
  const waiting = pulled.demand(undefined);
  scheduler.advance(2999);
  assert.equal(connector.last.closed, false);
  scheduler.advance(1);
  const outcome = await waiting;
  assert.ok(isFailure(outcome) && outcome.error === "upstream" && outcome.status === 504);
  assert.equal(connector.last.closed, true);
  assert.equal(pulled.state, "retrying");
});

Deno.test("a lost upstream is reconnected with back-off 1, 2, 4 s; readers keep the relay", async () => {
  const { scheduler, connector, pulled, published } = setup({ idleMs: 60_000 });
  const waiting = pulled.demand(undefined);
  connector.last.events.playing(TRACKS, SDP);
  await waiting;
  const relay = pulled.relay!;
  const start = scheduler.now();
  connector.last.events.failed({ kind: "lost", message: "connection reset" });
  assert.equal(pulled.relay, relay);
  assert.equal(published.length, 1);
  // Each retry fails at once: the attempts come 1 s, then 2 s, then 4 s apart.
  for (let i = 0; i < 3; i++) {
    scheduler.advance([1000, 2000, 4000][i]);
    assert.equal(connector.opened.length, 2 + i);
    connector.last.events.failed({ kind: "unreachable", message: "refused" });
  }
  assert.deepEqual(connector.opened.map((o) => o.atMs - start), [
    connector.opened[0].atMs - start,
    1000,
    3000,
    7000,
  ]);
  // The next attempt plays: the relay is the same, and the back-off starts again at 1 s.
  scheduler.advance(8000);
  connector.last.events.playing(TRACKS, SDP);
  assert.equal(pulled.relay, relay);
  assert.equal(pulled.state, "playing");
  connector.last.events.failed({ kind: "lost", message: "BYE" });
  scheduler.advance(999);
  const before = connector.opened.length;
  scheduler.advance(1);
  assert.equal(connector.opened.length, before + 1);
});

Deno.test("a playing upstream that sends nothing for the stall time is reconnected", () => {
  const { scheduler, connector, pulled } = setup({ stallMs: 2000, onDemand: false });
  pulled.startAlwaysOn();
  connector.last.events.playing(TRACKS, SDP);
  for (let i = 0; i < 10; i++) {
    scheduler.advance(400);
    connector.last.events.rtp(0, rtp(i, i * 3600));
  }
  assert.equal(connector.opened.length, 1, "packets keep it");
  scheduler.advance(2500);
  assert.equal(connector.opened[0].closed, true);
  assert.equal(pulled.state, "retrying");
  scheduler.advance(1000);
  assert.equal(connector.opened.length, 2);
});

Deno.test("an on-demand path with no reader stops after its idle time; events after that are ignored", async () => {
  const { scheduler, connector, pulled, published } = setup({ idleMs: 5000 });
  const waiting = pulled.demand(undefined);
  connector.last.events.playing(TRACKS, SDP);
  await waiting;
  scheduler.advance(4999);
  assert.equal(pulled.state, "playing");
  connector.last.events.rtp(0, rtp(1, 0));
  scheduler.advance(1);
  assert.equal(pulled.state, "idle");
  assert.equal(connector.last.closed, true);
  assert.equal(published.length, 0);
  assert.equal(pulled.relay, undefined);
  // A late event of the closed session changes nothing.
  connector.last.events.failed({ kind: "lost", message: "late" });
  assert.equal(pulled.state, "idle");
  scheduler.advance(60_000);
  assert.equal(connector.opened.length, 1);
});

Deno.test("an always-on path is not stopped for lack of readers and retries by itself", () => {
  const { scheduler, connector, pulled } = setup({ onDemand: false, idleMs: 1000 });
  pulled.startAlwaysOn();
  connector.last.events.failed({ kind: "unreachable", message: "refused" });
  scheduler.advance(1000);
  assert.equal(connector.opened.length, 2);
  connector.last.events.playing(TRACKS, SDP);
  for (let i = 0; i < 20; i++) {
    scheduler.advance(500);
    connector.last.events.rtp(0, rtp(i, i * 3600));
  }
  assert.equal(pulled.state, "playing");
});

Deno.test("pull sources: first match wins, $path is the path percent-encoded, wildcards are on demand", () => {
  const sources = new PullSources([
    pullSourceSpec({ pattern: "/cam1", source: "rtsp://u:p@10.0.0.5/s", onDemand: false }),
    pullSourceSpec({ pattern: "/**", source: "rtsp://origin:8554/$path", onDemand: false }),
  ]);
  assert.equal(sources.match("/cam1")?.url, "rtsp://u:p@10.0.0.5/s");
  assert.equal(sources.match("/a/b c")?.url, "rtsp://origin:8554/a/b%20c");
  assert.deepEqual(sources.alwaysOn().map((t) => t.path), ["/cam1"]);
  assert.equal(sourceUrl("rtsp://o/live/$path", "/x/%"), "rtsp://o/live/x/%25");
  assert.equal(redactUrl("rtsp://user:secret@cam/s"), "rtsp://user:***@cam/s");
  assert.equal(redactUrl("rtsp://cam/s"), "rtsp://cam/s");
});

Deno.test("the registry refuses a request whose Via names this server (508), and bounds Via", () => {
  const scheduler = new ManualScheduler();
  const connector = new FakeConnector(scheduler);
  const registry = new PullRegistry({
    sources: new PullSources([pullSourceSpec({ pattern: "/**", source: "rtsp://o/$path" })]),
    connector,
    scheduler,
    log: quiet,
    viaToken: "rtsp.ts-abc",
    publish: () => {},
    unpublish: () => {},
  });
  assert.ok(viaNames("RTSP/1.0 rtsp.ts-x, RTSP/1.0 rtsp.ts-abc", "rtsp.ts-abc"));
  assert.ok(!viaNames("RTSP/1.0 rtsp.ts-abcd", "rtsp.ts-abc"));
  assert.deepEqual(
    registry.describe("/x", { via: "RTSP/1.0 rtsp.ts-other, RTSP/1.0 rtsp.ts-abc" }),
    { error: "loop", message: "this server is already in the Via chain" },
  );
  const long = registry.describe("/x", { via: "RTSP/1.0 h, ".repeat(300) });
  assert.ok(long && !(long instanceof Promise) && "error" in long && long.error === "loop");
  assert.equal(connector.opened.length, 0, "no upstream was opened for a loop");
  registry.describe("/x", { via: "RTSP/1.0 rtsp.ts-other" });
  assert.equal(connector.opened.length, 1);
  assert.equal(connector.last.request.url, "rtsp://o/x");
  assert.equal(connector.last.request.via, "RTSP/1.0 rtsp.ts-other, RTSP/1.0 rtsp.ts-abc");
  assert.equal(registry.describe("/not/pulled/but/matched", undefined) instanceof Promise, true);
});

Deno.test("pull sources added at run time: a single path before the wildcards, a wildcard last; removal by pattern", () => {
  const sources = new PullSources([
    pullSourceSpec({ pattern: "/cam1", source: "rtsp://a/1" }),
    pullSourceSpec({ pattern: "/**", source: "rtsp://origin/$path" }),
  ]);
  assert.ok(sources.add(pullSourceSpec({ pattern: "/cam9", source: "rtsp://b/9" })));
  assert.ok(sources.add(pullSourceSpec({ pattern: "/x/*", source: "rtsp://c/$path" })));
  assert.ok(!sources.add(pullSourceSpec({ pattern: "/cam1", source: "rtsp://other" })));
  assert.deepEqual(
    sources.entries().map((e) => `${e.spec.pattern} ${e.origin}`),
    ["/cam1 start", "/cam9 api", "/** start", "/x/* api"],
  );
  assert.equal(sources.match("/cam9")?.url, "rtsp://b/9", "not the origin's /** ");
  assert.equal(sources.match("/x/y")?.url, "rtsp://origin/x/y", "the earlier /** still wins");
  assert.equal(sources.remove("/**")?.origin, "start");
  assert.equal(sources.match("/x/y")?.url, "rtsp://c/x/y");
  assert.equal(sources.remove("/nope"), undefined);
  assert.equal(sources.match("/other"), undefined);
});

Deno.test("the registry adds an always-on source and starts it, refuses a duplicate, and stops a removed source's paths", () => {
  const scheduler = new ManualScheduler();
  const connector = new FakeConnector(scheduler);
  const unpublished: string[] = [];
  const registry = new PullRegistry({
    sources: new PullSources([]),
    connector,
    scheduler,
    log: quiet,
    viaToken: "rtsp.ts-abc",
    publish: () => {},
    unpublish: (relay) => unpublished.push(relay.path),
  });
  assert.equal(registry.isPulled("/cam"), false);
  const spec = pullSourceSpec({ pattern: "/cam", source: "rtsp://u:p@cam/s", onDemand: false });
  assert.equal(registry.addSource(spec), undefined);
  assert.equal(connector.opened.length, 1, "an always-on source starts at once");
  assert.equal(registry.addSource(spec)?.reason, "exists");
  connector.last.events.playing(TRACKS, SDP);
  assert.equal(registry.get("/cam")?.state, "playing");
  assert.equal(registry.removeSource("/cam")?.origin, "api");
  assert.deepEqual(unpublished, ["/cam"], "the relay is taken down: its readers end");
  assert.equal(connector.last.closed, true, "the upstream session is closed");
  assert.equal(registry.get("/cam"), undefined);
  assert.equal(registry.isPulled("/cam"), false);
  assert.equal(registry.removeSource("/cam"), undefined);
});
