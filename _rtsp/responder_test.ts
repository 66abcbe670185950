import assert from "node:assert/strict";
import { StaticCatalogue, type StreamDescription } from "./catalogue.ts";
import { MessageFramer } from "./framer.ts";
import { type Method, METHODS } from "./method.ts";
import {
  type ConnectionInfo,
  type MediaController,
  RtspResponder,
  type RtspResponderOptions,
} from "./responder.ts";
import { nextSessionState, type SessionState, STATE_METHODS, type StateMethod } from "./session.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const DATE = "Date: Tue, 24 Nov 2026 03:00:00 GMT";
const T0 = Date.UTC(2026, 10, 24, 3, 0, 0);

const TEST: StreamDescription = {
  path: "/test",
  name: "Test",
  tracks: [
    {
      media: "video",
      payloadType: 96,
      encoding: "H264",
      clockRate: 90000,
      fmtp: "packetization-mode=1",
      control: "trackID=0",
    },
    { media: "audio", payloadType: 0, encoding: "PCMU", clockRate: 8000, control: "trackID=1" },
  ],
};
const AUDIO_ONLY: StreamDescription = {
  path: "/radio",
  name: "Radio",
  tracks: [{
    media: "audio",
    payloadType: 0,
    encoding: "PCMU",
    clockRate: 8000,
    control: "trackID=0",
  }],
};

/** A responder whose clock, ids and random numbers are fixed. */
function harness(
  media: MediaController = { udpPorts: () => ({ rtp: 6970, rtcp: 6971 }) },
  options: Partial<RtspResponderOptions> = {},
) {
  const clock = { now: T0 };
  let ids = 0;
  let random = 0x11111111;
  const responder = new RtspResponder({
    catalogue: new StaticCatalogue([TEST, AUDIO_ONLY]),
    media,
    now: () => clock.now,
    newSessionId: () => `SESSION${++ids}`,
    random32: () => (random += 0x11111111) >>> 0,
    ...options,
  });
  const conn: ConnectionInfo = { id: 1, remoteAddress: "127.0.0.1", localAddress: "127.0.0.1" };
  async function exchange(request: string, connection = conn): Promise<string> {
    const framer = new MessageFramer();
    framer.push(enc.encode(request));
    const frame = framer.next();
    if (frame?.kind !== "request") throw new Error(`not a request: ${request}`);
    const { response } = await responder.respond(frame.request, connection);
    return dec.decode(responder.serialize(response));
  }
  return { responder, clock, exchange, conn };
}

function head(status: string, cseq: string, ...lines: string[]): string {
  return [`RTSP/1.0 ${status}`, `CSeq: ${cseq}`, DATE, "Server: rtsp.ts/0.1", ...lines, "", ""]
    .join("\r\n");
}

