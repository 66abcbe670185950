import { equal } from "node:assert/strict";
import { hex } from "./_test_helpers.ts";
import { aacFmtp, bytesToBase64, bytesToHex, h264Fmtp, h265Fmtp, opusFmtp } from "./fmtp.ts";

Deno.test("bytesToBase64 and bytesToHex", () => {
  equal(bytesToBase64(hex("")), "");
  equal(bytesToBase64(hex("67 42 c0 1f aa")), "Z0LAH6o=");
  equal(bytesToBase64(new Uint8Array(200_000)).length, 266_668);
  equal(bytesToHex(hex("00 0f a0 ff")), "000fa0ff");
});

Deno.test("h264Fmtp: profile-level-id from SPS bytes 1..3, base64 parameter sets", () => {
  equal(
    h264Fmtp(hex("67 42 c0 1f aa"), hex("68 ce 3c 80")),
    "packetization-mode=1;profile-level-id=42c01f;sprop-parameter-sets=Z0LAH6o=,aM48gA==",
  );
  // Too short to hold profile_idc..level_idc: no profile-level-id.
  equal(h264Fmtp(hex("67 42"), hex("68")), "packetization-mode=1;sprop-parameter-sets=Z0I=,aA==");
});

Deno.test("h265Fmtp lists VPS, SPS, PPS", () => {
  equal(
    h265Fmtp(hex("40 01 0c"), hex("42 01 01"), hex("44 01 c1")),
    "sprop-vps=QAEM;sprop-sps=QgEB;sprop-pps=RAHB",
  );
});

Deno.test("aacFmtp announces AAC-hbr with the config in hex", () => {
  equal(
    aacFmtp(hex("12 10")),
    "streamtype=5;profile-level-id=1;mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3;config=1210",
  );
});

Deno.test("opusFmtp: sprop-stereo only when stereo", () => {
  equal(opusFmtp({ stereo: true }), "sprop-stereo=1");
  equal(opusFmtp(), "");
});
