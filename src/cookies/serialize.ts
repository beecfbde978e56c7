/**
 * `serializeCookie` builds one `Set-Cookie` line (RFC 6265 §4.1): the value, which is data, is encoded, never
 * refused; a name or attribute that would break the header or be silently dropped by a browser is a programmer
 * error, a `TypeError` naming the cookie and the attribute.
 */
import { describeValue } from "../core/describe-value.js";
import { isToken } from "../core/token.js";

/** `SameSite` values; any letter case is accepted and written in its canonical form (`Lax`). */
export type SameSite = "strict" | "lax" | "none" | "Strict" | "Lax" | "None";

/** `Priority` values (Chromium's extension); any letter case is accepted. */
export type CookiePriority = "low" | "medium" | "high" | "Low" | "Medium" | "High";

/** The attributes of a `Set-Cookie` line. An attribute set to `undefined` is left out. */
export interface CookieAttributes {
  /** Must start with `/`. The session middleware defaults it to `"/"`. */
  path?: string | undefined;
  domain?: string | undefined;
  /** Seconds, an integer; `0` or less expires the cookie at once (RFC 6265 §5.2.2). */
  maxAge?: number | undefined;
  expires?: Date | undefined;
  secure?: boolean | undefined;
  httpOnly?: boolean | undefined;
  sameSite?: SameSite | undefined;
  /** CHIPS: requires `secure`. */
  partitioned?: boolean | undefined;
  priority?: CookiePriority | undefined;
}

/** A cookie in `response.cookies`: a bare value, or a value with attributes. */
export type CookieSpec = string | ({ value: string } & CookieAttributes);

