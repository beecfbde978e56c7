/**
 * `mockRequest` builds a request map the way an adapter would (ring-mock's `request`), so a handler can be
 * called directly in a test. The result follows docs/SPEC.md: it passes `wrapLint`, and its body is lazy.
 */
import { z } from "zod";
import { encodeCookieValue } from "../cookies/serialize.js";
import { describeValue } from "../core/describe-value.js";
import { parseOptions } from "../core/parse-options.js";
import { isValidHeaderName, isValidHeaderValue } from "../core/response-check.js";
import { isToken } from "../core/token.js";
import type { Request } from "../core/types.js";

/** A scalar in a query or form object: numbers and booleans are written with `String()`. */
export type FieldValue = string | number | boolean;

/** Query or form fields: an array value becomes one `name=value` pair per element, in order. */
export type Fields = Readonly<Record<string, FieldValue | readonly FieldValue[] | undefined>>;

/** Options of `mockRequest`. Every key is optional; at most one of `body`, `json` and `form` may be given. */
export interface MockRequestOptions {
  /** Header names in any case (merged into lower case); an array value is joined with `", "` (`"; "` for `cookie`). */
  headers?: Readonly<Record<string, string | readonly string[]>>;
  /** Appended to any query in `uri`: a raw query string (without `?`), or fields to percent-encode. */
  query?: string | Fields;
  /** Cookies sent in the `cookie` header (after any `cookie` given in `headers`); values are percent-encoded as needed. */
  cookies?: Readonly<Record<string, string>>;
  /** A body as text (sent as UTF-8) or bytes. */
  body?: string | Uint8Array;
  /** A body as JSON; sets `content-type: application/json` unless `headers` has one. */
  json?: unknown;
  /** A urlencoded form body; sets `content-type: application/x-www-form-urlencoded` unless `headers` has one. */
  form?: Fields;
  /** Deliver the body in chunks of at most this many bytes (default: one chunk), to exercise streaming readers. */
  chunkSize?: number;
  /** Default `"http"` (or the scheme of an absolute `uri`). */
  scheme?: "http" | "https";
  /** Default `"localhost"` (or the host of an absolute `uri`). */
  serverName?: string;
  /** Default `80` for http, `443` for https (or the port of an absolute `uri`). */
  serverPort?: number;
  /** Default `"127.0.0.1"`. */
  remoteAddr?: string;
  /** Default `"HTTP/1.1"`. */
  protocol?: string;
}

const headerValue = z.union([z.string(), z.array(z.string()).readonly()]);
const fieldValue = z.union([z.string(), z.number(), z.boolean()]);
const fields = z.record(z.string(), z.union([fieldValue, z.array(fieldValue).readonly(), z.undefined()]));

const optionsSchema = z.strictObject({
  headers: z.record(z.string(), headerValue).optional(),
  query: z.union([z.string(), fields]).optional(),
  cookies: z.record(z.string(), z.string()).optional(),
  body: z.union([z.string(), z.instanceof(Uint8Array)]).optional(),
  json: z.unknown().optional(),
  form: fields.optional(),
  chunkSize: z.number().int().min(1).optional(),
  scheme: z.enum(["http", "https"]).optional(),
  serverName: z.string().min(1).optional(),
  serverPort: z.number().int().min(1).max(65535).optional(),
  remoteAddr: z.string().min(1).optional(),
  protocol: z.string().min(1).optional(),
});

