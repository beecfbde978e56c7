/**
 * `wrapHead`, Ring's `wrap-head`: a HEAD request reaches the handler as a GET, and the body of its response
 * is dropped on the way out (a streamed body is cancelled, so the file or query behind it is released).
 */
import * as z from "zod/mini";
import { cancelBody } from "../core/cancel-body.js";
import { checkOptionsArgument } from "../core/compose.js";
import {
  andThen,
  type Handler,
  isFunction,
  type Request,
  type Response,
  type ResponseHeaders,
} from "../core/types.js";

/** Options of `wrapHead` and `headResponse`. */
export interface HeadOptions {
  /**
   * Called when cancelling a dropped streamed body fails (the stream's `cancel()` rejected, `destroy()` or
   * the iterator's `return()` threw). Default: one line on stderr.
   */
  onError?: ((error: unknown, request: Request) => void) | undefined;
}

/**
 * The request a handler sees: a HEAD request becomes a GET (RFC 9110 §9.3.2: HEAD is GET without content),
 * anything else is returned as is.
 *
 * @example
 * headRequest({ ...request, method: "HEAD" }).method; // "GET"
 */
export function headRequest<R extends Request>(request: R): R {
  return request.method === "HEAD" ? { ...request, method: "GET" } : request;
}

/**
 * The response to send: for a HEAD `request`, `response` without its body; for any other method, `response`
 * itself. A stream or async iterable body is cancelled and the headers are kept as they are, a
 * `content-length` the handler set included. A string or byte body leaves `content-length` set to its size in
 * bytes, the value the adapter would send for GET (RFC 9110 §9.3.2, §8.6: on HEAD it may only be that
 * value), replacing any the handler set, as the adapter does for such bodies.
 *
 * @example
 * headResponse({ status: 200, headers: {}, body: "hello" }, headRequest);
 * // { status: 200, headers: { "content-length": "5" }, body: undefined }
 */
export function headResponse<Res extends Response>(
  response: Res,
  request: Request,
  options?: HeadOptions,
): Res {
  if (request.method !== "HEAD") return response;
  const body = response.body;
  if (body === undefined || body === null) return response;
  let headers = response.headers;
  if (typeof body === "string" || body instanceof Uint8Array) {
    const s = response.status;
    // RFC 9110 §8.6: no Content-Length on 1xx and 204; a 304's would describe another response.
    if (s >= 200 && s !== 204 && s !== 304) {
      headers = withLength(headers, typeof body === "string" ? utf8Length(body) : body.byteLength);
    }
  } else {
    cancelBody(body, (error) => (options?.onError ?? defaultOnError)(error, request));
  }
  return { ...response, headers, body: undefined };
}

/**
 * Serve HEAD requests with the GET handler and drop the body, as Ring's `wrap-head`.
 *
 * @example
 * const app = wrapHead((request) => response(`you asked for ${request.uri}`));
 */
export function wrapHead(
  options?: HeadOptions,
): <Req extends Request, Res extends Response>(handler: Handler<Req, Res>) => Handler<Req, Res>;
export function wrapHead<Req extends Request, Res extends Response>(
  handler: Handler<Req, Res>,
  options?: HeadOptions,
): Handler<Req, Res>;
export function wrapHead(
  handler: Handler<any, any> | HeadOptions | undefined,
  options?: HeadOptions,
): Handler<any, any> | ((handler: Handler<any, any>) => Handler<any, any>) {
  if (typeof handler !== "function") {
    checkOptionsArgument("wrapHead", handler);
    const parsed = parseHeadOptions(handler);
    return (inner: Handler<any, any>) => wrapHead(inner, parsed);
  }
  options = parseHeadOptions(options);
  return (request: Request) => {
    if (request.method !== "HEAD") return handler(request);
    return andThen(handler(headRequest(request)), (res) => headResponse(res, request, options));
  };
}

const HeadOptionsSchema = z.strictObject({
  onError: z.optional(z.custom<HeadOptions["onError"]>(isFunction, "expected a function")),
});

function parseHeadOptions(options: unknown): HeadOptions {
  const result = HeadOptionsSchema.safeParse(options ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  if (issue.code === "unrecognized_keys") throw new TypeError(`wrapHead: unknown option "${issue.keys[0]}"`);
  if (issue.path.length === 0) throw new TypeError("wrapHead: options must be an object");
  throw new TypeError(`wrapHead: option "${issue.path.join(".")}": ${issue.message}`);
}

/** `headers` with `content-length: size`, without any other spelling of it or a `transfer-encoding`. */
function withLength(headers: ResponseHeaders, size: number): ResponseHeaders {
  const out: Record<string, string | readonly string[]> = {};
  for (const name in headers) {
    const lower = name.length === 14 || name.length === 17 ? name.toLowerCase() : "";
    if (lower !== "content-length" && lower !== "transfer-encoding") out[name] = headers[name]!;
  }
  out["content-length"] = String(size);
  return out;
}

function defaultOnError(error: unknown, request: Request): void {
  const message = error instanceof Error ? error.message : String(error);
  console.error(`wrapHead: cancelling the dropped body of HEAD ${request.uri} failed: ${message}`);
}

/** Bytes of `text` in UTF-8, without encoding it (lone surrogates count as U+FFFD, 3 bytes, as TextEncoder). */
function utf8Length(text: string): number {
  let n = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        // A surrogate pair: 2 UTF-16 units, 4 UTF-8 bytes.
        n += 2;
        i++;
      } else n += 2;
    } else n += 2;
  }
  return n;
}