// RFC 6265 §4.1.1 cookie-octet without "%": values made only of these are written as they are.
const PLAIN_VALUE = /^[\x21\x23-\x24\x26-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/;
// The printable ASCII characters that are not cookie-octets, and "%", which starts an escape.
const NOT_OCTET = '"%,;\\';
// RFC 6265 §4.1.1 path-value: any CHAR except CTLs or ";".
const PATH_VALUE = /^\/[\x20-\x3A\x3C-\x7E]*$/;
// RFC 1034 §3.5 labels (RFC 1123 allows a leading digit); a leading dot is tolerated (RFC 6265 §5.2.3).
const DOMAIN_VALUE = /^\.?[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

const SAME_SITE: Record<string, string> = { strict: "Strict", lax: "Lax", none: "None" };
const PRIORITY: Record<string, string> = { low: "Low", medium: "Medium", high: "High" };

function fail(name: string, attribute: string, problem: string): never {
  throw new TypeError(`Cookie ${JSON.stringify(name)}: ${attribute} ${problem}`);
}

/** Throws unless `name` is an RFC 6265 cookie name (an RFC 9110 token). */
export function assertCookieName(name: unknown): asserts name is string {
  // RFC 6265 §4.1.1: a cookie name is an RFC 9110 token.
  if (typeof name !== "string" || !isToken(name)) {
    throw new TypeError(
      `Cookie name ${typeof name === "string" ? JSON.stringify(name) : String(name)} is not an RFC 6265 token ` +
        "(letters, digits and !#$%&'*+-.^_`|~ only)",
    );
  }
}

/**
 * The value as written on the wire. A value is data, so any string is written: unchanged when it is made of
 * RFC 6265 §4.1.1 cookie-octets (a session key, a base64url seal), otherwise every character outside
 * cookie-octet (controls, space, `"`, `,`, `;`, `\`, non-ASCII) and every `%` is percent-encoded as UTF-8,
 * as `encodeURIComponent` does, so `parseCookies` reads back exactly this string. Only what is not text throws
 * a `TypeError`: a non-string, or a lone UTF-16 surrogate (no UTF-8 form); the message says where, never
 * the value itself, since cookie values are often tokens and errors end up in logs.
 *
 * @example
 * encodeCookieValue("note", "v;w x"); // "v%3Bw%20x"
 */
export function encodeCookieValue(name: string, value: unknown): string {
  if (typeof value !== "string") return fail(name, "value", `must be a string, got ${describeValue(value)}`);
  if (PLAIN_VALUE.test(value)) return value;
  let out = "";
  let index = 0;
  for (const char of value) {
    const code = char.codePointAt(0)!;
    if (code >= 0xd800 && code <= 0xdfff) {
      return fail(
        name,
        "value",
        `contains a lone UTF-16 surrogate at index ${index}, which has no UTF-8 form`,
      );
    }
    out += code < 0x21 || code > 0x7e || NOT_OCTET.includes(char) ? encodeURIComponent(char) : char;
    index += char.length;
  }
  return out;
}

/**
 * Validate `attributes` for the cookie `name` and return them as the text that follows `name=value` in a
 * `Set-Cookie` line (e.g. `"; Path=/; HttpOnly; SameSite=Lax"`). Middleware that sends the same attributes on
 * every response compiles them once with this.
 *
 * @example
 * cookieAttributesText("sid", { path: "/", httpOnly: true }); // "; Path=/; HttpOnly"
 */
export function cookieAttributesText(name: string, attributes: CookieAttributes | undefined): string {
  if (attributes === undefined || attributes === null) return prefixRules(name, undefined, undefined, false);
  if (typeof attributes !== "object")
    return fail(name, "attributes", `must be an object, got ${describeValue(attributes)}`);
  let path: string | undefined;
  let domain: string | undefined;
  let out = "";
  let tail = "";
  let secure = false;
  let sameSiteNone = false;
  let partitioned = false;
  for (const key in attributes) {
    const value = (attributes as Record<string, unknown>)[key];
    if (value === undefined) continue;
    switch (key) {
      case "path":
        if (typeof value !== "string" || !PATH_VALUE.test(value)) {
          fail(
            name,
            "path",
            `must start with "/" and contain no ";" or control characters, got ${describeValue(value)}`,
          );
        }
        path = value;
        break;
      case "domain":
        if (typeof value !== "string" || !DOMAIN_VALUE.test(value)) {
          fail(name, "domain", `must be a host name such as "example.com", got ${describeValue(value)}`);
        }
        domain = value;
        break;
      case "maxAge":
        if (!Number.isInteger(value))
          fail(name, "maxAge", `must be an integer number of seconds, got ${describeValue(value)}`);
        tail += `; Max-Age=${String(value)}`;
        break;
      case "expires":
        if (!(value instanceof Date) || !Number.isFinite(value.getTime())) {
          fail(name, "expires", `must be a valid Date, got ${describeValue(value)}`);
        }
        tail += `; Expires=${value.toUTCString()}`;
        break;
      case "secure":
      case "httpOnly":
      case "partitioned":
        if (typeof value !== "boolean") fail(name, key, `must be a boolean, got ${describeValue(value)}`);
        if (key === "secure") secure = value;
        else if (key === "partitioned") partitioned = value;
        else if (value) out += "; HttpOnly";
        break;
      case "sameSite": {
        const canonical = typeof value === "string" ? SAME_SITE[value.toLowerCase()] : undefined;
        if (canonical === undefined)
          fail(name, "sameSite", `must be "strict", "lax" or "none", got ${describeValue(value)}`);
        sameSiteNone = canonical === "None";
        tail += `; SameSite=${canonical}`;
        break;
      }
      case "priority": {
        const canonical = typeof value === "string" ? PRIORITY[value.toLowerCase()] : undefined;
        if (canonical === undefined)
          fail(name, "priority", `must be "low", "medium" or "high", got ${describeValue(value)}`);
        tail += `; Priority=${canonical}`;
        break;
      }
      default:
        fail(name, `attribute ${JSON.stringify(key)}`, "is unknown");
    }
  }
  // Browsers reject these cookies silently; a programmer should hear about it at once.
  if (sameSiteNone && !secure) fail(name, "sameSite", `"none" requires secure: true`);
  if (partitioned && !secure) fail(name, "partitioned", "requires secure: true");
  prefixRules(name, path, domain, secure);
  if (path !== undefined) out = `; Path=${path}${out}`;
  if (domain !== undefined) out = `; Domain=${domain}${out}`;
  if (secure) out += "; Secure";
  if (partitioned) tail += "; Partitioned";
  return out + tail;
}

// RFC 6265bis §4.1.3: the `__Secure-` and `__Host-` prefixes (matched case-insensitively, as browsers do).
function prefixRules(
  name: string,
  path: string | undefined,
  domain: string | undefined,
  secure: boolean,
): "" {
  if (name.charCodeAt(0) !== 95 /* _ */) return "";
  const lower = name.slice(0, 9).toLowerCase();
  if (lower === "__secure-" && !secure) fail(name, "secure", "must be true for a __Secure- cookie");
  if (lower.startsWith("__host-")) {
    if (!secure) fail(name, "secure", "must be true for a __Host- cookie");
    if (domain !== undefined) fail(name, "domain", "must not be set for a __Host- cookie");
    if (path !== "/") fail(name, "path", `must be "/" for a __Host- cookie, got ${describeValue(path)}`);
  }
  return "";
}

/**
 * One `Set-Cookie` header line, the value encoded by `encodeCookieValue`. Throws a `TypeError` naming the
 * cookie and the attribute for a name that is not a token, a value that is not a string or holds a lone
 * surrogate, an unknown or malformed attribute,
 * `sameSite: "none"` or `partitioned` without `secure`, and a `__Secure-`/`__Host-` name whose attributes
 * break the prefix rules.
 *
 * @example
 * serializeCookie("theme", "dark", { path: "/", maxAge: 3600, sameSite: "lax" });
 * // "theme=dark; Path=/; Max-Age=3600; SameSite=Lax"
 */
export function serializeCookie(name: string, value: string, attributes?: CookieAttributes): string {
  assertCookieName(name);
  return `${name}=${encodeCookieValue(name, value)}${cookieAttributesText(name, attributes)}`;
}
