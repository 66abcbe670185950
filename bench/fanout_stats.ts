/**
 * Arithmetic of `fanout.ts`: the least-squares line through (readers, cost)
 * points, and number formatting for its table.
 * @module
 */

/** A fitted line `y = intercept + slope × x`. */
export interface Line {
  readonly slope: number;
  readonly intercept: number;
  /** Coefficient of determination: 1 is a perfect line, near 0 means noise dominates. */
  readonly r2: number;
}

/**
 * Ordinary least squares through `points` ([x, y] pairs).
 * @returns NaN fields with fewer than two distinct x
 */
export function fitLine(points: readonly (readonly [number, number])[]): Line {
  const n = points.length;
  const meanX = points.reduce((s, [x]) => s + x, 0) / n;
  const meanY = points.reduce((s, [, y]) => s + y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (const [x, y] of points) {
    sxx += (x - meanX) ** 2;
    sxy += (x - meanX) * (y - meanY);
    syy += (y - meanY) ** 2;
  }
  if (n < 2 || sxx === 0) return { slope: NaN, intercept: NaN, r2: NaN };
  const slope = sxy / sxx;
  return { slope, intercept: meanY - slope * meanX, r2: syy === 0 ? 1 : (sxy * sxy) / (sxx * syy) };
}

/** `n` with `digits` decimals, or "—" when it is not a finite number. */
export function fmt(n: number | undefined, digits = 2): string {
  return n !== undefined && Number.isFinite(n) ? n.toFixed(digits) : "—";
}

/** Rounds for JSON output, keeping NaN/undefined out (JSON has no NaN). */
export function round(n: number | undefined, digits = 4): number | null {
  return n !== undefined && Number.isFinite(n) ? Number(n.toFixed(digits)) : null;
}

/** The middle of `xs` (the mean of the two middle ones for an even count); NaN for none. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
