/**
 * One `Range: bytes=` range of a body whose length is known (RFC 9110, 14.1.2),
 * answered 206 with `Content-Range` (14.4) or 416 when it cannot be satisfied.
 * Several ranges, or a header that does not parse, get the whole body (14.2:
 * a server may ignore Range). Browsers' media players read in ranges.
 * @module
 */

/** What to send of a body of `length` bytes. */
export type ByteRangeAnswer =
  | { readonly kind: "whole" }
  | { readonly kind: "partial"; readonly start: number; readonly end: number }
  | { readonly kind: "unsatisfiable" };

const SINGLE_RANGE = /^bytes=(\d{0,15})-(\d{0,15})$/;

/**
 * Reads a `Range` header against a body of `length` bytes.
 * @returns the whole body, the inclusive byte range `start..end`, or 416
 */
export function byteRange(header: string | null, length: number): ByteRangeAnswer {
  if (header === null) return { kind: "whole" };
  const m = SINGLE_RANGE.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return { kind: "whole" };
  let start: number;
  let end: number;
  if (m[1] === "") {
    // bytes=-N: the last N bytes (14.1.2)
    const suffix = Number(m[2]);
    if (suffix === 0) return { kind: "unsatisfiable" };
    start = Math.max(0, length - suffix);
    end = length - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === "" ? length - 1 : Math.min(Number(m[2]), length - 1);
    if (m[2] !== "" && Number(m[2]) < start) return { kind: "whole" };
  }
  if (start >= length) return { kind: "unsatisfiable" };
  return { kind: "partial", start, end };
}

/**
 * The answer for `bytes` to a request with `rangeHeader`: 200 with all of
 * it, 206 with the range and `Content-Range` (14.4), or 416 naming the length.
 * @param headers sent with every answer (`Accept-Ranges: bytes` is added)
 * @param sent told how many body bytes go out (not for a 416)
 */
export function rangedResponse(
  rangeHeader: string | null,
  bytes: Uint8Array,
  headers: Record<string, string>,
  sent?: (length: number) => void,
): Response {
  const all = { ...headers, "accept-ranges": "bytes" };
  const range = byteRange(rangeHeader, bytes.length);
  switch (range.kind) {
    case "whole":
      sent?.(bytes.length);
      return new Response(bytes as Uint8Array<ArrayBuffer>, { headers: all });
    case "unsatisfiable":
      return new Response(null, {
        status: 416,
        headers: { ...all, "content-range": `bytes */${bytes.length}` },
      });
    case "partial":
      sent?.(range.end + 1 - range.start);
      return new Response(bytes.slice(range.start, range.end + 1), {
        status: 206,
        headers: { ...all, "content-range": `bytes ${range.start}-${range.end}/${bytes.length}` },
      });
  }
}
