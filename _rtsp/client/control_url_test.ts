import assert from "node:assert/strict";
import { RtspHeaders } from "../headers.ts";
import { describeBase, resolveControl } from "./control_url.ts";

Deno.test("describeBase() takes Content-Base, then Content-Location, then the request URL (RFC 2326 C.1.1)", () => {
  const request = "rtsp://cam/live";
  const table: Array<[string, Array<[string, string]>, string]> = [
    ["no header", [], "rtsp://cam/live"],
    ["Content-Base", [["Content-Base", "rtsp://cam/base/"]], "rtsp://cam/base/"],
    [
      "Content-Base before Content-Location",
      [["Content-Location", "rtsp://cam/loc/"], ["Content-Base", "rtsp://cam/base/"]],
      "rtsp://cam/base/",
    ],
    ["Content-Location", [["Content-Location", "rtsp://cam/loc/"]], "rtsp://cam/loc/"],
    ["relative Content-Location", [["Content-Location", "other/"]], "rtsp://cam/other/"],
    ["a relative Content-Base is ignored", [["Content-Base", "base/"]], "rtsp://cam/live"],
  ];
  for (const [name, headers, expected] of table) {
    assert.equal(describeBase(request, new RtspHeaders(headers)), expected, name);
  }
});

Deno.test("resolveControl() resolves a=control against the base", () => {
  const table: Array<[string, string | undefined, string]> = [
    ["rtsp://h/s/", undefined, "rtsp://h/s/"],
    ["rtsp://h/s/", "*", "rtsp://h/s/"],
    ["rtsp://h/s/", "", "rtsp://h/s/"],
    ["rtsp://h/s/", "trackID=1", "rtsp://h/s/trackID=1"],
    // Content-Base without its trailing slash (many cameras): still below the stream.
    ["rtsp://h/s", "trackID=1", "rtsp://h/s/trackID=1"],
    ["rtsp://h:554/s", "rtsp://other/x/track2", "rtsp://other/x/track2"],
    ["rtsp://h:554/a/b", "/c/track", "rtsp://h:554/c/track"],
    // Hikvision-style query controls.
    ["rtsp://h/Streaming/Channels/101", "?trackID=1", "rtsp://h/Streaming/Channels/101?trackID=1"],
    ["rtsp://h/s?channel=1", "trackID=0", "rtsp://h/s?channel=1/trackID=0"],
    ["RTSP://h/s/", "RTSPS://h2/t", "RTSPS://h2/t"],
  ];
  for (const [base, control, expected] of table) {
    assert.equal(resolveControl(base, control), expected, `${base} + ${control}`);
  }
});
