/**
 * fast-check arbitraries for property tests of ringlet code: request maps valid by docs/SPEC.md, header maps
 * and raw header lines, cookie headers (well-formed with their expected parse, and malformed), JSON session
 * data, and the session actions a handler can take, for model-based tests through `wrapSession`.
 */
import fc from "fast-check";
import { encodeCookieValue } from "../cookies/serialize.js";
import type { Request } from "../core/types.js";
import type { SessionData } from "../session/store.js";
import { mockRequest } from "./mock-request.js";

const TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER_TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz";
// RFC 3986 §3.3 pchar without "%" (escapes are generated whole).
const PCHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@";
// RFC 6265 §4.1.1 cookie-octet without "%".
const COOKIE_OCTETS = Array.from({ length: 0x7f - 0x21 }, (_, i) => String.fromCharCode(0x21 + i))
  .filter((c) => !`",;\\%`.includes(c))
  .join("");

const HEX = "0123456789ABCDEF";

// Any Unicode scalar value, mostly printable ASCII. fast-check's own grapheme and binary units build a
// table of every code point the first time they are used (up to two seconds); this costs nothing up front.
const UNICODE_CHAR = fc
  .oneof(
    { weight: 6, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) },
    { weight: 2, arbitrary: fc.integer({ min: 0xa0, max: 0xd7ff }) },
    { weight: 1, arbitrary: fc.integer({ min: 0xe000, max: 0x10ffff }) },
  )
  .map((code) => String.fromCodePoint(code));

/**
 * Text of any Unicode scalar values (no lone surrogates), mostly printable ASCII.
 *
 * @example
 * fc.sample(arbitraries.unicodeString({ maxLength: 8 }), 2); // ["a\u00e9\u4e2d", "x"]
 */
export function unicodeString(
  constraints: { minLength?: number; maxLength?: number } = {},
): fc.Arbitrary<string> {
  return fc.string({ unit: UNICODE_CHAR, ...constraints });
}

function charsOf(
  alphabet: string,
  constraints: { minLength?: number; maxLength?: number },
): fc.Arbitrary<string> {
  return fc.string({ unit: fc.constantFrom(...alphabet), ...constraints });
}

/**
 * An HTTP method: mostly the common ones, sometimes any RFC 9110 token (methods are case-sensitive).
 *
 * @example
 * fc.sample(arbitraries.method(), 3); // ["GET", "DELETE", "x-Purge"]
 */
export function method(): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS") },
    { weight: 1, arbitrary: charsOf(TCHARS, { minLength: 1, maxLength: 12 }) },
  );
}

/** A `%XX` escape (upper or lower case hex digits). */
function percentEscape(): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom(...HEX), fc.constantFrom(...HEX), fc.boolean())
    .map(([a, b, lower]) => (lower ? `%${a}${b}`.toLowerCase() : `%${a}${b}`));
}

/**
 * A raw request path as the SPEC's `uri`: starts with `/`, made of RFC 3986 pchars and `%XX` escapes (so
 * `%2F`, dot segments and empty segments occur), never a `?`.
 *
 * @example
 * fc.sample(arbitraries.path(), 3); // ["/", "/a%2Fb/./c", "//x;y=1"]
 */
export function path(): fc.Arbitrary<string> {
  const segment = fc
    .array(
      fc.oneof(
        { weight: 5, arbitrary: fc.constantFrom(...PCHARS) },
        { weight: 1, arbitrary: percentEscape() },
      ),
      {
        maxLength: 8,
      },
    )
    .map((parts) => parts.join(""));
  return fc.array(segment, { maxLength: 4 }).map((segments) => `/${segments.join("/")}`);
}

/**
 * A raw query string as the SPEC's `queryString` (without the `?`), or `undefined` for a target with no `?`.
 * The empty string (a bare `?`) is included.
 *
 * @example
 * fc.sample(arbitraries.queryString(), 3); // [undefined, "", "a=1&b=%20/?"]
 */
export function queryString(): fc.Arbitrary<string | undefined> {
  const part = fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...PCHARS, "/", "?") },
    { weight: 1, arbitrary: percentEscape() },
  );
  return fc.option(
    fc.array(part, { maxLength: 24 }).map((parts) => parts.join("")),
    { nil: undefined },
  );
}

/**
 * A lower-case header name (an RFC 9110 token).
 *
 * @example
 * fc.sample(arbitraries.headerName(), 2); // ["x-request-id", "a!"]
 */
export function headerName(): fc.Arbitrary<string> {
  return fc.oneof(
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        "accept",
        "accept-language",
        "authorization",
        "user-agent",
        "x-forwarded-for",
        // A legal token that a careless `map[name] = value` would lose: it must stay data.
        "__proto__",
      ),
    },
    { weight: 2, arbitrary: charsOf(LOWER_TCHARS, { minLength: 1, maxLength: 16 }) },
  );
}

