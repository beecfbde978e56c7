/**
 * WebSockets, Ring SPEC 1.5 style (docs/SPEC.md, "WebSockets" in section 5): a handler answers an upgrade request with a
 * websocket response holding a listener, and the adapter upgrades the connection. Only data and types live
 * here (no `node:` import); the Node adapter does the I/O in src/adapters/node/websocket.ts.
 */
import { describeValue } from "./describe-value.js";
import { responseProblem } from "./response-check.js";
import { isToken } from "./token.js";
import type { Awaitable, Request, Response, ResponseHeaders } from "./types.js";

/** A message: a `string` for a text frame, a `Uint8Array` (a `Buffer` in Node) for a binary one. */
export type WebSocketMessage = string | Uint8Array;

/**
 * The open connection a listener is given (Ring's `Socket` protocol). Each method is safe to call after the
 * connection closed: `send` then rejects, the others do nothing.
 */
export interface WebSocketSocket {
  /**
   * Sends a text (`string`) or binary (`Uint8Array`) message. Settles once the frame has been handed to the
   * kernel: awaiting it before the next send holds a fast producer back to the client's pace (backpressure).
   * Rejects when the connection is closed; a rejection nobody awaits is not an unhandled rejection.
   */
  send(message: WebSocketMessage): Promise<void>;
  /** Sends a ping (at most 125 bytes of data, RFC 6455 §5.5). */
  ping(data?: WebSocketMessage): void;
  /** Sends a pong (at most 125 bytes of data); an unsolicited pong is a heartbeat (RFC 6455 §5.5.3). */
  pong(data?: WebSocketMessage): void;
  /** Starts the closing handshake; `code` defaults to 1000, `reason` to `""` (at most 123 bytes of UTF-8). */
  close(code?: number, reason?: string): void;
  /** True until the closing handshake starts. */
  isOpen(): boolean;
}

/**
 * What happens on a connection (Ring's `Listener` protocol). Every function is optional and may return a
 * promise; the adapter calls them one at a time, in order, and stops reading from the client when events pile
 * up behind a pending promise. `onClose` is called if and only if `onOpen` was, once, last. A function that throws or
 * rejects makes the adapter call `onError`, report the error to its own `onError` hook, and close with 1011.
 */
export interface WebSocketListener {
  onOpen?(socket: WebSocketSocket): Awaitable<void>;
  onMessage?(socket: WebSocketSocket, message: WebSocketMessage): Awaitable<void>;
  /** Without it the adapter answers each ping with a pong carrying the same data; with it, the listener decides. */
  onPing?(socket: WebSocketSocket, data: Uint8Array): Awaitable<void>;
  onPong?(socket: WebSocketSocket, data: Uint8Array): Awaitable<void>;
  /** A listener function failed, or the client broke the protocol (a message over the size limit, a bad frame). */
  onError?(socket: WebSocketSocket, error: unknown): Awaitable<void>;
  /** `code` is 1005 when the peer sent none and 1006 when the connection dropped without a close frame. */
  onClose?(socket: WebSocketSocket, code: number, reason: string): Awaitable<void>;
}

/**
 * A websocket response: a `Response` with status 101 and a `websocket` listener, so every middleware passes
 * it through (and may add `headers`, e.g. `wrapSession`'s `Set-Cookie`, sent on the 101).
 */
export interface WebSocketResponse extends Response {
  readonly status: 101;
  readonly headers: ResponseHeaders;
  readonly websocket: WebSocketListener;
  /** The subprotocol accepted, one of those the client offered in `Sec-WebSocket-Protocol`. */
  readonly protocol?: string | undefined;
  readonly body?: undefined;
}

/** The listener functions the SPEC knows; `wrapLint` refuses any other key (a typo such as `onmessage`). */
export const LISTENER_KEYS: readonly (keyof WebSocketListener)[] = Object.freeze([
  "onOpen",
  "onMessage",
  "onPing",
  "onPong",
  "onError",
  "onClose",
]);

/**
 * True for a WebSocket opening handshake (RFC 6455 §4.2.1): a `GET` whose `Connection` token list holds
 * `upgrade` and whose `Upgrade` list holds `websocket`, both case-insensitive. Ring's `upgrade-request?`.
 *
 * @example
 * const handler = (request) =>
 *   isWebSocketRequest(request) ? websocketResponse({ onMessage: (s, m) => s.send(m) }) : notFound();
 */
export function isWebSocketRequest(request: Pick<Request, "method" | "headers">): boolean {
  if (request.method !== "GET") return false;
  const upgrade = request.headers.upgrade;
  const connection = request.headers.connection;
  return (
    upgrade !== undefined &&
    connection !== undefined &&
    hasToken(upgrade, "websocket") &&
    hasToken(connection, "upgrade")
  );
}

/** Whether a comma-separated header list holds `token` (lower case), ignoring case and whitespace. */
function hasToken(list: string, token: string): boolean {
  // The common values ("websocket", "Upgrade", "keep-alive, Upgrade") are short: split is cheap and clear.
  for (const item of list.split(",")) if (item.trim().toLowerCase() === token) return true;
  return false;
}

