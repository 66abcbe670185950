/**
 * Byte encodings the authentication code needs: UTF-8, hex, Base64 (RFC 4648, 4)
 * and Base64url (RFC 4648, 5). Decoders return `undefined` on bad input instead
 * of throwing, because their input comes from the network or a config file.
 * @module
 */

const encoder = new TextEncoder();
/** Fatal, so that invalid UTF-8 is reported instead of silently replaced. */
const strictDecoder = new TextDecoder("utf-8", { fatal: true });

/** The UTF-8 bytes of `text`. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Decodes UTF-8; `undefined` when `bytes` is not valid UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Decodes ISO-8859-1: every byte is the code point of the same value. */
export function decodeLatin1(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += String.fromCharCode(bytes[i]);
  return out;
}

const HEX_DIGITS = "0123456789abcdef";

/** Lower-case hex, two digits per byte (the form Digest uses, RFC 7616 3.4.1). */
export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) {
    out += HEX_DIGITS[bytes[i] >> 4] + HEX_DIGITS[bytes[i] & 15];
  }
  return out;
}

/** Parses hex of either case; `undefined` for an odd length or a non-hex character. */
export function fromHex(text: string): Uint8Array | undefined {
  if (text.length % 2 !== 0) return undefined;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = hexValue(text.charCodeAt(2 * i));
    const lo = hexValue(text.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) return undefined;
    out[i] = (hi << 4) | lo;
  }
  return out;
}

/** Whether `text` is exactly `length` hex digits. */
export function isHex(text: string, length: number): boolean {
  if (text.length !== length) return false;
  for (let i = 0; i < text.length; i++) if (hexValue(text.charCodeAt(i)) < 0) return false;
  return true;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

function reverseTable(alphabet: string): Int8Array {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i;
  return table;
}
const BASE64_VALUES = reverseTable(BASE64);
const BASE64URL_VALUES = reverseTable(BASE64URL);

function encodeWith(bytes: Uint8Array, alphabet: string, pad: boolean): string {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += alphabet[n >> 18] + alphabet[(n >> 12) & 63] + alphabet[(n >> 6) & 63] +
      alphabet[n & 63];
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i] << 16;
    out += alphabet[n >> 18] + alphabet[(n >> 12) & 63] + (pad ? "==" : "");
  } else if (rest === 2) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += alphabet[n >> 18] + alphabet[(n >> 12) & 63] + alphabet[(n >> 6) & 63] +
      (pad ? "=" : "");
  }
  return out;
}

function decodeWith(text: string, values: Int8Array): Uint8Array | undefined {
  // Padding is optional (RFC 4648, 3.2 allows specifications to drop it), but
  // when present it must be correct: at most two `=`, only at the end.
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0x3d && text.length - end < 2) end--;
  if (end < text.length && text.length % 4 !== 0) return undefined;
  const rest = end % 4;
  if (rest === 1) return undefined;
  const out = new Uint8Array(Math.floor(end / 4) * 3 + (rest === 0 ? 0 : rest - 1));
  let o = 0;
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? values[c] : -1;
    if (v < 0) return undefined;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  // Leftover bits must be zero, so that each byte string has one encoding.
  if ((acc & ((1 << bits) - 1)) !== 0) return undefined;
  return out;
}

/** Base64 with padding (RFC 4648, 4). */
export function toBase64(bytes: Uint8Array): string {
  return encodeWith(bytes, BASE64, true);
}

/** Decodes Base64 (RFC 4648, 4), padding optional; `undefined` when invalid. */
export function fromBase64(text: string): Uint8Array | undefined {
  return decodeWith(text, BASE64_VALUES);
}

/** Base64url without padding (RFC 4648, 5): safe inside quoted strings and URLs. */
export function toBase64Url(bytes: Uint8Array): string {
  return encodeWith(bytes, BASE64URL, false);
}

/** Decodes Base64url (RFC 4648, 5), padding optional; `undefined` when invalid. */
export function fromBase64Url(text: string): Uint8Array | undefined {
  return decodeWith(text, BASE64URL_VALUES);
}