/**
 * A header value as it arrives in a request map: visible ASCII with inner spaces and tabs, no leading or
 * trailing whitespace (a server strips that, RFC 9112 §5), possibly empty.
 *
 * @example
 * fc.sample(arbitraries.headerValue(), 2); // ["text/html; q=0.9", ""]
 */
export function headerValue(): fc.Arbitrary<string> {
  const visible = Array.from({ length: 0x7f - 0x21 }, (_, i) => String.fromCharCode(0x21 + i)).join("");
  return fc
    .array(
      fc.oneof(
        { weight: 8, arbitrary: fc.constantFrom(...visible) },
        { weight: 1, arbitrary: fc.constantFrom(" ", "\t") },
      ),
      {
        maxLength: 30,
      },
    )
    .map((chars) => chars.join("").replace(/^[ \t]+|[ \t]+$/g, ""));
}

// Names whose value the request arbitrary sets itself, so they stay consistent with the rest of the map.
const RESERVED_HEADERS = new Set(["host", "content-length", "transfer-encoding", "cookie"]);

/**
 * A request header map as the SPEC defines it: lower-case token names, valid values. `host`,
 * `content-length`, `transfer-encoding` and `cookie` are left out (`request()` sets them consistently).
 *
 * @example
 * fc.sample(arbitraries.headers(), 1); // [{ accept: "text/html", "x-a": "1" }]
 */
export function headers(constraints: { maxKeys?: number } = {}): fc.Arbitrary<Record<string, string>> {
  return fc
    .uniqueArray(fc.tuple(headerName(), headerValue()), {
      maxLength: constraints.maxKeys ?? 6,
      selector: ([name]) => name,
    })
    .map((pairs) => {
      const map: Record<string, string> = Object.create(null);
      for (const [name, value] of pairs) if (!RESERVED_HEADERS.has(name)) map[name] = value;
      return { ...map };
    });
}

/**
 * Raw header lines as a client sends them: names in any letter case, repeated names (including `cookie`
 * and names like `authorization` that Node would drop when repeated). `joinHeaderLines` gives the request
 * headers the SPEC says an adapter must build from them.
 *
 * @example
 * fc.sample(arbitraries.headerLines(), 1); // [[["X-A", "1"], ["x-a", "2"], ["Cookie", "a=1"]]]
 */
export function headerLines(constraints: { maxLines?: number } = {}): fc.Arbitrary<Array<[string, string]>> {
  const name = fc
    .oneof(headerName(), fc.constantFrom("cookie", "authorization", "x-dup"))
    .filter((n) => !RESERVED_HEADERS.has(n) || n === "cookie");
  const mixedCase = fc
    .tuple(name, fc.array(fc.boolean(), { minLength: 16, maxLength: 16 }))
    .map(([n, upper]) => Array.from(n, (c, i) => (upper[i] ? c.toUpperCase() : c)).join(""));
  return fc.array(fc.tuple(mixedCase, headerValue()), { maxLength: constraints.maxLines ?? 8 });
}

/**
 * The request headers the SPEC requires for raw header lines: lower-case names, repeated values joined
 * with `", "` in order, `cookie` values joined with `"; "`.
 *
 * @example
 * joinHeaderLines([["X-A", "1"], ["x-a", "2"], ["Cookie", "a=1"], ["cookie", "b=2"]]);
 * // { "x-a": "1, 2", cookie: "a=1; b=2" }
 */
export function joinHeaderLines(lines: ReadonlyArray<readonly [string, string]>): Record<string, string> {
  const joined: Record<string, string> = Object.create(null);
  for (const [rawName, value] of lines) {
    const name = rawName.toLowerCase();
    const previous = joined[name];
    joined[name] = previous === undefined ? value : `${previous}${name === "cookie" ? "; " : ", "}${value}`;
  }
  return { ...joined };
}

/** Options of `request()`. */
export interface RequestConstraints {
  /** Generate a body (text or bytes, with its content-length) for some requests. Default `true`. */
  withBody?: boolean;
  /** Methods to pick from instead of `method()`. */
  methods?: readonly string[];
}

/**
 * A request map valid by docs/SPEC.md (it passes `wrapLint`), built with `mockRequest`: any method, raw path
 * and query, scheme, host, port, peer address (IPv4 or IPv6), headers, sometimes a cookie header and a body.
 *
 * @example
 * fc.assert(fc.asyncProperty(arbitraries.request(), async (req) => {
 *   const res = await app(req);
 *   expect(res.status).toBeLessThan(500);
 * }));
 */