Deno.test("responder answers a whole ffmpeg play sequence byte for byte", async () => {
  const { exchange } = harness();
  assert.equal(
    await exchange(
      "OPTIONS rtsp://127.0.0.1:554/test RTSP/1.0\r\nCSeq: 1\r\nUser-Agent: Lavf59.27.100\r\n\r\n",
    ),
    head(
      "200 OK",
      "1",
      "Public: OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER, SET_PARAMETER",
    ),
  );
  const sdp =
    "v=0\r\no=- 1795489200 1 IN IP4 127.0.0.1\r\ns=Test\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n" +
    "a=tool:rtsp.ts\r\na=control:*\r\na=range:npt=0-\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n" +
    "a=fmtp:96 packetization-mode=1\r\na=control:trackID=0\r\nm=audio 0 RTP/AVP 0\r\n" +
    "a=rtpmap:0 PCMU/8000\r\na=control:trackID=1\r\n";
  assert.equal(
    await exchange(
      "DESCRIBE rtsp://127.0.0.1:554/test RTSP/1.0\r\nAccept: application/sdp\r\nCSeq: 2\r\n\r\n",
    ),
    head(
      "200 OK",
      "2",
      "Content-Base: rtsp://127.0.0.1:554/test/",
      "Content-Type: application/sdp",
      `Content-Length: ${sdp.length}`,
    ).replace(/\r\n$/, "") + "\r\n" + sdp,
  );
  assert.equal(
    await exchange(
      "SETUP rtsp://127.0.0.1:554/test/trackID=0 RTSP/1.0\r\nTransport: RTP/AVP/UDP;unicast;client_port=27786-27787\r\nCSeq: 3\r\n\r\n",
    ),
    head(
      "200 OK",
      "3",
      "Session: SESSION1;timeout=60",
      "Transport: RTP/AVP;unicast;client_port=27786-27787;server_port=6970-6971;ssrc=22222222",
    ),
  );
  assert.equal(
    await exchange(
      "SETUP rtsp://127.0.0.1:554/test/trackID=1 RTSP/1.0\r\nTransport: RTP/AVP/TCP;unicast;interleaved=2-3\r\nCSeq: 4\r\nSession: SESSION1\r\n\r\n",
    ),
    head(
      "200 OK",
      "4",
      "Session: SESSION1;timeout=60",
      "Transport: RTP/AVP/TCP;unicast;interleaved=2-3;ssrc=55555555",
    ),
  );
  assert.equal(
    await exchange(
      "PLAY rtsp://127.0.0.1:554/test/ RTSP/1.0\r\nRange: npt=0.000-\r\nCSeq: 5\r\nSession: SESSION1\r\n\r\n",
    ),
    head(
      "200 OK",
      "5",
      "Session: SESSION1",
      "Range: npt=0.000-",
      "RTP-Info: url=rtsp://127.0.0.1:554/test/trackID=0;seq=13107;rtptime=1145324612," +
        "url=rtsp://127.0.0.1:554/test/trackID=1;seq=26214;rtptime=2004318071",
    ),
  );
  assert.equal(
    await exchange(
      "PAUSE rtsp://127.0.0.1:554/test/ RTSP/1.0\r\nCSeq: 6\r\nSession: SESSION1\r\n\r\n",
    ),
    head("200 OK", "6", "Session: SESSION1"),
  );
  assert.equal(
    await exchange(
      "TEARDOWN rtsp://127.0.0.1:554/test/ RTSP/1.0\r\nCSeq: 7\r\nSession: SESSION1\r\n\r\n",
    ),
    head("200 OK", "7", "Session: SESSION1"),
  );
  assert.equal(
    await exchange(
      "PLAY rtsp://127.0.0.1:554/test/ RTSP/1.0\r\nCSeq: 8\r\nSession: SESSION1\r\n\r\n",
    ),
    head("454 Session Not Found", "8"),
  );
});

/** Each request (after an optional set-up) and the status line it must get. */
const STATUS_CASES: ReadonlyArray<
  { name: string; setup?: string[]; request: string; expect: string }
