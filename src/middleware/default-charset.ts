/**
 * `wrapDefaultCharset`, Ring's `wrap-default-charset`: a text response whose `content-type` names no charset
 * gets one, so a browser does not guess the encoding (and cannot be led to guess one that turns bytes into
 * script). ringlet writes strings as UTF-8, so UTF-8 is the default.
 */
import * as z from "zod/mini";
import { checkOptionsArgument } from "../core/compose.js";
import { parseOptions } from "../core/parse-options.js";
import { isToken } from "../core/token.js";
import { andThen, type Handler, type Request, type Response } from "../core/types.js";

/** Options of `wrapDefaultCharset` and `defaultCharsetResponse`. */
export interface DefaultCharsetOptions {
  /** The charset added (an RFC 9110 token). Default: `"utf-8"`. */
  charset?: string | undefined;
}

/**
 * The request unchanged: the charset is decided on the way out. Exported so every middleware has both halves.
 */
export function defaultCharsetRequest<R extends Request>(request: R): R {
  return request;
}

/**
 * `response` with `; charset=<charset>` added to a `text/*` `content-type` that has no `charset` parameter.
 * Other types are left alone: JSON has no charset parameter (RFC 8259 §11), XML and HTML-in-XML declare their
 * own, and binary types have none. A response without `content-type` is left alone too (`wrapContentType`
 * gives one).
 *
 * @example
 * defaultCharsetResponse({ status: 200, headers: { "content-type": "text/html" }, body: "<p>hi" }, request);
 * // headers: { "content-type": "text/html; charset=utf-8" }
 */
export function defaultCharsetResponse<Res extends Response>(
  response: Res,
  _request: Request,
  options?: DefaultCharsetOptions,
): Res {
  return addCharset(response, resolveOptions("defaultCharsetResponse", options));
}

/**
 * Add a charset (UTF-8 unless told) to every text response whose `content-type` has none.
 *
 * @example
 * const app = wrapDefaultCharset(() => ({ status: 200, headers: { "content-type": "text/html" }, body: "<p>é" }));
 */
export function wrapDefaultCharset(
  options?: DefaultCharsetOptions,
): <Req extends Request, Res extends Response>(handler: Handler<Req, Res>) => Handler<Req, Res>;
export function wrapDefaultCharset<Req extends Request, Res extends Response>(
  handler: Handler<Req, Res>,
  options?: DefaultCharsetOptions,
): Handler<Req, Res>;
export function wrapDefaultCharset(
  handler: Handler<any, any> | DefaultCharsetOptions | undefined,
  options?: DefaultCharsetOptions,
): Handler<any, any> | ((handler: Handler<any, any>) => Handler<any, any>) {
  if (typeof handler !== "function") {
    checkOptionsArgument("wrapDefaultCharset", handler);
    const charset = resolveOptions("wrapDefaultCharset", handler);
    return (inner: Handler<any, any>) => wrapWith(inner, charset);
  }
  return wrapWith(handler, resolveOptions("wrapDefaultCharset", options));
}

function wrapWith(handler: Handler<any, any>, charset: string): Handler<any, any> {
  return (request: Request) => andThen(handler(request), (res) => addCharset(res, charset));
}

// RFC 9110 §8.3.1: a charset parameter, in any case, after a ";" and optional spaces.
const HAS_CHARSET = /;\s*charset\s*=/i;

function addCharset<Res extends Response>(response: Res, charset: string): Res {
  const headers = response.headers;
  for (const name in headers) {
    if (name.length !== 12 || name.toLowerCase() !== "content-type") continue;
    const type = headers[name];
    if (typeof type !== "string") return response;
    // The type is case-insensitive (RFC 9110 §8.3.1): "Text/HTML" is text too.
    if (type.slice(0, 5).toLowerCase() !== "text/" || HAS_CHARSET.test(type)) return response;
    return { ...response, headers: { ...headers, [name]: `${type}; charset=${charset}` } };
  }
  return response;
}

const OptionsSchema = z.strictObject({
  charset: z.optional(
    z
      .string({ error: 'must be a charset name, such as "utf-8"' })
      .check(z.refine(isToken, 'must be a charset name (an RFC 9110 token), such as "utf-8"')),
  ),
});

const checked = new WeakMap<object, string>();

function resolveOptions(owner: string, options: DefaultCharsetOptions | undefined): string {
  if (options === undefined) return "utf-8";
  const cached = typeof options === "object" && options !== null ? checked.get(options) : undefined;
  if (cached !== undefined) return cached;
  const charset = parseOptions(owner, OptionsSchema, options).charset ?? "utf-8";
  checked.set(options, charset);
  return charset;
}
