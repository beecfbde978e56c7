/**
 * What every adapter does with a thrown error: turn it into a response that leaks nothing, and report it
 * through an `onError(error, request, info)` hook that can never take the server down, with a kind that tells
 * a server failure from a client that left or erred. No `node:` imports.
 */
import { describeError } from "../core/describe-value.js";
import { defaultMessage, isHttpError } from "../core/http-error.js";
import { isValidHeaderName, isValidHeaderValue } from "../core/response-check.js";
import type { Request, Response } from "../core/types.js";

/**
 * What an `onError` report is about (docs/node-adapter.md, "Errors"). The default `onError` logs the first
 * two, server failures, and stays quiet about the rest, which a client causes:
 *
 * - `"handler"`: the handler (or a middleware) threw or rejected: a bug, or an `HttpError` with a 5xx status.
 * - `"response"`: the response could not be sent as returned: it breaks the SPEC, the server refused it, or
 *   its body failed (or failed to stop) while streaming.
 * - `"http-error"`: the handler threw an `HttpError` with a 4xx status (a 413 from `readJson`, a 404): an
 *   answer, not a failure.
 * - `"client-error"`: a malformed request, answered with a 4xx without calling the handler (a bad target or
 *   Host, a request Node's parser refused).
 * - `"client-aborted"`: the client left: the request body stopped before its end (Node's `aborted`), the
 *   connection closed mid-request (`HPE_INVALID_EOF_STATE`) or was reset.
 * - `"timeout"`: Node closed a connection that sent no complete request in time (`headersTimeout`,
 *   `requestTimeout`).
 */
export type ErrorKind = "handler" | "response" | "http-error" | "client-error" | "client-aborted" | "timeout";

/** The third argument of `onError`: what the report is about. */
export interface ErrorInfo {
  readonly kind: ErrorKind;
}

/**
 * Called with every error an adapter handles: a handler that threw or rejected, an invalid response, a
 * response body that failed while streaming, a malformed request (then `request` is `undefined`, as no
 * request map could be built), a client that left. `info.kind` says which ({@link ErrorKind}); a hook written
 * for two arguments keeps working. Its return value is ignored; a throw or rejection is caught and logged.
 */
export type OnError = (error: unknown, request: Request | undefined, info: ErrorInfo) => void | Promise<void>;

/** One frozen `info` per kind, so a report allocates nothing. */
export const ERROR_INFO: { readonly [K in ErrorKind]: ErrorInfo & { readonly kind: K } } = Object.freeze({
  handler: Object.freeze({ kind: "handler" }),
  response: Object.freeze({ kind: "response" }),
  "http-error": Object.freeze({ kind: "http-error" }),
  "client-error": Object.freeze({ kind: "client-error" }),
  "client-aborted": Object.freeze({ kind: "client-aborted" }),
  timeout: Object.freeze({ kind: "timeout" }),
});

/**
 * The kind of a handler's throw or rejection: `"client-aborted"` when it is (or was caused by) an error the
 * request body itself failed with (`isBodyFailure`), as when the client leaves mid-upload; `"http-error"` for
 * an `HttpError` with a 4xx status; else `"handler"`. Only the request body's own failure counts as the
 * client's: an `ECONNRESET` from a database or an upstream server is the server's problem.
 *
 * @example
 * handlerErrorKind(error, (cause) => cause === req.errored); // in the Node adapter
 */
export function handlerErrorKind(error: unknown, isBodyFailure: (cause: object) => boolean): ErrorKind {
  // Followed through a few wrappers (`new Error("upload failed", { cause })`); bounded, as causes can cycle.
  let cause = error;
  for (let depth = 0; depth < 8 && typeof cause === "object" && cause !== null; depth++) {
    if (isBodyFailure(cause)) return "client-aborted";
    cause = (cause as { cause?: unknown }).cause;
  }
  if (isHttpError(error) && Number.isInteger(error.status) && error.status >= 400 && error.status <= 499) {
    return "http-error";
  }
  return "handler";
}

