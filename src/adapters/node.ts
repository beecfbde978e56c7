/**
 * `ringlet/node`: serves a ringlet handler with Node's `http` (or `https`) server. `toNodeListener` gives a
 * `(req, res)` listener for any Node server or Express; `serve` starts a server. Static files (`wrapFile`,
 * `fileResponse`, in ../files/) are here too, since they need the file system. docs/node-adapter.md has
 * every option and edge case; the request mapping is in ./node/request.ts, the writing in ./node/write-response.ts.
 */
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerOptions,
  type ServerResponse,
} from "node:http";
import {
  createServer as createHttpsServer,
  type ServerOptions as HttpsOptions,
  type Server as HttpsServer,
} from "node:https";
import type { AddressInfo, Socket } from "node:net";
import * as z from "zod/mini";
import { cancelBody } from "../core/cancel-body.js";
import { HttpError } from "../core/http-error.js";
import { parseOptions } from "../core/parse-options.js";
import type { Handler, Request, Response } from "../core/types.js";
import { isFunction } from "../core/types.js";
import { isWebSocketResponse } from "../core/websocket.js";
import {
  defaultOnError,
  ERROR_INFO,
  type ErrorKind,
  errorResponse,
  handlerErrorKind,
  type OnError,
  reportError,
} from "./error-response.js";
import { drainRequest, exceedsDrainBudget } from "./node/drain.js";
import { toRequest } from "./node/request.js";
import {
  attachWebSockets,
  serveWebSocketSchema,
  type WebSocketAttachment,
  type WebSocketOptions,
} from "./node/websocket.js";
import { writeResponse } from "./node/write-response.js";

export { type FileOptions, type FileResponseOptions, fileResponse } from "../files/file-response.js";
export { rangeResponse } from "../files/range.js";
export { fileRequest, wrapFile } from "../files/wrap-file.js";
export {
  defaultOnError,
  type ErrorInfo,
  type ErrorKind,
  errorResponse,
  type OnError,
} from "./error-response.js";
export {
  apiDefaults,
  type DefaultsConfig,
  type DefaultsParams,
  type DefaultsRequestKeys,
  type DefaultsResponseKeys,
  type DefaultsSession,
  siteDefaults,
  wrapDefaults,
} from "./node/defaults.js";
export {
  type FlatMultipartParamsOptions,
  type MemoryUpload,
  MULTIPART_LIMITS,
  type MultipartParams,
  type MultipartParamsOptions,
  type MultipartParamsRequestKeys,
  type MultipartValue,
  multipartParamsRequest,
  multipartParamsResponse,
  type NestedMultipartParamsOptions,
  type NestedMultipartParamsRequestKeys,
  type TempFileUpload,
  type UploadedFile,
  type Uploads,
  wrapMultipartParams,
} from "./node/multipart-params.js";
export {
  type AttachWebSocketsOptions,
  attachWebSockets,
  type WebSocketAttachment,
  type WebSocketOptions,
} from "./node/websocket.js";

/**
 * Options of {@link toNodeListener} (and of {@link serve}), checked once when the listener is built.
 *
 * - `onError(error, request, info)`: hears of every error the adapter handles: a handler that threw or
 *   rejected, an invalid response, a body that failed mid-stream, a malformed request (`request` is then
 *   `undefined`), a client that left; `info.kind` says which (`ErrorKind`). Default: {@link defaultOnError},
 *   one line on stderr for server failures only. A throw or rejection in it is caught and logged.
 * - `trustProxy`: use `X-Forwarded-Proto`, `X-Forwarded-Host` and `X-Forwarded-For` (their first, client-side
 *   value) for `scheme`, `serverName`/`serverPort` and `remoteAddr`. Only for servers reachable solely
 *   through proxies you run, which overwrite these headers. Default: `false`.
 * - `drainMaxBytes`: how much of a request body the handler left unread is read and discarded after the
 *   response to keep the connection alive; past it the connection is closed. Default: `65536` (64 KiB).
 * - `drainTimeout`: how long, in milliseconds, that draining may take before the connection is closed.
 *   Default: `5000`.
 */
export interface NodeListenerOptions {
  onError?: OnError | undefined;
  trustProxy?: boolean | undefined;
  drainMaxBytes?: number | undefined;
  drainTimeout?: number | undefined;
}

