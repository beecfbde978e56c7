/**
 * `ringlet/fetch`: the web-standard adapter. It turns a fetch `Request` into a ringlet request map and a
 * ringlet response into a fetch `Response`, so one handler runs on Deno, Bun, Cloudflare Workers and Hono.
 * It imports no `node:` module; the mapping rules are docs/SPEC.md's, written out in docs/adapters.md.
 */
import { z } from "zod";
import { cancelBody } from "../core/cancel-body.js";
import { HttpError, isHttpError } from "../core/http-error.js";
import { parseOptions } from "../core/parse-options.js";
import { notFound } from "../core/response.js";
import { responseProblem } from "../core/response-check.js";
import type { Handler, Request, Response } from "../core/types.js";
import { isFunction } from "../core/types.js";
import { isWebSocketRequest, isWebSocketResponse } from "../core/websocket.js";
import {
  defaultOnError,
  ERROR_INFO,
  type ErrorInfo,
  errorResponse,
  handlerErrorKind,
  type OnError,
  reportError,
} from "./error-response.js";
import { parseHost } from "./host.js";
import { quote, splitTarget } from "./request-target.js";

export type { ErrorInfo, ErrorKind, OnError } from "./error-response.js";

/** A fetch handler, as `Deno.serve`, `Bun.serve`, Cloudflare Workers and Hono expect it. */
export type FetchHandler = (request: globalThis.Request, info?: unknown) => Promise<globalThis.Response>;

/**
 * Options of {@link toFetchHandler}.
 *
 * - `onError(error, request, info)`: hears of every error the adapter handles (a handler that threw or
 *   rejected, an invalid response, a body that failed mid-stream, a request URL that could not be mapped,
 *   then with `request` undefined, a request body the client broke off); `info.kind` says which
 *   (`ErrorKind`). Default: one line on stderr for server failures only (`defaultOnError`). A throw in it
 *   is caught.
 * - `getRemoteAddr(request, info)`: the peer address for `remoteAddr` from the runtime's second `fetch`
 *   argument. Default: {@link defaultRemoteAddr} (Deno, Bun, `@hono/node-server`); `""` when it returns
 *   `undefined`.
 * - `mountPath`: the path the handler is mounted under in a router that passes the whole URL on (Hono's
 *   `app.all("/api/*", ...)`): the handler sees `uri` below it, as under Express (`/api/users/7` becomes
 *   `/users/7`, `/api` becomes `/`), and a request outside it is a 404 that never reaches the handler.
 *   Compared with the raw, still percent-encoded path, case-sensitively. Default: none.
 */
export interface FetchHandlerOptions {
  onError?: OnError | undefined;
  getRemoteAddr?: GetRemoteAddr | undefined;
  mountPath?: string | undefined;
}

