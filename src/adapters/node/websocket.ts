/**
 * WebSockets for `ringlet/node` (docs/node-adapter.md, "WebSockets"): Node's `upgrade` event runs the
 * handler on the upgrade request like any other request, then either upgrades with the `ws` package
 * (`noServer` + `handleUpgrade`: frames, masking, UTF-8 and the closing handshake are ws's) or writes the
 * ordinary response the handler gave and closes the connection.
 */
import type { IncomingMessage, Server } from "node:http";
import { ServerResponse } from "node:http";
import type { Server as HttpsServer } from "node:https";
import type { Duplex } from "node:stream";
import { type WebSocket, WebSocketServer } from "ws";
import { z } from "zod/mini";
import { cancelBody } from "../../core/cancel-body.js";
import { describeValue } from "../../core/describe-value.js";
import { HttpError } from "../../core/http-error.js";
import { parseOptions } from "../../core/parse-options.js";
import { isToken } from "../../core/token.js";
import { type Handler, isThenable, type Request, type Response } from "../../core/types.js";
import {
  isWebSocketRequest,
  isWebSocketResponse,
  offeredProtocols,
  originAllowed,
  type WebSocketListener,
  type WebSocketMessage,
  type WebSocketResponse,
  type WebSocketSocket,
  websocketResponseProblem,
} from "../../core/websocket.js";
import {
  defaultOnError,
  ERROR_INFO,
  errorResponse,
  handlerErrorKind,
  type OnError,
  reportError,
} from "../error-response.js";
import { toRequest } from "./request.js";
import { writeResponse } from "./write-response.js";

/**
 * The WebSocket options (`serve`'s `websocket` option, and {@link attachWebSockets}'), checked once:
 *
 * - `maxMessageSize`: the largest message a client may send, in bytes, fragments included; a larger one
 *   closes the connection with 1009. Default: `65536` (64 KiB, Ring's Jetty default).
 * - `idleTimeout`: milliseconds. A connection silent for half of it is pinged; one still silent after the
 *   other half (a peer that vanished without a FIN) is dropped, and `onClose` hears 1006. Browsers and `ws`
 *   answer pings on their own, so an open page is never dropped. `0` disables it. Default: `30000`.
 * - `allowedOrigins`: the origins (`"https://app.example"`, compared case-insensitively) whose pages may
 *   open a connection, or a function `(origin, request) => boolean`. Default: the request's own origin, or
 *   no `Origin` at all (a client that is not a browser). Checked before the handler runs; refused with 403.
 * - `perMessageDeflate`: negotiate compression (RFC 7692). Default: `false`: it costs memory per connection
 *   and CPU per message, and compressing secrets beside attacker-chosen text leaks them (CRIME/BREACH).
 */
export interface WebSocketOptions {
  maxMessageSize?: number | undefined;
  idleTimeout?: number | undefined;
  allowedOrigins?: readonly string[] | ((origin: string, request: Request) => boolean) | undefined;
  perMessageDeflate?: boolean | undefined;
}

/** Options of {@link attachWebSockets}: the WebSocket options, plus `onError` and `trustProxy` as for `toNodeListener`. */
export interface AttachWebSocketsOptions extends WebSocketOptions {
  onError?: OnError | undefined;
  trustProxy?: boolean | undefined;
}

/** What {@link attachWebSockets} returns. */
export interface WebSocketAttachment {
  /**
   * Stops upgrading (later upgrade requests get 503), closes every open connection with 1001 (going away)
   * and resolves once they are all gone (a peer that does not answer the close is dropped after 30 s, ws's
   * closing-handshake timeout).
   */
  close(): Promise<void>;
}

