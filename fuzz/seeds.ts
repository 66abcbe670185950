/**
 * Seed inputs for every fuzz target: the captured client sessions and SDP
 * fixtures of `_rtsp/testdata/`, string literals of the test tables
 * (`_rtsp/*_test.ts`, read as text so their `Deno.test`s are not registered
 * twice), and representative requests, headers and RTP/RTCP packets built here
 * with the project's own packetizers and RTCP builders.
 * @module
 */

import { interleavedFrame } from "../_rtsp/interleaved.ts";
import type { AccessUnit } from "../_rtsp/media/access_unit.ts";
import {
  aacTrack,
  h264Track,
  h265Track,
  opusTrack,
  pcmuTrack,
  type SourceTrack,
} from "../_rtsp/media/source_track.ts";
import { createPacketizer } from "../_rtsp/rtp/create_packetizer.ts";
import {
  buildBye,
  buildCompound,
  buildReceiverReport,
  buildSdes,
  buildSenderReport,
} from "../_rtsp/rtp/rtcp.ts";
import { buildRtpPacket } from "../_rtsp/rtp/rtp_packet.ts";
import { packetStream } from "./packet_stream.ts";

const encoder = new TextEncoder();
/** Where the project's test tables and fixtures live. */
const RTSP_DIR = new URL("../_rtsp/", import.meta.url);

/** Text as bytes. */
export function bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Bytes from hex digits, spaces ignored. */
function hex(text: string): Uint8Array {
  const digits = text.replace(/\s+/g, "");
  const out = new Uint8Array(digits.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Files of a fixture folder (sorted, so seeds come in a stable order). */
function readFixtures(folder: string, extension: string): Uint8Array[] {
  const dir = new URL(folder, RTSP_DIR);
  const names = [...Deno.readDirSync(dir)]
    .filter((e) => e.isFile && e.name.endsWith(extension))
    .map((e) => e.name)
    .sort();
  return names.map((name) => Deno.readFileSync(new URL(name, dir)));
}

/** Double- and single-quoted string literals of a test file, unescaped; unparsable ones skipped. */
function stringLiterals(testFile: string): string[] {
  const source = Deno.readTextFileSync(new URL(testFile, RTSP_DIR));
  const out: string[] = [];
  for (const m of source.matchAll(/"((?:[^"\\\n]|\\.)*)"|'((?:[^'\\\n]|\\.)*)'/g)) {
    const body = m[1] ?? m[2].replace(/\\'/g, "'").replace(/"/g, '\\"');
    try {
      out.push(JSON.parse(`"${body}"`));
    } catch {
      // \x escapes and the like: not worth a parser of their own.
    }
  }
  return out;
}

/** Literals of `testFile` that `keep` accepts, deduplicated, as bytes. */
function tableSeeds(testFile: string, keep: (text: string) => boolean): Uint8Array[] {
  return [...new Set(stringLiterals(testFile).filter(keep))].map(bytes);
}

// ---------------------------------------------------------------------------
// RTSP requests

