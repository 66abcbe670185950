/**
 * Session life-cycle bugs (issue 10): a publisher that pauses and records
 * again keeps its path; a session that ends while its file is still opening
 * for PLAY gets no player.
 */

import { testSession } from "./_testing/sessions.ts";
import type { Session } from "./_rtsp/session.ts";
import assert from "node:assert/strict";
import type { LookupFailure } from "./_rtsp/catalogue.ts";
import { interleavedFrame } from "./_rtsp/interleaved.ts";
import { buildRtpPacket, parseRtpPacket } from "./_rtsp/rtp/rtp_packet.ts";
import type { FileLibrary, OpenedFile } from "./_server/file_library.ts";
import { MediaLibrary } from "./_engine/library.ts";
import { Logger } from "./_server/log.ts";
import { MediaHub } from "./_engine/media_hub.ts";
import { LiveStream } from "./_engine/live_stream.ts";
import { LiveTestSource } from "./_rtsp/media/live_test_source.ts";
import { ManualScheduler } from "./_testing/manual_scheduler.ts";
import { RawClient } from "./_testing/raw_client.ts";
import { startTestServer } from "./_testing/server.ts";

const H264_SDP = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\nt=0 0\r\n" +
  "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=control:trackID=0\r\n";

/** One IDR access unit as a single-NAL RTP packet (RFC 6184, 5.6), framed for channel 0. */
function interleavedIdr(sequenceNumber: number, timestamp: number): Uint8Array {
  const nal = new Uint8Array(200).fill(0x11);
  nal[0] = 0x65; // nal_ref_idc 3, type 5: IDR slice
  const rtp = buildRtpPacket(
    { payloadType: 96, sequenceNumber, timestamp, ssrc: 0x1234, marker: true },
    nal,
  );
  return interleavedFrame(0, rtp);
}

Deno.test("a publisher may RECORD again after PAUSE; its readers carry on", async () => {
  await using srv = await startTestServer();
  const base = `rtsp://127.0.0.1:${srv.port}/live`;
  const publisher = await RawClient.connect(srv.port);
  const reader = await RawClient.connect(srv.port);
  try {
    const a = await publisher.request(
      `ANNOUNCE ${base} RTSP/1.0\r\nCSeq: 1\r\nContent-Type: application/sdp\r\n` +
        `Content-Length: ${H264_SDP.length}\r\n\r\n${H264_SDP}`,
    );
    assert.equal(a.status, 200);
    const s = await publisher.request(
      `SETUP ${base}/trackID=0 RTSP/1.0\r\nCSeq: 2\r\n` +
        `Transport: RTP/AVP/TCP;interleaved=0-1;mode=record\r\n\r\n`,
    );
    const session = s.headers.get("session")!.split(";")[0];
    const record = (cseq: number) =>
      publisher.request(`RECORD ${base} RTSP/1.0\r\nCSeq: ${cseq}\r\nSession: ${session}\r\n\r\n`);
    assert.equal((await record(3)).status, 200);
    await publisher.send(interleavedIdr(100, 9000));

    const rs = await reader.request(
      `SETUP ${base}/trackID=0 RTSP/1.0\r\nCSeq: 1\r\nTransport: RTP/AVP/TCP;interleaved=0-1\r\n\r\n`,
    );
    assert.equal(rs.status, 200);
    const readerSession = rs.headers.get("session")!.split(";")[0];
    const play = await reader.request(
      `PLAY ${base} RTSP/1.0\r\nCSeq: 2\r\nSession: ${readerSession}\r\n\r\n`,
    );
    assert.equal(play.status, 200);

    const pause = await publisher.request(
      `PAUSE ${base} RTSP/1.0\r\nCSeq: 4\r\nSession: ${session}\r\n\r\n`,
    );
    assert.equal(pause.status, 200);
    // RFC 2326, A.1: ready -> recording. It used to be 403: its own path was "busy".
    assert.equal((await record(5)).status, 200);
    await publisher.send(interleavedIdr(101, 12600));
    const frames = await reader.collect(2, 3000);
    const sequenceNumbers = frames.filter((f) => f.channel === 0).map((f) => {
      const parsed = parseRtpPacket(f.payload);
      assert.ok(parsed.ok);
      return parsed.packet.header.timestamp;
    });
    // The reader got the cached keyframe and then the one sent after RECORD.
    assert.equal(sequenceNumbers.length, 2, `frames: ${sequenceNumbers}`);
    assert.equal((sequenceNumbers[1] - sequenceNumbers[0]) >>> 0, 3600);
  } finally {
    publisher.close();
    reader.close();
  }
});

