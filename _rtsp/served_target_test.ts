import assert from "node:assert/strict";
import { type ServedTarget, servedTarget, type TargetRequest } from "./served_target.ts";
import { parseTransport, type TransportSpec } from "./transport.ts";

function transports(text: string): readonly TransportSpec[] | undefined {
  const parsed = parseTransport(text);
  return "error" in parsed ? undefined : parsed;
}

const PLAYING = { mode: "play", path: "/public/live" } as const;
const PUBLISHING = { mode: "record", path: "/cam/1" } as const;

Deno.test("servedTarget() names the stream a request is checked against and served from", () => {
  const cases: ReadonlyArray<[string, TargetRequest, ServedTarget]> = [
    ["DESCRIBE reads its path", { method: "DESCRIBE", path: "/a/b" }, {
      action: "read",
      path: "/a/b",
    }],
    ["a track URL names its parent", {
      method: "SETUP",
      path: "/a/b/trackID=1",
      transports: transports("RTP/AVP;unicast;client_port=5000-5001"),
    }, { action: "read", path: "/a/b", control: "trackID=1" }],
    ["a name that merely looks like a control is the aggregate", {
      method: "SETUP",
      path: "/public/vip/cam=1",
      transports: transports("RTP/AVP;unicast;client_port=5000-5001"),
    }, { action: "read", path: "/public/vip/cam=1" }],
    ["xmode=record is not mode=record", {
      method: "SETUP",
      path: "/public/vip/cam=1/trackID=0",
      transports: transports("RTP/AVP;unicast;client_port=5000-5001;xmode=record"),
    }, { action: "read", path: "/public/vip/cam=1", control: "trackID=0" }],
    ["mode=record publishes the announced stream", {
      method: "SETUP",
      path: "/cam/1/streamid=0",
      transports: transports('RTP/AVP/TCP;interleaved=0-1;mode="RECORD"'),
      announcedPath: (p) => p.startsWith("/cam/1/") ? "/cam/1" : undefined,
    }, { action: "publish", path: "/cam/1" }],
    ["mode=record without an announcement publishes the URL's path", {
      method: "SETUP",
      path: "/x/streamid=0",
      transports: transports("RTP/AVP;unicast;client_port=5000-5001;mode=receive"),
    }, { action: "publish", path: "/x/streamid=0" }],
    ["SETUP in a publishing session publishes its stream", {
      method: "SETUP",
      path: "/cam/1/streamid=1",
      transports: transports("RTP/AVP/TCP;interleaved=2-3"),
      session: PUBLISHING,
    }, { action: "publish", path: "/cam/1" }],
    ["SETUP in a reading session reads the URL's stream", {
      method: "SETUP",
      path: "/other/trackID=0",
      transports: transports("RTP/AVP/TCP;interleaved=2-3;mode=record"),
      session: PLAYING,
    }, { action: "read", path: "/other", control: "trackID=0" }],
    ["PLAY acts on its session's stream", {
      method: "PLAY",
      path: "/anything",
      session: PLAYING,
    }, { action: "read", path: "/public/live" }],
    ["RECORD in a publishing session", { method: "RECORD", path: "/x", session: PUBLISHING }, {
      action: "publish",
      path: "/cam/1",
    }],
    ["RECORD without a session", { method: "RECORD", path: "/x" }, {
      action: "publish",
      path: "/x",
    }],
    ["DESCRIBE with a session still reads its own URL", {
      method: "DESCRIBE",
      path: "/secret",
      session: PLAYING,
    }, { action: "read", path: "/secret" }],
    ["ANNOUNCE publishes its URL even inside a reading session", {
      method: "ANNOUNCE",
      path: "/p",
      session: PLAYING,
    }, { action: "publish", path: "/p" }],
    ["TEARDOWN without a session reads its URL", { method: "TEARDOWN", path: "/t" }, {
      action: "read",
      path: "/t",
    }],
  ];
  for (const [name, request, expected] of cases) {
    assert.deepEqual(servedTarget(request), expected, name);
  }
});