// RFC 3986 §3.3 pchar plus "/" (and "%", taken as the start of an escape the caller already wrote).
const PATH_CHAR = /[A-Za-z0-9\-._~!$&'()*+,;=:@/%]/;
// RFC 3986 §3.4: a query may also hold "?".
const QUERY_CHAR = /[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]/;
// RFC 3986 §2.3: what a field name or value keeps unescaped.
const UNRESERVED = /[A-Za-z0-9\-._~]/;
const ABSOLUTE = /^(https?):\/\/([^/?#]*)(.*)$/is;

const encoder = new TextEncoder();

/**
 * A request map for `method` and `uri`, as an adapter would build it for a client on 127.0.0.1.
 *
 * `uri` is a path with an optional `?query` (characters not allowed raw in a request target are
 * percent-encoded, existing `%XX` escapes are kept), or an absolute `http(s)://host[:port]/path` URL whose
 * scheme, host and port become `scheme`, `serverName` and `serverPort`. A `host` header is always set.
 *
 * @example
 * const req = mockRequest("POST", "/login?next=%2F", { form: { user: "ann" }, cookies: { theme: "dark" } });
 * // req.uri === "/login", req.queryString === "next=%2F", req.headers.cookie === "theme=dark",
 * // req.headers["content-type"] === "application/x-www-form-urlencoded", body: "user=ann"
 */
export function mockRequest(method: string, uri: string, options: MockRequestOptions = {}): Request {
  if (typeof method !== "string" || !isToken(method)) {
    throw new TypeError(
      `mockRequest: method must be an HTTP token such as "GET", got ${describeValue(method)}`,
    );
  }
  if (typeof uri !== "string")
    throw new TypeError(`mockRequest: uri must be a string, got ${describeValue(uri)}`);
  parseOptions("mockRequest", optionsSchema, options);
  const given = [options.body, options.json, options.form].filter((b) => b !== undefined).length;
  if (given > 1)
    throw new TypeError("mockRequest: give at most one of options.body, options.json and options.form");

  let scheme = options.scheme ?? "http";
  let serverName = options.serverName ?? "localhost";
  let serverPort = options.serverPort;
  let hostHeader: string | undefined;
  let target = uri;
  const absolute = ABSOLUTE.exec(uri);
  if (absolute !== null) {
    let url: URL;
    try {
      url = new URL(`${absolute[1]!}://${absolute[2]!}/`);
    } catch {
      throw new TypeError(`mockRequest: uri ${describeValue(uri)} has an invalid host`);
    }
    scheme = url.protocol === "https:" ? "https" : "http";
    serverName = options.serverName ?? url.hostname;
    serverPort = options.serverPort ?? (url.port === "" ? undefined : Number(url.port));
    hostHeader = url.host;
    target = absolute[3]!;
  }
  // A fragment is never sent (RFC 9110 §4.2.4).
  const hash = target.indexOf("#");
  if (hash !== -1) target = target.slice(0, hash);
  const q = target.indexOf("?");
  let path = q === -1 ? target : target.slice(0, q);
  let queryString = q === -1 ? undefined : encodeRaw(target.slice(q + 1), QUERY_CHAR);
  if (path === "") path = "/";
  if (path[0] !== "/")
    throw new TypeError(
      `mockRequest: uri must start with "/" or be an absolute URL, got ${describeValue(uri)}`,
    );
  path = encodeRaw(path, PATH_CHAR);
  if (options.query !== undefined) {
    const extra =
      typeof options.query === "string" ? encodeRaw(options.query, QUERY_CHAR) : encodeFields(options.query);
    queryString =
      queryString === undefined || queryString === ""
        ? extra
        : extra === ""
          ? queryString
          : `${queryString}&${extra}`;
  }
  const port = serverPort ?? (scheme === "https" ? 443 : 80);
  hostHeader ??=
    port === (scheme === "https" ? 443 : 80)
      ? hostForHeader(serverName)
      : `${hostForHeader(serverName)}:${port}`;

  // No prototype, as the adapters build it: a header named `__proto__` is data like any other.
  const headers: Record<string, string> = Object.create(null);
  headers.host = hostHeader;
  if (options.headers !== undefined) {
    for (const [rawName, rawValue] of Object.entries(options.headers)) {
      const name = rawName.toLowerCase();
      if (!isValidHeaderName(name)) {
        throw new TypeError(`mockRequest: header name ${describeValue(rawName)} is not an RFC 9110 token`);
      }
      const separator = name === "cookie" ? "; " : ", ";
      const values = typeof rawValue === "string" ? [rawValue] : rawValue;
      for (const value of values) {
        if (!isValidHeaderValue(value)) {
          throw new TypeError(
            `mockRequest: header ${describeValue(rawName)} has a value that cannot be sent: ${describeValue(value)}`,
          );
        }
      }
      const joined = values.join(separator);
      // The explicit `host` replaces the default; other repeated names are joined as the SPEC says.
      if (name === "host" || headers[name] === undefined) headers[name] = joined;
      else headers[name] = `${headers[name]}${separator}${joined}`;
    }
  }
  if (options.cookies !== undefined) {
    const pairs = Object.entries(options.cookies).map(([name, value]) => {
      if (!isToken(name))
        throw new TypeError(`mockRequest: cookie name ${describeValue(name)} is not an RFC 6265 token`);
      return `${name}=${encodeCookieValue(name, value)}`;
    });
    if (pairs.length > 0) {
      headers.cookie =
        headers.cookie === undefined ? pairs.join("; ") : `${headers.cookie}; ${pairs.join("; ")}`;
    }
  }

  let bytes: Uint8Array | undefined;
  if (options.body !== undefined) {
    bytes = typeof options.body === "string" ? encoder.encode(options.body) : options.body.slice();
  } else if (options.json !== undefined) {
    const text = JSON.stringify(options.json);
    if (text === undefined) throw new TypeError("mockRequest: options.json has no JSON representation");
    bytes = encoder.encode(text);
    headers["content-type"] ??= "application/json";
  } else if (options.form !== undefined) {
    bytes = encoder.encode(encodeFields(options.form));
    headers["content-type"] ??= "application/x-www-form-urlencoded";
  }
  // RFC 9112 §6.2: no Content-Length beside Transfer-Encoding.
  if (
    bytes !== undefined &&
    headers["content-length"] === undefined &&
    headers["transfer-encoding"] === undefined
  ) {
    headers["content-length"] = String(bytes.length);
  }

  return Object.freeze({
    method,
    uri: path,
    queryString,
    scheme,
    protocol: options.protocol ?? "HTTP/1.1",
    headers: Object.freeze(headers),
    serverName,
    serverPort: port,
    remoteAddr: options.remoteAddr ?? "127.0.0.1",
    body: bytes === undefined ? undefined : onceBody(bytes, options.chunkSize ?? Math.max(bytes.length, 1)),
  });
}

/**
 * Percent-encode `fields` as `application/x-www-form-urlencoded` pairs (also valid as a query string).
 *
 * @example
 * encodeFields({ q: "a b", tag: ["x", "y"] }); // "q=a%20b&tag=x&tag=y"
 */
export function encodeFields(fields: Fields): string {
  const pairs: string[] = [];
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) pairs.push(`${encodeRaw(name, UNRESERVED)}=${encodeRaw(String(v), UNRESERVED)}`);
  }
  return pairs.join("&");
}

// A request body can be read once, as from a socket; reading it twice is a bug worth hearing about.
function onceBody(bytes: Uint8Array, chunkSize: number): AsyncIterable<Uint8Array> {
  let used = false;
  return Object.freeze({
    [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
      if (used)
        throw new TypeError("mockRequest: the request body was already read (a body can be read once)");
      used = true;
      let offset = 0;
      return {
        next: async () => {
          if (offset >= bytes.length) return { done: true, value: undefined };
          const chunk = bytes.slice(offset, offset + chunkSize);
          offset += chunk.length;
          return { done: false, value: chunk };
        },
        return: async () => {
          offset = bytes.length;
          return { done: true, value: undefined };
        },
      };
    },
  });
}

function encodeRaw(text: string, allowed: RegExp): string {
  let out = "";
  for (const char of text) {
    if (allowed.test(char)) out += char;
    else if (char.length === 1 && char >= "\ud800" && char <= "\udfff") {
      throw new TypeError(
        `mockRequest: ${describeValue(text)} contains a lone UTF-16 surrogate, which has no URL encoding`,
      );
    } else out += encodeURIComponent(char);
  }
  return out;
}

function hostForHeader(name: string): string {
  return name.includes(":") && !name.startsWith("[") ? `[${name}]` : name;
}
