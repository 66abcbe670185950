import assert from "node:assert/strict";
import { fromBase64Url, toBase64Url } from "./encoding.ts";
import { DEFAULT_NONCE_LIFETIME_MS, NonceIssuer, type NonceOptions } from "./nonce.ts";

/** A deterministic random source: tests replay byte for byte. */
function seeded(seed: number): (n: number) => Uint8Array {
  let s = seed >>> 0 || 1;
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      out[i] = s & 0xff;
    }
    return out;
  };
}

function setup(overrides: Partial<NonceOptions> = {}) {
  const clock = { t: 1_700_000_000_000 };
  const issuer = new NonceIssuer({
    realm: "rtsp.ts",
    now: () => clock.t,
    random: seeded(7),
    ...overrides,
  });
  return { clock, issuer };
}

Deno.test("NonceIssuer.issue() makes 43-character base64url nonces carrying the issue time", () => {
  const { clock, issuer } = setup();
  const a = issuer.issue();
  const b = issuer.issue();
  assert.match(a, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(a, b, "fresh random part each time");
  assert.deepEqual(issuer.verify(a), { status: "valid", issuedAt: clock.t });
  const bytes = fromBase64Url(a)!;
  assert.equal(new DataView(bytes.buffer).getUint32(4), clock.t >>> 0);
});

Deno.test("NonceIssuer.verify() refuses tampered, foreign and malformed nonces", () => {
  const { issuer } = setup();
  const nonce = issuer.issue();
  const other = setup({ random: seeded(99) }).issuer; // another secret (e.g. before a restart)
  const otherRealm = setup({ realm: "elsewhere" }).issuer;
  const flip = (i: number) => {
    const bytes = fromBase64Url(nonce)!;
    bytes[i] ^= 1;
    return toBase64Url(bytes);
  };
  const bad = [
    "",
    "x",
    nonce.slice(0, -1),
    nonce + "A",
    flip(0), // issue time moved: MAC no longer matches
    flip(7),
    flip(10), // random part
    flip(31), // MAC itself
    other.issue(),
    otherRealm.issue(),
    "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", // RFC 7616 example nonce
    "A".repeat(1000),
    "\u0000".repeat(43),
  ];
  for (const n of bad) assert.deepEqual(issuer.verify(n), { status: "invalid" }, n.slice(0, 50));
});

Deno.test("NonceIssuer.verify() expires nonces after the lifetime and from a clock stepped back", () => {
  const { clock, issuer } = setup();
  const issuedAt = clock.t;
  const nonce = issuer.issue();
  clock.t += DEFAULT_NONCE_LIFETIME_MS;
  assert.equal(issuer.verify(nonce).status, "valid");
  clock.t += 1;
  assert.deepEqual(issuer.verify(nonce), { status: "expired", issuedAt });
  const short = setup({ lifetimeMs: 1000 });
  const n2 = short.issuer.issue();
  short.clock.t -= 10 * 60_000;
  assert.equal(short.issuer.verify(n2).status, "expired");
});

Deno.test("NonceIssuer.acceptCount() wants a higher nc each time per nonce", () => {
  const { issuer } = setup();
  const a = issuer.issue();
  const b = issuer.issue();
  const at = (n: string) => (issuer.verify(n) as { issuedAt: number }).issuedAt;
  const steps: ReadonlyArray<[string, number, string]> = [
    [a, 1, "ok"],
    [a, 1, "replay"],
    [a, 2, "ok"],
    [a, 5, "ok"], // gaps are fine (requests may be lost or pipelined)
    [a, 3, "replay"],
    [a, 5, "replay"],
    [b, 1, "ok"], // counters are per nonce
    [b, 0, "replay"],
    [a, 6, "ok"],
  ];
  for (const [nonce, nc, verdict] of steps) {
    assert.equal(
      issuer.acceptCount(nonce, at(nonce), nc),
      verdict,
      `${nonce === a ? "a" : "b"} ${nc}`,
    );
  }
  const c = issuer.issue();
  assert.equal(issuer.acceptCount(c, at(c), 0), "replay", "nc starts at 1");
});

Deno.test("NonceIssuer forgets counters beyond its bound, and then treats older nonces as stale", () => {
  const { clock, issuer } = setup({ trackedNonces: 3 });
  const nonces: Array<[string, number]> = [];
  for (let i = 0; i < 5; i++) {
    nonces.push([issuer.issue(), clock.t]);
    clock.t += 1000;
  }
  for (const [n, at] of nonces.slice(0, 4)) assert.equal(issuer.acceptCount(n, at, 1), "ok");
  // The first was evicted: replaying it would otherwise look new.
  const [first, firstAt] = nonces[0];
  assert.equal(issuer.acceptCount(first, firstAt, 1), "forgotten");
  // Tracked ones still count.
  assert.equal(issuer.acceptCount(nonces[3][0], nonces[3][1], 2), "ok");
  // A nonce issued after the forgotten one is still fine.
  assert.equal(issuer.acceptCount(nonces[4][0], nonces[4][1], 1), "ok");
});

Deno.test("NonceIssuer draws its secret from the random source and checks its length", () => {
  assert.throws(
    () => new NonceIssuer({ realm: "r", now: () => 0, random: () => new Uint8Array(1) }),
    RangeError,
  );
  // Same seed, same clock: same nonces (deterministic tests replay exactly).
  assert.equal(setup().issuer.issue(), setup().issuer.issue());
});