/**
 * Options of {@link serve}: the listener's, plus
 *
 * - `port`: the TCP port; `0` picks a free one (read it back from the result). Default: `3000`.
 * - `hostname`: the address to listen on. Default: `"127.0.0.1"`; use `"0.0.0.0"` or `"::"` to accept
 *   connections from other machines.
 * - `https`: TLS options (`key`, `cert`, ... as for `https.createServer`); when given the server speaks HTTPS.
 * - `websocket`: WebSocket options ({@link WebSocketOptions}: `maxMessageSize`, `idleTimeout`,
 *   `allowedOrigins`, `perMessageDeflate`); upgrade requests are handled out of the box (docs/SPEC.md,
 *   "WebSockets" in section 5). `false` turns that off: upgrade requests then reach the handler as ordinary requests.
 * - any other `http.createServer` option (`keepAliveTimeout`, `requestTimeout`, `maxHeaderSize`, ...),
 *   passed to Node unchanged.
 */
export interface ServeOptions extends NodeListenerOptions, ServerOptions {
  port?: number | undefined;
  hostname?: string | undefined;
  https?: HttpsOptions | undefined;
  websocket?: WebSocketOptions | false | undefined;
}

/** What {@link serve} resolves to. */
export interface RunningServer {
  /** e.g. `"http://127.0.0.1:3000"`; a wildcard address is shown as the loopback address. */
  readonly url: string;
  readonly port: number;
  readonly server: Server | HttpsServer;
  /**
   * Stops accepting connections, closes idle keep-alive ones and open WebSockets (with 1001, going away),
   * and resolves once the server has closed.
   */
  close(): Promise<void>;
}

/** A Node request listener, as `http.createServer` and Express take. */
export type NodeListener = (req: IncomingMessage, res: ServerResponse) => void;

const isObject = (value: unknown): boolean => typeof value === "object" && value !== null;

const listenerShape = {
  onError: z.optional(z.custom<OnError>(isFunction, "must be a function (error, request, info) => void")),
  trustProxy: z.optional(z.boolean({ error: "must be a boolean" })),
  drainMaxBytes: z.optional(
    z
      .number({ error: "must be a non-negative integer (bytes)" })
      .check(
        z.refine(Number.isInteger, { error: "must be a non-negative integer (bytes)", abort: true }),
        z.minimum(0, { error: "must be a non-negative integer (bytes)" }),
        z.maximum(Number.MAX_SAFE_INTEGER, { error: "must be a non-negative integer (bytes)" }),
      ),
  ),
  // setTimeout's ceiling: a larger delay would fire at once.
  drainTimeout: z.optional(
    z.number({ error: "must be an integer from 1 to 2147483647 (milliseconds)" }).check(
      z.refine(Number.isInteger, {
        error: "must be an integer from 1 to 2147483647 (milliseconds)",
        abort: true,
      }),
      z.minimum(1, { error: "must be an integer from 1 to 2147483647 (milliseconds)" }),
      z.maximum(2 ** 31 - 1, { error: "must be an integer from 1 to 2147483647 (milliseconds)" }),
    ),
  ),
};
const listenerSchema = z.strictObject(listenerShape);
const serveSchema = z.looseObject({
  ...listenerShape,
  port: z.optional(
    z
      .number({ error: "must be an integer from 0 to 65535" })
      .check(
        z.refine(Number.isInteger, { error: "must be an integer from 0 to 65535", abort: true }),
        z.minimum(0, { error: "must be an integer from 0 to 65535" }),
        z.maximum(65535, { error: "must be an integer from 0 to 65535" }),
      ),
  ),
  hostname: z.optional(
    z
      .string({ error: "must be a non-empty string" })
      .check(z.minLength(1, { error: "must be a non-empty string" })),
  ),
  https: z.optional(
    z.custom<HttpsOptions>(isObject, "must be an object of https.createServer options (key, cert, ...)"),
  ),
  websocket: serveWebSocketSchema,
});

/**
 * Turns a ringlet handler into a Node request listener. Options are validated here, once; a bad one throws
 * a `TypeError` naming it.
 *
 * @example
 * import { createServer } from "node:http";
 * const listener = toNodeListener((request) => ({ status: 200, headers: {}, body: `Hello ${request.uri}` }));
 * createServer(listener).listen(3000);
 */
