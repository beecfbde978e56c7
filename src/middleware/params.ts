/**
 * `wrapParams`, Ring's `wrap-params`: the query string and an `application/x-www-form-urlencoded` body parsed
 * into `queryParams`, `formParams` and their merge, `params`. Parsing follows the WHATWG URL standard's
 * urlencoded parser, so it agrees with `URLSearchParams` and what browsers send, and it never throws.
 */
import { z } from "zod";
import { checkCharset, DEFAULT_BODY_LIMIT, decodeUtf8, mediaType, readBytes } from "../core/body.js";
import type { Handler, Request, Response } from "../core/types.js";

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

/** Options of `wrapParams` and `paramsRequest`. */
export interface ParamsOptions {
  /** The largest form body to read, in bytes; a larger one is a 413. Default: 1 MiB (1_048_576). */
  limit?: number | undefined;
}

/**
 * Parse `application/x-www-form-urlencoded` text (a query string or a form body) as the WHATWG URL standard
 * does (§5.1): `&` separates pairs, the first `=` splits name from value (none means an empty value), `+`
 * is a space, and `%XX` escapes are UTF-8. Malformed input never throws: a `%` not followed by two hex
 * digits is kept as it is, and bytes that are not UTF-8 become U+FFFD. A repeated name gives an array.
 *
 * @example
 * parseUrlEncoded("a=1&b=x+y&a=%E2%9C%93"); // { a: ["1", "✓"], b: "x y" }
 */
export function parseUrlEncoded(text: string): Params {
  const out: Record<string, string | string[]> = Object.create(null);
  const n = text.length;
  let start = 0;
  while (start < n) {
    let end = text.indexOf("&", start);
    if (end === -1) end = n;
    if (end > start) {
      // Search "=" within this pair only: a scan to the end of the text for each pair would make a long
      // run of "a&a&a…" quadratic.
      const pair = text.slice(start, end);
      const eq = pair.indexOf("=");
      const name = decodeComponent(eq === -1 ? pair : pair.slice(0, eq));
      const value = eq === -1 ? "" : decodeComponent(pair.slice(eq + 1));
      const existing = out[name];
      if (existing === undefined) out[name] = value;
      else if (typeof existing === "string") out[name] = [existing, value];
      else existing.push(value);
    }
    start = end + 1;
  }
  return out;
}

/**
 * The request with `queryParams`, `formParams` and `params` added. Synchronous unless the request has a form
 * body to read: then it returns a promise, and every failure of the client's (413 over the limit, 415 for a
 * non-UTF-8 charset, 400 for invalid UTF-8) rejects it, never throws. The body is read with `readBytes` and
 * replaced by one that yields the same bytes again, so the handler can still read it. A request that
 * already has `queryParams` (`wrapParams` applied twice) is returned as is. Bad options throw at once.
 *
 * @example
 * const request2 = await paramsRequest(request); // request2.params.page === "2" for "?page=2"
 */
export function paramsRequest<R extends Request>(
  request: R,
  options?: ParamsOptions,
): (R & ParamsRequestKeys) | Promise<R & ParamsRequestKeys> {
  return addParams(request, resolveOptions("paramsRequest", options).limit);
}

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
export function wrapParams<Req extends Request, Res extends Response>(
  handler: Handler<Req & ParamsRequestKeys, Res>,
  options?: ParamsOptions,
): Handler<Req, Res> {
  if (typeof handler !== "function") throw new TypeError("wrapParams: handler must be a function");
  const { limit } = resolveOptions("wrapParams", options);
  return (request) => {
    const next = addParams(request, limit);
    return next instanceof Promise ? next.then(handler) : handler(next);
  };
}

const FORM_TYPE = "application/x-www-form-urlencoded";
const EMPTY: Params = Object.freeze(Object.create(null));

