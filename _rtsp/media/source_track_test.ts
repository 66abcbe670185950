import { deepStrictEqual as assertEquals, throws as assertThrows } from "node:assert/strict";
import {
  aacTrack,
  dynamicPayloadType,
  h264Track,
  h265Track,
  opusTrack,
  pcmaTrack,
  pcmuTrack,
  trackControl,
} from "./source_track.ts";
import { buildSdp } from "../sdp.ts";

// Baseline profile (66), constraint flags 0xc0, level 3.0 (30).
const SPS = Uint8Array.of(0x67, 0x42, 0xc0, 0x1e, 0xd9, 0x00, 0xa0);
const PPS = Uint8Array.of(0x68, 0xce, 0x3c, 0x80);
const VPS = Uint8Array.of(0x40, 0x01, 0x0c, 0x01);
const SPS265 = Uint8Array.of(0x42, 0x01, 0x01, 0x01);
const PPS265 = Uint8Array.of(0x44, 0x01, 0xc1, 0x72);

Deno.test("source_track: H.264 description and parameter sets", () => {
  const track = h264Track(0, SPS, PPS, 25);
  assertEquals(track, {
    codec: "H264",
    description: {
      media: "video",
      payloadType: 96,
      encoding: "H264",
      clockRate: 90000,
      fmtp: "packetization-mode=1;profile-level-id=42c01e;" +
        `sprop-parameter-sets=${btoa(String.fromCharCode(...SPS))},${
          btoa(String.fromCharCode(...PPS))
        }`,
      control: "trackID=0",
      attributes: ["framerate:25"],
    },
    parameterSets: { sps: SPS, pps: PPS },
  });
});

Deno.test("source_track: frame rates are rounded, unknown ones left out", () => {
  assertEquals(h264Track(0, SPS, PPS, 30000 / 1001).description.attributes, ["framerate:29.97"]);
  assertEquals(h264Track(0, SPS, PPS, 23.976023).description.attributes, ["framerate:23.976"]);
  for (const rate of [undefined, 0, -5, NaN, Infinity]) {
    assertEquals("attributes" in h264Track(0, SPS, PPS, rate).description, false, `${rate}`);
  }
});

Deno.test("source_track: H.265 carries VPS, SPS and PPS", () => {
  const track = h265Track(2, VPS, SPS265, PPS265, 50);
  assertEquals(track.codec, "H265");
  assertEquals(track.description.payloadType, 98);
  assertEquals(track.description.encoding, "H265");
  assertEquals(track.description.clockRate, 90000);
  assertEquals(track.description.control, "trackID=2");
  assertEquals(
    track.description.fmtp,
    "sprop-vps=QAEMAQ==;sprop-sps=QgEBAQ==;sprop-pps=RAHBcg==",
  );
  assertEquals(track.parameterSets, { vps: VPS, sps: SPS265, pps: PPS265 });
});

Deno.test("source_track: AAC uses the sample rate as clock and the ASC as config", () => {
  const track = aacTrack(1, Uint8Array.of(0x12, 0x10), 44100, 2);
  assertEquals(track.codec, "AAC");
  assertEquals(track.parameterSets, undefined);
  assertEquals(track.description, {
    media: "audio",
    payloadType: 97,
    encoding: "mpeg4-generic",
    clockRate: 44100,
    channels: 2,
    fmtp: "streamtype=5;profile-level-id=1;mode=AAC-hbr;sizelength=13;indexlength=3;" +
      "indexdeltalength=3;config=1210",
    control: "trackID=1",
  });
});

Deno.test("source_track: Opus always announces 48000/2; stereo via sprop-stereo", () => {
  const mono = opusTrack(1, 1);
  assertEquals(mono.description, {
    media: "audio",
    payloadType: 97,
    encoding: "opus",
    clockRate: 48000,
    channels: 2,
    control: "trackID=1",
  });
  assertEquals(opusTrack(1, 2).description.fmtp, "sprop-stereo=1");
  assertEquals(opusTrack(1, 6).description.fmtp, "sprop-stereo=1");
});

Deno.test("source_track: G.711 uses the static payload types", () => {
  assertEquals(pcmuTrack(3).description, {
    media: "audio",
    payloadType: 0,
    encoding: "PCMU",
    clockRate: 8000,
    control: "trackID=3",
  });
  assertEquals(pcmaTrack(0).description.payloadType, 8);
  assertEquals(pcmaTrack(0).description.encoding, "PCMA");
  assertEquals(pcmaTrack(0).codec, "PCMA");
});

Deno.test("source_track: dynamic payload types stay in 96..127", () => {
  assertEquals(dynamicPayloadType(0), 96);
  assertEquals(dynamicPayloadType(31), 127);
  for (const index of [32, -1, 1.5, NaN]) {
    assertThrows(() => dynamicPayloadType(index), RangeError, `${index}`);
  }
  assertEquals(trackControl(7), "trackID=7");
});

Deno.test("source_track: descriptions render as the SDP clients expect", () => {
  const sdp = buildSdp({
    path: "/movie.mp4",
    name: "movie",
    tracks: [
      h264Track(0, SPS, PPS, 25).description,
      opusTrack(1, 2).description,
      pcmuTrack(2).description,
    ],
    durationSeconds: 10,
  }, { sessionId: "1", version: "1", address: "127.0.0.1" });
  const lines = sdp.split("\r\n");
  for (
    const expected of [
      "m=video 0 RTP/AVP 96",
      "a=rtpmap:96 H264/90000",
      "a=framerate:25",
      "a=control:trackID=0",
      "m=audio 0 RTP/AVP 97",
      "a=rtpmap:97 opus/48000/2",
      "a=fmtp:97 sprop-stereo=1",
      "m=audio 0 RTP/AVP 0",
      "a=rtpmap:0 PCMU/8000",
      "a=control:trackID=2",
    ]
  ) {
    assertEquals(lines.includes(expected), true, `${expected} in\n${sdp}`);
  }
});