> = [
  {
    name: "unknown method: 501",
    request: "FLY rtsp://h/test RTSP/1.0\r\nCSeq: 1\r\n\r\n",
    expect: head("501 Not Implemented", "1"),
  },
  {
    name: "RTSP/2.0: 505",
    request: "OPTIONS * RTSP/2.0\r\nCSeq: 2\r\n\r\n",
    expect: head("505 RTSP Version Not Supported", "2"),
  },
  {
    name: "HTTP request: 505",
    request: "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    expect: "RTSP/1.0 505 RTSP Version Not Supported\r\n" + DATE +
      "\r\nServer: rtsp.ts/0.1\r\n\r\n",
  },
  {
    name: "missing CSeq: 400",
    request: "OPTIONS * RTSP/1.0\r\n\r\n",
    expect: "RTSP/1.0 400 Bad Request\r\n" + DATE + "\r\nServer: rtsp.ts/0.1\r\n\r\n",
  },
  {
    name: "non-numeric CSeq: 400, echoed",
    request: "OPTIONS * RTSP/1.0\r\nCSeq: abc\r\n\r\n",
    expect: head("400 Bad Request", "abc"),
  },
  {
    name: "unknown path: 404",
    request: "DESCRIBE rtsp://h/nope RTSP/1.0\r\nCSeq: 3\r\n\r\n",
    expect: head("404 Not Found", "3"),
  },
  {
    name: "unknown track: 404",
    request: "SETUP rtsp://h/test/trackID=9 RTSP/1.0\r\nCSeq: 3\r\nTransport: RTP/AVP/TCP\r\n\r\n",
    expect: head("404 Not Found", "3"),
  },
  {
    name: "relative URL: 400",
    request: "DESCRIBE /test RTSP/1.0\r\nCSeq: 3\r\n\r\n",
    expect: head("400 Bad Request", "3"),
  },
  {
    name: "DESCRIBE *: 400",
    request: "DESCRIBE * RTSP/1.0\r\nCSeq: 3\r\n\r\n",
    expect: head("400 Bad Request", "3"),
  },
  {
    name: "ANNOUNCE: 405 with Allow",
    request:
      "ANNOUNCE rtsp://h/pub RTSP/1.0\r\nCSeq: 4\r\nContent-Type: application/sdp\r\nContent-Length: 3\r\n\r\nv=0",
    expect: head(
      "405 Method Not Allowed",
      "4",
      "Allow: OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER, SET_PARAMETER",
    ),
  },
  {
    name: "unknown session: 454",
    request: "PLAY rtsp://h/test RTSP/1.0\r\nCSeq: 5\r\nSession: NOPE\r\n\r\n",
    expect: head("454 Session Not Found", "5"),
  },
  {
    name: "PLAY with no session: 454",
    request: "PLAY rtsp://h/test RTSP/1.0\r\nCSeq: 5\r\n\r\n",
    expect: head("454 Session Not Found", "5"),
  },
  {
    name: "PAUSE while ready: 455",
    setup: [
      "SETUP rtsp://h/radio RTSP/1.0\r\nCSeq: 1\r\nTransport: RTP/AVP/TCP;interleaved=0-1\r\n\r\n",
    ],
    request: "PAUSE rtsp://h/radio RTSP/1.0\r\nCSeq: 6\r\nSession: SESSION1\r\n\r\n",
    expect: head("455 Method Not Valid in This State", "6", "Session: SESSION1"),
  },
  {
    name: "SETUP while playing: 455",
    setup: [
      "SETUP rtsp://h/radio RTSP/1.0\r\nCSeq: 1\r\nTransport: RTP/AVP/TCP;interleaved=0-1\r\n\r\n",
      "PLAY rtsp://h/radio RTSP/1.0\r\nCSeq: 2\r\nSession: SESSION1\r\n\r\n",
    ],
    request:
      "SETUP rtsp://h/radio RTSP/1.0\r\nCSeq: 3\r\nSession: SESSION1\r\nTransport: RTP/AVP/TCP\r\n\r\n",
    expect: head("455 Method Not Valid in This State", "3", "Session: SESSION1"),
  },
  {
    name: "SETUP of a multi-track aggregate URL: 459",
    request:
      "SETUP rtsp://h/test RTSP/1.0\r\nCSeq: 7\r\nTransport: RTP/AVP/TCP;interleaved=0-1\r\n\r\n",
    expect: head("459 Aggregate Operation Not Allowed", "7"),
  },
  {
    name: "PLAY of one track of a two-track session: 460",
    setup: [
      "SETUP rtsp://h/test/trackID=0 RTSP/1.0\r\nCSeq: 1\r\nTransport: RTP/AVP/TCP;interleaved=0-1\r\n\r\n",
      "SETUP rtsp://h/test/trackID=1 RTSP/1.0\r\nCSeq: 2\r\nSession: SESSION1\r\nTransport: RTP/AVP/TCP;interleaved=2-3\r\n\r\n",
    ],
    request: "PLAY rtsp://h/test/trackID=0 RTSP/1.0\r\nCSeq: 3\r\nSession: SESSION1\r\n\r\n",
    expect: head("460 Only Aggregate Operation Allowed", "3", "Session: SESSION1"),
  },
  {
    name: "unsupported profile: 461",
    request:
      "SETUP rtsp://h/radio RTSP/1.0\r\nCSeq: 8\r\nTransport: RTP/SAVP;unicast;client_port=5000-5001\r\n\r\n",
    expect: head("461 Unsupported Transport", "8"),
  },
  {
    name: "no Transport: 461",
    request: "SETUP rtsp://h/radio RTSP/1.0\r\nCSeq: 8\r\n\r\n",
    expect: head("461 Unsupported Transport", "8"),
  },
  {
    name: "multicast not offered yet: 461",
    request: "SETUP rtsp://h/radio RTSP/1.0\r\nCSeq: 8\r\nTransport: RTP/AVP;multicast\r\n\r\n",
    expect: head("461 Unsupported Transport", "8"),
  },
  {
    name: "Require: 551 with Unsupported",
    request: "OPTIONS * RTSP/1.0\r\nCSeq: 9\r\nRequire: funky-feature\r\n\r\n",
    expect: head("551 Option not supported", "9", "Unsupported: funky-feature"),
  },
  {
    name: "bad Range: 457",
    setup: [
      "SETUP rtsp://h/radio RTSP/1.0\r\nCSeq: 1\r\nTransport: RTP/AVP/TCP;interleaved=0-1\r\n\r\n",
    ],
    request:
      "PLAY rtsp://h/radio RTSP/1.0\r\nCSeq: 10\r\nSession: SESSION1\r\nRange: smpte=0:10:20-\r\n\r\n",
    expect: head("457 Invalid Range", "10", "Session: SESSION1"),
  },
  {
    name: "GET_PARAMETER keep-alive: 200",
    setup: [
      "SETUP rtsp://h/radio RTSP/1.0\r\nCSeq: 1\r\nTransport: RTP/AVP/TCP;interleaved=0-1\r\n\r\n",
    ],
    request: "GET_PARAMETER rtsp://h/radio RTSP/1.0\r\nCSeq: 11\r\nSession: SESSION1\r\n\r\n",
    expect: head("200 OK", "11", "Session: SESSION1"),
  },
  {
    name: "SET_PARAMETER with an unknown parameter: 451",
    request:
      "SET_PARAMETER rtsp://h/radio RTSP/1.0\r\nCSeq: 12\r\nContent-Length: 10\r\n\r\nbarparam\r\n",
    expect: head("451 Parameter Not Understood", "12"),
  },
  {
    name:
      "SETUP of a single-track aggregate URL is its track; a camera's TCP SETUP without channels gets 0-1",
    request: "SETUP rtsp://h/radio RTSP/1.0\r\nCSeq: 13\r\nTransport: RTP/AVP/TCP;unicast\r\n\r\n",
    expect: head(
      "200 OK",
      "13",
      "Session: SESSION1;timeout=60",
      "Transport: RTP/AVP/TCP;unicast;interleaved=0-1;ssrc=22222222",
    ),
  },
];

