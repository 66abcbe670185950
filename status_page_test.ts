/**
 * The status page in a real browser (headless Chromium over the DevTools
 * protocol): it lists /test, a reader's row appears while it plays and goes
 * when it leaves, without reloading; it fits a phone's width. The run saves
 * `docs/status.png` for the README.
 */

import assert from "node:assert/strict";
import { startTestServer } from "./_testing/server.ts";
import { authConfig, basicCredentials } from "./_testing/auth.ts";
import { playOverTcp } from "./_testing/http.ts";
import { toolTest } from "./_testing/tools.ts";
import { HeadlessPage } from "./_testing/chromium.ts";

const SCREENSHOT = new URL("./docs/status.png", import.meta.url);

await toolTest(
  "the status page shows a reader's row while it plays, in Chromium",
  ["chromium"],
  async () => {
    await using srv = await startTestServer({
      http: true,
      auth: authConfig({
        users: [{ name: "admin", password: "secret" }],
        schemes: ["basic", "digest-md5"],
        admin: ["admin"],
      }),
    });
    await using page = await HeadlessPage.launch({ width: 1100, height: 640 });
    await page.send("Network.setExtraHTTPHeaders", {
      headers: { Authorization: basicCredentials("admin", "secret") },
    });
    await page.goto(srv.httpUrl("/"));
    const testCard = `[...document.querySelectorAll("#paths [data-path]")]
      .find((card) => card.dataset.path === "/test")`;
    assert.ok(await page.waitFor(testCard), "no card for /test");
    assert.equal(
      await page.evaluate<string>(
        `${testCard}.querySelector('[data-field="resolution"]').textContent`,
      ),
      "320×240",
    );
    assert.ok(await page.evaluate<boolean>(`Boolean(${testCard}.querySelector(".preview"))`));
    assert.equal(
      await page.evaluate<string>(`${testCard}.querySelector(".preview a").getAttribute("href")`),
      "/play/test",
    );
    const loadedAt = await page.evaluate<number>("performance.timeOrigin");

    const login = `Authorization: ${basicCredentials("admin", "secret")}\r\n`;
    const readers = [
      await playOverTcp(srv.port, "/test", login),
      await playOverTcp(srv.port, "/test", login),
    ];
    try {
      const [reader] = readers;
      const row = (id: string) =>
        `[...document.querySelectorAll("#sessions tr")].find((tr) => tr.dataset.sessionId === ${
          JSON.stringify(id)
        })`;
      assert.ok(await page.waitFor(row(reader.sessionId)), "the reader's row did not appear");
      assert.equal(
        await page.evaluate<string>(
          `${row(reader.sessionId)}.querySelector('[data-field="transport"]').textContent`,
        ),
        "tcp",
      );
      assert.ok(
        await page.evaluate<boolean>(
          `Boolean(${row(reader.sessionId)}.querySelector("button.kick"))`,
        ),
      );
      // Let a poll or two measure the bit rate before the picture is taken.
      await page.waitFor(
        `${testCard}.querySelector('[data-field="bitrateOut"]').textContent !== "0 bit/s"`,
      );
      await Deno.writeFile(SCREENSHOT, await page.screenshot());

      reader.client.close();
      assert.ok(
        await page.waitFor(`!${row(reader.sessionId)}`),
        "the row stayed after the reader left",
      );
      assert.ok(await page.waitFor(row(readers[1].sessionId)), "the other reader's row went too");
      // Updated in place: the page was never reloaded.
      assert.equal(await page.evaluate<number>("performance.timeOrigin"), loadedAt);

      // An admin's kick button ends the other reader and closes its connection.
      await page.evaluate(`${row(readers[1].sessionId)}.querySelector("button.kick").click()`);
      assert.ok(await page.waitFor(`!${row(readers[1].sessionId)}`), "the kicked row stayed");
      assert.ok(
        await readers[1].client.closedByServer(3000),
        "the kicked reader is still connected",
      );
      assert.equal(srv.responder.sessions.size, 0);

      // A browser reading over WebSocket: counted on the card, listed and kicked as a session.
      const socket = new WebSocket(srv.httpUrl("/ws/test").replace("http:", "ws:"), {
        headers: { Authorization: basicCredentials("admin", "secret") },
      } as unknown as string[]);
      const socketClosed = new Promise<number>((resolve) =>
        socket.onclose = (e) => resolve(e.code)
      );
      socket.onerror = () => {};
      try {
        assert.ok(
          await page.waitFor(
            `${testCard}.querySelector('[data-field="readers"]').textContent.includes("WebSocket 1")`,
          ),
          "the card does not count the WebSocket reader",
        );
        const wsRow = row("ws-1");
        assert.ok(await page.waitFor(wsRow), "the WebSocket reader's row did not appear");
        assert.equal(
          await page.evaluate<string>(
            `${wsRow}.querySelector('[data-field="transport"]').textContent`,
          ),
          "websocket",
        );
        await page.evaluate(`${wsRow}.querySelector("button.kick").click()`);
        assert.ok(await page.waitFor(`!${wsRow}`), "the kicked WebSocket row stayed");
        assert.equal(await socketClosed, 1008);
      } finally {
        socket.close();
      }

      // A phone's width: nothing wider than the screen.
      await page.send("Emulation.setDeviceMetricsOverride", {
        width: 390,
        height: 800,
        deviceScaleFactor: 2,
        mobile: true,
      });
      assert.ok(
        await page.waitFor("document.documentElement.scrollWidth <= 390"),
        `the page is ${await page.evaluate(
          "document.documentElement.scrollWidth",
        )} px wide on a phone`,
      );
    } finally {
      for (const reader of readers) reader.client.close();
    }
  },
);
