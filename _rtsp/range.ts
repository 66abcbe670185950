/**
 * The `Range` header in Normal Play Time (RFC 2326, 12.29 and 3.6).
 * @module
 */

/** A parsed NPT range; `start` is `"now"` for a live position. */
export interface NptRange {
  readonly start: number | "now";
  readonly end?: number;
}

/** Largest NPT value accepted: one whose seconds fit the 12 digits parsed back. */
const MAX_NPT_SECONDS = 999_999_999_999;

/** Parses one npt-time (RFC 2326, 3.6): `now`, seconds `12.5`, or `h:mm:ss.frac`. */
function parseNptTime(text: string): number | "now" | undefined {
  const value = parseNptValue(text);
  return value === "now" || value === undefined || value < MAX_NPT_SECONDS ? value : undefined;
}

function parseNptValue(text: string): number | "now" | undefined {
  const t = text.trim();
  if (t === "now") return "now";
  let m = /^(\d{1,12})(?:\.(\d*))?$/.exec(t);
  if (m) return Number(`${m[1]}.${m[2] || "0"}`);
  m = /^(\d{1,9}):([0-5]?\d):([0-5]?\d)(?:\.(\d*))?$/.exec(t);
  if (m) {
    return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(`${m[3]}.${m[4] || "0"}`);
  }
  return undefined;
}

/**
 * Parses `npt=START-[END]` (also `npt=-END`, which means from the start).
 * Other units (`smpte=`, `clock=`) and malformed ranges give `undefined` (457 Invalid Range).
 */
export function parseRange(text: string): NptRange | undefined {
  const first = text.split(";")[0].trim();
  // Split by hand: a regex with two adjacent optional runs (\s* then [^-]*)
  // backtracks quadratically on a long run of spaces (found by the fuzzer).
  if (!/^npt\s*=/i.test(first)) return undefined;
  const rest = first.slice(first.indexOf("=") + 1);
  const dash = rest.indexOf("-");
  if (dash < 0) return undefined;
  const startText = rest.slice(0, dash).trim();
  const endText = rest.slice(dash + 1).trim();
  const start = startText === "" ? 0 : parseNptTime(startText);
  if (start === undefined) return undefined;
  if (endText === "") return { start };
  const end = parseNptTime(endText);
  if (end === undefined || end === "now") return undefined;
  if (start !== "now" && end < start) return undefined;
  return { start, end };
}

/** Writes a range canonically: `npt=5.000-` or `npt=0.000-10.000`. */
export function formatRange(range: NptRange): string {
  const start = range.start === "now" ? "now" : range.start.toFixed(3);
  return range.end === undefined ? `npt=${start}-` : `npt=${start}-${range.end.toFixed(3)}`;
}
