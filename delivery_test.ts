/**
 * Media delivery seen from raw sockets: interleaved RTP and RTCP, UDP unicast,
 * multicast, PAUSE/PLAY, and RTCP keeping a session alive.
 */

import assert from "node:assert/strict";
import dgram from "node:dgram";
import { RawClient } from "./_testing/raw_client.ts";
import { startTestServer } from "./_testing/server.ts";
import { buildReceiverReport, parseRtcpCompound } from "./_rtsp/rtp/rtcp.ts";
import { parseRtpPacket } from "./_rtsp/rtp/rtp_packet.ts";
import { MEDIA_NEEDS, testMedia } from "./_testing/media.ts";
import { toolTest } from "./_testing/tools.ts";

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A UDP socket that collects what arrives. */
async function udpListener(options: { port?: number; group?: string } = {}) {
  const socket = dgram.createSocket({ type: "udp4", reuseAddr: true });
  const received: Uint8Array[] = [];
  socket.on("message", (msg: Uint8Array) => received.push(new Uint8Array(msg)));
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(options.port ?? 0, options.group ? undefined : "127.0.0.1", () => {
        socket.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    socket.close();
    throw error;
  }
  if (options.group) socket.addMembership(options.group, "127.0.0.1");
  return {
    port: socket.address().port,
    received,
    socket,
    close: () => socket.close(),
  };
}

/**
 * Two listeners on neighbouring ports, RTP and RTCP, as `client_port=N-N+1` names
 * them. The port above a free one may be taken: then another pair is tried, a
 * bounded number of times, and failing that the test fails rather than pass unproven.
 */
async function udpPortPair(tries = 20) {
  const refusals: string[] = [];
  for (let i = 0; i < tries; i++) {
    const rtp = await udpListener();
    try {
      return { rtp, rtcp: await udpListener({ port: rtp.port + 1 }) };
    } catch (error) {
      rtp.close();
      refusals.push(`${rtp.port + 1}: ${error instanceof Error ? error.message : error}`);
    }
  }
  throw new Error(`no two neighbouring UDP ports free in ${tries} tries (${refusals.join("; ")})`);
}

function setup(url: string, cseq: number, transport: string, session?: string): string {
  return `SETUP ${url} RTSP/1.0\r\nCSeq: ${cseq}\r\nTransport: ${transport}\r\n${
    session ? `Session: ${session}\r\n` : ""
  }\r\n`;
}

Deno.test("interleaved RTP carries the SETUP's SSRC, RTCP SRs come on the odd channel, PAUSE stops and PLAY resumes", async () => {
  await using srv = await startTestServer();
  const c = await RawClient.connect(srv.port);
  try {
    const s1 = await c.request(
      setup(`${srv.url()}/trackID=0`, 1, "RTP/AVP/TCP;unicast;interleaved=0-1"),
    );
    assert.equal(s1.status, 200);
    const session = s1.headers.get("session")!.split(";")[0];
    const ssrc = /ssrc=([0-9A-F]{8})/.exec(s1.headers.get("transport")!)![1];
    assert.equal(
      (await c.request(
        setup(`${srv.url()}/trackID=1`, 2, "RTP/AVP/TCP;unicast;interleaved=2-3", session),
      )).status,
      200,
    );
    const play = await c.request(
      `PLAY ${srv.url()} RTSP/1.0\r\nCSeq: 3\r\nSession: ${session}\r\n\r\n`,
    );
    assert.equal(play.status, 200);
    assert.match(
      play.headers.get("rtp-info")!,
      /^url=rtsp:\/\/127\.0\.0\.1:\d+\/test\/trackID=0;seq=\d+;rtptime=\d+,url=.*trackID=1;seq=\d+;rtptime=\d+$/,
    );
    const frames = [...await c.collect(400, 3000)];
    const video = frames.filter((f) => f.channel === 0).map((f) => parseRtpPacket(f.payload));
    assert.ok(video.length > 20, `${video.length} video packets`);
    for (const p of video) {
      assert.ok(p.ok);
      assert.equal(p.packet.header.ssrc.toString(16).toUpperCase().padStart(8, "0"), ssrc);
      assert.equal(p.packet.header.payloadType, 96);
    }
    // Sequence numbers continue without gaps from RTP-Info's seq.
    const seq0 = Number(/trackID=0;seq=(\d+)/.exec(play.headers.get("rtp-info")!)![1]);
    video.forEach((p, i) =>
      p.ok && assert.equal(p.packet.header.sequenceNumber, (seq0 + i) & 0xffff)
    );
    const audio = frames.filter((f) => f.channel === 2).map((f) => parseRtpPacket(f.payload));
    assert.ok(
      audio.every((p) =>
        p.ok && p.packet.header.payloadType === 0 && p.packet.payload.length === 160
      ),
    );
    const rtcp = frames.filter((f) => f.channel === 1 || f.channel === 3).map((f) =>
      parseRtcpCompound(f.payload)
    );
    assert.ok(rtcp.length >= 2, "an SR per track at PLAY");
    assert.ok(rtcp.every((r) => r.ok && r.packets[0].type === "sr"));

    // PAUSE: after its answer, no more RTP.
    const paused = await c.request(
      `PAUSE ${srv.url()} RTSP/1.0\r\nCSeq: 4\r\nSession: ${session}\r\n\r\n`,
    );
    assert.equal(paused.status, 200);
    c.frames.length = 0;
    await c.collect(1, 500);
    assert.deepEqual(c.frames.filter((f) => f.channel % 2 === 0), [], "no RTP while paused");
    const resume = await c.request(
      `PLAY ${srv.url()} RTSP/1.0\r\nCSeq: 5\r\nSession: ${session}\r\n\r\n`,
    );
    assert.equal(resume.status, 200);
    await c.collect(20, 3000);
    assert.ok(c.frames.filter((f) => f.channel === 0).length > 0, "video resumes");
  } finally {
    c.close();
  }
});

/** The API each backend choice must end up on; "auto" under the test task (-A) is libc. */
const UDP_BACKEND_NAMES = {
  auto: "sendmmsg (FFI)",
  mmsg: "sendmmsg (FFI)",
  deno: "Deno.listenDatagram",
  node: "node:dgram",
} as const;

for (const backend of ["auto", "mmsg", "deno", "node"] as const) {
  Deno.test(`UDP unicast (${backend}): RTP to client_port, SRs to the RTCP port, and receiver reports keep the session alive`, async () => {
    await using srv = await startTestServer({ sessionTimeoutMs: 1500, udpBackend: backend });
    assert.equal(srv.app.udp?.backend, UDP_BACKEND_NAMES[backend]);
    const { rtp, rtcp } = await udpPortPair();
    const c = await RawClient.connect(srv.port);
    try {
      const s = await c.request(
        setup(
          `${srv.url()}/trackID=0`,
          1,
          `RTP/AVP;unicast;client_port=${rtp.port}-${rtp.port + 1}`,
        ),
      );
      assert.equal(s.status, 200);
      const serverPorts = /server_port=(\d+)-(\d+)/.exec(s.headers.get("transport")!)!;
      assert.equal(Number(serverPorts[1]) % 2, 0, "RTP on an even port");
      assert.equal(Number(serverPorts[2]), Number(serverPorts[1]) + 1);
      const session = s.headers.get("session")!.split(";")[0];
      assert.equal(
        (await c.request(`PLAY ${srv.url()} RTSP/1.0\r\nCSeq: 2\r\nSession: ${session}\r\n\r\n`))
          .status,
        200,
      );
      // Send receiver reports from our RTCP port for 3 s: twice the session timeout.
      for (let i = 0; i < 10; i++) {
        await wait(300);
        rtcp.socket.send(
          buildReceiverReport({ ssrc: 1, reports: [] }),
          Number(serverPorts[2]),
          "127.0.0.1",
        );
      }
      assert.ok(srv.responder.sessions.has(session), "RTCP kept the session alive");
      assert.ok(rtp.received.length > 50, `${rtp.received.length} RTP packets`);
      assert.ok(rtp.received.every((b) => parseRtpPacket(b).ok));
      assert.ok(rtcp.received.some((b) => {
        const r = parseRtcpCompound(b);
        return r.ok && r.packets[0].type === "sr";
      }));
      // Silence: the session now times out and the packets stop.
      await wait(2600);
      assert.equal(srv.responder.sessions.has(session), false, "expired without RTCP");
      const count = rtp.received.length;
      await wait(300);
      assert.equal(rtp.received.length, count, "no RTP after expiry");
    } finally {
      c.close();
      rtp.close();
      rtcp.close();
    }
  });
}

Deno.test("a multicast reader joined on 127.0.0.1 receives the live stream's packets", async () => {
  await using srv = await startTestServer({
    multicast: { firstAddress: 0xefff2a00, addressCount: 256, ttl: 1 },
  });
  const c = await RawClient.connect(srv.port);
  try {
    const s = await c.request(setup(`${srv.url()}/trackID=0`, 1, "RTP/AVP;multicast"));
    assert.equal(s.status, 200);
    const m =
      /^RTP\/AVP;multicast;destination=(239\.255\.42\.\d+);port=(\d+)-(\d+);ttl=1;ssrc=[0-9A-F]{8}$/
        .exec(s.headers.get("transport")!);
    assert.ok(m, s.headers.get("transport"));
    const listener = await udpListener({ port: Number(m[2]), group: m[1] });
    try {
      const session = s.headers.get("session")!.split(";")[0];
      assert.equal(
        (await c.request(`PLAY ${srv.url()} RTSP/1.0\r\nCSeq: 2\r\nSession: ${session}\r\n\r\n`))
          .status,
        200,
      );
      for (let i = 0; i < 30 && listener.received.length < 20; i++) await wait(100);
      assert.ok(listener.received.length >= 20, `${listener.received.length} multicast packets`);
      const p = parseRtpPacket(listener.received[0]);
      assert.ok(p.ok);
      assert.equal(p.packet.header.payloadType, 96);
    } finally {
      listener.close();
    }
  } finally {
    c.close();
  }
});

await toolTest(
  "a file played to a multicast group: one timeline for every member, BYE when the last leaves",
  MEDIA_NEEDS,
  async () => {
    const root = await testMedia();
    await using srv = await startTestServer({
      root,
      loopFiles: true,
      multicast: { firstAddress: 0xefff2b00, addressCount: 16, ttl: 1 },
    });
    const url = srv.url("/clip.mp4");
    const join = async (c: RawClient) => {
      const s = await c.request(setup(`${url}/trackID=0`, 1, "RTP/AVP;multicast"));
      assert.equal(s.status, 200, "a file may be set up for multicast");
      const m = /destination=(239\.255\.43\.\d+);port=(\d+)-(\d+);ttl=1/.exec(
        s.headers.get("transport")!,
      );
      assert.ok(m, s.headers.get("transport"));
      const session = s.headers.get("session")!.split(";")[0];
      const play = await c.request(
        `PLAY ${url} RTSP/1.0\r\nCSeq: 2\r\nSession: ${session}\r\n\r\n`,
      );
      assert.equal(play.status, 200);
      return { session, group: m[1], rtp: Number(m[2]), rtcp: Number(m[3]) };
    };
    const a = await RawClient.connect(srv.port);
    const b = await RawClient.connect(srv.port);
    try {
      const first = await join(a);
      const rtp = await udpListener({ port: first.rtp, group: first.group });
      const rtcp = await udpListener({ port: first.rtcp, group: first.group });
      try {
        for (let i = 0; i < 30 && rtp.received.length < 20; i++) await wait(100);
        assert.ok(rtp.received.length >= 20, `${rtp.received.length} multicast packets`);
        const second = await join(b);
        assert.deepEqual([second.group, second.rtp], [first.group, first.rtp], "the same group");
        await a.request(`TEARDOWN ${url} RTSP/1.0\r\nCSeq: 3\r\nSession: ${first.session}\r\n\r\n`);
        const before = rtp.received.length;
        for (let i = 0; i < 30 && rtp.received.length <= before; i++) await wait(100);
        assert.ok(rtp.received.length > before, "the group plays on for the member left");
        const ssrcs = new Set(rtp.received.map((p) => {
          const parsed = parseRtpPacket(p);
          assert.ok(parsed.ok);
          return parsed.packet.header.ssrc;
        }));
        assert.equal(ssrcs.size, 1, "one timeline, one SSRC");
        await b.request(
          `TEARDOWN ${url} RTSP/1.0\r\nCSeq: 3\r\nSession: ${second.session}\r\n\r\n`,
        );
        // Generous on a loaded machine: the BYE leaves at once, the datagram may take a while.
        for (let i = 0; i < 100; i++) {
          if (rtcp.received.some((r) => isBye(r))) break;
          await wait(50);
        }
        assert.ok(rtcp.received.some((r) => isBye(r)), "BYE to the group after the last member");
        await wait(200);
        const after = rtp.received.length;
        await wait(500);
        assert.equal(rtp.received.length, after, "nothing is sent to an empty group");
      } finally {
        rtp.close();
        rtcp.close();
      }
    } finally {
      a.close();
      b.close();
    }
  },
);

function isBye(bytes: Uint8Array): boolean {
  const parsed = parseRtcpCompound(bytes);
  return parsed.ok && parsed.packets.some((p) => p.type === "bye");
}