/** Representative requests beyond the captures: publishing, bodies, interleaved data, oddities. */
const REQUESTS: readonly string[] = [
  "OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n",
  "DESCRIBE rtsp://127.0.0.1:8554/test RTSP/1.0\r\nCSeq: 2\r\nAccept: application/sdp\r\n\r\n",
  "SETUP rtsp://127.0.0.1:8554/test/trackID=0 RTSP/1.0\r\nCSeq: 3\r\n" +
  "Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\r\n" +
  "SETUP rtsp://127.0.0.1:8554/test/trackID=1 RTSP/1.0\r\nCSeq: 4\r\nSession: S1\r\n" +
  "Transport: RTP/AVP;unicast;client_port=5000-5001\r\n\r\n" +
  "PLAY rtsp://127.0.0.1:8554/test/ RTSP/1.0\r\nCSeq: 5\r\nSession: S1\r\nRange: npt=0.000-\r\n\r\n" +
  "PAUSE rtsp://127.0.0.1:8554/test/ RTSP/1.0\r\nCSeq: 6\r\nSession: S1\r\n\r\n" +
  "TEARDOWN rtsp://127.0.0.1:8554/test/ RTSP/1.0\r\nCSeq: 7\r\nSession: S1\r\n\r\n",
  "SETUP rtsp://h/radio RTSP/1.0\r\nCSeq: 1\r\nTransport: RTP/AVP;multicast\r\n\r\n" +
  "PLAY rtsp://h/radio RTSP/1.0\r\nCSeq: 2\r\nSession: S1;timeout=60\r\nRange: npt=10-20\r\n\r\n",
  "GET_PARAMETER rtsp://h/test RTSP/1.0\r\nCSeq: 8\r\nSession: S1\r\n\r\n",
  "SET_PARAMETER rtsp://h/test RTSP/1.0\r\nCSeq: 9\r\nContent-Length: 5\r\n\r\nab\r\nc",
  "OPTIONS rtsp://h/ RTSP/1.0\r\nCSeq: 1\r\nRequire: implicit-play\r\n\r\n",
  "OPTIONS rtsp://h/ RTSP/2.0\r\nCSeq: 1\r\n\r\n",
  "FOO rtsp://h/ RTSP/1.0\r\nCSeq: 1\r\n\r\n",
  "RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\n",
  "OPTIONS rtsp://h/ RTSP/1.0\nCSeq: 1\nX-Folded: a\n  b\n\n",
  "$\x00\x00\x04abcdOPTIONS * RTSP/1.0\r\nCSeq: 2\r\n\r\n$\x01\x00\x00",
  "\r\n\r\nOPTIONS * RTSP/1.0\r\nCSeq: 3\r\n\r\n",
];

