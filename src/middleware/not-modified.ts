/**
 * `wrapNotModified`, Ring's `wrap-not-modified`: a GET or HEAD whose `If-None-Match` or `If-Modified-Since`
 * matches the response's `ETag` or `Last-Modified` is answered with 304 and no body (RFC 9110 §13), so a
 * browser revalidating its cache does not download again what it already has. docs/conditional-requests.md.
 */
import * as z from "zod/mini";
import { cancelBody } from "../core/cancel-body.js";
import { checkOptionsArgument } from "../core/compose.js";
import { parseEntityTag, parseEntityTagList, weakMatch } from "../core/entity-tag.js";
import { parseHttpDate } from "../core/http-date.js";
import { parseOptions } from "../core/parse-options.js";
import { getHeader } from "../core/response.js";
import {
  andThen,
  type Handler,
  isFunction,
  type Request,
  type Response,
  type ResponseHeaders,
} from "../core/types.js";

/** Options of `wrapNotModified` and `notModifiedResponse`. */
export interface NotModifiedOptions {
  /**
   * Called when cancelling the streamed body of a response turned into a 304 fails (the stream's `cancel()`
   * rejected, `destroy()` or the iterator's `return()` threw). Default: one line on stderr.
   */
  onError?: ((error: unknown, request: Request) => void) | undefined;
}

/**
 * Whether `response` to `request` should become a 304, by RFC 9110 §13.2.2's order:
 *
 * - only for GET and HEAD (§13.1.2, §13.1.3), and only for a 200 or a 206 (§13.2.1: preconditions apply
 *   to 2xx answers; of those only 200 and 206 carry the selected representation a cache holds, and a 206
 *   is included because If-None-Match is evaluated before Range, §13.2.2 steps 3-6);
 * - `If-None-Match`, when present, decides alone (weak comparison against `ETag`; `*` matches any
 *   response with an `ETag` or `Last-Modified`; a malformed field matches nothing), and
 *   `If-Modified-Since` is then ignored (§13.1.3);
 * - else `If-Modified-Since` matches when it is a valid HTTP-date no earlier than `Last-Modified`
 *   (one-second precision); it is ignored when either date is missing or malformed.
 *
 * @example
 * isNotModified({ ...request, headers: { "if-none-match": 'W/"1"' } }, { status: 200, headers: { etag: '"1"' } }); // true
 */
export function isNotModified(request: Request, response: Response): boolean {
  const method = request.method;
  if (method !== "GET" && method !== "HEAD") return false;
  if (response.status !== 200 && response.status !== 206) return false;
  const ifNoneMatch = request.headers["if-none-match"];
  if (ifNoneMatch !== undefined) {
    const etag = single(getHeader(response, "etag"));
    const tags = parseEntityTagList(ifNoneMatch);
    if (tags === "*") return etag !== undefined || getHeader(response, "last-modified") !== undefined;
    if (tags === undefined || etag === undefined) return false;
    const own = parseEntityTag(etag);
    return own !== undefined && tags.some((tag) => weakMatch(tag, own));
  }
  const ifModifiedSince = request.headers["if-modified-since"];
  if (ifModifiedSince === undefined) return false;
  const lastModified = single(getHeader(response, "last-modified"));
  if (lastModified === undefined) return false;
  const modified = parseHttpDate(lastModified);
  const since = parseHttpDate(ifModifiedSince);
  return modified !== undefined && since !== undefined && modified <= since;
}

/**
 * The request unchanged: conditional requests are decided on the response. Exported so every middleware
 * has both halves.
 */
export function notModifiedRequest<R extends Request>(request: R): R {
  return request;
}

/**
 * `response`, or its 304 form when `isNotModified(request, response)`: status 304, no body (a streamed body
 * is cancelled, so the file or query behind it is released), and the headers minus those that describe the
 * content that is not sent (`content-type`, `content-length`, `content-encoding`, `content-language`,
 * `content-range`, `transfer-encoding`; RFC 9110 §15.4.5). Every other header is kept: the ones §15.4.5 asks
 * for (`etag`, `last-modified`, `cache-control`, `expires`, `vary`, `content-location`, `date`) and the
 * rest, a session's `set-cookie` among them.
 *
 * @example
 * notModifiedResponse(response, request); // { status: 304, headers: { etag: '"1"' }, body: undefined }
 */
