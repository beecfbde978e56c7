/**
 * `wrapContentType`, Ring's `wrap-content-type`: a response without `content-type` gets one from the request
 * path's extension. `contentTypeFor` is the one lookup, shared with `wrapFile` and `fileResponse`; its table
 * is the `mime` package's (mime-db's types, conflicts resolved by its maintainers), never a hand-kept list.
 */
/*! The extension table is from mime 4 (https://github.com/broofa/mime), MIT License, Copyright (c) 2023 Robert Kieffer */
import mime from "mime";
import * as z from "zod/mini";
import { checkOptionsArgument } from "../core/compose.js";
import { parseOptions } from "../core/parse-options.js";
import { percentDecode } from "../core/percent-decode.js";
import { getHeader } from "../core/response.js";
import { isValidHeaderValue } from "../core/response-check.js";
import { andThen, type Handler, type Request, type Response } from "../core/types.js";

/** Options of `wrapContentType` and `contentTypeResponse`. */
export interface ContentTypeOptions {
  /**
   * Extensions (without the dot, any case) to types, consulted before the table: `{ webmanifest:
   * "application/manifest+json" }`. A type given here is used as written (no charset is added). Default: none.
   */
  mimeTypes?: Readonly<Record<string, string>> | undefined;
  /** The type for a path with no known extension, as Ring's. Default: `"application/octet-stream"`. */
  defaultType?: string | undefined;
}

/**
 * The `content-type` for a file name, a path or a bare extension, from the `mime` package's table, or
 * `undefined` when the extension is unknown. Text types (`text/*`) get `; charset=utf-8`, the encoding of
 * every text ringlet writes; JSON and XML types get none: JSON is UTF-8 by definition (RFC 8259 §8.1, the type
 * has no charset parameter) and XML declares its own encoding. JavaScript is `text/javascript` (RFC 9239).
 *
 * @example
 * contentTypeFor("/css/site.css"); // "text/css; charset=utf-8"
 * contentTypeFor("png");           // "image/png"
 * contentTypeFor("/README");       // undefined
 */
export function contentTypeFor(pathOrExtension: string): string | undefined {
  const type = mime.getType(pathOrExtension);
  if (type === null) return undefined;
  return type.startsWith("text/") ? `${type}; charset=utf-8` : type;
}

/**
 * The request unchanged: the content type is decided on the way out. Exported so every middleware has both
 * halves.
 */
export function contentTypeRequest<R extends Request>(request: R): R {
  return request;
}

/**
 * `response` with a `content-type` from `request.uri`'s extension (percent-decoded first, so `/a%2Ecss` is
 * CSS), or `defaultType` for an unknown one, unless it already has a `content-type` (in any case). 1xx, 204
 * and 304 responses carry no content and are returned as they are. Bad options throw at once.
 *
 * @example
 * contentTypeResponse(response("body {}"), { ...request, uri: "/site.css" });
 * // headers: { "content-type": "text/css; charset=utf-8" }
 */
export function contentTypeResponse<Res extends Response>(
  response: Res,
  request: Request,
  options?: ContentTypeOptions,
): Res {
  return addContentType(response, request, resolveOptions("contentTypeResponse", options));
}

/**
 * Add a `content-type` from the request path's extension to every response that has none.
 *
 * @example
 * const app = wrapContentType((request) => response(readAsset(request.uri)), { mimeTypes: { map: "application/json" } });
 */
export function wrapContentType(
  options?: ContentTypeOptions,
): <Req extends Request, Res extends Response>(handler: Handler<Req, Res>) => Handler<Req, Res>;
export function wrapContentType<Req extends Request, Res extends Response>(
  handler: Handler<Req, Res>,
  options?: ContentTypeOptions,
): Handler<Req, Res>;
export function wrapContentType(
  handler: Handler<any, any> | ContentTypeOptions | undefined,
  options?: ContentTypeOptions,
): Handler<any, any> | ((handler: Handler<any, any>) => Handler<any, any>) {
  if (typeof handler !== "function") {
    checkOptionsArgument("wrapContentType", handler);
    const given = handler;
    resolveOptions("wrapContentType", given);
    return (inner: Handler<any, any>) => wrapContentType(inner, given);
  }
  const config = resolveOptions("wrapContentType", options);
  return (request: Request) => andThen(handler(request), (res) => addContentType(res, request, config));
}

interface Config {
  readonly mimeTypes: ReadonlyMap<string, string>;
  readonly defaultType: string;
}

function addContentType<Res extends Response>(response: Res, request: Request, config: Config): Res {
  const s = response.status;
  // RFC 9110 §6.4.1, §15.3.5, §15.4.5: these carry no content, so there is nothing to type.
  if (s < 200 || s === 204 || s === 304) return response;
  if (getHeader(response, "content-type") !== undefined) return response;
  const type = typeForUri(request.uri, config);
  return { ...response, headers: { ...response.headers, "content-type": type } };
}

function typeForUri(uri: string, config: Config): string {
  const path = percentDecode(uri);
  if (config.mimeTypes.size > 0) {
    const name = path.slice(path.lastIndexOf("/") + 1);
    const dot = name.lastIndexOf(".");
    const own = dot > 0 ? config.mimeTypes.get(name.slice(dot + 1).toLowerCase()) : undefined;
    if (own !== undefined) return own;
  }
  // mime reads a path with no extension ("/api/users", "/.env") as unknown, not as an extension itself.
  return contentTypeFor(path) ?? config.defaultType;
}

const headerValue = z.string({ error: 'must be a content type string, such as "text/plain"' }).check(
  z.refine((value) => value.length > 0 && isValidHeaderValue(value) && value.trim() === value, {
    error: "must be a content type without control characters or surrounding spaces",
  }),
);

const ContentTypeOptionsSchema = z.strictObject({
  mimeTypes: z.optional(z.record(z.string(), headerValue)),
  defaultType: z.optional(headerValue),
});

const DEFAULTS: Config = { mimeTypes: new Map(), defaultType: "application/octet-stream" };
// Options objects already checked, so `contentTypeResponse(response, request, sameOptions)` validates once.
const checked = new WeakMap<object, Config>();

function resolveOptions(owner: string, options: ContentTypeOptions | undefined): Config {
  if (options === undefined) return DEFAULTS;
  const cached = typeof options === "object" && options !== null ? checked.get(options) : undefined;
  if (cached !== undefined) return cached;
  const given = parseOptions(owner, ContentTypeOptionsSchema, options);
  const mimeTypes = new Map<string, string>();
  for (const [extension, type] of Object.entries(given.mimeTypes ?? {})) {
    mimeTypes.set(extension.replace(/^\./, "").toLowerCase(), type);
  }
  const resolved: Config = { mimeTypes, defaultType: given.defaultType ?? DEFAULTS.defaultType };
  checked.set(options, resolved);
  return resolved;
}
