/**
 * Fuzz target: the whole request path of a connection. The input is framed,
 * and every request is answered by an {@linkcode RtspResponder} (fixed clock,
 * ids and randomness) over a {@linkcode StaticCatalogue} holding test streams,
 * with a media controller that accepts UDP, multicast and publishing.
 *
 * Properties: `respond` never throws nor rejects; every answer has a status
 * with a reason phrase and echoes a valid CSeq; its serialization is a
 * well-formed response (no bare CR or LF a client could split a header on,
 * RFC 2326 §4) that frames back to the same status; `serializeInto` agrees
 * with `serialize`; closing the connection never throws.
 * @module
 */

import { StaticCatalogue, type StreamDescription } from "../../_rtsp/catalogue.ts";
import { MessageFramer } from "../../_rtsp/framer.ts";
import { DEFAULT_LIMITS } from "../../_rtsp/limits.ts";
import type { RtspRequest } from "../../_rtsp/message.ts";
import {
  type ConnectionInfo,
  type MediaController,
  type Reply,
  RtspResponder,
} from "../../_rtsp/responder.ts";
import { REASON_PHRASE } from "../../_rtsp/status.ts";
import { check, type FuzzTarget } from "../check.ts";
import { fnv1a } from "../prng.ts";
import { requestSeeds } from "../seeds.ts";
import { frameInput } from "./framer.ts";

/** 2026-11-24T03:00:00Z, as in the responder tests. */
const T0 = Date.UTC(2026, 10, 24, 3, 0, 0);
/** The clock advances this much per request, so sessions can time out within one input. */
const TICK_MS = 7_000;
const CONNECTION: ConnectionInfo = { id: 1, remoteAddress: "127.0.0.1", localAddress: "127.0.0.1" };
const decoder = new TextDecoder("latin1");

/** Streams served: two tracks, one track, and a file with a duration. */
const STREAMS: readonly StreamDescription[] = [
  {
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
  },
  {
    path: "/radio",
    name: "Radio",
    tracks: [{
      media: "audio",
      payloadType: 0,
      encoding: "PCMU",
      clockRate: 8000,
      control: "trackID=0",
    }],
  },
  {
    path: "/file.mp4",
    name: "",
    durationSeconds: 12.5,
    tracks: [{
      media: "video",
      payloadType: 96,
      encoding: "H265",
      clockRate: 90000,
      control: "streamid=0",
    }],
  },
];

/** Accepts everything a shell could: UDP ports, a multicast group, publishing (but not at /busy). */
const MEDIA: MediaController = {
  udpPorts: () => ({ rtp: 6970, rtcp: 6971 }),
  multicast: (_session, trackIndex) => ({
    address: "224.2.0.1",
    rtp: 5000 + 2 * trackIndex,
    rtcp: 5001 + 2 * trackIndex,
    ttl: 16,
  }),
  canPublish: (path) => path.startsWith("/busy") ? "busy" : "ok",
  record: () => "ok",
};

/** A responder whose clock, session ids and random numbers come from the input. */
function harness(input: Uint8Array) {
  let now = T0;
  let ids = 0;
  let random = fnv1a(input) || 1;
  const responder = new RtspResponder({
    catalogue: new StaticCatalogue(STREAMS),
    media: MEDIA,
    now: () => now,
    // Short ids sometimes collide with what a client sends back: S1, S2, ...
    newSessionId: () => `S${++ids}`,
    random32: () => {
      random ^= random << 13;
      random ^= random >>> 17;
      random ^= random << 5;
      return random >>> 0;
    },
    maxSessions: 4,
  });
  return { responder, tick: () => (now += TICK_MS) };
}

/** A serialized head is CRLF-delimited lines with no bare CR or LF inside. */
function checkHead(head: string, status: number): void {
  check(head.startsWith(`RTSP/1.0 ${status} `), `status line of ${status}: ${head.slice(0, 40)}`);
  check(head.endsWith("\r\n\r\n"), "head does not end with an empty line");
  const lines = head.slice(0, -4).split("\r\n");
  for (const line of lines) {
    check(!/[\r\n]/.test(line), `bare CR or LF in response line ${JSON.stringify(line)}`);
  }
}

/** Serializes a reply both ways and frames it back. */
function checkSerialized(responder: RtspResponder, reply: Reply): void {
  const { response } = reply;
  const bytes = responder.serialize(response);
  const bodyLength = response.body?.length ?? 0;
  checkHead(decoder.decode(bytes.subarray(0, bytes.length - bodyLength)), response.status);
  const exact = new Uint8Array(bytes.length);
  const written = responder.serializeInto(response, exact, 0);
  check(written === bytes.length && fnv1a(exact) === fnv1a(bytes), "serializeInto differs");
  check(
    responder.serializeInto(response, new Uint8Array(bytes.length - 1), 0) === undefined,
    "serializeInto wrote past a short buffer",
  );
  const framer = new MessageFramer();
  framer.push(bytes);
  const frame = framer.next();
  check(
    frame?.kind === "response" && frame.status === response.status,
    `own response frames as ${frame?.kind} ${frame?.kind === "error" ? frame.message : ""}`,
  );
  check(framer.next() === undefined && framer.buffered === 0, "own response leaves bytes over");
}

/** Answers one request and checks the answer. */
async function answer(responder: RtspResponder, request: RtspRequest): Promise<void> {
  const reply = await responder.respond(request, CONNECTION);
  const { status, headers } = reply.response;
  check(status in REASON_PHRASE, `status ${status} has no reason phrase`);
  check(!reply.close, "a request answered with close");
  const cseq = request.headers.get("cseq");
  if (cseq !== undefined && /^\d{1,10}$/.test(cseq)) {
    check(headers.cseq === cseq, `CSeq ${cseq} answered with ${headers.cseq}`);
  }
  checkSerialized(responder, reply);
}

/** The responder target. */
export const responderTarget: FuzzTarget = {
  name: "responder",
  seeds: requestSeeds,
  async run(input) {
    const { responder, tick } = harness(input);
    const { frames } = frameInput(input, DEFAULT_LIMITS);
    for (const frame of frames) {
      tick();
      if (frame.kind === "request") await answer(responder, frame.request);
      else if (frame.kind === "error") {
        const reply = responder.frameError(frame);
        check(reply.close && reply.response.status in REASON_PHRASE, "bad framing-error reply");
        checkSerialized(responder, reply);
      }
      responder.expireSessions();
    }
    responder.connectionClosed(CONNECTION.id);
    responder.endAll();
    check(responder.sessions.size === 0, `${responder.sessions.size} sessions after endAll`);
  },
};
