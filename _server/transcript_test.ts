import assert from "node:assert/strict";
import { RtspHeaders } from "../_rtsp/headers.ts";
import type { RtspRequest } from "../_rtsp/message.ts";
import {
  MASKED,
  maskedRequestHead,
  MAX_TRANSCRIPT_CHARS,
  MAX_TRANSCRIPT_HEAD_CHARS,
  Transcript,
  TRANSCRIPT_EXCHANGES,
} from "./transcript.ts";

function request(uri: string, headers: Array<[string, string]>, method = "DESCRIBE"): RtspRequest {
  return {
    method,
    uri,
    version: "RTSP/1.0",
    headers: new RtspHeaders(headers),
    body: new Uint8Array(),
  };
}

Deno.test("maskedRequestHead() masks Authorization, Proxy-Authorization and URL credentials", () => {
  const head = maskedRequestHead(request("rtsp://alice:wonderland@cam/test", [
    ["CSeq", "2"],
    ["authorization", 'Digest username="alice", response="0123456789abcdef"'],
    ["Proxy-Authorization", "Basic YWxpY2U6d29uZGVybGFuZA=="],
  ]));
  assert.equal(
    head,
    `DESCRIBE rtsp://${MASKED}@cam/test RTSP/1.0\r\nCSeq: 2\r\n` +
      `Authorization: Digest ${MASKED}\r\nProxy-Authorization: Basic ${MASKED}\r\n`,
  );
});

Deno.test("maskedRequestHead() cuts a huge head and says so", () => {
  const head = maskedRequestHead(request(`rtsp://h/${"a".repeat(5000)}`, [["CSeq", "1"]]));
  assert.ok(head.length < MAX_TRANSCRIPT_HEAD_CHARS + 40);
  assert.match(head, /…\[\d+ more characters\]$/);
});

Deno.test("Transcript keeps the last exchanges within its count and size bounds", () => {
  const transcript = new Transcript("192.0.2.1");
  for (let i = 0; i < TRANSCRIPT_EXCHANGES + 5; i++) {
    transcript.record(
      request("rtsp://h/test", [["CSeq", String(i)]], "OPTIONS"),
      { status: 200, headers: { cseq: String(i) } },
      i,
    );
  }
  const kept = transcript.exchanges();
  assert.equal(kept.length, TRANSCRIPT_EXCHANGES);
  assert.equal(kept[0].atMs, 5);
  assert.equal(kept.at(-1)!.atMs, TRANSCRIPT_EXCHANGES + 4);
  const big = new Transcript("192.0.2.1");
  for (let i = 0; i < TRANSCRIPT_EXCHANGES; i++) {
    big.record(
      request(`rtsp://h/${"x".repeat(2000)}`, [["CSeq", String(i)]]),
      { status: 404, headers: {} },
      i,
    );
  }
  const chars = big.exchanges().reduce((n, e) => n + e.request.length + e.response.length, 0);
  assert.ok(chars <= MAX_TRANSCRIPT_CHARS, `${chars} characters kept`);
  assert.ok(big.exchanges().length >= 1);
  assert.match(big.exchanges()[0].request, /…\[\d+ more characters\]$/);
  assert.match(kept[0].response, /^RTSP\/1.0 200 OK\r\nCSeq: 5\r\nDate: .+ GMT\r\nServer: rtsp.ts/);
});
