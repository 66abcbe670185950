import { deepEqual, equal } from "node:assert/strict";
import { RtpHeaderView } from "./rtp_header_view.ts";

/** A packet at offset 2 of a buffer, so offsets are exercised too. */
const PACKET = [
  0xaa,
  0xbb, // not part of the packet
  0x80,
  0xe0,
  0x12,
  0x34, // V=2, M=1, PT=96, sequence number 0x1234
  0xde,
  0xad,
  0xbe,
  0xef, // timestamp
  0x01,
  0x02,
  0x03,
  0x04, // SSRC
  0x65, // payload
];

Deno.test("RtpHeaderView reads the fixed header fields", () => {
  const view = new RtpHeaderView(Uint8Array.from(PACKET), 2);
  equal(view.version, 2);
  equal(view.marker, true);
  equal(view.payloadType, 96);
  equal(view.sequenceNumber, 0x1234);
  equal(view.timestamp, 0xdeadbeef);
  equal(view.ssrc, 0x01020304);
});

Deno.test("RtpHeaderView writes each field in place and nothing else", () => {
  const cases: [(v: RtpHeaderView) => void, number[]][] = [
    [(v) => (v.marker = false), [0x80, 0x60]],
    [(v) => (v.payloadType = 0), [0x80, 0x80]],
    [(v) => (v.payloadType = 0x1ff), [0x80, 0xff]],
    [(v) => (v.sequenceNumber = 0xfffe), [0x80, 0xe0, 0xff, 0xfe]],
    [(v) => (v.timestamp = 7), [0x80, 0xe0, 0x12, 0x34, 0, 0, 0, 7]],
    [(v) => (v.ssrc = 0xcafebabe), [
      0x80,
      0xe0,
      0x12,
      0x34,
      0xde,
      0xad,
      0xbe,
      0xef,
      0xca,
      0xfe,
      0xba,
      0xbe,
    ]],
  ];
  for (const [change, prefix] of cases) {
    const bytes = Uint8Array.from(PACKET);
    change(new RtpHeaderView(bytes, 2));
    const expected = [...PACKET];
    expected.splice(2, prefix.length, ...prefix);
    deepEqual([...bytes], expected, String(change));
  }
});

Deno.test("RtpHeaderView wraps written values to their field widths", () => {
  const bytes = Uint8Array.from(PACKET);
  const view = new RtpHeaderView(bytes, 2);
  view.sequenceNumber = 0x1_0005;
  equal(view.sequenceNumber, 5);
  view.sequenceNumber -= 6;
  equal(view.sequenceNumber, 0xffff);
  view.timestamp = 0x1_0000_0003;
  equal(view.timestamp, 3);
  view.timestamp = -1;
  equal(view.timestamp, 0xffffffff);
  view.ssrc = -2;
  equal(view.ssrc, 0xfffffffe);
  view.marker = true;
  view.marker = true;
  equal(bytes[3], 0xe0);
});

Deno.test("RtpHeaderView.write lays out a whole header", () => {
  const bytes = new Uint8Array(12).fill(0xff);
  new RtpHeaderView(bytes).write({
    payloadType: 8,
    marker: false,
    sequenceNumber: 0x1_0001,
    timestamp: 0x1_0000_0002,
    ssrc: 3,
  });
  deepEqual([...bytes], [0x80, 8, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3]);
});