/** An ANNOUNCE + SETUP (record) + RECORD sequence carrying `sdp`, then interleaved media. */
function publishSequence(sdp: Uint8Array, rtp: Uint8Array): Uint8Array {
  const head = "ANNOUNCE rtsp://127.0.0.1:8554/pub RTSP/1.0\r\nCSeq: 1\r\n" +
    `Content-Type: application/sdp\r\nContent-Length: ${sdp.length}\r\n\r\n`;
  const rest = "SETUP rtsp://127.0.0.1:8554/pub/trackID=0 RTSP/1.0\r\nCSeq: 2\r\n" +
    "Transport: RTP/AVP/TCP;unicast;interleaved=0-1;mode=record\r\n\r\n" +
    "SETUP rtsp://127.0.0.1:8554/pub/streamid=1 RTSP/1.0\r\nCSeq: 3\r\nSession: S1\r\n" +
    "Transport: RTP/AVP/UDP;unicast;client_port=5000-5001;mode=receive\r\n\r\n" +
    "RECORD rtsp://127.0.0.1:8554/pub RTSP/1.0\r\nCSeq: 4\r\nSession: S1\r\nRange: npt=0-\r\n\r\n";
  const parts = [bytes(head), sdp, bytes(rest), interleavedFrame(0, rtp)];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Whole-connection inputs for the framer and the responder. */
export function requestSeeds(): Uint8Array[] {
  const captures = readFixtures("testdata/", ".txt");
  const sdps = readFixtures("testdata/sdp/", ".sdp");
  const fromTables = [
    ...tableSeeds("framer_test.ts", (t) => / RTSP\/1\.0\r?\n/.test(t)),
    ...tableSeeds("responder_test.ts", (t) => / RTSP\/1\.0\r?\n/.test(t)),
    ...tableSeeds("message_test.ts", (t) => / RTSP\/1\.0\r?\n/.test(t)),
  ];
  const rtp = h264Packets()[0];
  return [
    ...captures,
    ...fromTables,
    ...REQUESTS.map(bytes),
    ...sdps.slice(0, 4).map((sdp) => publishSequence(sdp, rtp)),
  ];
}

// ---------------------------------------------------------------------------
// Headers and URLs

/** Transport headers: the test table plus multicast, lists and odd parameters. */
export function transportSeeds(): Uint8Array[] {
  return [
    ...tableSeeds("transport_test.ts", (t) => /^rtp\//i.test(t)),
    ...tableSeeds("responder_test.ts", (t) => /^rtp\//i.test(t)),
    bytes("RTP/AVP;multicast;destination=224.2.0.1;port=3456-3457;ttl=16"),
    bytes("RTP/AVP/TCP;interleaved=0-1,RTP/AVP;unicast;client_port=4588-4589"),
    bytes('RTP/AVP;unicast;client_port=5000-5001;ssrc=DEADBEEF;mode="PLAY";source=1.2.3.4'),
    bytes("RTP/AVP;unicast;server_port=6970-6971;x-unknown=1;append"),
    bytes("RTP/SAVP;unicast;client_port=5000"),
  ];
}

/** Range headers: the test table plus clock units and extremes. */
export function rangeSeeds(): Uint8Array[] {
  return [
    ...tableSeeds("range_test.ts", (t) => /^(npt|smpte|clock)/i.test(t)),
    bytes("npt=123456789012.999-"),
    bytes("npt=999999999:59:59.999-"),
    bytes("npt=now-;time=19970123T143720Z"),
    bytes("NPT = 00:00:01.5 - 00:01:00"),
  ];
}

/** Request-URIs: the test table plus IPv6, credentials, queries and percent-escapes. */
export function urlSeeds(): Uint8Array[] {
  return [
    ...tableSeeds("url_test.ts", (t) => t === "*" || /^[a-z]+:\/\//i.test(t)),
    bytes("rtsp://[fe80::1%25eth0]:554/cam/realmonitor?channel=1&subtype=0"),
    bytes("rtsps://u:p%40@host:8322//a//b///"),
    bytes("rtsp://host/%E2%82%AC/trackID=1#frag"),
  ];
}

/** SDP bodies: every fixture, plus table literals that look like SDP. */
export function sdpSeeds(): Uint8Array[] {
  return [
    ...readFixtures("testdata/sdp/", ".sdp"),
    ...tableSeeds("sdp_parse_test.ts", (t) => /^v=0|\nm=/.test(t)),
  ];
}

// ---------------------------------------------------------------------------
// RTP and RTCP

const SPS = hex("67 64 00 1f ac d9 40 50 05 bb 01 10");
const PPS = hex("68 eb e3 cb 22 c0");
const VPS_265 = hex("40 01 0c 01 ff ff 01 60 00 00 03 00 90");
const SPS_265 = hex("42 01 01 01 60 00 00 03 00 90 00 00 03");
const PPS_265 = hex("44 01 c0 73 c1 89");
/** AAC-LC, 48 kHz, stereo (ISO 14496-3 1.6.2.1). */
const AAC_CONFIG = hex("11 90");
/** Small payloads so keyframes need fragmentation units. */
const MAX_PAYLOAD = 120;
/** 25 fps at 90 kHz. */
const FRAME_TICKS = 3600;
const RTP_OPTIONS = {
  ssrc: 0x0badcafe,
  initialSequenceNumber: 65530, // wraps inside the seed
  initialTimestamp: 0xffff_f000, // wraps too
  maxPayloadSize: MAX_PAYLOAD,
};

/** A NAL-like unit: `header` then counting bytes up to `size`. */
function unit(header: readonly number[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  out.set(header);
  for (let i = header.length; i < size; i++) out[i] = i & 0xff;
  return out;
}

function au(index: number, units: Uint8Array[], keyframe: boolean): AccessUnit {
  return { timestamp: index * FRAME_TICKS, units, keyframe };
}

/** Packets of `units` per access unit through the track's own packetizer. */
function packetize(track: SourceTrack, aus: readonly AccessUnit[]): Uint8Array[] {
  const packetizer = createPacketizer(track, RTP_OPTIONS);
  return aus.flatMap((a) => packetizer.packetize(a));
}

/** H.264: IDR with SPS/PPS (STAP-A), a large IDR (FU-A), P frames. */
export function h264Packets(): Uint8Array[] {
  return packetize(h264Track(0, SPS, PPS), [
    au(0, [SPS, PPS, unit([0x65, 0x88], 60)], true),
    au(1, [unit([0x41, 0x9a], 80)], false),
    au(2, [unit([0x65, 0x88], 500)], true),
    au(3, [unit([0x41, 0x9a], 30), unit([0x01, 0x9a], 20)], false),
  ]);
}

/** H.265: IDR with VPS/SPS/PPS (AP), a large CRA (FU), a trailing picture. */
export function h265Packets(): Uint8Array[] {
  return packetize(h265Track(0, VPS_265, SPS_265, PPS_265), [
    au(0, [VPS_265, SPS_265, PPS_265, unit([19 << 1, 0x01], 80)], true),
    au(1, [unit([21 << 1, 0x01], 400)], true),
    au(2, [unit([1 << 1, 0x01], 90)], false),
  ]);
}

/** AAC-hbr: several frames per packet, and one frame fragmented over packets. */
export function aacPackets(): Uint8Array[] {
  return packetize(aacTrack(1, AAC_CONFIG, 48000, 2), [
    au(0, [unit([0x21, 0x10], 40), unit([0x21, 0x10], 30)], true),
    au(1, [unit([0x21, 0x10], 300)], true),
    au(2, [unit([0x21, 0x10], 8)], true),
  ]);
}

/** Opus and G.711: one frame per packet. */
function audioPackets(): Uint8Array[] {
  return [
    ...packetize(opusTrack(2, 2), [au(0, [hex("fc ff fe")], true), au(1, [hex("78 01")], true)]),
    ...packetize(pcmuTrack(3), [au(0, [unit([0xff], 160)], true)]),
  ];
}

/** Single RTP packets: built ones, the table's hex vectors, CSRCs, extension, padding. */
export function rtpSeeds(): Uint8Array[] {
  const header = { payloadType: 96, ssrc: 1, sequenceNumber: 1, timestamp: 1, marker: true };
  return [
    ...h264Packets(),
    ...h265Packets().slice(0, 3),
    ...aacPackets().slice(0, 2),
    ...audioPackets(),
    buildRtpPacket(header, hex("aa bb cc")),
    // V=2, P, X, CC=2, two CSRCs, a one-word extension, two bytes of padding.
    hex(
      "b2 e0 00 01 00 00 00 01 00 00 00 01 00 00 00 02 00 00 00 03 be de 00 01 10 ff 00 00 aa 02",
    ),
    hex("80 60 00 01 00 00 00 00 00 00 00 01"),
    hex("a0 60 00 01 00 00 00 00 00 00 00 01 00 02"),
  ];
}

/** RTCP compounds built with the project's builders, plus the table's hand-written packets. */
export function rtcpSeeds(): Uint8Array[] {
  const block = {
    ssrc: 2,
    fractionLost: 0x40,
    cumulativeLost: -1,
    highestSequence: 0x0001_0005,
    jitter: 12,
    lastSr: 0xaabb_ccdd,
    delaySinceLastSr: 0x0001_0000,
  };
  const sr = buildSenderReport({
    ssrc: 1,
    ntpTimeMs: 1_700_000_000_000,
    rtpTimestamp: 90000,
    packetCount: 10,
    octetCount: 12000,
    reports: [block],
  });
  const rr = buildReceiverReport({ ssrc: 3, reports: [block, { ...block, ssrc: 4 }] });
  return [
    buildCompound(sr, buildSdes(1, "rtsp.ts@host")),
    buildCompound(rr, buildSdes(3, "ffmpeg"), buildBye([3], "bye")),
    buildCompound(rr, buildBye([3, 4])),
    hex("a0 cc 00 02 00 00 00 01 6e 61 00 02"),
    hex("a1 ca 00 03 00 00 00 01 01 01 61 00 00 00 00 04"),
  ];
}

/** Packet streams (see `packet_stream.ts`) of each codec, plus a mixed one. */
export function streamSeeds(codec: "H264" | "H265" | "AAC" | "OTHER"): Uint8Array[] {
  switch (codec) {
    case "H264":
      return [packetStream(h264Packets())];
    case "H265":
      return [packetStream(h265Packets())];
    case "AAC":
      return [packetStream(aacPackets())];
    case "OTHER":
      return [packetStream(audioPackets()), packetStream([...h264Packets(), ...audioPackets()])];
  }
}
