/**
 * Authentication and permissions with real clients: ffmpeg with credentials in
 * the URL (Digest and Basic), GStreamer's user-id/user-pw, publishing with
 * credentials, per-path rules, lockout, and which challenge each client picks.
 */

import { authConfig, basicCredentials } from "./_testing/auth.ts";
import assert from "node:assert/strict";
import { digestHa1 } from "./_rtsp/auth/digest.ts";
import { DEFAULT_ABUSE_LIMITS } from "./_server/abuse_limits.ts";
import { ffmpegDecode, ffprobeStreams, gstPlayPipeline, gstRun } from "./_testing/clients.ts";
import { MEDIA_NEEDS, testMedia } from "./_testing/media.ts";
import { ffmpegPublish } from "./_testing/publisher.ts";
import { describeOnce } from "./_testing/raw_client.ts";
import { startRecordingProxy } from "./_testing/recording_proxy.ts";
import { startTestServer } from "./_testing/server.ts";
import { run, toolTest } from "./_testing/tools.ts";

const USERS = [
  { name: "alice", password: "wonderland" },
  { name: "bob", password: "builder" },
  // Stored as a Digest HA1 only: no plain password in the configuration.
  { name: "carol", ha1: { md5: digestHa1("carol", "rtsp.ts", "tea party", "MD5") } },
];

const basic = basicCredentials;

await toolTest(
  "ffmpeg reads with Digest credentials in the URL, and with a stored HA1 only; wrong ones fail",
  ["ffprobe"],
  async () => {
    await using srv = await startTestServer({ auth: authConfig({ users: USERS }) });
    const url = (auth: string) => `rtsp://${auth}@127.0.0.1:${srv.port}/test`;
    const codecs = async (u: string) =>
      (await ffprobeStreams(u, ["-rtsp_transport", "tcp"])).map((s) => s.codec_name);
    assert.deepEqual(await codecs(url("alice:wonderland")), ["h264", "pcm_mulaw"]);
    assert.deepEqual(await codecs(url("carol:tea%20party")), ["h264", "pcm_mulaw"]);
    await assert.rejects(codecs(url("alice:wrong")), /401 Unauthorized/);
    await assert.rejects(codecs(`rtsp://127.0.0.1:${srv.port}/test`), /401 Unauthorized/);
  },
);

await toolTest(
  "ffmpeg reads with Basic when only Basic is offered; GStreamer reads with the credentials in its URL",
  ["ffmpeg", "gst-launch-1.0"],
  async () => {
    // carol has only a Digest HA1, which Basic cannot use: she is left out here.
    await using srv = await startTestServer({
      auth: authConfig({ users: USERS.slice(0, 2), schemes: ["basic"] }),
    });
    const r = await ffmpegDecode(`rtsp://bob:builder@127.0.0.1:${srv.port}/test`, 2, [
      "-rtsp_transport",
      "tcp",
    ]);
    assert.equal(r.errors, "");
    assert.ok(r.frames >= 45, `${r.frames} frames`);
    await using digest = await startTestServer({ auth: authConfig({ users: USERS }) });
    for (const protocol of ["tcp", "udp"] as const) {
      const g = await gstRun(
        gstPlayPipeline(`rtsp://127.0.0.1:${digest.port}/test`, {
          protocol,
          user: "alice",
          password: "wonderland",
        }),
        4,
      );
      assert.deepEqual(g.problems, [], protocol);
      assert.ok(g.buffers > 60, `${protocol}: ${g.buffers} buffers`);
    }
  },
);

