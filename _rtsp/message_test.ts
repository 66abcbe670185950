import assert from "node:assert/strict";
import { MessageFramer } from "./framer.ts";
import { RtspHeaders } from "./headers.ts";
import { serializeRequest, serializeResponse } from "./message.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * One table read and written: parsing each vector and serializing the result
 * gives the same bytes back.
 */
const REQUESTS: ReadonlyArray<
  { name: string; wire: string; method: string; headers: [string, string][] }
> = [
  {
    name: "ffmpeg DESCRIBE",
    wire:
      "DESCRIBE rtsp://127.0.0.1:554/test RTSP/1.0\r\nAccept: application/sdp\r\nCSeq: 2\r\nUser-Agent: Lavf59.27.100\r\n\r\n",
    method: "DESCRIBE",
    headers: [["Accept", "application/sdp"], ["CSeq", "2"], ["User-Agent", "Lavf59.27.100"]],
  },
  {
    name: "GStreamer SETUP",
    wire:
      "SETUP rtsp://127.0.0.1:554/test/trackID=1 RTSP/1.0\r\nCSeq: 4\r\nUser-Agent: GStreamer/1.22.0\r\nTransport: RTP/AVP/TCP;unicast;interleaved=2-3\r\nSession: F3D02FD26180584E\r\nDate: Tue, 24 Nov 2026 03:10:29 GMT\r\n\r\n",
    method: "SETUP",
    headers: [
      ["CSeq", "4"],
      ["User-Agent", "GStreamer/1.22.0"],
      ["Transport", "RTP/AVP/TCP;unicast;interleaved=2-3"],
      ["Session", "F3D02FD26180584E"],
      ["Date", "Tue, 24 Nov 2026 03:10:29 GMT"],
    ],
  },
  {
    name: "SET_PARAMETER with a body",
    wire:
      "SET_PARAMETER rtsp://h/test RTSP/1.0\r\nCSeq: 9\r\nContent-Type: text/parameters\r\nContent-Length: 10\r\n\r\nbarparam\r\n",
    method: "SET_PARAMETER",
    headers: [["CSeq", "9"], ["Content-Type", "text/parameters"], ["Content-Length", "10"]],
  },
];

Deno.test("requests parse and serialize back to the same bytes", async (t) => {
  for (const r of REQUESTS) {
    await t.step(r.name, () => {
      const framer = new MessageFramer();
      framer.push(enc.encode(r.wire));
      const frame = framer.next();
      assert.ok(frame?.kind === "request", `frame ${frame?.kind}`);
      assert.equal(frame.request.method, r.method);
      assert.deepEqual([...frame.request.headers.entries()], r.headers);
      assert.equal(dec.decode(serializeRequest(frame.request)), r.wire);
    });
  }
});

Deno.test("header lookup ignores case; names come out canonical", () => {
  const h = new RtspHeaders([["cseq", "1"], ["rtp-info", "x"], ["content-type", "a"], [
    "X-Custom-thing",
    "b",
  ]]);
  assert.equal(h.get("CSEQ"), "1");
  assert.deepEqual([...h.entries()].map(([n]) => n), [
    "CSeq",
    "RTP-Info",
    "Content-Type",
    "X-Custom-Thing",
  ]);
  h.append("CSeq", "2");
  assert.equal(h.get("cseq"), "1, 2");
});

Deno.test("serializeResponse() writes headers in the fixed order", () => {
  const bytes = serializeResponse({
    status: 200,
    headers: {
      contentType: "application/sdp",
      contentBase: "rtsp://h/test/",
      session: "ABC;timeout=60",
      cseq: "3",
    },
    body: enc.encode("v=0\r\n"),
  }, { date: "Tue, 24 Nov 2026 03:00:00 GMT", server: "rtsp.ts/0.1" });
  assert.equal(
    dec.decode(bytes),
    "RTSP/1.0 200 OK\r\nCSeq: 3\r\nDate: Tue, 24 Nov 2026 03:00:00 GMT\r\nServer: rtsp.ts/0.1\r\n" +
      "Session: ABC;timeout=60\r\nContent-Base: rtsp://h/test/\r\nContent-Type: application/sdp\r\n" +
      "Content-Length: 5\r\n\r\nv=0\r\n",
  );
});
