/**
 * The pure core's cost per request: frame, respond, serialize one OPTIONS, and
 * 8 pipelined in one chunk (the 32×8 case of `bench/run.ts`, minus the sockets).
 */

import { MessageFramer, RtspResponder, StaticCatalogue } from "../rtsp.ts";

const connection = { id: 1, remoteAddress: "127.0.0.1", localAddress: "127.0.0.1" };
const responder = new RtspResponder({ catalogue: new StaticCatalogue([]) });
const one = new TextEncoder().encode(
  "OPTIONS rtsp://127.0.0.1:8554/test RTSP/1.0\r\nCSeq: 12\r\nUser-Agent: rtspload\r\n\r\n",
);
const eight = new Uint8Array(one.length * 8);
for (let i = 0; i < 8; i++) eight.set(one, i * one.length);
const framer = new MessageFramer();

async function answer(bytes: Uint8Array): Promise<number> {
  framer.push(bytes);
  let written = 0;
  for (let frame = framer.next(); frame; frame = framer.next()) {
    if (frame.kind !== "request") continue;
    const { response } = await responder.respond(frame.request, connection);
    written += responder.serialize(response).length;
  }
  return written;
}

Deno.bench("OPTIONS: frame + respond + serialize, 1 request", async () => {
  await answer(one);
});

Deno.bench("OPTIONS: frame + respond + serialize, 8 pipelined", async () => {
  await answer(eight);
});