/**
 * The response that upgrades the connection: `{ status: 101, headers: {}, websocket: listener, protocol }`.
 * `protocol` must be a token the client offered in `Sec-WebSocket-Protocol` (the adapter answers 500
 * otherwise, as the client would fail the connection, RFC 6455 §4.1). Throws a `TypeError` for a listener
 * that is not an object of functions, or a `protocol` that is not a token.
 *
 * @example
 * websocketResponse({
 *   onOpen: (socket) => socket.send("hello"),
 *   onMessage: (socket, message) => socket.send(message),
 * });
 */
export function websocketResponse(listener: WebSocketListener, protocol?: string): WebSocketResponse {
  const problem = listenerProblem(listener) ?? protocolProblem(protocol);
  if (problem !== undefined) throw new TypeError(`websocketResponse: ${problem}`);
  return protocol === undefined
    ? { status: 101, headers: {}, websocket: listener }
    : { status: 101, headers: {}, websocket: listener, protocol };
}

/**
 * True when `response` is a websocket response (it has a `websocket` key that is not `undefined`), whatever
 * else is right or wrong with it: adapters use it to choose between upgrading and writing HTTP.
 */
export function isWebSocketResponse(response: unknown): response is WebSocketResponse {
  return (
    typeof response === "object" &&
    response !== null &&
    (response as { websocket?: unknown }).websocket !== undefined
  );
}

/**
 * What is wrong with a websocket response, as a message naming the key, or `undefined`: the response checks
 * of section 5, status 101, no body, a listener of known functions, a token `protocol`.
 *
 * @example
 * websocketResponseProblem({ status: 101, headers: {}, websocket: { onmessage() {} } });
 * // 'response.websocket has an unknown key "onmessage" (expected onOpen, onMessage, ...)'
 */
export function websocketResponseProblem(response: WebSocketResponse): string | undefined {
  const problem = responseProblem(response);
  if (problem !== undefined) return problem;
  if (response.status !== 101) {
    return `a websocket response must have status 101, got ${describeValue(response.status)}`;
  }
  if (response.body !== undefined && response.body !== null) {
    return `a websocket response must have no body, got ${describeValue(response.body)}`;
  }
  return listenerProblem(response.websocket, "response.websocket") ?? protocolProblem(response.protocol);
}

function listenerProblem(listener: unknown, label = "listener"): string | undefined {
  if (typeof listener !== "object" || listener === null || Array.isArray(listener)) {
    return `${label} must be an object of listener functions, got ${describeValue(listener)}`;
  }
  for (const key of Object.keys(listener)) {
    if (!(LISTENER_KEYS as readonly string[]).includes(key)) {
      return `${label} has an unknown key ${JSON.stringify(key)} (expected ${LISTENER_KEYS.join(", ")})`;
    }
  }
  for (const key of LISTENER_KEYS) {
    const value = (listener as Record<string, unknown>)[key];
    if (value !== undefined && typeof value !== "function") {
      return `${label}.${key} must be a function, got ${describeValue(value)}`;
    }
  }
  return undefined;
}

function protocolProblem(protocol: unknown): string | undefined {
  if (protocol === undefined) return undefined;
  if (typeof protocol !== "string" || !isToken(protocol)) {
    return `response.protocol must be a token (RFC 6455 §4.1, RFC 9110 §5.6.2), got ${describeValue(protocol)}`;
  }
  return undefined;
}

/**
 * The subprotocols a client offered in `Sec-WebSocket-Protocol`, in order (RFC 6455 §11.3.4: a
 * comma-separated list of tokens; repeated header lines were joined with ", " by the adapter).
 *
 * @example
 * offeredProtocols(request); // ["chat.v2", "chat.v1"]
 */
export function offeredProtocols(request: Pick<Request, "headers">): string[] {
  const header = request.headers["sec-websocket-protocol"];
  if (header === undefined) return [];
  return header
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
}

/**
 * Whether the page that opened the connection may: browsers send `Origin` on every WebSocket handshake and
 * apply no CORS to it (RFC 6455 §10.2), so a server that does not check lets any site talk to it with the
 * user's cookies (cross-site WebSocket hijacking). `allowed` is a list of origins (`"https://app.example"`)
 * or a function; without it, a request with no `Origin` (not a browser) or with the request's own origin
 * (same scheme, host and port) is allowed. `Origin: null` is only allowed when listed.
 *
 * @example
 * originAllowed(request, undefined);                      // same origin, or none
 * originAllowed(request, ["https://app.example"]);        // exactly these
 */
export function originAllowed(
  request: Request,
  allowed: readonly string[] | ((origin: string, request: Request) => boolean) | undefined,
): boolean {
  const origin = request.headers.origin;
  if (typeof allowed === "function") return origin === undefined || allowed(origin, request) === true;
  if (origin === undefined) return true;
  if (allowed !== undefined) return allowed.includes(origin.toLowerCase());
  return origin.toLowerCase() === ownOrigin(request);
}

/** The request's own origin, serialized as browsers do (RFC 6454 §6.2): the scheme's default port omitted. */
function ownOrigin(request: Request): string {
  const defaultPort = request.scheme === "https" ? 443 : 80;
  const port = request.serverPort === defaultPort ? "" : `:${request.serverPort}`;
  return `${request.scheme}://${request.serverName}${port}`;
}
