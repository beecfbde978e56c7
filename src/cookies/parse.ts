/**
 * Reading the `Cookie` request header (RFC 6265 §5.4 format, §4.2.1 grammar) with the `cookie` package, and a
 * lookup of one cookie by name that applies the same rules without building the whole map (the session hot path).
 */
import { parseCookie } from "cookie";
import { percentDecodeStrict } from "../core/percent-decode.js";

/**
 * Parse a `Cookie` header into a name → value map with no prototype (so a cookie named `__proto__` is just a key).
 * A pair without `=` or with an empty name is skipped. Of two cookies with the same name the first wins, because
 * browsers send the one with the most specific path first (RFC 6265 §5.4, step 2); when the first one's value
 * cannot be percent-decoded, the name is absent, never taken from a later pair, which belongs to another path.
 * The work is linear in the header, however many pairs are malformed.
 *
 * @example
 * parseCookies("a=1; b=hello%20world; a=2"); // { a: "1", b: "hello world" }
 */
export function parseCookies(header: string | undefined): Record<string, string> {
  let dropped = false;
  const cookies = parseCookie(header ?? "", {
    // The package decodes only the first pair of a name, and only while the name's value is `undefined`, so a
    // failed decoding is marked with a value of its own: the later pairs of that name are then not decoded.
    decode: (value) => {
      const decoded = percentDecodeStrict(value);
      if (decoded !== undefined) return decoded;
      dropped = true;
      return DROPPED;
    },
  }) as Record<string, string | undefined>;
  if (dropped) {
    for (const name in cookies) if (cookies[name] === DROPPED) delete cookies[name];
  }
  if ("" in cookies) delete cookies[""];
  return cookies as Record<string, string>;
}

// A value no decoding returns (compared by identity), for a first pair whose value was dropped.
const DROPPED = Object.freeze({}) as unknown as string;

/**
 * The value of the first cookie called `name` in a `Cookie` header, by the same rules as `parseCookies` (leading
 * and trailing spaces and tabs trimmed; `undefined` when the first such cookie's value cannot be decoded),
 * without building a map of the others.
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
    return percentDecodeStrict(trim(header, end + 1, close));
  }
  return undefined;
}

function trim(text: string, start: number, end: number): string {
  while (start < end && (text.charCodeAt(start) === 32 || text.charCodeAt(start) === 9)) start++;
  while (end > start && (text.charCodeAt(end - 1) === 32 || text.charCodeAt(end - 1) === 9)) end--;
  return text.slice(start, end);
}