await toolTest(
  "ffmpeg publishes with credentials; reading it back needs them too",
  MEDIA_NEEDS,
  async () => {
    const dir = await testMedia();
    await using srv = await startTestServer({
      auth: authConfig({
        users: USERS,
        schemes: ["basic", "digest-sha256", "digest-md5"],
        paths: [{ pattern: "/cam/**", read: ["*any*"], publish: ["bob"] }],
      }),
    });
    // alice may read but not publish: her RECORD attempt fails.
    const refused = await run("ffmpeg", [
      "-v",
      "error",
      "-re",
      "-i",
      `${dir}/clip.mp4`,
      "-t",
      "1",
      "-c",
      "copy",
      "-f",
      "rtsp",
      "-rtsp_transport",
      "tcp",
      `rtsp://alice:wonderland@127.0.0.1:${srv.port}/cam/1`,
    ], { timeoutMs: 20_000 });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /403 Forbidden/);
    await using _pub = ffmpegPublish(
      `rtsp://bob:builder@127.0.0.1:${srv.port}/cam/1`,
      `${dir}/clip.mp4`,
      "tcp",
    );
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await describeOnce(srv.port, "/cam/1", basic("alice", "wonderland"))).status;
    }
    assert.equal(status, 200, "published with credentials");
    assert.equal((await describeOnce(srv.port, "/cam/1")).status, 401, "reading needs credentials");
    const r = await ffmpegDecode(`rtsp://alice:wonderland@127.0.0.1:${srv.port}/cam/1`, 2, [
      "-rtsp_transport",
      "tcp",
    ]);
    assert.equal(r.errors, "");
    assert.ok(r.frames >= 45, `${r.frames} frames`);
  },
);

await toolTest(
  "ffmpeg publishes with Basic credentials when only Basic is offered",
  MEDIA_NEEDS,
  async () => {
    const dir = await testMedia();
    await using srv = await startTestServer({
      auth: authConfig({ users: USERS.slice(0, 2), schemes: ["basic"] }),
    });
    await using proxy = startRecordingProxy(srv.port);
    await using _pub = ffmpegPublish(
      `rtsp://bob:builder@127.0.0.1:${proxy.port}/basic`,
      `${dir}/clip.mp4`,
      "tcp",
    );
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await describeOnce(srv.port, "/basic", basic("alice", "wonderland"))).status;
    }
    assert.equal(status, 200, "published");
    assert.match(proxy.sent(), /ANNOUNCE [^\r]*\r\n(?:[^\r]*\r\n)*Authorization: Basic /);
  },
);

Deno.test("per-path rules decide; 401 and 403 never tell whether a path exists", async () => {
  await using srv = await startTestServer({
    auth: authConfig({
      users: USERS,
      schemes: ["basic", "digest-sha256", "digest-md5"],
      paths: [
        { pattern: "/test", read: ["alice"] },
        { pattern: "/private/**", read: ["alice"] },
        { pattern: "/open/**", read: ["anonymous"], publish: ["bob"] },
      ],
    }),
  });
  const known = await describeOnce(srv.port, "/test");
  const unknown = await describeOnce(srv.port, "/no/such/path");
  for (const r of [known, unknown]) {
    assert.equal(r.status, 401);
    assert.equal(r.body, "");
    const challenges = r.head.split("\r\n").filter((l) => l.startsWith("WWW-Authenticate: "));
    assert.deepEqual(challenges.map((l) => l.split(" ")[1]), ["Basic", "Digest", "Digest"]);
    assert.match(challenges[1], /algorithm=SHA-256, qop="auth"/);
    assert.match(challenges[2], /algorithm=MD5, qop="auth"/);
  }
  // Same answer but for the nonces: nothing tells the two paths apart.
  const strip = (head: string) => head.replace(/nonce="[^"]*"/g, "").replace(/Date: .*\r\n/, "");
  assert.equal(strip(known.head), strip(unknown.head));
  assert.equal((await describeOnce(srv.port, "/test", basic("alice", "wonderland"))).status, 200);
  assert.equal((await describeOnce(srv.port, "/test", basic("bob", "builder"))).status, 403);
  assert.equal(
    (await describeOnce(srv.port, "/private/none", basic("bob", "builder"))).status,
    403,
    "no leak to a user either",
  );
  assert.equal((await describeOnce(srv.port, "/test", basic("alice", "nope"))).status, 401);
  assert.equal((await describeOnce(srv.port, "/test", "Basic !!!notbase64")).status, 400);
  assert.equal(
    (await describeOnce(srv.port, "/test", 'Digest username="alice", realm="rtsp.ts"')).status,
    400,
    "Digest without its fields",
  );
  assert.equal(
    (await describeOnce(srv.port, "/open/x")).status,
    404,
    "anonymous may read /open/** (nothing there)",
  );
});

