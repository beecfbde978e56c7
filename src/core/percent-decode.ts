/**
 * Percent-decoding in one pass that never throws, for text from the network (query strings, form bodies,
 * cookie values). `decodeURIComponent` throws on malformed input, and a parser that catches one exception per
 * pair lets a client make every request cost a thousand exceptions; these functions do work linear in the
 * text whatever it holds.
 */

/**
 * The WHATWG URL standard's percent-decode followed by UTF-8 decode without BOM or fail (URL §1.3, Encoding
 * §4.3): a `%` not followed by two hex digits is kept as it is, and escaped bytes that are not UTF-8 become
 * U+FFFD. For text `decodeURIComponent` accepts, the result is the same as that function's.
 *
 * @example
 * percentDecode("a%20b"); // "a b"
 * percentDecode("100%"); // "100%"
 * percentDecode("%E2%82"); // "\uFFFD"
 */
export function percentDecode(text: string): string {
  return decode(text, false) as string;
}

/**
 * Percent-decode text the way `decodeURIComponent` does, but answer `undefined` instead of throwing when a
 * `%` is not followed by two hex digits or the escaped bytes are not UTF-8.
 *
 * @example
 * percentDecodeStrict("a%20b"); // "a b"
 * percentDecodeStrict("%E0%A4%A"); // undefined
 */
export function percentDecodeStrict(text: string): string | undefined {
  return decode(text, true);
}

/**
 * One pass over `text`: each `%XX` escape's byte goes through the UTF-8 decoder of the WHATWG Encoding
 * standard (§4.3, "UTF-8 decoder"), which turns each maximal ill-formed subsequence into one U+FFFD, as
 * `TextDecoder` does; other characters are copied. No typed array is made: most inputs are a few bytes long.
 */
function decode(text: string, strict: boolean): string | undefined {
  let i = text.indexOf("%");
  if (i === -1) return text;
  const n = text.length;
  let out = text.slice(0, i);
  let malformed = false;
  // The decoder's state: the code point so far, bytes still needed and seen, the range of the next byte.
  let codePoint = 0;
  let needed = 0;
  let seen = 0;
  let lower = 0x80;
  let upper = 0xbf;
  while (i < n) {
    const hi = text.charCodeAt(i) === 0x25 && i + 2 < n ? hexValue(text.charCodeAt(i + 1)) : -1;
    const lo = hi === -1 ? -1 : hexValue(text.charCodeAt(i + 2));
    if (lo === -1) {
      // Not an escape: a sequence still open ends here, ill-formed; then the text up to the next "%".
      if (needed !== 0) {
        if (strict) return undefined;
        malformed = true;
        out += "\uFFFD";
        codePoint = needed = seen = 0;
        lower = 0x80;
        upper = 0xbf;
      }
      if (text.charCodeAt(i) === 0x25) {
        if (strict) return undefined;
        malformed = true;
        out += "%";
        i += 1;
      }
      let next = text.indexOf("%", i);
      if (next === -1) next = n;
      out += text.slice(i, next);
      i = next;
      continue;
    }
    const byte = hi * 16 + lo;
    if (needed === 0) {
      i += 3;
      if (byte <= 0x7f) {
        out += String.fromCharCode(byte);
      } else if (byte >= 0xc2 && byte <= 0xdf) {
        needed = 1;
        codePoint = byte & 0x1f;
      } else if (byte >= 0xe0 && byte <= 0xef) {
        if (byte === 0xe0) lower = 0xa0;
        if (byte === 0xed) upper = 0x9f;
        needed = 2;
        codePoint = byte & 0xf;
      } else if (byte >= 0xf0 && byte <= 0xf4) {
        if (byte === 0xf0) lower = 0x90;
        if (byte === 0xf4) upper = 0x8f;
        needed = 3;
        codePoint = byte & 0x7;
      } else {
        if (strict) return undefined;
        malformed = true;
        out += "\uFFFD";
      }
      continue;
    }
    if (byte < lower || byte > upper) {
      // The sequence is ill-formed: one U+FFFD for it, and this byte starts afresh (it is not consumed).
      if (strict) return undefined;
      malformed = true;
      out += "\uFFFD";
      codePoint = needed = seen = 0;
      lower = 0x80;
      upper = 0xbf;
      continue;
    }
    i += 3;
    lower = 0x80;
    upper = 0xbf;
    codePoint = (codePoint << 6) | (byte & 0x3f);
    if (++seen === needed) {
      out += String.fromCodePoint(codePoint);
      codePoint = needed = seen = 0;
    }
  }
  if (needed !== 0) {
    if (strict) return undefined;
    malformed = true;
    out += "\uFFFD";
  }
  // Where the input was malformed, the WHATWG decoder reads the whole text as UTF-8 bytes, so an unpaired
  // surrogate in the unescaped text becomes U+FFFD too; `decodeURIComponent`, for valid input, keeps it.
  if (malformed && hasLoneSurrogate(out)) out = out.replace(/\p{Surrogate}/gu, "\uFFFD");
  return out;
}

function hasLoneSurrogate(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    // A high surrogate followed by a low one is a pair; anything else is unpaired.
    if (c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
    }
    return true;
  }
  return false;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}