const isFunction = (value: unknown): boolean => typeof value === "function";
const originList = z.array(
  z.string().check(
    z.refine((origin) => /^[a-z][a-z0-9+.-]*:\/\/[^/?#\s]+$|^null$/i.test(origin), {
      error: 'must be origins such as "https://app.example" (scheme://host[:port], no path)',
    }),
  ),
);
const websocketShape = {
  maxMessageSize: z.optional(
    z
      .number({ error: "must be a positive integer (bytes)" })
      .check(
        z.int({ error: "must be a positive integer (bytes)" }),
        z.minimum(1, { error: "must be a positive integer (bytes)" }),
        z.maximum(2 ** 31 - 1, { error: "must be a positive integer (bytes)" }),
      ),
  ),
  // setInterval's ceiling: a larger delay would fire at once.
  idleTimeout: z.optional(
    z.number({ error: "must be 0 or an integer from 2 to 2147483647 (milliseconds)" }).check(
      z.int({ error: "must be 0 or an integer from 2 to 2147483647 (milliseconds)" }),
      z.refine((ms) => ms === 0 || (ms >= 2 && ms <= 2 ** 31 - 1), {
        error: "must be 0 or an integer from 2 to 2147483647 (milliseconds)",
      }),
    ),
  ),
  allowedOrigins: z.optional(
    z.union([
      originList,
      z.custom<(origin: string, request: Request) => boolean>(
        isFunction,
        "must be a list of origins or a function",
      ),
    ]),
  ),
  perMessageDeflate: z.optional(z.boolean({ error: "must be a boolean" })),
};
/** `serve`'s `websocket` option: the options above, or `false` to leave upgrade requests to Node. */
export const serveWebSocketSchema = z.optional(z.union([z.literal(false), z.strictObject(websocketShape)]));
const attachSchema = z.strictObject({
  ...websocketShape,
  onError: z.optional(z.custom<OnError>(isFunction, "must be a function (error, request, info) => void")),
  trustProxy: z.optional(z.boolean({ error: "must be a boolean" })),
});

/**
 * Makes `server` (an `http` or `https` server you created, e.g. with `toNodeListener`) upgrade WebSocket
 * requests that `handler` answers with a websocket response. `serve()` does this for you. Options are
 * validated here; a bad one throws a `TypeError` naming it.
 *
 * Every upgrade request (any `Upgrade` header: Node sends them all to the `upgrade` event once it has a
 * listener) goes through `handler`; an ordinary response is written as HTTP and the connection closed, a
 * websocket response to a request that is not a WebSocket handshake is a 500 reported to `onError`.
 *
 * @example
 * const server = createServer(toNodeListener(app));
 * const websockets = attachWebSockets(server, app, { allowedOrigins: ["https://app.example"] });
 * server.listen(3000);
 * // on shutdown: await websockets.close(); server.close();
 */
export function attachWebSockets(
  server: Server | HttpsServer,
  handler: Handler,
  options: AttachWebSocketsOptions = {},
): WebSocketAttachment {
  if (typeof server?.on !== "function") {
    throw new TypeError("attachWebSockets: server must be an http.Server or https.Server");
  }
  if (typeof handler !== "function") {
    throw new TypeError(`attachWebSockets: handler must be a function, got ${typeof handler}`);
  }
  const upgrades = new Upgrades(handler, parseOptions("attachWebSockets", attachSchema, options));
  server.on("upgrade", upgrades.listener);
  return {
    close: () => {
      server.off("upgrade", upgrades.listener);
      return upgrades.close();
    },
  };
}

/** What the handler chose for one upgrade, read back by ws's `handleProtocols` and `headers` hooks. */
interface Accepted {
  readonly protocol: string | undefined;
  readonly headers: Response["headers"];
}

// The handshake's own lines (ws writes them): a handler's copy could only contradict them.
const HANDSHAKE_HEADERS = new Set([
  "upgrade",
  "connection",
  "sec-websocket-accept",
  "sec-websocket-protocol",
  "sec-websocket-extensions",
  "content-length",
  "transfer-encoding",
]);

// What ws itself accepts (websocket-server.js): a base64 16-byte nonce (RFC 6455 §4.1 step 7), version 13
// or the draft's 8 (§4.4).
const KEY = /^[+/0-9A-Za-z]{22}==$/;

/** The upgrade handling of one server: options, the two ws servers, the open connections. */
class Upgrades {
  readonly #handler: Handler;
  readonly #onError: OnError;
  readonly #trustProxy: boolean;
  readonly #allowedOrigins: WebSocketOptions["allowedOrigins"];
  readonly #idleTimeout: number;
  // Two ws servers, so that ws's own pong (with its cap on pongs a client never reads) answers pings when the
  // listener has no `onPing`, and the listener alone decides when it has one.
  readonly #autoPong: WebSocketServer;
  readonly #manualPong: WebSocketServer;
  readonly #accepted = new WeakMap<IncomingMessage, Accepted>();
  readonly #open = new Set<Connection>();
  #sweep: ReturnType<typeof setInterval> | undefined;
  #closing = false;
  #closed: (() => void) | undefined;

