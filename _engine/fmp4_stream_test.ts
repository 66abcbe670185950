import assert from "node:assert/strict";
import { ManualScheduler } from "../_testing/manual_scheduler.ts";
import { liveTestStream } from "../_testing/live_test_stream.ts";
import { run, toolTest } from "../_testing/tools.ts";
import { type Fmp4Event, type Fmp4Fragment, Fmp4Stream } from "./fmp4_stream.ts";
import { LiveStream } from "./live_stream.ts";
import { RelayStream } from "./relay_stream.ts";
import { announcedTracks, parseSdp } from "../_rtsp/sdp_parse.ts";
import { mediaUnits } from "../_testing/media_units.ts";
import { concatBytes } from "../_rtsp/bytes.ts";
import { createPacketizer } from "../_rtsp/rtp/create_packetizer.ts";
import { MEDIA_NEEDS, testMedia } from "../_testing/media.ts";
import { PcmuTone } from "../_rtsp/media/pcmu_tone.ts";

/** The live /test stream on a clock that moves only when told. */
function liveTest(): { clock: ManualScheduler; stream: LiveStream } {
  const clock = new ManualScheduler();
  return { clock, stream: liveTestStream(clock) };
}

/** Records a subscriber's events. */
function recorder(): { events: Fmp4Event[]; listener: (e: Fmp4Event) => void } {
  const events: Fmp4Event[] = [];
  return { events, listener: (e) => events.push(e) };
}

function fragmentsOf(events: readonly Fmp4Event[]): Fmp4Fragment[] {
  return events.flatMap((e) => (e.kind === "fragment" ? [e.fragment] : []));
}

/** init + fragments as one file's bytes. */
function fileOf(events: readonly Fmp4Event[]): Uint8Array {
  return concatBytes(...events.map((e) => (e.kind === "init" ? e.bytes : e.fragment.bytes)));
}

Deno.test("Fmp4Stream on /test: avc1 Constrained Baseline video and its G.711 tone as FLAC", () => {
  const { clock, stream } = liveTest();
  try {
    const fmp4 = new Fmp4Stream(stream.description, { scheduler: clock });
    assert.deepEqual(fmp4.muxer.muxedTracks, [0, 1]);
    fmp4.attachTo(stream);
    clock.advance(1000);
    assert.match(fmp4.codecs(), /^avc1\.42c0[0-9a-f]{2},flac$/);
    assert.ok(fmp4.initSegment());
  } finally {
    stream.close();
  }
});

Deno.test("Fmp4Stream: a subscriber starts with the init segment and a keyframe fragment, never mid-GOP", () => {
  const { clock, stream } = liveTest();
  try {
    clock.advance(1500); // the stream's GOP cache now holds half a second
    const fmp4 = new Fmp4Stream(stream.description, { scheduler: clock });
    const early = recorder();
    fmp4.subscribe(early.listener); // before anything is muxed: waits
    assert.equal(early.events.length, 0);
    const detach = fmp4.attachTo(stream);
    assert.equal(early.events[0].kind, "init");
    const first = fragmentsOf(early.events);
    assert.ok(first.length >= 10, `the cached GOP is muxed at attach (${first.length})`);
    assert.ok(first[0].keyframe);
    clock.advance(1300); // 0.8 s into the next GOP
    const late = recorder();
    fmp4.subscribe(late.listener);
    assert.equal(late.events[0].kind, "init");
    const cached = fragmentsOf(late.events);
    assert.ok(cached[0].keyframe, "the late subscriber starts at the last keyframe");
    assert.equal(cached.filter((f) => f.keyframe).length, 1);
    // 25 fps: about 20 pictures since the keyframe, one fragment each.
    assert.ok(cached.length >= 18 && cached.length <= 22, `${cached.length} fragments cached`);
    // The same bytes as the early subscriber got for those fragments.
    const shared = fragmentsOf(early.events).slice(-cached.length);
    assert.ok(shared.every((f, i) => f === cached[i]));
    const unsubscribe = fmp4.subscribe(() => {
      throw new Error("a broken subscriber");
    });
    clock.advance(100);
    assert.equal(fmp4.listenerErrors, 1);
    assert.equal(fmp4.subscriberCount, 2);
    unsubscribe();
    detach();
    assert.equal(stream.readerCount, 0);
  } finally {
    stream.close();
  }
});