const optionsSchema = z.strictObject({
  onError: z.custom<OnError>(isFunction, "expected a function").optional(),
  getRemoteAddr: z.custom<GetRemoteAddr>(isFunction, "expected a function").optional(),
  mountPath: z
    .string()
    .regex(
      /^(?:\/[A-Za-z0-9\-._~!$&'()*+,;=:@%]+)+$/,
      'must be a path such as "/api": segments after "/", no trailing "/"',
    )
    .optional(),
});

/**
 * Serves a ringlet handler as a fetch handler. Options are checked once, here: a wrong one throws a
 * `TypeError` naming it. Errors follow the Node adapter (docs/node-adapter.md): a throw or rejection gives a
 * 500 with a generic body, an `HttpError` its own status (and its message only when `expose`), an invalid
 * response a 500; each is reported to `onError`. A request URL that cannot be mapped gives 400.
 *
 * @example
 * const fetchHandler = toFetchHandler((request) => ({ status: 200, headers: {}, body: `hi ${request.uri}` }));
 * Deno.serve(fetchHandler);                      // Deno: info.remoteAddr is read
 * export default { fetch: fetchHandler };        // Bun and Cloudflare Workers
 * app.all("*", (c) => fetchHandler(c.req.raw));  // Hono
 */
export function toFetchHandler(handler: Handler, options: FetchHandlerOptions = {}): FetchHandler {
  if (typeof handler !== "function") {
    throw new TypeError(`toFetchHandler: handler must be a function, got ${typeof handler}`);
  }
  const parsed = parseOptions("toFetchHandler", optionsSchema, options);
  const onError = parsed.onError ?? defaultOnError;
  const getRemoteAddr = parsed.getRemoteAddr ?? defaultRemoteAddr;
  const mountPath = parsed.mountPath;

  const fail = (error: unknown, request: Request | undefined, info: ErrorInfo): globalThis.Response => {
    reportError(onError, error, request, info);
    return toFetchResponse(errorResponse(error), request);
  };
  // The request body's own failure (the client left mid-upload) is the client's, not the handler's.
  const handlerFailed = (error: unknown, request: Request): globalThis.Response =>
    fail(error, request, ERROR_INFO[handlerErrorKind(error, isRequestBodyFailure)]);
  const respond = (response: Response, request: Request): globalThis.Response => {
    // A plain fetch Response cannot switch protocols; say so at once rather than leave the client waiting.
    if (isWebSocketResponse(response))
      return fail(websocketUnsupported(request), request, ERROR_INFO.response);
    const report = (error: unknown): void => reportError(onError, error, request, ERROR_INFO.response);
    try {
      return toFetchResponse(response, request, report);
    } catch (error) {
      // An invalid response: its body will never be sent, so release what is behind it.
      cancelBody((response as { body?: unknown } | null)?.body, report);
      return fail(error, request, ERROR_INFO.response);
    }
  };

  return (fetchRequest, info) => {
    let request: Request;
    try {
      request = fromFetchRequest(fetchRequest, info, getRemoteAddr);
      if (mountPath !== undefined) {
        const uri = belowMount(request.uri, mountPath);
        if (uri === undefined) return Promise.resolve(toFetchResponse(notFound("Not Found"), request));
        request = Object.freeze({ ...request, uri });
      }
    } catch (error) {
      // An unmappable URL is the client's; anything else (a `getRemoteAddr` that threw) is a bug.
      return Promise.resolve(
        fail(error, undefined, isHttpError(error) ? ERROR_INFO["client-error"] : ERROR_INFO.handler),
      );
    }
    let result: Response | Promise<Response>;
    try {
      result = handler(request);
    } catch (error) {
      return Promise.resolve(handlerFailed(error, request));
    }
    if (result instanceof Promise || typeof (result as { then?: unknown })?.then === "function") {
      return Promise.resolve(result).then(
        (response) => respond(response, request),
        (error: unknown) => handlerFailed(error, request),
      );
    }
    return Promise.resolve(respond(result, request));
  };
}

/** `uri` below `mountPath` (`"/"` for the mount point itself), or `undefined` when it is not under it. */
function belowMount(uri: string, mountPath: string): string | undefined {
  if (!uri.startsWith(mountPath)) return undefined;
  if (uri.length === mountPath.length) return "/";
  return uri.charCodeAt(mountPath.length) === 0x2f ? uri.slice(mountPath.length) : undefined;
}

/**
 * The error for a websocket response: a 501 for a WebSocket handshake (`ringlet/fetch` cannot upgrade: Deno's
 * `Deno.upgradeWebSocket`, Bun's `server.upgrade` and Workers' `WebSocketPair` each need the runtime's own
 * object, see docs/adapters.md), a 500 for any other request (a programmer error, as in every adapter).
 */
function websocketUnsupported(request: Request): Error {
  if (!isWebSocketRequest(request)) {
    return new TypeError(
      "Invalid response from handler: a websocket response answers only a WebSocket upgrade request (a GET with Connection: upgrade and Upgrade: websocket); use isWebSocketRequest(request)",
    );
  }
  return new HttpError(
    501,
    "ringlet/fetch cannot upgrade to a WebSocket on this runtime (docs/adapters.md, WebSockets)",
    {
      expose: true,
    },
  );
}

/** Reads the peer address from what the runtime passes beside the request (see {@link defaultRemoteAddr}). */
export type GetRemoteAddr = (request: globalThis.Request, info: unknown) => string | undefined;

/**
 * The peer address from the runtime's second `fetch` argument, when it carries one:
 * `info.remoteAddr` as a string, Deno's `info.remoteAddr.hostname`, Bun's `server.requestIP(request).address`,
 * or `@hono/node-server`'s `env.incoming.socket.remoteAddress`. Headers such as `x-forwarded-for` or
 * `cf-connecting-ip` are never read: only the platform can vouch for them, so pass a `getRemoteAddr` that does.
 *
 * @example
 * defaultRemoteAddr(request, { remoteAddr: { hostname: "203.0.113.9", port: 51234 } }); // "203.0.113.9"
 */
export const defaultRemoteAddr: GetRemoteAddr = (request, info) => {
  if (typeof info !== "object" || info === null) return undefined;
  const { remoteAddr, requestIP, incoming } = info as {
    remoteAddr?: unknown;
    requestIP?: unknown;
    incoming?: { socket?: { remoteAddress?: unknown } };
  };
  if (typeof remoteAddr === "string") return remoteAddr;
  if (typeof remoteAddr === "object" && remoteAddr !== null) {
    const { hostname } = remoteAddr as { hostname?: unknown };
    if (typeof hostname === "string") return hostname;
  }
  if (typeof requestIP === "function") {
    const address = (requestIP.call(info, request) as { address?: unknown } | null | undefined)?.address;
    if (typeof address === "string") return address;
  }
  const socketAddress = incoming?.socket?.remoteAddress;
  return typeof socketAddress === "string" ? socketAddress : undefined;
};

/**
 * Builds the ringlet request map for a fetch `Request`. `info` is the runtime's second `fetch` argument,
 * read by `getRemoteAddr` for `remoteAddr` (`""` when it gives none). Throws an `HttpError` 400 (its message
 * not exposed) for a URL that is not `http:` or `https:`, a host outside RFC 3986's grammar or a path with a
 * malformed `%` escape.
 *
 * @example
 * const request = fromFetchRequest(new Request("http://localhost:8000/a%20b?x=1"));
 * request.uri;         // "/a%20b"
 * request.queryString; // "x=1"
 */
export function fromFetchRequest(
  request: globalThis.Request,
  info?: unknown,
  getRemoteAddr: GetRemoteAddr = defaultRemoteAddr,
): Request {
  // `request.url` is the serialized URL, "scheme://host[:port]/path[?query][#fragment]", never with
  // credentials (the Request constructor refuses them): without its fragment (the client's, never sent) it is
  // an absolute-form request target, split by the rules the Node adapter uses. Slicing it keeps the path and
  // query exactly as the runtime received them; `new URL()` would be both slower and no more exact.
  const url = request.url;
  const hash = url.indexOf("#");
  const target = splitTarget(hash === -1 ? url : url.slice(0, hash));
  if (typeof target === "string") {
    // A runtime hands over only http: and https: URLs; another scheme means a Request built in code.
    const problem = /^https?:\/\//.test(url)
      ? target
      : `Unsupported request URL scheme in ${quote(url.slice(0, 40))}`;
    throw new HttpError(400, problem, { expose: false });
  }
  const scheme = target.scheme === "https" ? "https" : "http";
  // The serializer drops the scheme's default port (WHATWG URL §4.4), so none written means 80 or 443. The
  // URL parser accepts a few characters RFC 3986 does not (`a{b`): those are a 400, as in a Host header.
  const authority = target.authority ?? "";
  const host = parseHost(authority, scheme === "https" ? 443 : 80);
  if (host === undefined) throw new HttpError(400, `Malformed host ${quote(authority)}`, { expose: false });

  // Headers iterate with lower-case names and repeated fields already combined: ", " in general and, in
  // undici (Node) and other runtimes following it, "; " for `cookie` (RFC 6265 §5.4 wants one cookie-string).
  // Only `set-cookie` is yielded once per value, so it is joined here; `null` prototype keeps a header named
  // `__proto__` as data.
  const headers: Record<string, string> = Object.create(null);
  request.headers.forEach((value, name) => {
    const previous = headers[name];
    headers[name] = previous === undefined ? value : `${previous}${name === "cookie" ? "; " : ", "}${value}`;
  });

  return Object.freeze({
    method: request.method,
    uri: target.uri,
    queryString: target.queryString,
    scheme,
    protocol: "HTTP/1.1",
    headers: Object.freeze(headers),
    serverName: host.serverName,
    serverPort: host.serverPort,
    remoteAddr: getRemoteAddr(request, info) ?? "",
    body: requestBody(request, headers),
  });
}

/**
 * The request body as a lazy, one-shot `AsyncIterable`: `request.body` is not touched until a handler
 * iterates it, and leaving the loop early cancels the stream so the runtime can stop receiving it.
 */
function requestBody(
  request: globalThis.Request,
  headers: Record<string, string>,
): AsyncIterable<Uint8Array> | undefined {
  const method = request.method;
  // The fetch Request constructor refuses a body for GET and HEAD (Fetch §5.4, "new Request" step 34).
  if (method === "GET" || method === "HEAD") return undefined;
  // RFC 9112 §6.3: Content-Length or Transfer-Encoding says whether there is content; "0" means none, as in
  // the Node adapter. Without either (HTTP/2, HTTP/3 or a Request built in code), only the stream can tell;
  // reading the getter neither reads nor locks it.
  const length = headers["content-length"];
  if (headers["transfer-encoding"] === undefined) {
    if (length === "0") return undefined;
    if (length === undefined && request.body === null) return undefined;
  }
  return Object.freeze({ [Symbol.asyncIterator]: () => readStream(request.body, noteBodyFailure) });
}

// The errors request bodies failed with (the runtime errors the stream when the client leaves mid-upload),
// so that a handler rejecting with one is reported as `"client-aborted"`. Written only on a failure.
const requestBodyFailures = new WeakSet<object>();
const noteBodyFailure = (error: unknown): void => {
  if (typeof error === "object" && error !== null) requestBodyFailures.add(error);
};
const isRequestBodyFailure = (cause: object): boolean => requestBodyFailures.has(cause);

/**
 * Reads a web stream without relying on it being async-iterable (it is not in Safari or older Workers);
 * `onFailure` hears of the error a read fails with, before it is thrown to the consumer.
 */
async function* readStream<T>(
  stream: ReadableStream<T> | null,
  onFailure?: (error: unknown) => void,
): AsyncGenerator<T> {
  if (stream === null) return;
  const reader = stream.getReader();
  let open = true;
  try {
    for (;;) {
      const chunk = await reader.read().catch((error: unknown) => {
        open = false;
        onFailure?.(error);
        throw error;
      });
      if (chunk.done) {
        open = false;
        return;
      }
      yield chunk.value;
    }
  } finally {
    // The consumer left the loop early: cancelling tells the runtime the rest will never be read.
    if (open) await reader.cancel();
    reader.releaseLock();
  }
}

// RFC 9110 §15.3.5, §15.3.6, §15.4.5: these statuses have no content, and the fetch Response constructor
// refuses a body with them (Fetch §2.2.3 "null body status").
const isNullBodyStatus = (status: number): boolean => status === 204 || status === 205 || status === 304;

const encoder = new TextEncoder();

/**
 * Builds a fetch `Response` from a ringlet response. An array header value becomes one header line per
 * element (`headers.append`), as `set-cookie` needs. A string body is sent as UTF-8 bytes, so the runtime
 * adds no `content-type` of its own; streams and async iterables (a Node `Readable` included) become a
 * pull-driven `ReadableStream` that cancels its source when the client goes away. HEAD requests and 204,
 * 205 and 304 responses get no body and their source is cancelled (HEAD keeps the `content-length` GET
 * would send). For a string or byte body the runtime frames the length: the handler's own
 * `content-length` and `transfer-encoding` are dropped. Throws a `TypeError` naming the key at
 * fault for a response that breaks the SPEC or that fetch cannot express (a 1xx status).
 *
 * `onBodyError` hears of an error raised while the body streams, after the status was sent.
 *
 * @example
 * toFetchResponse({ status: 200, headers: { "set-cookie": ["a=1", "b=2"] }, body: "ok" });
 */
export function toFetchResponse(
  response: Response,
  request?: Pick<Request, "method">,
  onBodyError?: (error: unknown) => void,
): globalThis.Response {
  const problem = fetchResponseProblem(response);
  if (problem !== undefined) throw new TypeError(`Invalid response from handler: ${problem}`);
  const { status, body } = response;
  const noContent = isNullBodyStatus(status);
  const isHead = request?.method === "HEAD";
  const bytes =
    typeof body === "string" ? encoder.encode(body) : body instanceof Uint8Array ? body : undefined;
  const headers = new Headers();
  const source = response.headers;
  for (const name in source) {
    // The length of a string or byte body is known: a handler's own Content-Length or Transfer-Encoding
    // could only contradict it (RFC 9112 §6.3, smuggling on the way back), as the Node adapter also rules.
    if (bytes !== undefined && isFramingHeader(name)) continue;
    const value = source[name]!;
    if (typeof value === "string") headers.append(name, value);
    else for (const line of value) headers.append(name, line);
  }
  if (body === undefined || body === null) return new globalThis.Response(null, { status, headers });
  if (noContent || isHead) {
    // RFC 9110 §9.3.2: HEAD answers with the length GET would send, without the bytes.
    if (bytes !== undefined && !noContent) headers.set("content-length", String(bytes.byteLength));
    cancelBody(body, onBodyError);
    return new globalThis.Response(null, { status, headers });
  }
  if (bytes !== undefined) {
    return new globalThis.Response(bytes as Uint8Array<ArrayBuffer>, { status, headers });
  }
  return new globalThis.Response(bodyStream(body as StreamingBody, onBodyError), { status, headers });
}

function isFramingHeader(name: string): boolean {
  return (
    (name.length === 14 && name.toLowerCase() === "content-length") ||
    (name.length === 17 && name.toLowerCase() === "transfer-encoding")
  );
}

/** `responseProblem`, plus what fetch alone cannot send: a 1xx final status. */
function fetchResponseProblem(response: Response): string | undefined {
  const problem = responseProblem(response);
  if (problem !== undefined || response.status >= 200) return problem;
  return `response.status ${response.status} cannot be sent through fetch: a Response status must be 200 to 599 (Fetch §6.4)`;
}

type StreamingBody = AsyncIterable<Uint8Array | string> | ReadableStream<Uint8Array | string>;

/**
 * A pull-driven byte stream over any streaming body: one chunk is read from the source per `pull`, so a slow
 * client slows the source (backpressure), and `cancel` (the client went away) stops and cleans up the source.
 */
function bodyStream(body: StreamingBody, onBodyError?: (error: unknown) => void): ReadableStream<Uint8Array> {
  let iterator: AsyncIterator<Uint8Array | string> | undefined;
  const open = (): AsyncIterator<Uint8Array | string> =>
    (iterator ??= Symbol.asyncIterator in body ? body[Symbol.asyncIterator]() : readStream(body));
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const source = open();
        let chunk: Uint8Array;
        try {
          const next = await source.next();
          if (next.done) {
            controller.close();
            return;
          }
          chunk = toBytes(next.value);
        } catch (error) {
          // The status line is already out: the runtime can only abort the connection. Stop the source
          // (a no-op when it threw itself) and report why the body was cut short.
          await source.return?.()?.catch(() => {});
          onBodyError?.(error);
          throw error;
        }
        controller.enqueue(chunk);
      },
      async cancel() {
        await open().return?.();
      },
    },
    // Nothing is read ahead of the client: the next chunk is pulled only when the last one was taken.
    { highWaterMark: 0 },
  );
}

function toBytes(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  if (typeof chunk === "string") return encoder.encode(chunk);
  throw new TypeError(
    `response.body yielded a ${chunk === null ? "null" : typeof chunk} chunk; a streaming body must yield Uint8Array or string chunks`,
  );
}