export function toNodeListener(handler: Handler, options: NodeListenerOptions = {}): NodeListener {
  if (typeof handler !== "function") {
    throw new TypeError(`toNodeListener: handler must be a function, got ${typeof handler}`);
  }
  const parsed = parseOptions("toNodeListener", listenerSchema, options);
  const onError = parsed.onError ?? defaultOnError;
  const trustProxy = parsed.trustProxy ?? false;
  const drainMaxBytes = parsed.drainMaxBytes ?? 65536;
  const drainTimeout = parsed.drainTimeout ?? 5000;

  const send = (
    req: IncomingMessage,
    res: ServerResponse,
    request: Request | undefined,
    response: Response,
    forceClose: boolean,
  ): void => {
    const body = isObjectValue(response) ? response.body : undefined;
    const hasRequestBody = request?.body !== undefined;
    // A streamed response may itself be reading the request body, so only a string or byte response
    // decides up front that the unread rest is too large to drain.
    const close =
      forceClose ||
      // The server is shutting down (`server.close()`): do not leave this connection idling in keep-alive.
      (req.socket as { server?: { listening?: boolean } } | null)?.server?.listening === false ||
      (hasRequestBody &&
        (typeof body !== "object" || body === null || body instanceof Uint8Array) &&
        exceedsDrainBudget(req, request.headers["content-length"], drainMaxBytes));
    try {
      const streaming = writeResponse(res, response, req.method, close, onError, request);
      if (hasRequestBody && !close) {
        if (streaming === undefined) drainRequest(req, res, drainMaxBytes, drainTimeout);
        else streaming.then(() => drainRequest(req, res, drainMaxBytes, drainTimeout));
      }
    } catch (error) {
      // An invalid response, or one Node refused: nothing of it was sent.
      reportError(onError, error, request, ERROR_INFO.response);
      cancelBody(body, (cancelError) => reportError(onError, cancelError, request, ERROR_INFO.response));
      if (res.headersSent || response === INTERNAL_ERROR) {
        res.destroy();
        return;
      }
      // A refused writeHead has already set the reason phrase of its own status ("200 OK"); Node keeps a
      // phrase once set, so clear it for the 500.
      res.statusMessage = "";
      send(req, res, request, INTERNAL_ERROR, true);
    }
  };

  const fail = (
    req: IncomingMessage,
    res: ServerResponse,
    request: Request | undefined,
    error: unknown,
  ): void => {
    // The request body's own failure (`req.errored`, Node's "aborted") means the client left mid-upload.
    reportError(
      onError,
      error,
      request,
      ERROR_INFO[handlerErrorKind(error, (cause) => cause === req.errored)],
    );
    if (res.destroyed) return;
    send(req, res, request, errorResponse(error), false);
  };

  const respond = (req: IncomingMessage, res: ServerResponse, request: Request, response: Response): void => {
    if (res.destroyed) {
      // The client left while the handler worked: release the body it returned, there is no one to send it to.
      cancelBody(isObjectValue(response) ? response.body : undefined, (error) =>
        reportError(onError, error, request, ERROR_INFO.response),
      );
      return;
    }
    if (isWebSocketResponse(response)) {
      // Only the `upgrade` event (attachWebSockets, on by default in serve) can upgrade a connection.
      reportError(onError, new TypeError(NOT_AN_UPGRADE), request, ERROR_INFO.response);
      send(req, res, request, INTERNAL_ERROR, false);
      return;
    }
    // writeResponse checks the response against the SPEC before it writes anything.
    send(req, res, request, response, false);
  };

  return function ringletListener(req: IncomingMessage, res: ServerResponse): void {
    // The method first: Node's method strings are interned, so that comparison is one pointer check.
    if (req.method === "OPTIONS" && req.url === "*") {
      // RFC 9110 §9.3.7: OPTIONS * asks about the server itself, a ping no resource can answer; it is not
      // passed to the handler, whose `uri` always starts with "/".
      res.writeHead(204, hasBodyHeaders(req) ? { connection: "close" } : {});
      res.end();
      return;
    }
    const request = toRequest(req, trustProxy);
    if (request instanceof HttpError) {
      reportError(onError, request, undefined, ERROR_INFO["client-error"]);
      send(req, res, undefined, errorResponse(request), true);
      return;
    }
    let result: Response | Promise<Response>;
    try {
      result = handler(request);
    } catch (error) {
      fail(req, res, request, error);
      return;
    }
    // A synchronous result is written synchronously: awaiting it would cost a microtask per request.
    if (isObjectValue(result) && typeof (result as Promise<Response>).then === "function") {
      (result as Promise<Response>).then(
        (response) => respond(req, res, request, response),
        (error: unknown) => fail(req, res, request, error),
      );
    } else {
      respond(req, res, request, result as Response);
    }
  };
}