export function notModifiedResponse<Res extends Response>(
  response: Res,
  request: Request,
  options?: NotModifiedOptions,
): Res {
  if (!isNotModified(request, response)) return response;
  const onError = resolveOptions("notModifiedResponse", options).onError;
  cancelBody(response.body, (error) => onError(error, request));
  return { ...response, status: 304, headers: withoutContentHeaders(response.headers), body: undefined };
}

/**
 * Answer conditional GET and HEAD requests with 304 Not Modified when the response's `ETag` or
 * `Last-Modified` says the client's copy is current. Other methods pass through untouched. Options are
 * checked once, here.
 *
 * @example
 * const app = wrapNotModified((request) => ({ ...text("hello"), headers: { etag: '"v1"' } }));
 */
export function wrapNotModified(
  options?: NotModifiedOptions,
): <Req extends Request, Res extends Response>(handler: Handler<Req, Res>) => Handler<Req, Res>;
export function wrapNotModified<Req extends Request, Res extends Response>(
  handler: Handler<Req, Res>,
  options?: NotModifiedOptions,
): Handler<Req, Res>;
export function wrapNotModified(
  handler: Handler<any, any> | NotModifiedOptions | undefined,
  options?: NotModifiedOptions,
): Handler<any, any> | ((handler: Handler<any, any>) => Handler<any, any>) {
  if (typeof handler !== "function") {
    checkOptionsArgument("wrapNotModified", handler);
    const given = handler;
    resolveOptions("wrapNotModified", given);
    return (inner: Handler<any, any>) => wrapNotModified(inner, given);
  }
  const config = resolveOptions("wrapNotModified", options);
  return (request: Request) => {
    if (request.method !== "GET" && request.method !== "HEAD") return handler(request);
    return andThen(handler(request), (response: Response) => notModifiedResponse(response, request, config));
  };
}

// RFC 9110 §15.4.5: a 304 describes no content, so the fields about the content would describe another one;
// a cache keeps its stored values of any field the 304 leaves out (RFC 9111 §4.3.4).
const CONTENT_HEADERS = new Set([
  "content-type",
  "content-length",
  "content-encoding",
  "content-language",
  "content-range",
  "transfer-encoding",
]);

function withoutContentHeaders(headers: ResponseHeaders): ResponseHeaders {
  const out: Record<string, string | readonly string[]> = {};
  for (const name in headers) {
    if (!CONTENT_HEADERS.has(name.toLowerCase())) out[name] = headers[name]!;
  }
  return out;
}

/** A header's one value; several lines of `ETag` or `Last-Modified` are no valid value at all. */
function single(value: string | readonly string[] | undefined): string | undefined {
  if (typeof value === "string") return value;
  return value?.length === 1 ? value[0] : undefined;
}

const OptionsSchema = z.strictObject({
  onError: z.optional(
    z.custom<NotModifiedOptions["onError"]>(isFunction, "must be a function (error, request) => void"),
  ),
});

type Resolved = { onError: (error: unknown, request: Request) => void };
const checked = new WeakMap<object, Resolved>();
const DEFAULTS: Resolved = { onError: defaultOnError };
checked.set(DEFAULTS, DEFAULTS);

function resolveOptions(owner: string, options: NotModifiedOptions | undefined): Resolved {
  if (options === undefined) return DEFAULTS;
  const cached = typeof options === "object" && options !== null ? checked.get(options) : undefined;
  if (cached !== undefined) return cached;
  const given = parseOptions(owner, OptionsSchema, options);
  const resolved = { onError: given.onError ?? defaultOnError };
  checked.set(options, resolved);
  // wrapNotModified hands its resolved options on to notModifiedResponse: known, so never parsed again.
  checked.set(resolved, resolved);
  return resolved;
}

function defaultOnError(error: unknown, request: Request): void {
  const message = error instanceof Error ? error.message : String(error);
  console.error(
    `wrapNotModified: cancelling the body of a 304 to ${request.method} ${request.uri} failed: ${message}`,
  );
}