/**
 * The response for a thrown error. An `HttpError` gives its status and its `headers`, with its message as
 * a `text/plain` body only when `expose` is true (otherwise the standard reason phrase); anything else
 * gives a 500 with a generic body, so internals never reach the client.
 *
 * @example
 * errorResponse(new HttpError(404, "No such user", { expose: true }));
 * // { status: 404, headers: { "content-type": "text/plain; charset=utf-8", ... }, body: "No such user" }
 * errorResponse(new Error("db password is hunter2")).body; // "Internal Server Error"
 */
export function errorResponse(error: unknown): Response {
  if (!isHttpError(error)) return plainText(500, defaultMessage(500), undefined);
  // A foreign "HttpError" (duck-typed) may carry any number; never send a status it cannot mean.
  const status =
    Number.isInteger(error.status) && error.status >= 400 && error.status <= 599 ? error.status : 500;
  const message = typeof error.message === "string" ? error.message : "";
  const body = error.expose && status === error.status && message !== "" ? message : defaultMessage(status);
  return plainText(status, body, (error as { headers?: unknown }).headers);
}

/**
 * The default `onError`: one line on stderr with the method, the target and the error, e.g.
 * `ringlet: GET /users?id=7 failed: TypeError: x is not a function`, for a server failure (kind `"handler"`
 * or `"response"`, or no `info`). It stays quiet about what a client causes: a 4xx `HttpError`, a malformed
 * request, a client that left, a connection Node timed out. It never throws.
 *
 * @example
 * toNodeListener(handler, {
 *   onError: (error, request, info) => logger.error({ err: error, uri: request?.uri, kind: info.kind }),
 * });
 */
export function defaultOnError(error: unknown, request: Request | undefined, info?: ErrorInfo): void {
  if (info !== undefined && info.kind !== "handler" && info.kind !== "response") return;
  try {
    const target =
      request === undefined
        ? "(no request)"
        : `${request.method} ${request.uri}${request.queryString === undefined ? "" : `?${request.queryString}`}`;
    console.error(`ringlet: ${oneLine(target)} failed: ${oneLine(describeError(error))}`);
  } catch {
    // stderr itself failed (closed pipe, hostile console patch): nothing left to tell.
  }
}

/**
 * Calls `onError` so that nothing it does can escape: a throw or a rejected promise is caught, and written to
 * stderr with {@link defaultOnError} instead (the original error by its kind, the hook's failure always).
 *
 * @example
 * reportError(options.onError, error, request, ERROR_INFO.handler);
 */
export function reportError(
  onError: OnError,
  error: unknown,
  request: Request | undefined,
  info: ErrorInfo,
): void {
  try {
    const result = onError(error, request, info);
    if (
      result !== null &&
      typeof result === "object" &&
      typeof (result as Promise<void>).then === "function"
    ) {
      (result as Promise<void>).then(undefined, (hookError: unknown) =>
        hookFailed(hookError, error, request, info),
      );
    }
  } catch (hookError) {
    hookFailed(hookError, error, request, info);
  }
}

function hookFailed(hookError: unknown, error: unknown, request: Request | undefined, info: ErrorInfo): void {
  defaultOnError(error, request, info);
  defaultOnError(new Error(`onError itself failed: ${describeError(hookError)}`), request);
}

function plainText(status: number, body: string, extra: unknown): Response {
  const headers: Record<string, string> = {};
  // `HttpError.headers` comes from code, but a duck-typed one may hold anything: copy only what is valid.
  if (typeof extra === "object" && extra !== null) {
    for (const name in extra) {
      const value = (extra as Record<string, unknown>)[name];
      if (isValidHeaderName(name) && typeof value === "string" && isValidHeaderValue(value)) {
        headers[name.toLowerCase()] = value;
      }
    }
  }
  headers["content-type"] = "text/plain; charset=utf-8";
  headers["x-content-type-options"] = "nosniff";
  return { status, headers, body };
}

function oneLine(text: string): string {
  const flat = text.replace(/[\r\n]+/g, " ⏎ ");
  return flat.length > 1000 ? `${flat.slice(0, 1000)}…` : flat;
}