Deno.test("responder gives each error its status and echoes CSeq", async (t) => {
  for (const c of STATUS_CASES) {
    await t.step(c.name, async () => {
      const { exchange } = harness();
      for (const s of c.setup ?? []) assert.match(await exchange(s), /^RTSP\/1.0 200 OK/);
      assert.equal(await exchange(c.request), c.expect);
    });
  }
});

Deno.test("UDP SETUP without a UDP transport available falls through to 461", async () => {
  const { exchange } = harness({});
  assert.equal(
    await exchange(
      "SETUP rtsp://h/radio RTSP/1.0\r\nCSeq: 1\r\nTransport: RTP/AVP;unicast;client_port=5000-5001\r\n\r\n",
    ),
    head("461 Unsupported Transport", "1"),
  );
});

Deno.test("interleaved channels that clash on one connection are moved", async () => {
  const { exchange } = harness();
  await exchange(
    "SETUP rtsp://h/radio RTSP/1.0\r\nCSeq: 1\r\nTransport: RTP/AVP/TCP;interleaved=0-1\r\n\r\n",
  );
  const second = await exchange(
    "SETUP rtsp://h/test/trackID=0 RTSP/1.0\r\nCSeq: 2\r\nTransport: RTP/AVP/TCP;interleaved=0-1\r\n\r\n",
  );
  assert.match(second, /Transport: RTP\/AVP\/TCP;unicast;interleaved=2-3;/);
});

Deno.test("sessions time out on the injected clock; requests and touches refresh them", async () => {
  const ended: string[] = [];
  const { exchange, responder, clock } = harness({ end: (s, why) => ended.push(`${s.id}:${why}`) });
  await exchange(
    "SETUP rtsp://h/radio RTSP/1.0\r\nCSeq: 1\r\nTransport: RTP/AVP/TCP;interleaved=0-1\r\n\r\n",
  );
  clock.now += 50_000;
  assert.match(
    await exchange("GET_PARAMETER rtsp://h/radio RTSP/1.0\r\nCSeq: 2\r\nSession: SESSION1\r\n\r\n"),
    /200 OK/,
  );
  clock.now += 50_000;
  assert.equal(responder.touchSession("SESSION1")?.id, "SESSION1", "RTCP refreshes it");
  clock.now += 59_000;
  assert.deepEqual(responder.expireSessions().map((s) => s.id), []);
  clock.now += 2_000;
  assert.deepEqual(responder.expireSessions().map((s) => s.id), ["SESSION1"]);
  assert.deepEqual(ended, ["SESSION1:timeout"]);
  assert.match(
    await exchange("PLAY rtsp://h/radio RTSP/1.0\r\nCSeq: 3\r\nSession: SESSION1\r\n\r\n"),
    /454 Session Not Found/,
  );
});