Deno.test("Fmp4Stream on /test: fragments follow each other without gaps or overlaps", () => {
  const { clock, stream } = liveTest();
  try {
    const fmp4 = new Fmp4Stream(stream.description, { scheduler: clock });
    const rec = recorder();
    fmp4.subscribe(rec.listener);
    fmp4.attachTo(stream);
    clock.advance(4000);
    const fragments = fragmentsOf(rec.events);
    for (let i = 1; i < fragments.length; i++) {
      const before = fragments[i - 1];
      assert.ok(
        Math.abs(
          before.decodeTimeSeconds + before.durationSeconds - fragments[i].decodeTimeSeconds,
        ) <
          1e-9,
      );
      assert.equal(fragments[i].sequenceNumber, before.sequenceNumber + 1);
    }
    // An IDR every second, one fragment per picture at 25 fps.
    assert.ok(fragments.filter((f) => f.keyframe).length >= 4);
    assert.ok(fragments.every((f) => Math.abs(f.durationSeconds - 0.04) < 1e-9));
  } finally {
    stream.close();
  }
});

await toolTest(
  "Fmp4Stream: ffmpeg decodes 10 s of /test muxed to fMP4, a late subscriber's too, without an error; the audio is ffmpeg's own decoding of the PCMU tone",
  ["ffmpeg", "ffprobe"],
  async () => {
    // One period of the tone (1 s, 50 packets), as ffmpeg's pcm_mulaw decodes it.
    const tone = new PcmuTone();
    const period = concatBytes(...Array.from({ length: 50 }, (_, i) => tone.frame(i).units[0]));
    const reference = await run("ffmpeg", [
      ...["-v", "error", "-f", "mulaw", "-ar", "8000", "-ac", "1", "-i", "pipe:0"],
      ...["-f", "s16le", "pipe:1"],
    ], { stdin: period });
    assert.equal(reference.code, 0, reference.stderr);
    const expected = new Int16Array(reference.stdout.buffer, 0, 8000);
    const { clock, stream } = liveTest();
    const dir = await Deno.makeTempDir({ prefix: "rtsp_ts_fmp4_live_" });
    try {
      const fmp4 = new Fmp4Stream(stream.description, { scheduler: clock });
      const whole = recorder();
      fmp4.subscribe(whole.listener);
      fmp4.attachTo(stream);
      clock.advance(4500);
      const late = recorder();
      fmp4.subscribe(late.listener);
      clock.advance(5500);
      stream.close(); // ends the stream: the last picture is flushed
      fmp4.stop();
      for (const [name, events] of [["whole", whole.events], ["late", late.events]] as const) {
        const path = `${dir}/${name}.mp4`;
        await Deno.writeFile(path, fileOf(events));
        const probe = await run("ffprobe", [
          ...["-v", "error", "-count_frames", "-show_entries"],
          ...["stream=codec_name,width,height,nb_read_frames,sample_rate,channels"],
          ...["-of", "json", path],
        ]);
        assert.equal(probe.stderr.trim(), "", probe.stderr);
        const [video, audio] = JSON.parse(new TextDecoder().decode(probe.stdout)).streams;
        assert.equal(audio.codec_name, "flac");
        assert.equal(audio.sample_rate, "8000");
        assert.equal(audio.channels, 1);
        assert.equal(video.codec_name, "h264");
        assert.equal(video.width, 320);
        assert.equal(video.height, 240);
        const frames = fragmentsOf(events).length;
        assert.equal(Number(video.nb_read_frames), frames);
        assert.ok(frames >= (name === "whole" ? 245 : 145), `${name}: ${frames} frames`);
        const decode = await run("ffmpeg", ["-v", "error", "-i", path, "-f", "null", "-"]);
        assert.equal(decode.stderr.trim(), "", decode.stderr);
        assert.equal(decode.code, 0);
        // The audio: a run of whole packets of the periodic tone, bit for bit, as long as the video.
        const pcm = await run("ffmpeg", [
          ...["-v", "error", "-err_detect", "crccheck+explode", "-i", path],
          ...["-map", "0:a", "-f", "s16le", "pipe:1"],
        ]);
        assert.equal(pcm.code, 0, pcm.stderr);
        const got = new Int16Array(pcm.stdout.buffer, 0, pcm.stdout.length / 2);
        assert.equal(got.length % 160, 0);
        assert.ok(
          Math.abs(got.length - frames * 320) <= 160,
          `${got.length} samples, ${frames} pictures`,
        );
        const start = [...Array(50).keys()].map((i) => i * 160).find((s) =>
          got.every((v, k) => v === expected[(s + k) % 8000])
        );
        assert.ok(start !== undefined, `${name}: the decoded audio is the tone's PCM`);
      }
    } finally {
      stream.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
);

await toolTest(
  "Fmp4Stream on a published path: parameter sets in-band only, H.264 + AAC aligned by arrival, ffmpeg decodes it",
  [...MEDIA_NEEDS, "ffprobe"],
  async () => {
    const dir = await testMedia();
    const clock = new ManualScheduler();
    const [video, audio] = [
      await mediaUnits(`${dir}/clip.264`),
      await mediaUnits(`${dir}/tone.aac`),
    ];
    const aacFmtp = audio.tracks[0].description.fmtp!;
    const sdp = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\nt=0 0\r\n" +
      "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1\r\n" +
      "a=control:trackID=0\r\n" +
      `m=audio 0 RTP/AVP 97\r\na=rtpmap:97 mpeg4-generic/48000/1\r\na=fmtp:97 ${aacFmtp}\r\n` +
      "a=control:trackID=1\r\n";
    const parsed = parseSdp(sdp);
    assert.ok(parsed.ok);
    const announcement = { path: "/live", sdp, tracks: announcedTracks(parsed.sdp) };
    const relay = new RelayStream({
      path: "/live",
      announcement,
      graceMs: 1000,
      scheduler: clock,
      cname: "test",
      onExpired: () => {},
    });
    relay.startPublisher("publisher", announcement);
    const fmp4 = new Fmp4Stream(relay.description, { scheduler: clock });
    const rec = recorder();
    fmp4.subscribe(rec.listener);
    fmp4.attachTo(relay);
    assert.equal(fmp4.initSegment(), undefined, "no parameter sets yet");
    // Packetized as a publisher would, without out-of-band parameter sets.
    const packetizers = [video, audio].map((m, i) =>
      createPacketizer(
        { codec: m.tracks[0].codec, description: announcement.tracks[i].description },
        { ssrc: 10 + i, initialSequenceNumber: 100, initialTimestamp: 0x9000_0000 * (i + 1) },
      )
    );
    const units = [
      ...video.units.map((u) => ({ track: 0, ...u })),
      ...audio.units.map((u) => ({ track: 1, ...u })),
    ].sort((a, b) => a.sendSeconds - b.sendSeconds);
    const start = clock.now();
    for (const u of units) {
      clock.advance(Math.max(0, start + u.sendSeconds * 1000 - clock.now()));
      for (const packet of packetizers[u.track].packetize(u.au)) relay.receiveRtp(u.track, packet);
    }
    relay.close();
    fmp4.stop();
    assert.equal(rec.events[0].kind, "init");
    assert.match(fmp4.codecs(), /^avc1\.[0-9a-f]{6},mp4a\.40\.2$/);
    assert.equal(fmp4.muxer.timestampJumps, 0);
    const path = await Deno.makeTempFile({ prefix: "rtsp_ts_fmp4_relay_", suffix: ".mp4" });
    try {
      await Deno.writeFile(path, fileOf(rec.events));
      const probe = await run("ffprobe", [
        ...["-v", "error", "-count_frames", "-show_entries"],
        ...["stream=codec_name,nb_read_frames,duration", "-of", "json", path],
      ]);
      assert.equal(probe.stderr.trim(), "", probe.stderr);
      const streams = JSON.parse(new TextDecoder().decode(probe.stdout)).streams;
      assert.deepEqual(streams.map((s: { codec_name: string }) => s.codec_name), ["h264", "aac"]);
      assert.equal(Number(streams[0].nb_read_frames), 250);
      assert.equal(Number(streams[1].nb_read_frames), audio.units.length);
      const decode = await run("ffmpeg", ["-v", "error", "-i", path, "-f", "null", "-"]);
      assert.equal(decode.stderr.trim(), "", decode.stderr);
    } finally {
      await Deno.remove(path);
    }
  },
);
