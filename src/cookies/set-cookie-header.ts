/**
 * Adding `set-cookie` lines to a response's headers without losing the ones already there: the cookie and
 * session middleware both append, never replace (each line is one cookie, RFC 6265 §3).
 */
import type { ResponseHeaders } from "../core/types.js";

/**
 * A copy of `headers` with `lines` appended to its `set-cookie` lines (found under any letter case, kept under
 * the lower-case name, as an array when there is more than one line). `headers` is not touched.
 *
 * @example
 * appendSetCookie({ "set-cookie": "a=1" }, ["b=2"]); // { "set-cookie": ["a=1", "b=2"] }
 */
export function appendSetCookie(
  headers: ResponseHeaders | undefined,
  lines: string | readonly string[],
): Record<string, string | readonly string[]> {
  if (headers === undefined || headers === null) return { "set-cookie": lines };
  const existing = headers["set-cookie"];
  let variant: string | undefined;
  if (existing === undefined) {
    for (const name in headers) {
      if (name.length === 10 && name.toLowerCase() === "set-cookie") {
        variant = name;
        break;
      }
    }
  }
  if (existing === undefined && variant === undefined) {
    // Not `{ ...headers, "set-cookie": lines }`: on Node 20 (V8 11) a spread that adds a key costs ≈ 0.9 µs, a
    // copy then a store ≈ 0.05 µs. Object.assign would call the `__proto__` setter for an own "__proto__"
    // key, so such headers keep the spread.
    if (Object.hasOwn(headers, "__proto__")) return { ...headers, "set-cookie": lines };
    const out: Record<string, string | readonly string[]> = Object.assign({}, headers);
    out["set-cookie"] = lines;
    return out;
  }
  const before = existing ?? headers[variant!]!;
  const merged = (typeof before === "string" ? [before] : [...before]).concat(lines);
  const out: Record<string, string | readonly string[]> = { ...headers, "set-cookie": merged };
  if (variant !== undefined) delete out[variant];
  return out;
}
