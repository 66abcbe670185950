import assert from "node:assert/strict";
import type { Session, SessionTrack } from "../_rtsp/session.ts";
import type { TransportSpec } from "../_rtsp/transport.ts";
import { IngressRouter } from "./ingress_router.ts";

function session(id: string, connectionId: number, transport: TransportSpec): Session {
  const track: SessionTrack = {
    trackIndex: 0,
    transport,
    clientAddress: "10.0.0.1",
    ssrc: 1,
    initialSequenceNumber: 0,
    initialTimestamp: 0,
  };
  return {
    id,
    path: "/p",
    connectionId,
    mode: "record",
    state: "recording",
    tracks: new Map([[0, track]]),
    lastActivityMs: 0,
    timeoutMs: 60_000,
  };
}

const UDP: TransportSpec = {
  profile: "RTP/AVP",
  lower: "UDP",
  delivery: "unicast",
  clientPorts: [5000, 5001],
};
const TCP: TransportSpec = {
  profile: "RTP/AVP",
  lower: "TCP",
  delivery: "unicast",
  interleaved: [2, 3],
};

Deno.test("IngressRouter routes a publisher's RTP and RTCP, and a reader's RTCP only", () => {
  const router = new IngressRouter<string>();
  const publisher = session("P", 1, UDP);
  const reader = session("R", 2, TCP);
  router.add(publisher, "relay");
  router.add(reader);
  assert.deepEqual(router.fromUdp("10.0.0.1", 5000), {
    session: publisher,
    trackIndex: 0,
    relay: "relay",
    rtcp: false,
  });
  assert.equal(router.fromUdp("10.0.0.1", 5001)?.rtcp, true);
  assert.equal(router.fromUdp("10.0.0.2", 5000), undefined, "another address is not the publisher");
  assert.equal(router.fromInterleaved(2, 2), undefined, "a reader sends no RTP");
  assert.equal(router.fromInterleaved(2, 3)?.session.id, "R");
  assert.equal(router.fromInterleaved(1, 3), undefined, "channels are per connection");
  // Removing a session removes only what is still its own.
  router.add(session("Q", 3, UDP), "other");
  router.remove(publisher);
  assert.equal(router.fromUdp("10.0.0.1", 5000)?.session.id, "Q");
  router.remove(reader);
  assert.equal(router.fromInterleaved(2, 3), undefined);
});
