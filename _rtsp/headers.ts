/**
 * Header fields of an RTSP message: looked up without regard to case
 * (RFC 2326, 4.2 follows RFC 2616 4.2), written with canonical names.
 * @module
 */

/** Canonical spellings of header names whose capitalisation is not plain Title-Case. */
const CANONICAL_NAMES: ReadonlyMap<string, string> = new Map([
  ["cseq", "CSeq"],
  ["rtp-info", "RTP-Info"],
  ["www-authenticate", "WWW-Authenticate"],
  ["content-md5", "Content-MD5"],
  ["x-sessioncookie", "x-sessioncookie"],
]);

/**
 * The canonical spelling of a header name: `cseq` → `CSeq`, `content-type` → `Content-Type`.
 */
export function canonicalHeaderName(name: string): string {
  const lower = name.toLowerCase();
  const known = CANONICAL_NAMES.get(lower);
  if (known !== undefined) return known;
  return lower.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}

/**
 * An ordered, case-insensitive collection of header fields. A field given twice
 * keeps both values joined by ", " (RFC 2616, 4.2).
 */
export class RtspHeaders {
  /** By lower-case name; the name as first given is kept for {@linkcode entries}. */
  #fields = new Map<string, { name: string; value: string }>();

  /** @param init pairs of name and value, in order. */
  constructor(init: Iterable<readonly [string, string]> = []) {
    for (const [name, value] of init) this.append(name, value);
  }

  /** The value of `name`, or `undefined`. */
  get(name: string): string | undefined {
    return this.#fields.get(name.toLowerCase())?.value;
  }

  /** Whether `name` is present. */
  has(name: string): boolean {
    return this.#fields.has(name.toLowerCase());
  }

  /** Adds a value; a repeated name is joined with ", ". */
  append(name: string, value: string): void {
    const key = name.toLowerCase();
    const old = this.#fields.get(key);
    if (old) old.value = `${old.value}, ${value}`;
    else this.#fields.set(key, { name, value });
  }

  /** Replaces any value of `name`. */
  set(name: string, value: string): void {
    const key = name.toLowerCase();
    this.#fields.set(key, { name: this.#fields.get(key)?.name ?? name, value });
  }

  /** Characters of the names and values held, without building any text (for memory bounds). */
  textLength(): number {
    let length = 0;
    for (const { name, value } of this.#fields.values()) length += name.length + value.length;
    return length;
  }

  /** The number of distinct fields. */
  get size(): number {
    return this.#fields.size;
  }

  /** Fields in insertion order, with canonical names (computed here, not on every parse). */
  *entries(): IterableIterator<[string, string]> {
    for (const { name, value } of this.#fields.values()) yield [canonicalHeaderName(name), value];
  }
}
