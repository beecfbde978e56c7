/**
 * Response helpers in the spirit of Ring's `ring.util.response`: small functions that build a response map
 * or return a new one with one thing changed. None of them mutates its argument, so frozen maps are fine.
 */

import { describeKind, describeValue } from "./describe-value.js";
import { isValidHeaderName, isValidHeaderValue } from "./response-check.js";
import type { Response, ResponseBody, ResponseHeaders } from "./types.js";

/**
 * `R` with its headers widened to `ResponseHeaders`: what `header`, `contentType` and `setCookie` return, since
 * they may change a header's value from a string to an array (or back). Other keys keep their types.
 */
export type WithHeaders<R extends Response> = Omit<R, "headers"> & { readonly headers: ResponseHeaders };

/**
 * A 200 response with `body` and no headers, as Ring's `response`. No `content-type` is guessed: a body's
 * type is the handler's to state (`contentType`), and a guessed default would be wrong for most bodies.
 *
 * @example
 * contentType(response("hello"), "text/plain; charset=utf-8");
 * // { status: 200, headers: { "content-type": "text/plain; charset=utf-8" }, body: "hello" }
 */
export function response(body?: ResponseBody): Response {
  return { status: 200, headers: {}, body };
}

/**
 * A `text/plain; charset=utf-8` response (with `x-content-type-options: nosniff`, as every response whose type
 * ringlet states), status 200 unless given.
 *
 * @example
 * text("hello"); // { status: 200, headers: { "content-type": "text/plain; charset=utf-8", ... }, body: "hello" }
 */
export function text(body: string, status = 200): Response {
  return typed("text", TEXT_HEADERS, checkBody("text", body), status);
}

/**
 * A `text/html; charset=utf-8` response (with `x-content-type-options: nosniff`), status 200 unless given.
 * The text is sent as it is: escaping what goes into it is the template's job.
 *
 * @example
 * html("<h1>Hello</h1>", 201);
 */
export function html(body: string, status = 200): Response {
  return typed("html", HTML_HEADERS, checkBody("html", body), status);
}

/**
 * An `application/json` response (with `x-content-type-options: nosniff`) of `JSON.stringify(value)`, status
 * 200 unless given. JSON is always UTF-8 (RFC 8259 §8.1), so the type carries no `charset`. A value that
 * has no JSON text (`undefined`, a function, a `BigInt`, a cycle) throws a `TypeError` saying so.
 *
 * @example
 * json({ id: 7 }, 201); // { status: 201, headers: { "content-type": "application/json", ... }, body: '{"id":7}' }
 */
