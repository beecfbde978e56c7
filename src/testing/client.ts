/**
 * `createClient`: a browser-like client that calls a handler in-process (no socket) and keeps a real cookie
 * jar (tough-cookie), so `Set-Cookie` lines behave as in a browser: Path and Domain scoping, deletion by
 * `Max-Age=0` or a past `Expires`, `Secure` only over https, expiry on an injectable clock. tough-cookie is an
 * optional peer dependency: it is loaded when the first client is made, so `ringlet/testing` loads without it.
 */
import { createRequire } from "node:module";
import type { Cookie, CookieJar } from "tough-cookie";
import { z } from "zod";
import {
  defaultOnError,
  ERROR_INFO,
  type ErrorInfo,
  errorResponse,
  handlerErrorKind,
  type OnError,
  reportError,
} from "../adapters/error-response.js";
import { toFetchResponse } from "../adapters/fetch.js";
import { cancelBody } from "../core/cancel-body.js";
import { parseOptions } from "../core/parse-options.js";
import type { Awaitable, Request, Response } from "../core/types.js";
import { isFunction } from "../core/types.js";
import { type MockRequestOptions, mockRequest } from "./mock-request.js";

/** Options of `createClient`. */
export interface ClientOptions {
  /** Where relative URLs point, and whose cookies `cookies()` shows first. Default `"http://localhost"`. */
  baseUrl?: string;
  /** The clock, in milliseconds since the epoch, for cookie creation and expiry. Default `Date.now`. */
  now?: () => number;
  /**
   * Follow redirects (301, 302, 303, 307, 308) as fetch does: `true` for at most 10, or the most to follow.
   * Default `false`: a redirect is returned as it is. Each request may override it.
   */
  followRedirects?: boolean | number;
  /** Headers sent with every request (a request's own `headers` are added after them). */
  headers?: Readonly<Record<string, string | readonly string[]>>;
  /** The peer address the handler sees. Default `"127.0.0.1"`. */
  remoteAddr?: string;
  /**
   * Told about every error an adapter would report, with the same `info.kind`: the handler threw or
   * rejected (`"handler"`, or `"http-error"` for a 4xx `HttpError`), or its response was invalid or failed
   * (`"response"`). Default: as the adapters', one line on stderr for the failures, none for a 4xx
   * `HttpError`. The error is also on `response.error`.
   */
  onError?: OnError;
}

/** Options of one request: those of `mockRequest` (except what the URL decides), and `followRedirects`. */
export interface ClientRequestOptions
  extends Omit<MockRequestOptions, "scheme" | "serverName" | "serverPort" | "remoteAddr"> {
  followRedirects?: boolean | number;
}

/** A `Set-Cookie` line the jar refused, and why (as a browser would refuse it, silently). */
export interface RejectedCookie {
  readonly line: string;
  readonly url: string;
  readonly reason: string;
}

/** What a client request resolves with. */
export interface ClientResponse {
  readonly status: number;
  /** Header names in lower case; `set-cookie` (and any header given as an array) stays an array of lines. */
  readonly headers: Readonly<Record<string, string | readonly string[]>>;
  /** The body as text (UTF-8); `""` when there is none (HEAD, 204, 205, 304 or no body). */
  readonly body: string;
  readonly bytes: Uint8Array;
  /** The body parsed as JSON. */
  json<T = unknown>(): T;
  /** The URL of the last request (after any redirects). */
  readonly url: string;
  /** The URLs redirected to, in order. */
  readonly redirects: readonly string[];
  /** The request map the handler received for the last request. */
  readonly request: Request;
  /** What the handler threw, or the invalid-response error, when the status comes from that. */
  readonly error?: unknown;
  /** `Set-Cookie` lines of this response (and of the redirects before it) the jar refused. */
  readonly rejectedCookies: readonly RejectedCookie[];
}

