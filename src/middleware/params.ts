/**
 * `wrapParams`, Ring's `wrap-params`: the query string and an `application/x-www-form-urlencoded` body parsed
 * into `queryParams`, `formParams` and their merge, `params`. Parsing follows the WHATWG URL standard's
 * urlencoded parser, so it agrees with `URLSearchParams` and what browsers send, and it never throws.
 */
import * as z from "zod/mini";
import { checkCharset, DEFAULT_BODY_LIMIT, decodeUtf8, mediaType, readBytes } from "../core/body.js";
import { checkOptionsArgument } from "../core/compose.js";
import { HttpError } from "../core/http-error.js";
import { parseOptions } from "../core/parse-options.js";
import { percentDecode } from "../core/percent-decode.js";
import type { Handler, Request, Response } from "../core/types.js";
import { DEFAULT_NESTED_DEPTH, type NestedParams, nestParams } from "./nested-params.js";

/**
 * Parsed parameters: name → value, or → values in order when the name repeats. An object with no prototype,
 * so a name such as `__proto__` or `constructor` is an ordinary key and cannot reach `Object.prototype`.
 */
export type Params = Readonly<Record<string, string | readonly string[]>>;

/** The keys `wrapParams` adds to a request. */
export interface ParamsRequestKeys {
  /** From `queryString`; empty when there is none. */
  readonly queryParams: Params;
  /** From an `application/x-www-form-urlencoded` body; empty for any other request. */
  readonly formParams: Params;
  /** The request's existing `params` (e.g. from a router), then `queryParams`, then `formParams`: later wins. */
  readonly params: Params;
}

/** The keys `wrapParams({ nested: true })` adds: `params` is a tree, the other two stay flat. */
export interface NestedParamsRequestKeys {
  /** From `queryString`; empty when there is none. */
  readonly queryParams: Params;
  /** From an `application/x-www-form-urlencoded` body; empty for any other request. */
  readonly formParams: Params;
  /** The request's existing `params`, `queryParams` and `formParams` in that order, nested by name (`nestParams`). */
  readonly params: NestedParams;
}

/** Options of nested parameters (`nested` of `wrapParams` and `wrapMultipartParams`). */
export interface NestedOptions {
  /** The most `[...]` groups in one name; more is a 400. Default: 10. */
  maxDepth?: number | undefined;
}

/** Options of `wrapParams` and `paramsRequest`. */
export interface ParamsOptions {
  /** The largest form body to read, in bytes; a larger one is a 413. Default: 1 MiB (1_048_576). */
  limit?: number | undefined;
  /**
   * The most parameters to parse, query string and form body together; more is a 413, found without parsing
   * the rest. Default: 1,000, express's `parameterLimit`.
   */
  maxParams?: number | undefined;
  /**
   * Read `params` as nested names, Ring's `wrap-nested-params`: `user[name]=Ann&tags[]=a` gives
   * `{ user: { name: "Ann" }, tags: ["a"] }` (docs/SPEC.md, "Nested parameters"). `true` or `{ maxDepth }`.
   * `queryParams` and `formParams` stay flat. Default: `false`.
   */
  nested?: boolean | NestedOptions | undefined;
}

/** `ParamsOptions` that turn nested parameters on: the request then has `NestedParamsRequestKeys`. */
export type NestedParamsOptions = ParamsOptions & { nested: true | NestedOptions };
/** `ParamsOptions` without nested parameters. */
export type FlatParamsOptions = ParamsOptions & { nested?: false | undefined };

/**
 * Parse `application/x-www-form-urlencoded` text (a query string or a form body) as the WHATWG URL standard
 * does (§5.1): `&` separates pairs, the first `=` splits name from value (none means an empty value), `+`
 * is a space, and `%XX` escapes are UTF-8. Malformed input never throws: a `%` not followed by two hex
 * digits is kept as it is, and bytes that are not UTF-8 become U+FFFD. A repeated name gives an array.
 * The work is linear in the text, malformed or not.
 *
 * @example
 * parseUrlEncoded("a=1&b=x+y&a=%E2%9C%93"); // { a: ["1", "✓"], b: "x y" }
 */
export function parseUrlEncoded(text: string): Params {
  return parsePairs(text, Number.POSITIVE_INFINITY) as Params;
}

