/**
 * Ring's `wrap-cookies`: `request.cookies` from the `Cookie` header on the way in, `response.cookies` turned
 * into `set-cookie` lines on the way out. The halves are exported for other composition styles.
 */
import * as z from "zod/mini";
import { checkOptionsArgument } from "../core/compose.js";
import { parseOptions } from "../core/parse-options.js";
import { andThen, type Handler, type Request, type Response } from "../core/types.js";
import { parseCookies } from "./parse.js";
import { type CookieSpec, serializeCookie } from "./serialize.js";
import { appendSetCookie } from "./set-cookie-header.js";

/** What `cookiesRequest` adds to a request. */
export interface CookiesRequestKeys {
  /** Name → decoded value; see `parseCookies` for the rules. An object with no prototype. */
  readonly cookies: Readonly<Record<string, string>>;
}

/** What a handler may put in its response for `cookiesResponse`. */
export interface CookiesResponseKeys {
  /** Name → value, or value with attributes; each becomes one `set-cookie` line. */
  readonly cookies?: Readonly<Record<string, CookieSpec>> | undefined;
}

/** Options of the cookie middleware. There are none yet; an unknown option throws, as everywhere. */
export type CookiesOptions = Record<string, never>;

const optionsSchema = z.strictObject({});

/**
 * The request with `cookies` parsed from its `cookie` header; a request that already has `cookies` is returned
 * as it is, so stacking the middleware twice costs nothing.
 *
 * @example
 * cookiesRequest({ ...request, headers: { cookie: "theme=dark" } }).cookies; // { theme: "dark" }
 */
export function cookiesRequest<Req extends Request>(
  request: Req,
  _options?: CookiesOptions,
): Req & CookiesRequestKeys {
  if ("cookies" in request) return request as Req & CookiesRequestKeys;
  return { ...request, cookies: parseCookies(request.headers.cookie) };
}

/**
 * The response with each entry of `response.cookies` appended to its `set-cookie` lines and the `cookies` key
 * removed. Throws a `TypeError` (from `serializeCookie`) for a cookie that would break the header.
 * A missing response (`undefined`/`null`) passes through.
 *
 * @example
 * cookiesResponse({ status: 200, headers: {}, cookies: { theme: { value: "dark", maxAge: 3600 } } });
 * // { status: 200, headers: { "set-cookie": "theme=dark; Max-Age=3600" } }
 */
export function cookiesResponse<Res extends Response>(
  response: (Res & CookiesResponseKeys) | null | undefined,
  _request?: Request,
  _options?: CookiesOptions,
): Omit<Res, "cookies"> {
  if (response === undefined || response === null || !("cookies" in response)) {
    return response as unknown as Omit<Res, "cookies">;
  }
  const { cookies, ...rest } = response;
  if (cookies === undefined || cookies === null) return rest;
  if (typeof cookies !== "object") {
    throw new TypeError(`response.cookies must be an object of name → value, got ${typeof cookies}`);
  }
  const lines: string[] = [];
  for (const name of Object.keys(cookies)) {
    const spec = cookies[name] as CookieSpec;
    if (typeof spec === "string") {
      lines.push(serializeCookie(name, spec));
    } else if (typeof spec === "object" && spec !== null) {
      const { value, ...attributes } = spec;
      lines.push(serializeCookie(name, value, attributes));
    } else {
      serializeCookie(name, spec as string);
    }
  }
  if (lines.length === 0) return rest;
  return { ...rest, headers: appendSetCookie(rest.headers, lines.length === 1 ? lines[0]! : lines) };
}

/**
 * Ring's `wrap-cookies`: the handler sees `request.cookies` and may answer with `cookies` to set.
 *
 * @example
 * const app = wrapCookies((req) => ({
 *   status: 200, headers: {}, body: `theme: ${req.cookies.theme ?? "light"}`,
 *   cookies: { theme: { value: "dark", path: "/", maxAge: 86_400, sameSite: "lax" } },
 * }));
 */
export function wrapCookies(
  options?: CookiesOptions,
): <Req extends Request = Request, Res extends Response = Response>(
  handler: Handler<Req & CookiesRequestKeys, Res & CookiesResponseKeys>,
) => Handler<Req, Omit<Res, "cookies"> & Response>;
export function wrapCookies<Req extends Request = Request, Res extends Response = Response>(
  handler: Handler<Req & CookiesRequestKeys, Res & CookiesResponseKeys>,
  options?: CookiesOptions,
): Handler<Req, Omit<Res, "cookies"> & Response>;
export function wrapCookies(
  handler: Handler<any, any> | CookiesOptions | undefined,
  options?: CookiesOptions,
): Handler<any, any> | ((handler: Handler<any, any>) => Handler<any, any>) {
  if (typeof handler !== "function") {
    checkOptionsArgument("wrapCookies", handler);
    if (handler !== undefined) parseOptions("wrapCookies", optionsSchema, handler);
    return (inner: Handler<any, any>) => wrapCookies(inner);
  }
  if (options !== undefined) parseOptions("wrapCookies", optionsSchema, options);
  return (request: Request) => {
    return andThen(handler(cookiesRequest(request)), (response) => cookiesResponse(response, request));
  };
}
