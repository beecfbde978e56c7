/**
 * Reading the `Cookie` request header (RFC 6265 §5.4 format, §4.2.1 grammar) with the `cookie` package, and a
 * lookup of one cookie by name that applies the same rules without building the whole map (the session hot path).
 */
import { parseCookie } from "cookie";

/** Percent-decode a cookie value; `undefined` when the decoding fails, so the pair is dropped, never kept raw. */
export function decodeCookieValue(value: string): string | undefined {
  if (!value.includes("%")) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/**
 * Parse a `Cookie` header into a name → value map with no prototype (so a cookie named `__proto__` is just a key).
 * A pair without `=` or with an empty name is skipped; a value whose percent-decoding fails is dropped as if that
 * pair had not been sent; of two cookies with the same name the first wins, because browsers send the one with
 * the most specific path first (RFC 6265 §5.4, step 2).
 *
 * @example
 * parseCookies("a=1; b=hello%20world; a=2"); // { a: "1", b: "hello world" }
 */
export function parseCookies(header: string | undefined): Record<string, string> {
  dropped = false;
  const cookies = parseCookie(header ?? "", { decode: decodeOrMark }) as Record<string, string | undefined>;
  // The package keeps a failed decoding as an `undefined` value, and a nameless pair ("=v") under "".
  if (dropped) {
    for (const name in cookies) if (cookies[name] === undefined) delete cookies[name];
  }
  if ("" in cookies) delete cookies[""];
  return cookies as Record<string, string>;
}

// Set when a value was dropped during the current (synchronous) `parseCookies` call.
let dropped = false;

function decodeOrMark(value: string): string | undefined {
  const decoded = decodeCookieValue(value);
  if (decoded === undefined) dropped = true;
  return decoded;
}

/**
 * The value of the first cookie called `name` in a `Cookie` header, by the same rules as `parseCookies` (leading
 * and trailing spaces and tabs trimmed, undecodable values skipped), without building a map of the others.
 *
 * @example
 * readCookie("theme=dark; sid=abc", "sid"); // "abc"
 */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined || name === "") return undefined;
  const length = header.length;
  let from = 0;
  while (from < length) {
    const at = header.indexOf(name, from);
    if (at === -1) return undefined;
    // The name must be the whole trimmed text between the previous ";" (or the start) and the next "=".
    let start = at - 1;
    while (start >= 0 && (header.charCodeAt(start) === 32 || header.charCodeAt(start) === 9)) start--;
    let end = at + name.length;
    while (end < length && (header.charCodeAt(end) === 32 || header.charCodeAt(end) === 9)) end++;
    from = at + 1;
    if ((start !== -1 && header.charCodeAt(start) !== 59) || header.charCodeAt(end) !== 61) continue;
    let close = header.indexOf(";", end + 1);
    if (close === -1) close = length;
    const value = decodeCookieValue(trim(header, end + 1, close));
    if (value !== undefined) return value;
    from = close;
  }
  return undefined;
}

function trim(text: string, start: number, end: number): string {
  while (start < end && (text.charCodeAt(start) === 32 || text.charCodeAt(start) === 9)) start++;
  while (end > start && (text.charCodeAt(end - 1) === 32 || text.charCodeAt(end - 1) === 9)) end--;
  return text.slice(start, end);
}
