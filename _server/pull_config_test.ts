import assert from "node:assert/strict";
import { parseOriginFlag, parseProxyFlag, validateProxyConfig } from "./pull_config.ts";
import { parseFlags } from "./flags.ts";

Deno.test("the config's proxy object: sources with their options, defaults filled in", () => {
  const result = validateProxyConfig({
    "/cam1": "rtsp://user:pass@10.0.0.5/stream",
    "/cam2": {
      source: "rtsps://10.0.0.6:322/live",
      sourceOnDemand: false,
      transport: "tcp",
      stallTimeout: 3,
    },
    "/edge/**": { source: "rtsp://origin:8554/$path", closeAfter: 30, startTimeout: 5 },
  });
  assert.ok(result.ok);
  assert.deepEqual(result.sources.map((s) => [s.pattern, s.onDemand, s.transport]), [
    ["/cam1", true, "auto"],
    ["/cam2", false, "tcp"],
    ["/edge/**", true, "auto"],
  ]);
  assert.equal(result.sources[1].stallMs, 3000);
  assert.equal(result.sources[2].idleMs, 30_000);
  assert.equal(result.sources[2].startTimeoutMs, 5000);
});

Deno.test("the config's proxy object: each mistake is named with its field", () => {
  const table: Array<[unknown, RegExp]> = [
    [[], /proxy: expected an object/],
    [{ "cam": "rtsp://h/s" }, /proxy\["cam"\]: pattern must start with \//],
    [{ "/a": "http://h/s" }, /proxy\["\/a"\]: expected rtsp:\/\/ or rtsps:\/\//],
    [{ "/a": "rtsp://h/s\r\nX: y" }, /control character/],
    [{ "/a": { source: 5 } }, /proxy\["\/a"\]\.source: expected an rtsp:\/\/ URL/],
    [
      { "/a": { source: "rtsp://h/", transport: "quic" } },
      /\.transport: expected one of auto, tcp, udp/,
    ],
    [{ "/a": { source: "rtsp://h/", closeAfter: -1 } }, /\.closeAfter: expected seconds/],
    [
      { "/a": { source: "rtsp://h/", sourceOnDemand: "yes" } },
      /\.sourceOnDemand: expected true or false/,
    ],
    [{ "/a/*": { source: "rtsp://h/$path", sourceOnDemand: false } }, /must be on demand/],
    [{ "/a": { source: "rtsp://h/", colour: "red" } }, /\.colour: unknown field/],
  ];
  for (const [json, message] of table) {
    const result = validateProxyConfig(json);
    assert.ok(!result.ok, JSON.stringify(json));
    assert.match(result.errors.join("\n"), message);
  }
});

Deno.test("--proxy and --origin: parsed in order, with the origin last; mistakes refused", () => {
  const flags = parseFlags([
    "--origin",
    "rtsp://origin:8554/",
    "--proxy",
    "/cam1=rtsp://u:p@10.0.0.5/s?x=1",
    "--proxy",
    "/cam2=rtsp://10.0.0.6/s",
  ]);
  assert.ok(!("error" in flags));
  assert.deepEqual(flags.pullSources.map((s) => [s.pattern, s.source]), [
    ["/cam1", "rtsp://u:p@10.0.0.5/s?x=1"],
    ["/cam2", "rtsp://10.0.0.6/s"],
    ["/**", "rtsp://origin:8554/$path"],
  ]);
  assert.match((parseProxyFlag("/cam1") as { error: string }).error, /expected PATH=rtsp/);
  assert.match((parseProxyFlag("cam=rtsp://h/") as { error: string }).error, /must start with \//);
  assert.match((parseOriginFlag("ftp://h") as { error: string }).error, /rtsp:\/\//);
  assert.ok("error" in parseFlags(["--origin", "nonsense"]));
});
