import assert from "node:assert/strict";
import { formatTransport, parseTransport, parseTransportSpec } from "./transport.ts";

/** What clients and cameras send, and the canonical form we write back for it. */
const CASES: ReadonlyArray<{ name: string; input: string; canonical: string }> = [
  {
    name: "ffmpeg UDP",
    input: "RTP/AVP/UDP;unicast;client_port=27786-27787",
    canonical: "RTP/AVP;unicast;client_port=27786-27787",
  },
  {
    name: "ffmpeg TCP interleaved",
    input: "RTP/AVP/TCP;unicast;interleaved=0-1",
    canonical: "RTP/AVP/TCP;unicast;interleaved=0-1",
  },
  {
    name: "GStreamer UDP",
    input: "RTP/AVP;unicast;client_port=40000-40001",
    canonical: "RTP/AVP;unicast;client_port=40000-40001",
  },
  {
    name: "VLC (live555) UDP",
    input: "RTP/AVP;unicast;client_port=52006-52007",
    canonical: "RTP/AVP;unicast;client_port=52006-52007",
  },
  {
    name: "camera TCP without interleaved=",
    input: "RTP/AVP/TCP;unicast",
    canonical: "RTP/AVP/TCP;unicast",
  },
  {
    name: "one client_port means a pair",
    input: "RTP/AVP;unicast;client_port=5000",
    canonical: "RTP/AVP;unicast;client_port=5000-5001",
  },
  {
    name: "one interleaved channel means a pair",
    input: "RTP/AVP/TCP;interleaved=4",
    canonical: "RTP/AVP/TCP;unicast;interleaved=4-5",
  },
  {
    name: "lower-case profile, quoted upper-case mode",
    input: 'rtp/avp/tcp;unicast;interleaved=2-3;mode="PLAY"',
    canonical: "RTP/AVP/TCP;unicast;interleaved=2-3",
  },
  {
    name: "ffmpeg publishing over TCP, mode=record",
    input: "RTP/AVP/TCP;unicast;interleaved=0-1;mode=record",
    canonical: "RTP/AVP/TCP;unicast;interleaved=0-1;mode=record",
  },
  {
    name: "ffmpeg listen mode says receive, an alias of record",
    input: "RTP/AVP/UDP;unicast;client_port=5000-5001;mode=receive",
    canonical: "RTP/AVP;unicast;client_port=5000-5001;mode=record",
  },
  {
    name: "hikvision ssrc with initial spaces",
    input: "RTP/AVP;unicast;client_port=6000-6001;ssrc= 0A1B2C3D",
    canonical: "RTP/AVP;unicast;client_port=6000-6001;ssrc=0A1B2C3D",
  },
  {
    name: "multicast with destination, port and ttl",
    input: "RTP/AVP;multicast;destination=239.1.2.3;port=5004-5005;ttl=16",
    canonical: "RTP/AVP;multicast;destination=239.1.2.3;port=5004-5005;ttl=16",
  },
  {
    name: "spaces around parameters and an unknown parameter",
    input: " RTP/AVP ; unicast ; client_port=7000-7001 ; x-foo=bar ",
    canonical: "RTP/AVP;unicast;client_port=7000-7001",
  },
];

Deno.test("parseTransportSpec() reads what clients send; formatTransport() writes it canonically", async (t) => {
  for (const c of CASES) {
    await t.step(c.name, () => {
      const spec = parseTransportSpec(c.input);
      assert.ok(!("error" in spec), JSON.stringify(spec));
      assert.equal(formatTransport(spec), c.canonical);
      // The canonical form is a fixed point.
      const again = parseTransportSpec(c.canonical);
      assert.ok(!("error" in again));
      assert.equal(formatTransport(again), c.canonical);
    });
  }
});

Deno.test("parseTransport() keeps several choices in the client's order", () => {
  const choices = parseTransport(
    "RTP/AVP/TCP;unicast;interleaved=0-1, RTP/AVP;unicast;client_port=5000-5001",
  );
  assert.ok(Array.isArray(choices));
  assert.deepEqual(choices.map((c) => c.lower), ["TCP", "UDP"]);
});

Deno.test("parseTransport() skips a bad choice when a good one follows", () => {
  const choices = parseTransport("RTP/AVP;unicast;client_port=99999, RTP/AVP/TCP;interleaved=0-1");
  assert.ok(Array.isArray(choices));
  assert.equal(choices.length, 1);
  assert.deepEqual(choices[0].interleaved, [0, 1]);
});

Deno.test("parseTransport() reports what it cannot parse", () => {
  for (
    const [input, message] of [
      ["", 'Cannot parse Transport header ""'],
      ["RTP", 'Cannot parse Transport header "RTP"'],
      ["RTP/AVP/SCTP", 'Unknown lower transport "SCTP" in Transport header "RTP/AVP/SCTP"'],
      ["RTP/AVP;client_port=abc", 'Cannot parse client_port "abc"'],
      ["RTP/AVP/TCP;interleaved=300-301", 'Cannot parse interleaved "300-301"'],
      ["RTP/AVP;mode=SING", 'Unknown transport mode "SING"'],
    ] as const
  ) {
    assert.deepEqual(parseTransport(input), { error: message }, input);
  }
});
