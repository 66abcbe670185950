import assert from "node:assert/strict";
import { parseClientUrl } from "./client_url.ts";

Deno.test("parseClientUrl() strips and decodes the userinfo, fills the default port", () => {
  assert.deepEqual(parseClientUrl("rtsp://user:p%40ss%3Aw@cam.local:8554/live/1?x=1#frag"), {
    secure: false,
    hostname: "cam.local",
    port: 8554,
    url: "rtsp://cam.local:8554/live/1?x=1",
    credentials: { user: "user", password: "p@ss:w" },
  });
  assert.deepEqual(parseClientUrl("rtsp://10.0.0.1/s"), {
    secure: false,
    hostname: "10.0.0.1",
    port: 554,
    url: "rtsp://10.0.0.1/s",
  });
  assert.deepEqual(parseClientUrl("RTSPS://[::1]/s"), {
    secure: true,
    hostname: "::1",
    port: 322,
    url: "rtsps://[::1]/s",
  });
  assert.deepEqual(parseClientUrl("rtsp://admin@h")?.credentials, { user: "admin", password: "" });
  assert.equal(parseClientUrl("rtsp://h")?.url, "rtsp://h");
});

Deno.test("parseClientUrl() refuses what is not an rtsp URL", () => {
  for (
    const text of [
      "http://h/s",
      "rtsp:/h/s",
      "rtsp://",
      "rtsp://h:99999/s",
      "rtsp://h:0/s",
      "rtsp://u%zz:p@h/s",
      "rtsp://h/s s",
      "rtsp://h/s\r\nX: y",
    ]
  ) {
    assert.equal(parseClientUrl(text), undefined, text);
  }
});
