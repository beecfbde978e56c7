/**
 * Adding `set-cookie` lines to a response without losing the ones already there: `setCookie`, the cookie
 * middleware and the session middleware all append, never replace (each line is one cookie, RFC 6265 §3).
 */
import type { WithHeaders } from "../core/response.js";
import type { Response, ResponseHeaders } from "../core/types.js";
import { type CookieAttributes, serializeCookie } from "./serialize.js";

/**
 * A copy of `headers` with `lines` appended to its `set-cookie` lines. Lines found under any spelling of the
 * name are kept, in one header under the lower-case name (as an array when there is more than one line, or
 * when `lines` is one). `headers` is not touched.
 *
 * @example
 * appendSetCookie({ "set-cookie": "a=1" }, ["b=2"]); // { "set-cookie": ["a=1", "b=2"] }
 */
export function appendSetCookie(
  headers: ResponseHeaders | undefined,
  lines: string | readonly string[],
): Record<string, string | readonly string[]> {
  if (headers === undefined || headers === null) return { "set-cookie": lines };
  let before: string[] | undefined;
  let otherSpelling = false;
  for (const name in headers) {
    if (name.length === 10 && Object.hasOwn(headers, name) && name.toLowerCase() === "set-cookie") {
      const value = headers[name]!;
      before = (before ?? []).concat(value);
      if (name !== "set-cookie") otherSpelling = true;
    }
  }
  if (before === undefined) return { ...headers, "set-cookie": lines };
  const out: Record<string, string | readonly string[]> = { ...headers };
  if (otherSpelling) {
    for (const name of Object.keys(out)) {
      if (name.length === 10 && name !== "set-cookie" && name.toLowerCase() === "set-cookie")
        delete out[name];
    }
  }
  out["set-cookie"] = before.concat(lines);
  return out;
}

/**
 * A copy of `res` with one more `set-cookie` line, built by `serializeCookie` (which throws a `TypeError` for
 * an invalid name or attribute). Existing `set-cookie` lines (under any spelling of the name) are kept, and
 * the header becomes an array so each cookie is sent on its own line (RFC 6265 §3: cookies must not be
 * folded into one line).
 *
 * @example
 * setCookie(response("ok"), "theme", "dark", { path: "/", httpOnly: true });
 * // headers: { "set-cookie": ["theme=dark; Path=/; HttpOnly"] }
 */
export function setCookie<R extends Response>(
  res: R,
  name: string,
  value: string,
  attrs?: CookieAttributes,
): WithHeaders<R> {
  return { ...res, headers: appendSetCookie(res.headers, [serializeCookie(name, value, attrs)]) };
}