/** `parseUrlEncoded`, or `undefined` when the text holds more than `maxPairs` pairs. */
function parsePairs(text: string, maxPairs: number): Params | undefined {
  // Counted before anything is decoded, so text over the limit costs one scan for "&", not 1,000 pairs' work.
  if (Number.isFinite(maxPairs) && countPairs(text, maxPairs + 1) > maxPairs) return undefined;
  const out: Record<string, string | string[]> = Object.create(null);
  const n = text.length;
  let start = 0;
  // The next "=" at or after `start`, or -1 when there is none left. It is searched for again only once a
  // pair has passed it, so a long run of "a&a&a…" costs one scan, not one scan to the end per pair.
  let nextEq = text.indexOf("=");
  while (start < n) {
    let end = text.indexOf("&", start);
    if (end === -1) end = n;
    if (end > start) {
      if (nextEq !== -1 && nextEq < start) nextEq = text.indexOf("=", start);
      const eq = nextEq !== -1 && nextEq < end ? nextEq : -1;
      const name = percentDecode(plusToSpace(text.slice(start, eq === -1 ? end : eq)));
      const value = eq === -1 ? "" : percentDecode(plusToSpace(text.slice(eq + 1, end)));
      const existing = out[name];
      if (existing === undefined) out[name] = value;
      else if (typeof existing === "string") out[name] = [existing, value];
      else existing.push(value);
    }
    start = end + 1;
  }
  return out;
}

/** The number of non-empty "&"-separated pairs in `text`, counting no further than `stop`. */
function countPairs(text: string, stop: number): number {
  let count = 0;
  let start = 0;
  while (start < text.length && count < stop) {
    let end = text.indexOf("&", start);
    if (end === -1) end = text.length;
    if (end > start) count++;
    start = end + 1;
  }
  return count;
}

/** WHATWG URL §5.1: "+" becomes a space before percent-decoding, so "%2B" still means "+". */
function plusToSpace(text: string): string {
  return text.includes("+") ? text.replaceAll("+", " ") : text;
}

/**
 * The request with `queryParams`, `formParams` and `params` added. Synchronous unless the request has a form
 * body to read: then it returns a promise, and every failure of the client's (413 over the limit, 415 for a
 * non-UTF-8 charset, 400 for invalid UTF-8) rejects it, never throws. A query string with more than
 * `maxParams` parameters throws a 413 `HttpError` at once; a form body that takes the total past it rejects. The body is read with `readBytes` and
 * replaced by one that yields the same bytes again, so the handler can still read it. A request that
 * already has `queryParams` (`wrapParams` applied twice) is returned as is. Bad options throw at once.
 *
 * @example
 * const request2 = await paramsRequest(request); // request2.params.page === "2" for "?page=2"
 */
export function paramsRequest<R extends Request>(
  request: R,
  options: NestedParamsOptions,
): WithKeys<R, NestedParamsRequestKeys> | Promise<WithKeys<R, NestedParamsRequestKeys>>;
export function paramsRequest<R extends Request>(
  request: R,
  options?: FlatParamsOptions,
): (R & ParamsRequestKeys) | Promise<R & ParamsRequestKeys>;
export function paramsRequest<R extends Request>(
  request: R,
  options?: ParamsOptions,
): (R & ParamsRequestKeys) | Promise<R & ParamsRequestKeys> {
  return addParams(request, resolveOptions("paramsRequest", options));
}

/** `R` with `keys`, their types replacing any `R` had. */
type WithKeys<R, K> = Omit<R, keyof K> & K;

/**
 * The response unchanged: parsing parameters touches only the request. Exported so every middleware has
 * both halves.
 */
export function paramsResponse<Res extends Response>(
  response: Res,
  _request?: Request,
  _options?: ParamsOptions,
): Res {
  return response;
}

/**
 * Parse the query string and form body into `queryParams`, `formParams` and `params`.
 * Options are checked once, here.
 *
 * @example
 * const app = wrapParams((request) => response(`page ${request.params.page ?? 1}`), { limit: 64 * 1024 });
 */
export function wrapParams(
  options: NestedParamsOptions,
): <Req extends Request, Res extends Response>(
  handler: Handler<Req & NestedParamsRequestKeys, Res>,
) => Handler<Req, Res>;
export function wrapParams(
  options?: FlatParamsOptions,
): <Req extends Request, Res extends Response>(
  handler: Handler<Req & ParamsRequestKeys, Res>,
) => Handler<Req, Res>;
export function wrapParams<Req extends Request, Res extends Response>(
  handler: Handler<Req & NestedParamsRequestKeys, Res>,
  options: NestedParamsOptions,
): Handler<Req, Res>;
export function wrapParams<Req extends Request, Res extends Response>(
  handler: Handler<Req & ParamsRequestKeys, Res>,
  options?: FlatParamsOptions,
): Handler<Req, Res>;
export function wrapParams(
  handler: Handler<any, any> | ParamsOptions | undefined,
  options?: ParamsOptions,
): Handler<any, any> | ((handler: Handler<any, any>) => Handler<any, any>) {
  if (typeof handler !== "function") {
    checkOptionsArgument("wrapParams", handler);
    const given = handler;
    resolveOptions("wrapParams", given);
    return (inner: Handler<any, any>) => wrapParams(inner, given as FlatParamsOptions);
  }
  const config = resolveOptions("wrapParams", options);
  return (request: Request) => {
    const next = addParams(request, config);
    return next instanceof Promise ? next.then(handler) : handler(next);
  };
}