/** A cookie in the jar. */
export interface ClientCookie {
  readonly name: string;
  readonly value: string;
  readonly domain: string;
  readonly path: string;
  /** When it expires on the client's clock; `undefined` for a session cookie. */
  readonly expires: Date | undefined;
  readonly secure: boolean;
  readonly httpOnly: boolean;
  readonly sameSite: string | undefined;
  /** `true` when the cookie had no `Domain` attribute: only its exact host gets it. */
  readonly hostOnly: boolean;
}

/** An in-process client with a cookie jar. */
export interface Client {
  request(method: string, url: string, options?: ClientRequestOptions): Promise<ClientResponse>;
  get(url: string, options?: ClientRequestOptions): Promise<ClientResponse>;
  head(url: string, options?: ClientRequestOptions): Promise<ClientResponse>;
  post(url: string, options?: ClientRequestOptions): Promise<ClientResponse>;
  put(url: string, options?: ClientRequestOptions): Promise<ClientResponse>;
  patch(url: string, options?: ClientRequestOptions): Promise<ClientResponse>;
  delete(url: string, options?: ClientRequestOptions): Promise<ClientResponse>;
  /** The live cookies a request to `url` would send (most specific path first), or all of them without `url`. */
  cookies(url?: string): ClientCookie[];
  /** The value of the cookie `name` a request to `url` (default: the base URL) would send. */
  cookie(name: string, url?: string): string | undefined;
  /** Store a `Set-Cookie` line as if `url` (default: the base URL) had sent it; throws if the jar refuses it. */
  setCookie(line: string, url?: string): void;
  /** Forget every cookie. */
  clearCookies(): void;
  /** The tough-cookie jar itself. */
  readonly jar: CookieJar;
}

const DEFAULT_MAX_REDIRECTS = 10;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

