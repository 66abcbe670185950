import assert from "node:assert/strict";
import {
  matchRtpInfo,
  parsePublic,
  parseRtpInfo,
  parseSessionResponse,
} from "./response_headers.ts";

Deno.test("parseSessionResponse() reads the id and timeout, 60 s by default (RFC 2326, 12.37)", () => {
  const table: Array<[string, ReturnType<typeof parseSessionResponse>]> = [
    ["12345678", { id: "12345678", timeoutSeconds: 60 }],
    ["abc;timeout=30", { id: "abc", timeoutSeconds: 30 }],
    [" abc ; timeout = 20 ", { id: "abc", timeoutSeconds: 20 }],
    ["abc;timeout=0", { id: "abc", timeoutSeconds: 60 }],
    ["abc;timeout=x", { id: "abc", timeoutSeconds: 60 }],
    ["", undefined],
    ["a b", undefined],
    ["x".repeat(300), undefined],
  ];
  for (const [text, expected] of table) {
    assert.deepEqual(parseSessionResponse(text), expected, text);
  }
});

Deno.test("parseRtpInfo() reads url, seq and rtptime per stream (RFC 2326, 12.33)", () => {
  const table: Array<[string, string, ReturnType<typeof parseRtpInfo>]> = [
    [
      "this server",
      "url=rtsp://h/test/trackID=0;seq=571;rtptime=3772657156,url=rtsp://h/test/trackID=1;seq=1;rtptime=2",
      [
        { url: "rtsp://h/test/trackID=0", seq: 571, rtptime: 3772657156 },
        { url: "rtsp://h/test/trackID=1", seq: 1, rtptime: 2 },
      ],
    ],
    [
      "spaces, and a comma inside a URL",
      "url=rtsp://h/a,b/track1; seq=7 ; rtptime=9, url=track2;seq=8",
      [{ url: "rtsp://h/a,b/track1", seq: 7, rtptime: 9 }, { url: "track2", seq: 8 }],
    ],
    [
      "out-of-range numbers are left out",
      "url=x;seq=70000;rtptime=99999999999",
      [{ url: "x" }],
    ],
    ["no url", "seq=1;rtptime=2", []],
  ];
  for (const [name, text, expected] of table) assert.deepEqual(parseRtpInfo(text), expected, name);
});

Deno.test("matchRtpInfo() matches entries by URL, suffix, then position", () => {
  const controls = ["rtsp://h/s/trackID=0", "rtsp://h/s/trackID=1"];
  assert.deepEqual(
    matchRtpInfo(
      [{ url: "rtsp://h/s/trackID=1", seq: 2 }, { url: "rtsp://h/s/trackID=0", seq: 1 }],
      controls,
    ),
    [{ url: "rtsp://h/s/trackID=0", seq: 1 }, { url: "rtsp://h/s/trackID=1", seq: 2 }],
  );
  assert.deepEqual(
    matchRtpInfo([{ url: "trackID=1", seq: 2 }], controls),
    [undefined, { url: "trackID=1", seq: 2 }],
  );
  assert.deepEqual(
    matchRtpInfo(
      [{ url: "rtsp://10.0.0.2/a", seq: 1 }, { url: "rtsp://10.0.0.2/b", seq: 2 }],
      controls,
    ),
    [{ url: "rtsp://10.0.0.2/a", seq: 1 }, { url: "rtsp://10.0.0.2/b", seq: 2 }],
  );
});

Deno.test("parsePublic() lists methods upper-cased", () => {
  assert.deepEqual(
    [...parsePublic("OPTIONS, DESCRIBE,get_parameter ,")],
    ["OPTIONS", "DESCRIBE", "GET_PARAMETER"],
  );
  assert.equal(parsePublic(undefined).size, 0);
});