Deno.test("repeated failed logins lock that user out at the address; a client from another address is still served", async () => {
  await using srv = await startTestServer({
    listenHostname: "::",
    auth: authConfig({ users: USERS, schemes: ["basic", "digest-sha256", "digest-md5"] }),
    abuse: { ...DEFAULT_ABUSE_LIMITS, authFailuresBeforeLockout: 3, lockoutMs: 60_000 },
  });
  const statuses: number[] = [];
  for (let i = 0; i < 3; i++) {
    statuses.push((await describeOnce(srv.port, "/test", basic("alice", `guess${i}`))).status);
  }
  assert.deepEqual(statuses, [401, 401, 401]);
  assert.equal(
    (await describeOnce(srv.port, "/test", basic("alice", "wonderland"))).status,
    403,
    "locked out, even with the right password",
  );
  // ::1 is another address: it is served.
  const c = await Deno.connect({ hostname: "::1", port: srv.port });
  const enc = new TextEncoder();
  await c.write(
    enc.encode(
      `DESCRIBE rtsp://[::1]:${srv.port}/test RTSP/1.0\r\nCSeq: 1\r\nAuthorization: ${
        basic("alice", "wonderland")
      }\r\n\r\n`,
    ),
  );
  const buf = new Uint8Array(4096);
  const n = await c.read(buf);
  c.close();
  assert.match(new TextDecoder().decode(buf.subarray(0, n ?? 0)), /^RTSP\/1.0 200 OK/);
});

/** Which scheme a client answered with when offered Basic, Digest SHA-256 and Digest MD5. */
async function chosenScheme(
  clientArgs: (url: string) => [string, string[]],
): Promise<string> {
  await using srv = await startTestServer({
    auth: authConfig({ users: USERS, schemes: ["basic", "digest-sha256", "digest-md5"] }),
  });
  await using proxy = startRecordingProxy(srv.port);
  const [cmd, args] = clientArgs(`rtsp://alice:wonderland@127.0.0.1:${proxy.port}/test`);
  await run(cmd, args, { timeoutMs: 20_000 });
  const answer = /Authorization: (Basic|Digest)([^\r\n]*)/.exec(proxy.sent());
  if (!answer) return "none";
  if (answer[1] === "Basic") return "Basic";
  return `Digest ${/algorithm="?([\w-]+)/.exec(answer[2])?.[1] ?? "MD5 (no algorithm)"}`;
}

await toolTest(
  "which challenge ffmpeg and GStreamer pick when offered Basic, Digest SHA-256 and Digest MD5",
  ["ffprobe", "gst-launch-1.0"],
  async () => {
    const matrix: Record<string, string> = {};
    matrix.ffmpeg = await chosenScheme((
      url,
    ) => ["ffprobe", ["-v", "error", "-rtsp_transport", "tcp", url]]);
    matrix.gstreamer = await chosenScheme((url) => [
      "timeout",
      [
        "-s",
        "INT",
        "4",
        "gst-launch-1.0",
        "rtspsrc",
        `location=${url.replace("alice:wonderland@", "")}`,
        "user-id=alice",
        "user-pw=wonderland",
        "protocols=tcp",
        "!",
        "fakesink",
      ],
    ]);
    // VLC is left out: Debian's VLC has no live555 RTSP client (its satip module
    // sends a bare SETUP), so it cannot be tested here.
    console.log(`challenge picked: ${JSON.stringify(matrix)}`);
    // Both answer the Digest MD5 challenge (offered last), neither Basic nor SHA-256:
    // the README's matrix says so, and this test keeps it true.
    assert.deepEqual(matrix, { ffmpeg: "Digest MD5", gstreamer: "Digest MD5 (no algorithm)" });
  },
);