export function request(constraints: RequestConstraints = {}): fc.Arbitrary<Request> {
  const body =
    constraints.withBody === false
      ? fc.constant(undefined)
      : fc.option(fc.oneof(unicodeString({ maxLength: 64 }), fc.uint8Array({ maxLength: 64 })), {
          nil: undefined,
          freq: 2,
        });
  return fc
    .record({
      method: constraints.methods === undefined ? method() : fc.constantFrom(...constraints.methods),
      path: path(),
      queryString: queryString(),
      scheme: fc.constantFrom("http" as const, "https" as const),
      serverName: fc.oneof(fc.constant("localhost"), fc.domain()),
      serverPort: fc.oneof(fc.constantFrom(80, 443, 3000, 8080), fc.integer({ min: 1, max: 65535 })),
      remoteAddr: fc.oneof(fc.ipV4(), fc.ipV6()),
      protocol: fc.constantFrom("HTTP/1.1", "HTTP/1.0", "HTTP/2"),
      headers: headers(),
      cookie: fc.option(cookieHeader(), { nil: undefined }),
      body,
    })
    .map((r) =>
      mockRequest(r.method, r.queryString === undefined ? r.path : `${r.path}?${r.queryString}`, {
        scheme: r.scheme,
        serverName: r.serverName,
        serverPort: r.serverPort,
        remoteAddr: r.remoteAddr,
        protocol: r.protocol,
        headers: r.cookie === undefined ? r.headers : { ...r.headers, cookie: r.cookie.header },
        ...(r.body === undefined ? {} : { body: r.body }),
      }),
    );
}

/**
 * A cookie name (an RFC 6265 token).
 *
 * @example
 * fc.sample(arbitraries.cookieName(), 2); // ["sid", "a.b"]
 */
export function cookieName(): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom("sid", "ring-session", "theme", "__Host-id", "__proto__"),
    charsOf(TCHARS, { minLength: 1, maxLength: 12 }),
  );
}

/** A well-formed `Cookie` header and the cookies a parser must read from it. */
export interface CookieHeaderSample {
  /** The header value, e.g. `"a=1; b=hello%20world; a=2"`. */
  readonly header: string;
  /** What RFC 6265 parsing gives: values percent-decoded, the first of two same-named cookies kept. */
  readonly cookies: Readonly<Record<string, string>>;
}

/**
 * A well-formed `Cookie` header (RFC 6265 §4.2.1: `name=value` pairs joined by `"; "`) with the map a parser
 * must produce. Values are plain cookie-octets or percent-encoded text (any Unicode); names repeat sometimes.
 *
 * @example
 * fc.assert(fc.property(arbitraries.cookieHeader(), ({ header, cookies }) => {
 *   expect(parseCookies(header)).toEqual(cookies);
 * }));
 */
export function cookieHeader(constraints: { maxCookies?: number } = {}): fc.Arbitrary<CookieHeaderSample> {
  const value = fc.oneof(
    charsOf(COOKIE_OCTETS, { maxLength: 16 }),
    unicodeString({ maxLength: 12 }).filter((v) => !/[\x00-\x1f\x7f;]/.test(v)),
  );
  return fc
    .array(fc.tuple(cookieName(), value), { minLength: 1, maxLength: constraints.maxCookies ?? 5 })
    .map((pairs) => {
      const cookies: Record<string, string> = Object.create(null);
      const parts: string[] = [];
      for (const [name, v] of pairs) {
        parts.push(`${name}=${encodeCookieValue(name, v)}`);
        if (!Object.hasOwn(cookies, name)) cookies[name] = v;
      }
      // Spread into a plain object: a cookie named `__proto__` stays an own key.
      return { header: parts.join("; "), cookies: { ...cookies } };
    });
}

// The pieces malformed headers are made of: separators in the wrong places, quotes, broken escapes, spaces,
// tabs, obs-text (a header value is bytes, so nothing above U+00FF), and a few well-formed pairs.
const MALFORMED_PIECES = [
  ";",
  "; ",
  ";;",
  "=",
  "==",
  " ",
  "\t",
  '"',
  '""',
  "%",
  "%zz",
  "%E0%A4%A",
  "%FF",
  "%00",
  ",",
  "\\",
  "a",
  "a=",
  "=b",
  "a=1",
  "b=%20",
  "__proto__=x",
  "constructor=y",
  "\u00e9",
  "\u00ff",
  "\u0080",
];

/**
 * A malformed `Cookie` header value as one could arrive from the network: stray separators, pairs without
 * `=` or without a name, quotes, invalid percent-escapes, obs-text, `__proto__` names, mixed with valid
 * pairs. Every character is a legal header byte (HTAB, SP, visible ASCII, U+0080–U+00FF), so any adapter
 * could deliver it; a parser must not throw on it.
 *
 * @example
 * fc.assert(fc.property(arbitraries.malformedCookieHeader(), (header) => {
 *   expect(() => parseCookies(header)).not.toThrow();
 * }));
 */