Deno.test("a session that ends while its file opens for PLAY gets no player", async () => {
  const opening = Promise.withResolvers<OpenedFile | LookupFailure>();
  let closed = 0;
  // A file library whose open() finishes when the test says so.
  const files = {
    open: () => opening.promise,
    describe: () => Promise.resolve({ error: "not-found" as const }),
    resolve: () => Promise.resolve(undefined),
  } as unknown as FileLibrary;
  const hub = new MediaHub({
    library: new MediaLibrary(new ManualScheduler(), files),
    // The session's connection, which would carry its interleaved media.
    writers: new Map([[1, { offerMedia: () => true, abort() {} }]]),
    log: new Logger("error"),
    scheduler: new ManualScheduler(),
    graceMs: 1000,
    effects: () => {},
  });
  const session = testSession({ id: "S1", path: "/film.mp4", state: "ready-to-play" });

  const play = hub.play(session, undefined);
  // TEARDOWN (or a timeout, or the connection closing) while the file opens.
  hub.end(session, "teardown");
  opening.resolve({
    media: { tracks: [], durationSeconds: 1, timestampOffsetSeconds: 0, cursor: () => undefined },
    close: () => closed++,
  } as unknown as OpenedFile);
  await assert.rejects(play, /ended while/);
  assert.equal(closed, 1, "the file is closed");
  assert.equal(hub.playingCount, 0, "no player runs for the ended session");
});

/** What the engine attached to a session (read afresh: the engine sets it). */
function attached(session: Session): string | undefined {
  return session.media?.kind;
}

Deno.test("the session owns what plays it: PLAY attaches a reader to session.media, PAUSE and the end clear it", async () => {
  const scheduler = new ManualScheduler();
  const library = new MediaLibrary(scheduler);
  library.addShared(
    new LiveStream({
      path: "/test",
      name: "test",
      source: new LiveTestSource(scheduler.now()),
      scheduler,
      random32: () => 7,
      cname: "t",
    }),
  );
  const writes: Uint8Array[] = [];
  const hub = new MediaHub({
    library,
    writers: new Map([[1, { offerMedia: (b: Uint8Array) => writes.push(b) > 0, abort() {} }]]),
    log: new Logger("error"),
    scheduler,
    graceMs: 1000,
    effects: () => {},
  });
  const session = testSession({ id: "S1", path: "/test", state: "ready-to-play" });
  assert.equal(attached(session), undefined);
  (await hub.play(session, undefined)).begin?.();
  assert.equal(attached(session), "shared");
  assert.equal(hub.readerOf(session)?.session, session, "the reader sends as this session");
  assert.equal(hub.playingCount, 1);
  scheduler.advance(200);
  assert.ok(writes.length > 0, "media flows to the session's connection");
  hub.pause(session);
  assert.equal(attached(session), undefined, "PAUSE of a live stream detaches its reader");
  assert.equal(hub.playingCount, 0);
  (await hub.play(session, undefined)).begin?.();
  assert.equal(attached(session), "shared");
  hub.end(session, "teardown");
  assert.equal(attached(session), undefined);
  assert.equal(hub.playingCount, 0);
  const sent = writes.length;
  scheduler.advance(200);
  assert.equal(writes.length, sent, "nothing is sent after the end");
  library.close();
});