const NOT_AN_UPGRADE =
  "Invalid response from handler: a websocket response answers only a WebSocket upgrade request (a GET with Connection: upgrade and Upgrade: websocket, through serve() or attachWebSockets()); use isWebSocketRequest(request)";

// The last resort when Node refuses to write a response: always valid, so it cannot fail in turn.
const INTERNAL_ERROR = errorResponse(undefined);

function isObjectValue(value: unknown): value is object {
  return typeof value === "object" && value !== null;
}

function hasBodyHeaders(req: IncomingMessage): boolean {
  const cl = req.headers["content-length"];
  return req.headers["transfer-encoding"] !== undefined || (cl !== undefined && cl !== "0");
}

/**
 * Starts an HTTP (or, with `https`, HTTPS) server for `handler` and resolves once it listens. Malformed
 * requests that Node's parser rejects (a bad request line, oversized headers) get Node's 400/431/408 and are
 * reported to `onError` too.
 *
 * @example
 * const server = await serve((request) => ({ status: 200, headers: {}, body: "Hello" }), { port: 3000 });
 * console.log(`listening on ${server.url}`);
 * await server.close();
 */
export async function serve(handler: Handler, options: ServeOptions = {}): Promise<RunningServer> {
  const parsed = parseOptions("serve", serveSchema, options);
  const {
    port,
    hostname,
    https,
    websocket,
    onError,
    trustProxy,
    drainMaxBytes,
    drainTimeout,
    ...serverOptions
  } = parsed;
  const listener = toNodeListener(handler, { onError, trustProxy, drainMaxBytes, drainTimeout });
  const server =
    https === undefined
      ? createServer(serverOptions as ServerOptions, listener)
      : createHttpsServer({ ...(serverOptions as ServerOptions), ...https }, listener);
  server.on("clientError", clientErrorListener(onError ?? defaultOnError));
  const websockets: WebSocketAttachment | undefined =
    websocket === false
      ? undefined
      : attachWebSockets(server, handler, { ...websocket, onError, trustProxy });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port ?? 3000, hostname ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host =
    address.address === "0.0.0.0"
      ? "127.0.0.1"
      : address.address === "::"
        ? "[::1]"
        : address.family === "IPv6"
          ? `[${address.address}]`
          : address.address;
  return {
    url: `${https === undefined ? "http" : "https"}://${host}:${address.port}`,
    port: address.port,
    server,
    close: async () => {
      const closed = new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      });
      // Node's close waits for upgraded connections too: the WebSockets are told to go away meanwhile.
      await Promise.all([closed, websockets?.close()]);
    },
  };
}

const CLIENT_ERROR_RESPONSES: Record<string, string> = {
  HPE_HEADER_OVERFLOW: "431 Request Header Fields Too Large",
  ERR_HTTP_REQUEST_TIMEOUT: "408 Request Timeout",
};

/**
 * The kind of a `clientError`: Node raises one for a connection that timed out (`headersTimeout`,
 * `requestTimeout`), for a client that left (a reset, or an end of stream in the middle of a request, which
 * the parser reports as `HPE_INVALID_EOF_STATE`), and for a request its parser refused.
 */
function clientErrorKind(code: string): ErrorKind {
  if (code === "ERR_HTTP_REQUEST_TIMEOUT") return "timeout";
  if (
    code === "HPE_INVALID_EOF_STATE" ||
    code === "ECONNRESET" ||
    code === "EPIPE" ||
    code === "ECONNABORTED" ||
    code === "ETIMEDOUT"
  ) {
    return "client-aborted";
  }
  return "client-error";
}

/** What Node does by default for a request its parser rejects, plus a report to `onError`. */
function clientErrorListener(onError: OnError): (error: Error & { code?: string }, socket: Socket) => void {
  return (error, socket) => {
    const code = error.code ?? "";
    reportError(onError, error, undefined, ERROR_INFO[clientErrorKind(code)]);
    // Answer only if no response has started on this socket, so the client never sees two status lines.
    const inFlight = (socket as { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
    if (socket.writable && !inFlight?.headersSent) {
      const status = CLIENT_ERROR_RESPONSES[code] ?? "400 Bad Request";
      // As Node's own handler: an idle socket takes this small write at once, then the connection goes.
      socket.write(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    }
    socket.destroy();
  };
}
