/**
 * What every adapter does with a thrown error: turn it into a response that leaks nothing, and report it
 * through an `onError(error, request)` hook that can never take the server down. No `node:` imports.
 */
import { defaultMessage, isHttpError } from "../core/http-error.js";
import { isValidHeaderName, isValidHeaderValue } from "../core/response-check.js";
import type { Request, Response } from "../core/types.js";

/**
 * Called with every error an adapter handles: a handler that threw or rejected, an invalid response, a
 * response body that failed while streaming, a malformed request (then `request` is `undefined`, as no
 * request map could be built). Its return value is ignored; a throw or rejection is caught and logged.
 */
export type OnError = (error: unknown, request: Request | undefined) => void | Promise<void>;

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
 * `ringlet: GET /users?id=7 failed: TypeError: x is not a function`. It never throws.
 *
 * @example
 * toNodeListener(handler, { onError: (error, request) => logger.error({ err: error, uri: request?.uri }) });
 */
export const defaultOnError: OnError = (error, request) => {
  try {
    const target =
      request === undefined
        ? "(no request)"
        : `${request.method} ${request.uri}${request.queryString === undefined ? "" : `?${request.queryString}`}`;
    console.error(`ringlet: ${oneLine(target)} failed: ${oneLine(describeError(error))}`);
  } catch {
    // stderr itself failed (closed pipe, hostile console patch): nothing left to tell.
  }
};

/**
 * Calls `onError` so that nothing it does can escape: a throw or a rejected promise is caught and logged
 * with {@link defaultOnError} instead.
 *
 * @example
 * reportError(options.onError, error, request);
 */
export function reportError(onError: OnError, error: unknown, request: Request | undefined): void {
  try {
    const result = onError(error, request);
    if (
      result !== null &&
      typeof result === "object" &&
      typeof (result as Promise<void>).then === "function"
    ) {
      (result as Promise<void>).then(undefined, (hookError: unknown) =>
        hookFailed(hookError, error, request),
      );
    }
  } catch (hookError) {
    hookFailed(hookError, error, request);
  }
}

function hookFailed(hookError: unknown, error: unknown, request: Request | undefined): void {
  defaultOnError(error, request);
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

function describeError(error: unknown): string {
  try {
    if (error instanceof Error) {
      const status = isHttpError(error) ? ` (${error.status})` : "";
      return `${error.name}${status}: ${error.message}`;
    }
    return `non-Error value thrown: ${typeof error === "string" ? JSON.stringify(error) : String(error)}`;
  } catch {
    return "an error that cannot be described";
  }
}

function oneLine(text: string): string {
  const flat = text.replace(/[\r\n]+/g, " ⏎ ");
  return flat.length > 1000 ? `${flat.slice(0, 1000)}…` : flat;
}
