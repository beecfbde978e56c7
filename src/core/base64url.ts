/**
 * base64url (RFC 4648 §5, no padding) without `node:buffer`, so session code runs on every runtime.
 * Decoding is strict: anything outside the alphabet, or a length no encoder produces, is rejected.
 */

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** The 64 characters of base64url, in value order (character `i` stands for the 6 bits of `i`). */
export { ALPHABET as BASE64URL_ALPHABET };

const LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

/** Encode bytes as unpadded base64url. */
export function encodeBase64url(bytes: Uint8Array): string {
  let out = "";
  const n = bytes.length;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[v >> 18]! + ALPHABET[(v >> 12) & 63]! + ALPHABET[(v >> 6) & 63]! + ALPHABET[v & 63]!;
  }
  if (i + 1 === n) {
    const v = bytes[i]! << 16;
    out += ALPHABET[v >> 18]! + ALPHABET[(v >> 12) & 63]!;
  } else if (i + 2 === n) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ALPHABET[v >> 18]! + ALPHABET[(v >> 12) & 63]! + ALPHABET[(v >> 6) & 63]!;
  }
  return out;
}

/**
 * Decode unpadded base64url, or return `undefined` for text that is not canonical base64url
 * (bad characters, impossible length, or non-zero trailing bits), so each byte string has one encoding.
 */
export function decodeBase64url(text: string): Uint8Array | undefined {
  const n = text.length;
  if (n % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((n * 3) / 4));
  let o = 0;
  let i = 0;
  const at = (k: number): number => {
    const c = text.charCodeAt(k);
    return c < 128 ? LOOKUP[c]! : -1;
  };
  for (; i + 3 < n; i += 4) {
    const a = at(i);
    const b = at(i + 1);
    const c = at(i + 2);
    const d = at(i + 3);
    if ((a | b | c | d) < 0) return undefined;
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = v >> 16;
    out[o++] = (v >> 8) & 255;
    out[o++] = v & 255;
  }
  const rest = n - i;
  if (rest === 2) {
    const a = at(i);
    const b = at(i + 1);
    if ((a | b) < 0 || (b & 15) !== 0) return undefined;
    out[o++] = (a << 2) | (b >> 4);
  } else if (rest === 3) {
    const a = at(i);
    const b = at(i + 1);
    const c = at(i + 2);
    if ((a | b | c) < 0 || (c & 3) !== 0) return undefined;
    const v = (a << 18) | (b << 12) | (c << 6);
    out[o++] = v >> 16;
    out[o++] = (v >> 8) & 255;
  }
  return out;
}