  constructor(handler: Handler, options: z.output<typeof attachSchema>) {
    this.#handler = handler;
    this.#onError = options.onError ?? defaultOnError;
    this.#trustProxy = options.trustProxy ?? false;
    const allowed = options.allowedOrigins;
    this.#allowedOrigins = Array.isArray(allowed) ? allowed.map((origin) => origin.toLowerCase()) : allowed;
    this.#idleTimeout = options.idleTimeout ?? 30000;
    const wsOptions = {
      noServer: true,
      clientTracking: false,
      maxPayload: options.maxMessageSize ?? 65536,
      perMessageDeflate: options.perMessageDeflate ?? false,
      handleProtocols: (_offered: Set<string>, req: IncomingMessage) =>
        this.#accepted.get(req)?.protocol ?? false,
    };
    this.#autoPong = new WebSocketServer({ ...wsOptions, autoPong: true });
    this.#manualPong = new WebSocketServer({ ...wsOptions, autoPong: false });
    const addHeaders = (lines: string[], req: IncomingMessage): void => {
      const headers = this.#accepted.get(req)?.headers;
      if (headers !== undefined) appendHeaderLines(lines, headers);
    };
    this.#autoPong.on("headers", addHeaders);
    this.#manualPong.on("headers", addHeaders);
  }

