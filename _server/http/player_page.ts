/**
 * `GET /play/<path>`: a page that plays a stream or a file in the browser, with this
 * server's own script (`player_script.ts`) over Media Source Extensions and
 * `/ws/<path>`. The path is written into the page once, as escaped text in
 * the title and heading; the script takes it from its own URL.
 * @module
 */

import type { Handler } from "./handler.ts";
import { findBrowserFile } from "./browser_stream.ts";
import { COMMON_HEADERS } from "./json.ts";
import { STATUS_PAGE_CSP } from "./status_page.ts";

/** `text` safe as HTML text or a quoted attribute value (HTML Living Standard, 13.1.4). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The page for `path`. */
export function playerHtml(path: string): string {
  const shown = escapeHtml(path);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${shown} – rtsp.ts</title>
<link rel="stylesheet" href="/status.css">
<script src="/player.js" defer></script>
</head>
<body>
<header>
<h1><a href="/">rtsp.ts</a></h1>
<p class="muted">${shown}</p>
</header>
<main class="player">
<video id="video" muted autoplay playsinline controls></video>
<p id="player-status" class="muted" aria-live="polite">loading…</p>
</main>
</body>
</html>
`;
}

/** `GET /play/<path>` */
export const playerPage: Handler<"player"> = async ({ route, principal }, { app, access }) => {
  const allowed = access.requirePath(principal, route.path);
  if (!allowed.ok) return allowed.response;
  // A stream not served yet may start later (the page retries); a file that
  // will never play in a browser is told at once, not retried for ever.
  if (!app.library.shared(route.path)) {
    const file = await findBrowserFile(app, route.path);
    if (file && !file.ok) return file.response;
  }
  return new Response(playerHtml(route.path), {
    headers: {
      ...COMMON_HEADERS,
      "content-type": "text/html; charset=utf-8",
      "content-security-policy": STATUS_PAGE_CSP,
      "referrer-policy": "no-referrer",
    },
  });
};