function addParams<R extends Request>(
  request: R,
  limit: number,
): (R & ParamsRequestKeys) | Promise<R & ParamsRequestKeys> {
  if ((request as Partial<ParamsRequestKeys>).queryParams !== undefined)
    return request as R & ParamsRequestKeys;
  const queryParams = request.queryString === undefined ? EMPTY : parseUrlEncoded(request.queryString);
  const type = request.headers["content-type"];
  if (request.body === undefined || type === undefined || mediaType(type) !== FORM_TYPE) {
    return withParams(request, queryParams, EMPTY, request.body);
  }
  return withFormParams(request, queryParams, limit);
}

/** The form-body path, async from its first line: a wrong charset rejects the promise like the other errors. */
async function withFormParams<R extends Request>(
  request: R,
  queryParams: Params,
  limit: number,
): Promise<R & ParamsRequestKeys> {
  checkCharset(request);
  const bytes = await readBytes(request, { limit });
  return withParams(request, queryParams, parseUrlEncoded(decodeUtf8(bytes)), replay(bytes));
}

function withParams<R extends Request>(
  request: R,
  queryParams: Params,
  formParams: Params,
  body: Request["body"],
): R & ParamsRequestKeys {
  const given = (request as { params?: unknown }).params;
  const existing = typeof given === "object" && given !== null ? given : undefined;
  let params = queryParams;
  if (formParams !== EMPTY || existing !== undefined) {
    params = Object.assign(Object.create(null), existing, queryParams, formParams);
  }
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

function decodeComponent(text: string): string {
  // WHATWG URL §5.1: "+" becomes a space before percent-decoding, so "%2B" still means "+".
  if (text.includes("+")) text = text.replaceAll("+", " ");
  if (!text.includes("%")) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return lenientDecode(text);
  }
}

const UTF8_LENIENT = new TextDecoder("utf-8", { ignoreBOM: true });
const ENCODER = new TextEncoder();

/** WHATWG percent-decode (a bad `%` is kept as is), then UTF-8 decode with U+FFFD for bad bytes. */
function lenientDecode(text: string): string {
  const bytes: number[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    if (text.charCodeAt(i) === 0x25) {
      const hi = hexValue(text.charCodeAt(i + 1));
      const lo = hexValue(text.charCodeAt(i + 2));
      if (hi !== -1 && lo !== -1) {
        bytes.push(hi * 16 + lo);
        i += 3;
      } else {
        bytes.push(0x25);
        i += 1;
      }
    } else {
      let next = text.indexOf("%", i);
      if (next === -1) next = n;
      for (const b of ENCODER.encode(text.slice(i, next))) bytes.push(b);
      i = next;
    }
  }
  return UTF8_LENIENT.decode(new Uint8Array(bytes));
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

const ParamsOptionsSchema = z.strictObject({
  limit: z.number().int().min(0).optional(),
});

// Options objects already checked, so `paramsRequest(request, sameOptions)` validates once, like `wrapParams`.
const checked = new WeakMap<object, Required<ParamsOptions>>();
const DEFAULTS: Required<ParamsOptions> = { limit: DEFAULT_BODY_LIMIT };

function resolveOptions(owner: string, options: ParamsOptions | undefined): Required<ParamsOptions> {
  if (options === undefined) return DEFAULTS;
  const cached = typeof options === "object" && options !== null ? checked.get(options) : undefined;
  if (cached !== undefined) return cached;
  const result = ParamsOptionsSchema.safeParse(options);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    if (issue.code === "unrecognized_keys")
      throw new TypeError(`${owner}: unknown option "${issue.keys[0]}"`);
    if (issue.path.length === 0) throw new TypeError(`${owner}: options must be an object`);
    throw new TypeError(
      `${owner}: option "${issue.path.join(".")}" must be a non-negative integer (bytes), got ${String((options as Record<string, unknown>)[String(issue.path[0])])}`,
    );
  }
  const resolved = { limit: result.data.limit ?? DEFAULT_BODY_LIMIT };
  checked.set(options, resolved);
  return resolved;
}