  readonly listener = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    // Node leaves an upgraded socket without an error listener until ws adds its own: a reset while the
    // handler runs would otherwise be an uncaught exception.
    const onSocketError = (error: Error): void => {
      reportError(this.#onError, error, undefined, ERROR_INFO["client-aborted"]);
      socket.destroy();
    };
    socket.on("error", onSocketError);
    const done = (): void => {
      socket.off("error", onSocketError);
    };
    if (this.#closing) {
      writeHttp(req, socket, undefined, errorResponse(new HttpError(503)), this.#onError, done);
      return;
    }
    const request = toRequest(req, this.#trustProxy);
    if (request instanceof HttpError) {
      reportError(this.#onError, request, undefined, ERROR_INFO["client-error"]);
      writeHttp(req, socket, undefined, errorResponse(request), this.#onError, done);
      return;
    }
    const websocket = isWebSocketRequest(request);
    if (websocket) {
      const refusal = this.#refusal(request);
      if (refusal !== undefined) {
        // A 500 here is an allowedOrigins function that threw: the server's failure, not the client's.
        const kind = refusal.status === 500 ? ERROR_INFO.handler : ERROR_INFO["client-error"];
        reportError(this.#onError, refusal, request, kind);
        writeHttp(req, socket, request, errorResponse(refusal), this.#onError, done);
        return;
      }
    }
    const respond = (response: Response): void => {
      if (socket.destroyed) {
        // The client left while the handler worked: nobody to answer, release what the response holds.
        cancelBody(isObjectValue(response) ? response.body : undefined, (error) =>
          reportError(this.#onError, error, request, ERROR_INFO.response),
        );
        done();
        return;
      }
      if (!isWebSocketResponse(response)) {
        writeHttp(req, socket, request, response, this.#onError, done);
        return;
      }
      const problem = websocket
        ? (websocketResponseProblem(response) ?? protocolNotOffered(response, request))
        : "a websocket response answers only a WebSocket upgrade request (a GET with Connection: upgrade and Upgrade: websocket); use isWebSocketRequest(request)";
      if (problem !== undefined) {
        reportError(
          this.#onError,
          new TypeError(`Invalid response from handler: ${problem}`),
          request,
          ERROR_INFO.response,
        );
        writeHttp(req, socket, request, errorResponse(undefined), this.#onError, done);
        return;
      }
      if (this.#closing) {
        writeHttp(req, socket, request, errorResponse(new HttpError(503)), this.#onError, done);
        return;
      }
      done();
      this.#upgrade(req, socket, head, request, response);
    };
    const fail = (error: unknown): void => {
      reportError(
        this.#onError,
        error,
        request,
        ERROR_INFO[handlerErrorKind(error, (cause) => cause === req.errored)],
      );
      if (socket.destroyed) done();
      else writeHttp(req, socket, request, errorResponse(error), this.#onError, done);
    };
    let result: Response | Promise<Response>;
    try {
      result = this.#handler(request);
    } catch (error) {
      fail(error);
      return;
    }
    if (isThenable(result)) result.then(respond, fail);
    else respond(result);
  };

  /** Why an upgrade is refused before the handler runs: a foreign origin (403) or a malformed handshake (400). */
  #refusal(request: Request): HttpError | undefined {
    let allowed: boolean;
    try {
      allowed = originAllowed(request, this.#allowedOrigins);
    } catch (error) {
      return new HttpError(500, "allowedOrigins threw", { cause: error, expose: false });
    }
    if (!allowed) {
      return new HttpError(403, `WebSocket origin ${JSON.stringify(request.headers.origin)} is not allowed`, {
        expose: false,
      });
    }
    const key = request.headers["sec-websocket-key"];
    if (key === undefined || !KEY.test(key)) {
      return new HttpError(400, "Missing or invalid Sec-WebSocket-Key", { expose: false });
    }
    const version = request.headers["sec-websocket-version"];
    if (version !== "13" && version !== "8") {
      // RFC 6455 §4.4: say which versions are understood.
      return new HttpError(400, "Missing or unsupported Sec-WebSocket-Version", {
        expose: false,
        headers: { "sec-websocket-version": "13, 8" },
      });
    }
    const protocols = request.headers["sec-websocket-protocol"];
    // RFC 6455 §4.1: a list of distinct tokens; ws would refuse anything else after the handler ran.
    const offered = protocols?.split(",").map((item) => item.trim());
    if (offered !== undefined && (!offered.every(isToken) || new Set(offered).size !== offered.length)) {
      return new HttpError(400, "Malformed Sec-WebSocket-Protocol", { expose: false });
    }
    return undefined;
  }

  #upgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    request: Request,
    response: WebSocketResponse,
  ): void {
    const listener = response.websocket;
    const wss = listener.onPing === undefined ? this.#autoPong : this.#manualPong;
    this.#accepted.set(req, { protocol: response.protocol, headers: response.headers });
    // Without `verifyClient`, ws completes the handshake synchronously, so the callback has run on return.
    wss.handleUpgrade(req, socket, head, (ws) => {
      const connection = new Connection(ws, listener, request, this.#onError, this.#open);
      this.#open.add(connection);
      this.#startSweep();
      connection.open();
    });
    this.#accepted.delete(req);
  }

  #startSweep(): void {
    if (this.#sweep !== undefined || this.#idleTimeout === 0) return;
    this.#sweep = setInterval(() => {
      for (const connection of this.#open) connection.checkIdle();
    }, this.#idleTimeout / 2);
    this.#sweep.unref();
  }

  close(): Promise<void> {
    this.#closing = true;
    if (this.#sweep !== undefined) clearInterval(this.#sweep);
    this.#sweep = undefined;
    if (this.#open.size === 0) return Promise.resolve();
    const gone = new Promise<void>((resolve) => {
      this.#closed = resolve;
    });
    for (const connection of this.#open) connection.goAway(() => this.#connectionGone());
    return gone;
  }

  #connectionGone(): void {
    if (this.#open.size === 0) this.#closed?.();
  }
}

/** Appends the handler's headers to ws's 101 lines, except the handshake's own. */
function appendHeaderLines(lines: string[], headers: Response["headers"]): void {
  for (const name in headers) {
    if (HANDSHAKE_HEADERS.has(name.toLowerCase())) continue;
    const value = headers[name]!;
    if (typeof value === "string") lines.push(`${name}: ${value}`);
    else for (const line of value) lines.push(`${name}: ${line}`);
  }
}

function protocolNotOffered(response: WebSocketResponse, request: Request): string | undefined {
  const protocol = response.protocol;
  if (protocol === undefined || offeredProtocols(request).includes(protocol)) return undefined;
  // RFC 6455 §4.1 (client step 6): a protocol the client did not offer makes it fail the connection.
  return `response.protocol ${JSON.stringify(protocol)} was not offered by the client (Sec-WebSocket-Protocol: ${JSON.stringify(request.headers["sec-websocket-protocol"] ?? "")})`;
}

function isObjectValue(value: unknown): value is object {
  return typeof value === "object" && value !== null;
}

/**
 * Writes an ordinary response on an upgrade request's socket, which Node has handed over raw, through a
 * `ServerResponse` of our own (so it is written exactly as the HTTP listener writes), then closes the
 * connection: the client asked to leave HTTP, so it does not expect to send another request on it.
 */
function writeHttp(
  req: IncomingMessage,
  socket: Duplex,
  request: Request | undefined,
  response: Response,
  onError: OnError,
  done: () => void,
): void {
  const res = new ServerResponse(req);
  res.shouldKeepAlive = false;
  res.assignSocket(socket as IncomingMessage["socket"] & Duplex);
  res.on("finish", () => {
    res.detachSocket(socket as IncomingMessage["socket"] & Duplex);
    socket.end();
    done();
  });
  res.on("close", done);
  try {
    writeResponse(res, response, req.method, true, onError, request);
  } catch (error) {
    reportError(onError, error, request, ERROR_INFO.response);
    cancelBody(isObjectValue(response) ? response.body : undefined, (cancelError) =>
      reportError(onError, cancelError, request, ERROR_INFO.response),
    );
    if (res.headersSent) {
      socket.destroy();
      return;
    }
    res.statusMessage = "";
    writeResponse(res, errorResponse(undefined), req.method, true, onError, request);
  }
}

const noop = (): void => {};
// Events that may wait behind a pending listener call before the socket stops reading.
const QUEUE_HIGH_WATER = 16;
type ListenerKey = keyof WebSocketListener;

/**
 * One open connection: the listener's functions are called one at a time, in order; while one's promise is
 * pending, later events wait in `#queue`, and once a few wait the socket stops reading (ws's `pause`), so a
 * slow listener holds the client back instead of buffering its messages.
 */
class Connection implements WebSocketSocket {
  readonly #ws: WebSocket;
  readonly #listener: WebSocketListener;
  readonly #request: Request;
  readonly #onError: OnError;
  readonly #open: Set<Connection>;
  readonly #queue: (() => unknown)[] = [];
  #busy = false;
  #paused = false;
  #pendingKey: ListenerKey = "onOpen";
  #failed = false;
  #seen = true;
  #pinged = false;
  #gone: (() => void) | undefined;

  constructor(
    ws: WebSocket,
    listener: WebSocketListener,
    request: Request,
    onError: OnError,
    open: Set<Connection>,
  ) {
    this.#ws = ws;
    this.#listener = listener;
    this.#request = request;
    this.#onError = onError;
    this.#open = open;
  }

  open(): void {
    const ws = this.#ws;
    ws.on("message", (data: Buffer, isBinary: boolean) => {
      this.#seen = true;
      if (!this.#failed) this.#deliver("onMessage", isBinary ? data : data.toString());
    });
    ws.on("ping", (data: Buffer) => {
      this.#seen = true;
      if (!this.#failed) this.#deliver("onPing", data);
    });
    ws.on("pong", (data: Buffer) => {
      this.#seen = true;
      this.#pinged = false;
      if (!this.#failed) this.#deliver("onPong", data);
    });
    // ws reports a client's protocol violation (a message over maxMessageSize, a bad frame, invalid UTF-8)
    // here and closes the connection itself with the matching code (1009, 1002, 1007).
    ws.on("error", (error: Error) => {
      reportError(this.#onError, error, this.#request, ERROR_INFO["client-error"]);
      this.#deliver("onError", error);
    });
    ws.on("close", (code: number, reason: Buffer) => {
      this.#open.delete(this);
      // Queued behind any pending call, so it is last; `#failed` does not skip it: onClose iff onOpen.
      this.#deliver("onClose", code, reason.toString());
      this.#gone?.();
    });
    this.#deliver("onOpen");
  }

  // --- the socket the listener sees ---

  send(message: WebSocketMessage): Promise<void> {
    // A programmer's error, thrown at once (ws would throw inside the promise, unhandled if not awaited).
    if (typeof message !== "string" && !(message instanceof Uint8Array)) {
      throw new TypeError(
        `socket.send(message) takes a string or a Uint8Array, got ${describeValue(message)}`,
      );
    }
    const sent = new Promise<void>((resolve, reject) => {
      this.#ws.send(message, (error) => {
        if (error === undefined || error === null) {
          resolve();
          return;
        }
        // Marked handled first, so a send nobody awaits on a closed connection is not an unhandled
        // rejection; whoever awaits `sent` still sees the error.
        sent.catch(noop);
        reject(error);
      });
    });
    return sent;
  }

  ping(data?: WebSocketMessage): void {
    this.#ws.ping(data, undefined, noop);
  }

  pong(data?: WebSocketMessage): void {
    this.#ws.pong(data, undefined, noop);
  }

  close(code?: number, reason?: string): void {
    this.#ws.close(code, reason);
  }

  isOpen(): boolean {
    return this.#ws.readyState === 1;
  }

  // --- the adapter's side ---

  /** Called by the idle sweep every `idleTimeout / 2`: ping a silent peer, drop one that stayed silent. */
  checkIdle(): void {
    if (this.#seen) {
      this.#seen = false;
      return;
    }
    if (this.#pinged) {
      this.#ws.terminate();
      return;
    }
    this.#pinged = true;
    this.#ws.ping(undefined, undefined, noop);
  }

  /** Server shutdown: close with 1001 (RFC 6455 §7.4.1, going away), `gone` once the connection closed. */
  goAway(gone: () => void): void {
    this.#gone = gone;
    this.#ws.close(1001, "server shutting down");
  }

  /** Calls `listener[key](this, a, b)` now, or after the pending call settles. */
  #deliver(key: ListenerKey, a?: unknown, b?: unknown): void {
    const fn = this.#listener[key] as ((...args: unknown[]) => unknown) | undefined;
    if (fn === undefined) return;
    if (!this.#busy) {
      this.#run(this.#call(key, fn, a, b));
      return;
    }
    this.#queue.push(() => this.#call(key, fn, a, b));
    // Backpressure: past a few waiting events, stop reading, so the client's sends wait in its own buffers
    // (and then the kernel's) instead of in this queue. Not at the first one: pausing and resuming the
    // socket for every message that a listener answers with `return socket.send(...)` costs two syscalls.
    if (!this.#paused && this.#queue.length >= QUEUE_HIGH_WATER) {
      this.#paused = true;
      this.#ws.pause();
    }
  }

  /** Calls one listener function; a promise it returns is handed back to wait for, a throw goes to `#fail`. */
  #call(key: ListenerKey, fn: (...args: unknown[]) => unknown, a: unknown, b: unknown): unknown {
    // A message queued before a failure is dropped; onError and onClose still run.
    if (this.#failed && (key === "onMessage" || key === "onPing" || key === "onPong")) return undefined;
    try {
      const result = fn.call(this.#listener, this, a, b);
      if (isThenable(result)) this.#pendingKey = key;
      return result;
    } catch (error) {
      return this.#fail(key, error);
    }
  }

  /** Continues after `result` (a pending call, or nothing), then runs what queued meanwhile. */
  #run(result: unknown): void {
    for (;;) {
      if (isThenable(result)) {
        this.#busy = true;
        result.then(this.#next, this.#rejected);
        return;
      }
      const next = this.#queue.shift();
      if (next === undefined) break;
      result = next();
    }
    this.#busy = false;
    if (this.#paused) {
      this.#paused = false;
      this.#ws.resume();
    }
  }

  // Bound once: a listener that returns `socket.send(...)` makes one pending call per message.
  readonly #next = (): void => this.#run(undefined);
  readonly #rejected = (error: unknown): void => this.#run(this.#fail(this.#pendingKey, error));

  /** A listener function threw or rejected: its onError, the adapter's onError, close with 1011. */
  #fail(key: ListenerKey, error: unknown): unknown {
    reportError(this.#onError, error, this.#request, ERROR_INFO.handler);
    if (key === "onError" || key === "onClose") return undefined;
    this.#failed = true;
    // RFC 6455 §7.4.1: 1011, the server met a condition that prevented it from fulfilling the request.
    if (this.#ws.readyState === 1) this.#ws.close(1011, "");
    const onError = this.#listener.onError;
    if (onError === undefined) return undefined;
    try {
      const result = onError.call(this.#listener, this, error);
      if (isThenable(result))
        return result.then(undefined, (hookError: unknown) => this.#fail("onError", hookError));
    } catch (hookError) {
      this.#fail("onError", hookError);
    }
    return undefined;
  }
}
