/**
 * JSON answers of the HTTP listener, errors included (`{ "error": "..." }`).
 * @module
 */

/**
 * Headers of every answer: no MIME sniffing (a JSON error quoting a client's
 * `<script>` must never run as HTML), and no caching of live figures.
 */
export const COMMON_HEADERS: Readonly<Record<string, string>> = {
  "x-content-type-options": "nosniff",
  "cache-control": "no-store",
};

/**
 * `value` as JSON safe to embed anywhere: `JSON.stringify` already escapes
 * quotes, backslashes and control characters; `<`, `>` and `&` are escaped too,
 * so no client-sent text can close a tag if the JSON is ever put in HTML.
 */
export function safeJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** A JSON answer. */
export function jsonResponse(
  value: unknown,
  status = 200,
  headers: Record<string, string> = {},
): Response {
  return new Response(safeJson(value), {
    status,
    headers: { ...COMMON_HEADERS, "content-type": "application/json; charset=utf-8", ...headers },
  });
}

/** An error answer: `{ "error": message }`. */
export function errorResponse(
  status: number,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return jsonResponse({ error: message }, status, headers);
}