Deno.test("a session that never played expires sooner than one that plays", async () => {
  const ended: string[] = [];
  const { exchange, responder, clock } = harness({
    udpPorts: () => ({ rtp: 6970, rtcp: 6971 }),
    end: (s, why) => ended.push(`${s.id}:${why}`),
  }, { unplayedSessionTimeoutMs: 10_000 });
  for (const port of [5000, 5002]) {
    const answer = await exchange(
      `SETUP rtsp://h/radio RTSP/1.0\r\nCSeq: 1\r\nTransport: RTP/AVP;unicast;client_port=${port}\r\n\r\n`,
    );
    // Clients are told the timeout of a playing session: their keep-alive interval.
    assert.match(answer, /Session: SESSION\d;timeout=60\r\n/);
  }
  assert.match(
    await exchange("PLAY rtsp://h/radio RTSP/1.0\r\nCSeq: 2\r\nSession: SESSION2\r\n\r\n"),
    /200 OK/,
  );
  clock.now += 10_001;
  assert.deepEqual(responder.expireSessions().map((s) => s.id), ["SESSION1"]);
  clock.now += 49_000;
  assert.deepEqual(responder.expireSessions().map((s) => s.id), []);
  clock.now += 1_000;
  assert.deepEqual(responder.expireSessions().map((s) => s.id), ["SESSION2"]);
  assert.deepEqual(ended, ["SESSION1:timeout", "SESSION2:timeout"]);
});

Deno.test("an expired session found by a request is ended through expire, not dropped", async () => {
  const ended: string[] = [];
  const { exchange, responder, clock } = harness({
    udpPorts: () => ({ rtp: 6970, rtcp: 6971 }),
    end: (s, why) => ended.push(`${s.id}:${why}`),
  });
  await exchange(
    "SETUP rtsp://h/radio RTSP/1.0\r\nCSeq: 1\r\nTransport: RTP/AVP;unicast;client_port=5000\r\n\r\n",
  );
  clock.now += 61_000;
  assert.match(
    await exchange("PLAY rtsp://h/radio RTSP/1.0\r\nCSeq: 2\r\nSession: SESSION1\r\n\r\n"),
    /454 Session Not Found/,
  );
  // Its media and its client ports are released by the sweep, not leaked.
  assert.deepEqual(responder.expireSessions().map((s) => s.id), ["SESSION1"]);
  assert.deepEqual(ended, ["SESSION1:timeout"]);
  assert.match(
    await exchange(
      "SETUP rtsp://h/radio RTSP/1.0\r\nCSeq: 3\r\nTransport: RTP/AVP;unicast;client_port=5000\r\n\r\n",
    ),
    /200 OK/,
  );
});

Deno.test("closing a connection ends its interleaved sessions, not its UDP ones", async () => {
  const ended: string[] = [];
  const { exchange, responder } = harness({
    udpPorts: () => ({ rtp: 6970, rtcp: 6971 }),
    end: (s, why) => ended.push(`${s.id}:${why}`),
  });
  await exchange(
    "SETUP rtsp://h/radio RTSP/1.0\r\nCSeq: 1\r\nTransport: RTP/AVP/TCP;interleaved=0-1\r\n\r\n",
  );
  await exchange(
    "SETUP rtsp://h/radio RTSP/1.0\r\nCSeq: 2\r\nTransport: RTP/AVP;unicast;client_port=5000-5001\r\n\r\n",
  );
  assert.deepEqual(responder.connectionClosed(1).map((s) => s.id), ["SESSION1"]);
  assert.deepEqual(ended, ["SESSION1:connection-closed"]);
  assert.equal(responder.sessions.size, 1);
});

Deno.test("framing errors are answered with their status and CSeq, then close", () => {
  const { responder } = harness();
  const framer = new MessageFramer();
  framer.push(enc.encode("ANNOUNCE rtsp://h/x RTSP/1.0\r\nCSeq: 7\r\nContent-Length: -5\r\n\r\n"));
  const frame = framer.next();
  assert.ok(frame?.kind === "error", `frame ${frame?.kind}`);
  const reply = responder.frameError(frame);
  assert.equal(reply.close, true);
  assert.equal(dec.decode(responder.serialize(reply.response)), head("400 Bad Request", "7"));
});

