import assert from "node:assert/strict";
import { buildSdp } from "./sdp.ts";

Deno.test("buildSdp() writes RFC 8866 lines with RFC 2326 C.1 control attributes", () => {
  const sdp = buildSdp({
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
        attributes: ["framerate:25"],
      },
      {
        media: "audio",
        payloadType: 97,
        encoding: "opus",
        clockRate: 48000,
        channels: 2,
        control: "trackID=1",
      },
    ],
    durationSeconds: 10,
  }, { sessionId: "123", version: "1", address: "::1" });
  assert.equal(
    sdp,
    [
      "v=0",
      "o=- 123 1 IN IP6 ::1",
      "s=Test",
      "c=IN IP4 0.0.0.0",
      "t=0 0",
      "a=tool:rtsp.ts",
      "a=control:*",
      "a=range:npt=0-10.000",
      "m=video 0 RTP/AVP 96",
      "a=rtpmap:96 H264/90000",
      "a=fmtp:96 packetization-mode=1",
      "a=framerate:25",
      "a=control:trackID=0",
      "m=audio 0 RTP/AVP 97",
      "a=rtpmap:97 opus/48000/2",
      "a=control:trackID=1",
      "",
    ].join("\r\n"),
  );
});