const FORM_TYPE = "application/x-www-form-urlencoded";
const EMPTY: Params = Object.freeze(Object.create(null));

function addParams<R extends Request>(
  request: R,
  config: Resolved,
): (R & ParamsRequestKeys) | Promise<R & ParamsRequestKeys> {
  if ((request as Partial<ParamsRequestKeys>).queryParams !== undefined)
    return request as R & ParamsRequestKeys;
  const queryParams =
    request.queryString === undefined
      ? EMPTY
      : limited(parsePairs(request.queryString, config.maxParams), config);
  const type = request.headers["content-type"];
  if (request.body === undefined || type === undefined || mediaType(type) !== FORM_TYPE) {
    return withParams(request, queryParams, EMPTY, request.body, config);
  }
  return withFormParams(request, queryParams, config);
}

function limited(params: Params | undefined, config: Resolved): Params {
  if (params === undefined) throw new HttpError(413, `More than ${config.maxParams} parameters`);
  return params;
}

function countParams(params: Params): number {
  let count = 0;
  for (const name in params) {
    const value = params[name]!;
    count += typeof value === "string" ? 1 : value.length;
  }
  return count;
}

/** The form-body path, async from its first line: a wrong charset rejects the promise like the other errors. */
async function withFormParams<R extends Request>(
  request: R,
  queryParams: Params,
  config: Resolved,
): Promise<R & ParamsRequestKeys> {
  checkCharset(request);
  const bytes = await readBytes(request, { limit: config.limit });
  const maxPairs = config.maxParams - (queryParams === EMPTY ? 0 : countParams(queryParams));
  const formParams = limited(parsePairs(decodeUtf8(bytes), maxPairs), config);
  return withParams(request, queryParams, formParams, replay(bytes), config);
}

function withParams<R extends Request>(
  request: R,
  queryParams: Params,
  formParams: Params,
  body: Request["body"],
  config: Resolved,
): R & ParamsRequestKeys {
  const given = (request as { params?: unknown }).params;
  const existing = typeof given === "object" && given !== null ? given : undefined;
  let params = queryParams;
  if (formParams !== EMPTY || existing !== undefined) {
    params = Object.assign(Object.create(null), existing, queryParams, formParams);
  }
  // Nested after the merge, as Ring's wrap-nested-params runs inside wrap-params: one tree from all three.
  if (config.maxDepth !== undefined) params = nestParams(params, config) as unknown as Params;
  return { ...request, body, queryParams, formParams, params };
}

/** A body that yields `bytes` each time it is iterated. */
function replay(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  return {
    async *[Symbol.asyncIterator]() {
      if (bytes.byteLength > 0) yield bytes;
    },
  };
}

const ParamsOptionsSchema = z.strictObject({
  limit: z.optional(
    z
      .int({ error: "must be a non-negative integer (bytes)" })
      .check(z.minimum(0, "must be a non-negative integer (bytes)")),
  ),
  maxParams: z.optional(
    z.int({ error: "must be a positive integer" }).check(z.minimum(1, "must be a positive integer")),
  ),
  nested: z.optional(
    z.union(
      [
        z.boolean(),
        z.strictObject({
          maxDepth: z.optional(
            z.int({ error: "must be a positive integer" }).check(z.minimum(1, "must be a positive integer")),
          ),
        }),
      ],
      { error: "must be a boolean or { maxDepth }" },
    ),
  ),
});

// Options objects already checked, so `paramsRequest(request, sameOptions)` validates once, like `wrapParams`.
// `maxDepth` is set only when parameters are nested.
type Resolved = { limit: number; maxParams: number; maxDepth: number | undefined };
const checked = new WeakMap<object, Resolved>();
const DEFAULTS: Resolved = { limit: DEFAULT_BODY_LIMIT, maxParams: 1000, maxDepth: undefined };

function resolveOptions(owner: string, options: ParamsOptions | undefined): Resolved {
  if (options === undefined) return DEFAULTS;
  const cached = typeof options === "object" && options !== null ? checked.get(options) : undefined;
  if (cached !== undefined) return cached;
  const given = parseOptions(owner, ParamsOptionsSchema, options);
  const nested = given.nested;
  const resolved = {
    limit: given.limit ?? DEFAULTS.limit,
    maxParams: given.maxParams ?? DEFAULTS.maxParams,
    maxDepth:
      nested === undefined || nested === false
        ? undefined
        : nested === true
          ? DEFAULT_NESTED_DEPTH
          : (nested.maxDepth ?? DEFAULT_NESTED_DEPTH),
  };
  checked.set(options, resolved);
  return resolved;
}
