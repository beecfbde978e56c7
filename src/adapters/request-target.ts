/**
 * Request-target parsing shared by every adapter (RFC 9112 §3.2): `uri` and `queryString` come from here, so
 * one application sees the same paths, and the same 400s, under each adapter. Pure functions; no `node:` imports.
 */

/** What a request target says: the request map's `uri` and `queryString`, and an absolute-form authority. */
export interface RequestTarget {
  /** The path, percent-encoding kept; always starts with `/`. */
  readonly uri: string;
  /** The text after the first `?`; `undefined` without one, `""` for a bare `?`. */
  readonly queryString: string | undefined;
  /** The `host[:port]` of an absolute-form target (`http://host/p`); `undefined` for origin-form (`/p`). */
  readonly authority: string | undefined;
  /** The scheme an absolute-form target names (lower-cased); `undefined` for origin-form. */
  readonly scheme: "http" | "https" | undefined;
}

/**
 * Splits a request target, origin-form (`/p?q`) or absolute-form (`http://host/p?q`, what proxies send,
 * RFC 9112 §3.2.2), into its parts, or returns a one-line problem (for the 400's report) when it is none of
 * those: another form (`*`, `ftp://…`), an empty authority, a `#` (a fragment is never part of a request
 * target, and Node's parser lets it through), or a `%` in the path that does not start a pct-encoded octet
 * (RFC 3986 §2.1). The query is not checked: a stray `%` there is common and harmless, and parsing it is
 * `wrapParams`' job. A few `indexOf` scans, linear in the target.
 *
 * @example
 * splitTarget("/a%20b?x=1");        // { uri: "/a%20b", queryString: "x=1", authority: undefined, scheme: undefined }
 * splitTarget("HTTPS://h:8443?x");  // { uri: "/", queryString: "x", authority: "h:8443", scheme: "https" }
 * splitTarget("/100%");             // 'Malformed percent-encoding in request path "/100%"'
 */
export function splitTarget(target: string): RequestTarget | string {
  if (target.indexOf("#") !== -1) return `Malformed request target ${quote(target)}`;
  let pathAndQuery = target;
  let authority: string | undefined;
  let scheme: "http" | "https" | undefined;
  if (target.charCodeAt(0) !== 0x2f /* / */) {
    const prefix = target.slice(0, 8).toLowerCase();
    if (prefix.startsWith("http://")) scheme = "http";
    else if (prefix === "https://") scheme = "https";
    else return `Malformed request target ${quote(target)}`;
    const start = scheme === "http" ? 7 : 8;
    let end = start;
    while (end < target.length) {
      const c = target.charCodeAt(end);
      if (c === 0x2f /* / */ || c === 0x3f /* ? */) break;
      end++;
    }
    if (end === start) return `Malformed request target ${quote(target)}`;
    authority = target.slice(start, end);
    // An absolute-form target without a path means "/" (RFC 9112 §3.2.2).
    pathAndQuery =
      end === target.length
        ? "/"
        : target.charCodeAt(end) === 0x3f
          ? `/${target.slice(end)}`
          : target.slice(end);
  }
  const q = pathAndQuery.indexOf("?");
  const uri = q === -1 ? pathAndQuery : pathAndQuery.slice(0, q);
  if (!hasValidPercentEncoding(uri)) return `Malformed percent-encoding in request path ${quote(uri)}`;
  return { uri, queryString: q === -1 ? undefined : pathAndQuery.slice(q + 1), authority, scheme };
}

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

/** True for the char code of an ASCII hex digit (RFC 5234 HEXDIG, either case). */
export function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** `text` as a JSON string for a report, cut at 200 characters: a target may be as long as the parser allows. */
export function quote(text: string): string {
  return JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}…` : text);
}
