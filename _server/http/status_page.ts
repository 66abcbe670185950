/**
 * `GET /`: the status page. A fixed HTML shell with no data in it: the script
 * (`status_script.ts`) fills it from the API, so nothing a client sent is ever
 * written into HTML by the server. The Content-Security-Policy allows only
 * this server's own script and style.
 * @module
 */

import type { Handler } from "./handler.ts";
import { COMMON_HEADERS } from "./json.ts";

/** Script and style from this server only; no inline code, no framing. */
export const STATUS_PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
  "media-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** The page. */
export const STATUS_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>rtsp.ts status</title>
<link rel="stylesheet" href="/status.css">
<script src="/status.js" defer></script>
</head>
<body>
<header>
<h1>rtsp.ts</h1>
<p id="updated" class="muted" aria-live="polite">loading…</p>
</header>
<main>
<section aria-labelledby="paths-title">
<h2 id="paths-title">Paths</h2>
<p id="paths-empty" class="muted" hidden>No path is served now.</p>
<div id="paths" class="cards"></div>
</section>
<section aria-labelledby="sessions-title">
<h2 id="sessions-title">Sessions</h2>
<p id="sessions-note" class="muted" hidden></p>
<div class="table-wrap">
<table id="sessions-table">
<thead><tr>
<th>Session</th><th>Path</th><th>Client</th><th>Transport</th><th>Mode</th>
<th>Sent</th><th>Received</th><th>Lost</th><th>Jitter</th><th>Dropped</th><th>Age</th><th></th>
</tr></thead>
<tbody id="sessions"></tbody>
</table>
</div>
</section>
</main>
</body>
</html>
`;

/** `GET /` */
export const statusPage: Handler<"status-page"> = () =>
  new Response(STATUS_PAGE_HTML, {
    headers: {
      ...COMMON_HEADERS,
      "content-type": "text/html; charset=utf-8",
      "content-security-policy": STATUS_PAGE_CSP,
      "referrer-policy": "no-referrer",
    },
  });
