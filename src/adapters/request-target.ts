/**
 * Checks on the request target that every adapter makes before building a request map, so one
 * application sees the same paths under each adapter. No `node:` imports.
 */

/**
 * True when every `%` in `text` starts a pct-encoded octet (`%` HEXDIG HEXDIG, RFC 3986 §2.1). Adapters
 * answer 400 for a path that fails it, so a handler never sees a stray `%`. The octets need not be UTF-8:
 * `/%FF` passes, and `decodeURIComponent` still throws a `URIError` on it (decoding is the router's choice).
 *
 * @example
 * hasValidPercentEncoding("/caf%C3%A9"); // true
 * hasValidPercentEncoding("/100%");      // false
 */
export function hasValidPercentEncoding(text: string): boolean {
  for (let i = text.indexOf("%"); i !== -1; i = text.indexOf("%", i + 1)) {
    if (!isHex(text.charCodeAt(i + 1)) || !isHex(text.charCodeAt(i + 2))) return false;
  }
  return true;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}