Deno.test("every method in every session state answers as the RFC 2326 A.1 table says", async (t) => {
  const sdp = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\nt=0 0\r\n" +
    "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=control:trackID=0\r\n";
  const announce = (path: string, cseq: number) =>
    `ANNOUNCE rtsp://h${path} RTSP/1.0\r\nCSeq: ${cseq}\r\nContent-Type: application/sdp\r\n` +
    `Content-Length: ${sdp.length}\r\n\r\n${sdp}`;
  const playing = (method: string, extra = "") =>
    `${method} rtsp://h/test RTSP/1.0\r\nCSeq: 9\r\nSession: SESSION1\r\n${extra}\r\n`;
  /** Requests that bring a fresh responder to each state, and how each method is sent there. */
  const starts: ReadonlyArray<{
    state: SessionState;
    steps: string[];
    request: (method: Method) => string;
  }> = [
    {
      state: "ready-to-play",
      steps: [
        "SETUP rtsp://h/test/trackID=0 RTSP/1.0\r\nCSeq: 1\r\nTransport: RTP/AVP/TCP;interleaved=0-1\r\n\r\n",
      ],
      request: (m) =>
        m === "SETUP"
          ? "SETUP rtsp://h/test/trackID=1 RTSP/1.0\r\nCSeq: 9\r\nSession: SESSION1\r\n" +
            "Transport: RTP/AVP/TCP;interleaved=2-3\r\n\r\n"
          : m === "ANNOUNCE"
          ? announce("/other", 9)
          : playing(m),
    },
    {
      state: "ready-to-record",
      steps: [
        announce("/pub", 1),
        "SETUP rtsp://h/pub/trackID=0 RTSP/1.0\r\nCSeq: 2\r\n" +
        "Transport: RTP/AVP/TCP;interleaved=0-1;mode=record\r\n\r\n",
      ],
      request: (m) =>
        m === "SETUP"
          ? "SETUP rtsp://h/pub/trackID=0 RTSP/1.0\r\nCSeq: 9\r\nSession: SESSION1\r\n" +
            "Transport: RTP/AVP/TCP;interleaved=2-3;mode=record\r\n\r\n"
          : m === "ANNOUNCE"
          ? announce("/other", 9)
          : m === "DESCRIBE"
          ? playing(m)
          : `${m} rtsp://h/pub RTSP/1.0\r\nCSeq: 9\r\nSession: SESSION1\r\n\r\n`,
    },
  ];
  const follow: Partial<Record<SessionState, StateMethod>> = {
    "ready-to-play": "PLAY",
    "ready-to-record": "RECORD",
  };
  const states: Array<{ state: SessionState; steps: string[]; request: (m: Method) => string }> =
    [];
  for (const start of starts) {
    states.push(start);
    const method = follow[start.state]!;
    states.push({
      state: nextSessionState(start.state, method)!,
      steps: [...start.steps, start.request(method)],
      request: start.request,
    });
  }
  for (const { state, steps, request } of states) {
    for (const method of METHODS) {
      await t.step(`${method} in ${state}`, async () => {
        const { exchange, responder } = harness({
          udpPorts: () => ({ rtp: 6970, rtcp: 6971 }),
          canPublish: () => "ok",
          record: () => "ok",
        });
        for (const step of steps) assert.match(await exchange(step), /^RTSP\/1\.0 200 /);
        assert.equal(responder.sessions.get("SESSION1", T0)?.state, state);
        const answer = await exchange(request(method));
        const status = Number(answer.split(" ")[1]);
        const after = responder.sessions.get("SESSION1", T0)?.state;
        if (!(STATE_METHODS as readonly string[]).includes(method)) {
          // OPTIONS, DESCRIBE, ANNOUNCE, GET_PARAMETER, SET_PARAMETER leave the state alone.
          assert.equal(status, 200, answer);
          assert.equal(after, state);
          return;
        }
        const next = nextSessionState(state, method as StateMethod);
        if (next === undefined) {
          assert.equal(status, 455, answer);
          assert.equal(after, state, "a refused method changes nothing");
        } else {
          assert.equal(status, 200, answer);
          assert.equal(after, method === "TEARDOWN" ? undefined : next);
        }
      });
    }
  }
  // Without a session, only SETUP makes one; the other state methods find none (454).
  for (const method of STATE_METHODS) {
    const { exchange } = harness();
    const answer = await exchange(
      method === "SETUP"
        ? "SETUP rtsp://h/test/trackID=0 RTSP/1.0\r\nCSeq: 1\r\nTransport: RTP/AVP/TCP;interleaved=0-1\r\n\r\n"
        : `${method} rtsp://h/test RTSP/1.0\r\nCSeq: 1\r\nSession: NONE\r\n\r\n`,
    );
    assert.match(answer, method === "SETUP" ? /^RTSP\/1\.0 200 / : /^RTSP\/1\.0 454 /, method);
  }
});
