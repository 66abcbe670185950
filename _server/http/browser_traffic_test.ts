import assert from "node:assert/strict";
import {
  BrowserTraffic,
  HLS_READER_WINDOW_MS,
  MAX_HLS_CLIENTS_PER_PATH,
} from "./browser_traffic.ts";

Deno.test("BrowserTraffic: HLS readers are the addresses that fetched a part or segment in the last 10 s", () => {
  const traffic = new BrowserTraffic();
  const cases: Array<[string, () => void, number]> = [
    ["nothing fetched", () => {}, 0],
    ["a playlist and init segment do not count", () => {
      traffic.hlsServed("/a", "playlist", "192.0.2.1", 300, 0);
      traffic.hlsServed("/a", "init", "192.0.2.1", 700, 0);
    }, 0],
    ["a part counts its address", () => traffic.hlsServed("/a", "part", "192.0.2.1", 1000, 0), 1],
    ["the same address again is one", () => {
      traffic.hlsServed("/a", "segment", "192.0.2.1", 5000, 4000);
    }, 1],
    ["another address is two", () => traffic.hlsServed("/a", "part", "192.0.2.2", 900, 5000), 2],
    [
      "another path is not this one",
      () => traffic.hlsServed("/b", "part", "192.0.2.3", 1, 5000),
      2,
    ],
    [
      "a HEAD request (no body) is not a reader",
      () => traffic.hlsServed("/a", "segment", "192.0.2.4", 0, 5000),
      2,
    ],
  ];
  for (const [name, act, readers] of cases) {
    act();
    assert.equal(traffic.hlsReaders("/a", 5000), readers, name);
  }
  // 192.0.2.1 last fetched at 4000, 192.0.2.2 at 5000.
  assert.equal(traffic.hlsReaders("/a", 4000 + HLS_READER_WINDOW_MS - 1), 2);
  assert.equal(traffic.hlsReaders("/a", 4000 + HLS_READER_WINDOW_MS), 1);
  assert.equal(traffic.hlsReaders("/a", 5000 + HLS_READER_WINDOW_MS), 0);
  const totals = traffic.totals("/a");
  assert.equal(totals.hlsBytes, 300 + 700 + 1000 + 5000 + 900);
  assert.deepEqual(totals.hlsRequests, { playlist: 1, init: 1, segment: 2, part: 2 });
});

Deno.test("BrowserTraffic: closed WebSocket readers add up by path; paths no longer served are forgotten", () => {
  const traffic = new BrowserTraffic();
  traffic.websocketEnded("/a", 100, 3, 1);
  traffic.websocketEnded("/a", 50, 2, 0);
  traffic.websocketEnded("/b", 7, 1, 0);
  assert.equal(traffic.totals("/a").websocketBytes, 150);
  assert.equal(traffic.totals("/a").websocketMessages, 5);
  assert.equal(traffic.totals("/a").websocketFramesDropped, 1);
  traffic.retain(new Set(["/b"]));
  assert.equal(traffic.totals("/a").websocketBytes, 0);
  assert.equal(traffic.totals("/b").websocketBytes, 7);
});

Deno.test("BrowserTraffic: a flood of addresses saturates the HLS reader count instead of growing memory", () => {
  const traffic = new BrowserTraffic();
  for (let i = 0; i < MAX_HLS_CLIENTS_PER_PATH + 50; i++) {
    traffic.hlsServed("/a", "part", `2001:db8::${i.toString(16)}`, 1, 0);
  }
  assert.equal(traffic.hlsReaders("/a", 0), MAX_HLS_CLIENTS_PER_PATH);
  assert.equal(traffic.totals("/a").hlsRequests.part, MAX_HLS_CLIENTS_PER_PATH + 50);
});

Deno.test("BrowserTraffic: files read over HLS are told apart from streams, and forgotten with them", () => {
  const traffic = new BrowserTraffic();
  traffic.hlsServed("/live", "segment", "192.0.2.1", 100, 0);
  traffic.hlsServed("/film.mp4", "playlist", "192.0.2.1", 100, 0, true);
  traffic.hlsServed("/film.mp4", "segment", "192.0.2.1", 100, 0);
  assert.deepEqual([...traffic.files()], ["/film.mp4"]);
  traffic.retain(new Set(["/live"]));
  assert.deepEqual([...traffic.files()], []);
});