export function json(value: unknown, status = 200): Response {
  let body: string | undefined;
  try {
    body = JSON.stringify(value);
  } catch (error) {
    throw new TypeError(`json: the value cannot be written as JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (body === undefined) throw new TypeError(`json: ${describeValue(value)} has no JSON text`);
  return typed("json", JSON_HEADERS, body, status);
}

const NOSNIFF = "nosniff";
const TEXT_HEADERS: ResponseHeaders = Object.freeze({
  "content-type": "text/plain; charset=utf-8",
  "x-content-type-options": NOSNIFF,
});
const HTML_HEADERS: ResponseHeaders = Object.freeze({
  "content-type": "text/html; charset=utf-8",
  "x-content-type-options": NOSNIFF,
});
const JSON_HEADERS: ResponseHeaders = Object.freeze({
  "content-type": "application/json",
  "x-content-type-options": NOSNIFF,
});

function typed(owner: string, headers: ResponseHeaders, body: string, code: number): Response {
  checkStatus(owner, code);
  return { status: code, headers, body };
}

function checkBody(owner: string, body: unknown): string {
  if (typeof body !== "string")
    throw new TypeError(`${owner}: body must be a string, got ${describeKind(body)}`);
  return body;
}

function checkStatus(owner: string, code: number): void {
  if (!Number.isInteger(code) || code < 100 || code > 599) {
    throw new RangeError(`${owner}: status must be an integer from 100 to 599, got ${String(code)}`);
  }
}

/**
 * A copy of `res` with another status.
 *
 * @example
 * status(response("gone"), 410); // { status: 410, headers: {}, body: "gone" }
 */
export function status<R extends Response>(res: R, code: number): R {
  if (!Number.isInteger(code) || code < 100 || code > 599) {
    throw new RangeError(`status: code must be an integer from 100 to 599, got ${String(code)}`);
  }
  return { ...res, status: code };
}

/**
 * A copy of `res` with header `name` set to `value`. Header names are case-insensitive (RFC 9110 §5.1), so
 * any existing header whose name differs only in case is replaced, and the new one is stored under the
 * lower-case name, the SPEC's spelling. An array value is sent as one header line per element.
 * Throws a `TypeError` for a name that is not a token or a value with CR, LF, NUL or other bytes a header
 * cannot carry, so a response-splitting value is caught where it enters.
 *
 * @example
 * header({ status: 200, headers: { "X-Id": "1" } }, "x-id", "2"); // headers: { "x-id": "2" }
 */
export function header<R extends Response>(
  res: R,
  name: string,
  value: string | readonly string[],
): WithHeaders<R> {
  const key = checkedName("header", name);
  checkValue("header", key, value);
  return { ...res, headers: withHeader(res.headers, key, value) };
}

/**
 * The value of header `name` in `res`, looked up case-insensitively, or `undefined`. When the map holds
 * several spellings of one name (which `header` never produces), the lower-case one wins.
 *
 * @example
 * getHeader({ status: 200, headers: { "Content-Type": "text/html" } }, "content-type"); // "text/html"
 */
export function getHeader(res: Response, name: string): string | readonly string[] | undefined {
  const headers = res.headers;
  const key = name.toLowerCase();
  if (Object.hasOwn(headers, key)) return headers[key];
  for (const k in headers) {
    if (k.length === key.length && Object.hasOwn(headers, k) && k.toLowerCase() === key) return headers[k];
  }
  return undefined;
}

/**
 * A copy of `res` with `content-type` set to `type`.
 *
 * @example
 * contentType(response("{}"), "application/json");
 */
export function contentType<R extends Response>(res: R, type: string): WithHeaders<R> {
  return header(res, "content-type", type);
}

const REDIRECT_STATUSES = new Set([300, 301, 302, 303, 307, 308]);

/**
 * A redirect to `url` with an empty body. `status` is one of 300, 301, 302 (default), 303, 307 or 308
 * (RFC 9110 §15.4); use 303 after a form POST and 307/308 to keep the method.
 *
 * @example
 * redirect("/login"); // { status: 302, headers: { location: "/login" }, body: "" }
 */
export function redirect(url: string, status = 302): Response {
  if (!REDIRECT_STATUSES.has(status)) {
    throw new RangeError(
      `redirect: status must be one of 300, 301, 302, 303, 307, 308, got ${String(status)}`,
    );
  }
  checkLocation("redirect", url);
  return { status, headers: { location: url }, body: "" };
}

/**
 * A 404 response. A string body is labelled `text/plain; charset=utf-8` with `nosniff`, as ringlet's own
 * error replies are; other bodies carry no guessed type.
 *
 * @example
 * notFound("No such page"); // { status: 404, headers: { "content-type": "text/plain; charset=utf-8", ... }, body: "No such page" }
 */
export function notFound(body?: ResponseBody): Response {
  return { status: 404, headers: typeof body === "string" ? TEXT_HEADERS : {}, body };
}

/**
 * A 201 response whose `location` names the new resource (RFC 9110 §15.3.2). A string body is labelled
 * `text/plain; charset=utf-8` with `nosniff`, as for `notFound`; for JSON, use `header(json(value, 201), "location", url)`.
 *
 * @example
 * created("/users/42"); // { status: 201, headers: { location: "/users/42" }, body: undefined }
 */
export function created(url: string, body?: ResponseBody): Response {
  checkLocation("created", url);
  return {
    status: 201,
    headers: typeof body === "string" ? { ...TEXT_HEADERS, location: url } : { location: url },
    body,
  };
}

/** `headers` with `key` (lower case) set, dropping every other spelling of it; `headers` is not touched. */
function withHeader(
  headers: ResponseHeaders,
  key: string,
  value: string | readonly string[],
): Record<string, string | readonly string[]> {
  let variant = false;
  for (const k in headers) {
    if (k !== key && k.length === key.length && k.toLowerCase() === key) {
      variant = true;
      break;
    }
  }
  if (!variant) return { ...headers, [key]: value };
  const out: Record<string, string | readonly string[]> = {};
  for (const k in headers) {
    if (Object.hasOwn(headers, k) && (k.length !== key.length || k.toLowerCase() !== key))
      out[k] = headers[k]!;
  }
  out[key] = value;
  return out;
}

function checkedName(fn: string, name: string): string {
  if (typeof name !== "string" || !isValidHeaderName(name)) {
    throw new TypeError(
      `${fn}: header name must be an RFC 9110 token (§5.6.2), got ${JSON.stringify(name) ?? String(name)}`,
    );
  }
  return name.toLowerCase();
}

function checkValue(fn: string, key: string, value: unknown): void {
  if (typeof value === "string") {
    if (isValidHeaderValue(value)) return;
  } else if (Array.isArray(value)) {
    if (value.every((v) => typeof v === "string" && isValidHeaderValue(v))) return;
  }
  throw new TypeError(
    `${fn}: value of "${key}" must be a string (or array of strings) without CR, LF, NUL or characters above U+00FF (RFC 9110 §5.5), got ${JSON.stringify(value) ?? String(value)}`,
  );
}

function checkLocation(fn: string, url: string): void {
  if (typeof url !== "string" || url === "" || !isValidHeaderValue(url)) {
    throw new TypeError(
      `${fn}: url must be a non-empty string without CR, LF, NUL or characters above U+00FF (percent-encode them), got ${JSON.stringify(url) ?? String(url)}`,
    );
  }
}