export function malformedCookieHeader(): fc.Arbitrary<string> {
  const byte = fc.oneof(
    fc.constant("\t"),
    fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
    fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)),
  );
  return fc
    .array(
      fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(...MALFORMED_PIECES) },
        { weight: 1, arbitrary: byte },
      ),
      {
        maxLength: 40,
      },
    )
    .map((pieces) => pieces.join(""));
}

/** Options of `sessionData()`. */
export interface SessionDataConstraints {
  /** Most keys at the top level. Default `5`. */
  maxKeys?: number;
  /** Most nesting below the top level. Default `2`. */
  maxDepth?: number;
  /** Most characters of the data as JSON, so a sealed cookie stays under 4096 bytes. Default `1000`. */
  maxJsonLength?: number;
}

/**
 * Session data that survives a JSON round trip unchanged (what every store must accept): a plain object of
 * JSON values with Unicode strings, never `-0` (JSON writes it as `0`) and never a `__proto__` key.
 *
 * @example
 * fc.sample(arbitraries.sessionData(), 2); // [{}, { user: "ann", cart: [1, { n: true }] }]
 */
export function sessionData(constraints: SessionDataConstraints = {}): fc.Arbitrary<SessionData> {
  const maxJsonLength = constraints.maxJsonLength ?? 1000;
  return fc
    .dictionary(
      unicodeString({ maxLength: 10 }),
      fc.jsonValue({ maxDepth: constraints.maxDepth ?? 2, stringUnit: UNICODE_CHAR }),
      { maxKeys: constraints.maxKeys ?? 5, noNullPrototype: true },
    )
    .map((data) => JSON.parse(JSON.stringify(data), dropProto) as SessionData)
    .filter((data) => JSON.stringify(data).length <= maxJsonLength);
}

function dropProto(key: string, value: unknown): unknown {
  return key === "__proto__" ? undefined : value;
}

/** One thing a handler does with the session (see `sessionAction()`). */
export type SessionAction =
  /** Read `request.session`, answer without a `session` key. */
  | { readonly kind: "read" }
  /** Answer `session: data` (possibly `{}`, which is a write, not a delete). */
  | { readonly kind: "write"; readonly data: SessionData }
  /** Answer `session: null`: delete the session and expire the cookie. */
  | { readonly kind: "delete" }
  /** Answer `session: data, recreateSession: true`: a new key for the same visitor (after login). */
  | { readonly kind: "recreate"; readonly data: SessionData }
  /** Answer only `sessionCookieAttrs` (re-send the current key with new attributes). */
  | { readonly kind: "attrs"; readonly attrs: { readonly maxAge: number } }
  /** Answer without touching the session at all. */
  | { readonly kind: "noop" };

/**
 * A session action for model-based tests through `wrapSession`: read, write (including `{}`), delete,
 * recreate, attributes only, or no-op. `sessionActionResponse` turns one into the response keys.
 *
 * @example
 * fc.assert(fc.asyncProperty(fc.array(arbitraries.sessionAction()), async (actions) => {
 *   for (const action of actions) await client.post("/act", { json: action });
 * }));
 */
export function sessionAction(constraints: SessionDataConstraints = {}): fc.Arbitrary<SessionAction> {
  const data = fc.oneof(
    { weight: 1, arbitrary: fc.constant({}) },
    { weight: 4, arbitrary: sessionData(constraints) },
  );
  return fc.oneof(
    fc.constant({ kind: "read" } as const),
    data.map((d) => ({ kind: "write", data: d }) as const),
    fc.constant({ kind: "delete" } as const),
    data.map((d) => ({ kind: "recreate", data: d }) as const),
    fc.integer({ min: 1, max: 30 * 86_400 }).map((maxAge) => ({ kind: "attrs", attrs: { maxAge } }) as const),
    fc.constant({ kind: "noop" } as const),
  );
}

/** The session keys of a response for an action (spread them into the handler's response). */
export interface SessionActionResponse {
  session?: SessionData | null;
  recreateSession?: true;
  sessionCookieAttrs?: { maxAge: number };
}

/**
 * The response keys that perform `action`: `{ session }`, `{ session: null }`, `{ session, recreateSession:
 * true }`, `{ sessionCookieAttrs }` or nothing. The data is copied, so a handler cannot change the action.
 *
 * @example
 * const handler = (req) => ({ status: 200, headers: {}, body: "ok", ...sessionActionResponse(action) });
 */
export function sessionActionResponse(action: SessionAction): SessionActionResponse {
  switch (action.kind) {
    case "write":
      return { session: structuredClone(action.data) };
    case "recreate":
      return { session: structuredClone(action.data), recreateSession: true };
    case "delete":
      return { session: null };
    case "attrs":
      return { sessionCookieAttrs: { maxAge: action.attrs.maxAge } };
    default:
      return {};
  }
}