const redirectOption = z.union([z.boolean(), z.number().int().min(0)]);
// What the URL (and createClient's `remoteAddr`) decides cannot be given per request.
const fromUrl = z.undefined("is decided by the URL (and createClient's remoteAddr option)").optional();
const requestSchema = z.object({
  followRedirects: redirectOption.optional(),
  scheme: fromUrl,
  serverName: fromUrl,
  serverPort: fromUrl,
  remoteAddr: fromUrl,
});
const optionsSchema = z.strictObject({
  baseUrl: z
    .string()
    .refine((value) => /^https?:\/\/[^/?#]+/i.test(value) && URL.canParse(value), "expected an http(s) URL")
    .optional(),
  now: z.custom<() => number>(isFunction, "expected a function").optional(),
  followRedirects: redirectOption.optional(),
  headers: z.record(z.string(), z.union([z.string(), z.array(z.string()).readonly()])).optional(),
  remoteAddr: z.string().min(1).optional(),
  onError: z.custom<OnError>(isFunction, "expected a function").optional(),
});

/**
 * A client for `handler` that behaves like a browser talking to it through an adapter: each request map is
 * built by `mockRequest` from the URL (relative URLs resolve against `baseUrl`), the jar's cookies go in the
 * `cookie` header, errors become responses as an adapter makes them (an `HttpError` gives its status,
 * anything else a 500), the response is read as `ringlet/fetch` sends it (no body for HEAD, 204, 205 and
 * 304), and `Set-Cookie` lines go into the jar.
 *
 * @example
 * const client = createClient(wrapSession(counter));
 * await client.get("/"); // "You accessed this page 0 times."
 * (await client.get("/")).body; // "You accessed this page 1 times."
 * client.cookies(); // [{ name: "ring-session", value: "…", path: "/", httpOnly: true, … }]
 */
export function createClient(
  handler: (request: Request) => Awaitable<Response>,
  options: ClientOptions = {},
): Client {
  if (typeof handler !== "function") {
    throw new TypeError(`createClient: handler must be a function, got ${typeof handler}`);
  }
  parseOptions("createClient", optionsSchema, options);
  const baseUrl = new URL(options.baseUrl ?? "http://localhost/");
  const now = options.now ?? Date.now;
  const onError = options.onError ?? defaultOnError;
  const { Cookie, CookieJar, MemoryCookieStore } = toughCookie();
  const store = new MemoryCookieStore();
  const jar = new CookieJar(store, {
    // The brief's rule, stricter than browsers' localhost exception: a Secure cookie needs https.
    allowSecureOnLocal: false,
    // Refuse broken __Secure-/__Host- cookies with a reason instead of silently.
    prefixSecurity: "strict",
    rejectPublicSuffixes: true,
  });

  // Cookies whose expiry passed on our clock are removed (tough-cookie would judge them by Date.now).
  const live = (cookies: Cookie[]): Cookie[] => {
    const time = now();
    return cookies.filter((cookie) => {
      const expiry = cookie.expiryTime();
      if (expiry === undefined || expiry > time) return true;
      store.removeCookie(cookie.domain ?? "", cookie.path ?? "/", cookie.key, () => {});
      return false;
    });
  };

  const cookiesFor = (url: URL): Cookie[] =>
    live(jar.getCookiesSync(url.href, { expire: false, http: true, sort: true }));

  const allCookies = (): Cookie[] => {
    let all: Cookie[] = [];
    store.getAllCookies((error, cookies) => {
      if (error === null && cookies !== undefined) all = cookies;
    });
    return live(all);
  };

  // RFC 6265 §5.2.2: Max-Age is relative to when the cookie is received; tough-cookie counts it from the
  // last access instead, so it is turned into an absolute expiry on our clock here.
  const receiveCookie = (line: string, url: URL): string | undefined => {
    const cookie = Cookie.parse(line);
    if (cookie === undefined) return "the Set-Cookie line does not parse (RFC 6265 §5.2)";
    const maxAge = cookie.maxAge;
    if (typeof maxAge === "number" || maxAge === "-Infinity") {
      const seconds = typeof maxAge === "number" ? maxAge : -1;
      cookie.expires = new Date(seconds <= 0 ? 0 : now() + seconds * 1000);
      cookie.maxAge = null;
    }
    try {
      jar.setCookieSync(cookie, url.href, { now: new Date(now()), http: true });
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
    live([cookie]);
    return undefined;
  };

  const request = async (
    method: string,
    target: string,
    requestOptions: ClientRequestOptions = {},
  ): Promise<ClientResponse> => {
    // mockRequest checks the other options of each request.
    parseOptions(`client.request(${JSON.stringify(method)})`, requestSchema, requestOptions);
    const { followRedirects, ...rest } = requestOptions;
    const follow = followRedirects ?? options.followRedirects ?? false;
    const maxRedirects = follow === true ? DEFAULT_MAX_REDIRECTS : follow === false ? 0 : follow;
    let url = resolve(target, baseUrl);
    let hop: { method: string; options: Omit<ClientRequestOptions, "followRedirects"> } = {
      method,
      options: rest,
    };
    const redirects: string[] = [];
    const rejectedCookies: RejectedCookie[] = [];
    for (;;) {
      const result = await exchange(hop.method, url, hop.options);
      for (const line of result.setCookies) {
        const reason = receiveCookie(line, url);
        if (reason !== undefined) rejectedCookies.push({ line, url: url.href, reason });
      }
      const location = result.response.headers.location;
      if (!REDIRECTS.has(result.response.status) || typeof location !== "string" || maxRedirects === 0) {
        return finish(result, url, redirects, rejectedCookies);
      }
      if (redirects.length === maxRedirects) {
        throw new TypeError(`createClient: more than ${maxRedirects} redirects, the last to ${location}`);
      }
      const next = resolve(location, url);
      hop = redirectHop(result.response.status, hop, next.origin !== url.origin);
      url = next;
      redirects.push(url.href);
    }
  };

  const exchange = async (
    method: string,
    url: URL,
    requestOptions: Omit<ClientRequestOptions, "followRedirects">,
  ) => {
    const jarHeader = cookiesFor(url)
      .map((c) => c.cookieString())
      .join("; ");
    // No prototype: a header named `__proto__` is data (the request map keeps it too).
    const headers: Record<string, string | readonly string[]> = Object.assign(
      Object.create(null),
      options.headers,
    );
    for (const [name, value] of Object.entries(requestOptions.headers ?? {})) {
      const previous = headers[name];
      headers[name] = previous === undefined ? value : [...toArray(previous), ...toArray(value)];
    }
    if (jarHeader !== "") {
      const own = Object.keys(headers).find((name) => name.toLowerCase() === "cookie");
      // The jar's cookies first, as a browser sends them; explicit ones after.
      if (own === undefined) headers.cookie = jarHeader;
      else headers[own] = [jarHeader, ...toArray(headers[own]!)];
    }
    const req = mockRequest(
      method,
      // The whole URL: mockRequest drops the fragment and keeps a bare "?" (an empty queryString).
      url.href,
      {
        ...requestOptions,
        headers,
        remoteAddr: options.remoteAddr ?? "127.0.0.1",
      },
    );
    const report = (e: unknown): void => reportError(onError, e, req, ERROR_INFO.response);
    let response: Response;
    let error: unknown;
    let errorInfo: ErrorInfo = ERROR_INFO.response;
    try {
      response = await handler(req);
    } catch (thrown) {
      error = thrown;
      // The mock request's body never fails: no throw is the client's, as a 4xx HttpError is.
      errorInfo = ERROR_INFO[handlerErrorKind(thrown, () => false)];
      response = errorResponse(thrown);
    }
    // The response goes out as ringlet/fetch sends it: the same checks, no body for HEAD, 204, 205 and 304
    // (the source stopped), and the same streaming of every body type.
    let sent: globalThis.Response;
    try {
      sent = toFetchResponse(response, req, report);
    } catch (invalid) {
      error = invalid;
      errorInfo = ERROR_INFO.response;
      cancelBody((response as Partial<Response> | null)?.body, report);
      response = errorResponse(invalid);
      sent = toFetchResponse(response, req, report);
    }
    if (error !== undefined) reportError(onError, error, req, errorInfo);
    const headersOut = lowerCaseHeaders(response.headers);
    const setCookie = headersOut["set-cookie"];
    const setCookies = setCookie === undefined ? [] : toArray(setCookie);
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await sent.arrayBuffer());
    } catch (bodyError) {
      // Reported by the body stream. The status is already out: an adapter can only cut the connection,
      // which a client sees as a failure.
      throw new TypeError("createClient: the response body failed while streaming", { cause: bodyError });
    }
    return { request: req, response: { ...response, headers: headersOut }, setCookies, bytes, error };
  };

  const finish = (
    result: Awaited<ReturnType<typeof exchange>>,
    url: URL,
    redirects: string[],
    rejectedCookies: RejectedCookie[],
  ): ClientResponse => {
    let text: string | undefined;
    const out: ClientResponse = {
      status: result.response.status,
      headers: result.response.headers,
      get body() {
        text ??= new TextDecoder().decode(result.bytes);
        return text;
      },
      bytes: result.bytes,
      json: <T>() => JSON.parse(out.body) as T,
      url: url.href,
      redirects,
      request: result.request,
      rejectedCookies,
      ...(result.error === undefined ? {} : { error: result.error }),
    };
    return out;
  };

  return {
    request,
    get: (url, o) => request("GET", url, o),
    head: (url, o) => request("HEAD", url, o),
    post: (url, o) => request("POST", url, o),
    put: (url, o) => request("PUT", url, o),
    patch: (url, o) => request("PATCH", url, o),
    delete: (url, o) => request("DELETE", url, o),
    cookies: (url) =>
      (url === undefined ? allCookies() : cookiesFor(resolve(url, baseUrl))).map(toClientCookie),
    cookie: (name, url) =>
      cookiesFor(resolve(url ?? baseUrl.href, baseUrl)).find((c) => c.key === name)?.value,
    setCookie: (line, url) => {
      const reason = receiveCookie(line, resolve(url ?? baseUrl.href, baseUrl));
      if (reason !== undefined)
        throw new TypeError(`createClient: the jar refused ${JSON.stringify(line)}: ${reason}`);
    },
    clearCookies: () => jar.removeAllCookiesSync(),
    jar,
  };
}

let loaded: typeof import("tough-cookie") | undefined;

// Loaded synchronously (createClient and the jar's methods are synchronous) by Node's resolution from this
// file, so the peer the application installed is found under any package manager.
function toughCookie(): typeof import("tough-cookie") {
  if (loaded !== undefined) return loaded;
  try {
    loaded = createRequire(import.meta.url)("tough-cookie") as typeof import("tough-cookie");
  } catch (error) {
    if ((error as { code?: unknown } | null)?.code !== "MODULE_NOT_FOUND") throw error;
    throw new Error(
      "createClient needs the optional peer dependency tough-cookie: npm install -D tough-cookie",
      { cause: error },
    );
  }
  return loaded;
}

// Fetch §4.4 (HTTP-redirect fetch): 303, and 301/302 after a POST, become a GET without a body; 307 and
// 308 repeat the request as it was. Credentials do not follow a redirect to another origin.
function redirectHop(
  status: number,
  hop: { method: string; options: Omit<ClientRequestOptions, "followRedirects"> },
  crossOrigin: boolean,
): { method: string; options: Omit<ClientRequestOptions, "followRedirects"> } {
  let { method, options } = hop;
  if (
    (status === 303 && method !== "GET" && method !== "HEAD") ||
    ((status === 301 || status === 302) && method === "POST")
  ) {
    method = "GET";
    const { body: _body, json: _json, form: _form, chunkSize: _chunkSize, ...rest } = options;
    options = { ...rest, headers: withoutHeaders(rest.headers, BODY_HEADERS) };
  }
  if (crossOrigin) options = { ...options, headers: withoutHeaders(options.headers, ["authorization"]) };
  return { method, options };
}

const BODY_HEADERS = [
  "content-type",
  "content-length",
  "content-encoding",
  "content-language",
  "content-location",
];

function withoutHeaders(
  headers: ClientRequestOptions["headers"],
  names: readonly string[],
): Record<string, string | readonly string[]> {
  const out: Record<string, string | readonly string[]> = {};
  for (const [name, value] of Object.entries(headers ?? {}))
    if (!names.includes(name.toLowerCase())) out[name] = value;
  return out;
}

function resolve(target: string, base: URL): URL {
  let url: URL;
  try {
    url = new URL(target, base);
  } catch {
    throw new TypeError(`createClient: ${JSON.stringify(target)} is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(`createClient: ${JSON.stringify(target)} is not an http(s) URL`);
  }
  return url;
}

function toArray(value: string | readonly string[]): readonly string[] {
  return typeof value === "string" ? [value] : value;
}

function lowerCaseHeaders(headers: Response["headers"]): Record<string, string | readonly string[]> {
  const out: Record<string, string | readonly string[]> = Object.create(null);
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    const previous = out[lower];
    out[lower] = previous === undefined ? value : [...toArray(previous), ...toArray(value)];
  }
  return out;
}

function toClientCookie(cookie: Cookie): ClientCookie {
  const expiry = cookie.expiryTime();
  return {
    name: cookie.key,
    value: cookie.value,
    domain: cookie.domain ?? "",
    path: cookie.path ?? "/",
    expires: expiry === undefined || !Number.isFinite(expiry) ? undefined : new Date(expiry),
    secure: cookie.secure,
    httpOnly: cookie.httpOnly,
    sameSite: cookie.sameSite,
    hostOnly: cookie.hostOnly ?? false,
  };
}
