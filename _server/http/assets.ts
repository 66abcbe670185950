/**
 * `GET /status.js` and `GET /status.css`: the status page's own script and
 * style, from strings in TS modules (no third-party code, no CDN).
 * @module
 */

import type { Handler } from "./handler.ts";
import { COMMON_HEADERS } from "./json.ts";
import type { AssetName } from "./router.ts";
import { PLAYER_JS } from "./player_script.ts";
import { STATUS_JS } from "./status_script.ts";
import { STATUS_CSS } from "./status_style.ts";

/** Each asset's body and content type. */
const ASSETS: Readonly<Record<AssetName, { readonly body: string; readonly type: string }>> = {
  "status.js": { body: STATUS_JS, type: "text/javascript; charset=utf-8" },
  "status.css": { body: STATUS_CSS, type: "text/css; charset=utf-8" },
  "player.js": { body: PLAYER_JS, type: "text/javascript; charset=utf-8" },
};

/** Serves an asset. */
export const serveAsset: Handler<"asset"> = ({ route }) => {
  const asset = ASSETS[route.name];
  return new Response(asset.body, {
    headers: { ...COMMON_HEADERS, "content-type": asset.type },
  });
};
