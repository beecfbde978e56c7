/**
 * `wrapLint`, Ring's `wrap-lint` (and Rack::Lint): checks every request and response against docs/SPEC.md at
 * run time and throws a `TypeError` naming the key and what is wrong. For tests and development.
 */

import { checkOptionsArgument } from "../core/compose.js";
import { describeValue } from "../core/describe-value.js";
import { invalidHeaderValueIndex, isValidHeaderName, responseProblem } from "../core/response-check.js";
import { andThen, type Handler, isThenable, type Request, type Response } from "../core/types.js";
import {
  isWebSocketRequest,
  isWebSocketResponse,
  LISTENER_KEYS,
  offeredProtocols,
  type WebSocketListener,
  type WebSocketResponse,
  type WebSocketSocket,
  websocketResponseProblem,
} from "../core/websocket.js";

/**
 * What is wrong with a request, as a message naming the key, or `undefined` when it follows the SPEC.
 * Checks every SPEC key, and the keys middleware adds (`queryParams`, `formParams`, `params`, `cookies`,
 * `session`, `sessionKey`) when present.
 *
 * @example
 * requestProblem({ ...request, uri: "foo" }); // 'request.uri must start with "/", got "foo"'
 */
export function requestProblem(request: unknown): string | undefined {
  if (typeof request !== "object" || request === null) {
    return `the request must be an object, got ${describeValue(request)}`;
  }
  const r = request as Record<string, unknown>;
  const { method, uri, queryString, scheme, protocol, headers, serverName, serverPort, remoteAddr, body } = r;
  if (typeof method !== "string" || !isValidHeaderName(method)) {
    return `request.method must be an HTTP method token (RFC 9110 §9.1), got ${describeValue(method)}`;
  }
  if (typeof uri !== "string") return `request.uri must be a string, got ${describeValue(uri)}`;
  if (uri.charCodeAt(0) !== 0x2f) return `request.uri must start with "/", got ${describeValue(uri)}`;
  const uriBad = badTargetChar(uri, true);
  if (uriBad !== -1) return `request.uri ${charProblem(uri, uriBad)}, got ${describeValue(uri)}`;
  if (queryString !== undefined) {
    if (typeof queryString !== "string") {
      return `request.queryString must be a string or undefined, got ${describeValue(queryString)}`;
    }
    const at = badTargetChar(queryString, false);
    if (at !== -1)
      return `request.queryString ${charProblem(queryString, at)}, got ${describeValue(queryString)}`;
  }
  if (scheme !== "http" && scheme !== "https") {
    return `request.scheme must be "http" or "https", got ${describeValue(scheme)}`;
  }
  if (typeof protocol !== "string" || !PROTOCOL.test(protocol)) {
    return `request.protocol must look like "HTTP/1.1", got ${describeValue(protocol)}`;
  }
  const headersProblem = requestHeadersProblem(headers);
  if (headersProblem !== undefined) return headersProblem;
  if (typeof serverName !== "string" || serverName === "") {
    return `request.serverName must be a non-empty string, got ${describeValue(serverName)}`;
  }
  if (
    typeof serverPort !== "number" ||
    !Number.isInteger(serverPort) ||
    serverPort < 0 ||
    serverPort > 65535
  ) {
    return `request.serverPort must be an integer from 0 to 65535, got ${describeValue(serverPort)}`;
  }
  if (typeof remoteAddr !== "string")
    return `request.remoteAddr must be a string, got ${describeValue(remoteAddr)}`;
  if (
    body !== undefined &&
    (typeof body !== "object" ||
      body === null ||
      typeof (body as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] !== "function")
  ) {
    return `request.body must be an AsyncIterable<Uint8Array> or undefined, got ${describeValue(body)}`;
  }
  for (const key of ["queryParams", "formParams", "params"] as const) {
    if (key in r) {
      const problem = paramsProblem(key, r[key]);
      if (problem !== undefined) return problem;
    }
  }
  if ("cookies" in r) {
    const cookies = r.cookies;
    if (typeof cookies !== "object" || cookies === null || Array.isArray(cookies)) {
      return `request.cookies must be an object of cookie names to values, got ${describeValue(cookies)}`;
    }
    for (const name of Object.keys(cookies)) {
      const value = (cookies as Record<string, unknown>)[name];
      if (typeof value !== "string") {
        return `request.cookies[${JSON.stringify(name)}] must be a string, got ${describeValue(value)}`;
      }
    }
  }
  if ("session" in r && (typeof r.session !== "object" || r.session === null || Array.isArray(r.session))) {
    return `request.session must be an object, got ${describeValue(r.session)}`;
  }
  if ("sessionKey" in r && r.sessionKey !== undefined && typeof r.sessionKey !== "string") {
    return `request.sessionKey must be a string or undefined, got ${describeValue(r.sessionKey)}`;
  }
  return undefined;
}

/**
 * Check `request` against the SPEC and return it, or throw a `TypeError` naming the key at fault.
 *
 * @example
 * lintRequest({ ...request, uri: "foo" });
 * // TypeError: wrapLint: request.uri must start with "/", got "foo"
 */
export function lintRequest<R extends Request>(request: R, _options?: LintOptions): R {
  const problem = requestProblem(request);
  if (problem !== undefined) throw new TypeError(`wrapLint: ${problem}`);
  return request;
}

/**
 * Check `response` against the SPEC and return it, or throw a `TypeError` naming the key at fault. Uses the
 * adapters' own `responseProblem` (status, header names and values, body type), and also refuses two
 * header names that differ only in case, which would send the header twice.
 *
 * @example
 * lintResponse({ status: 99, headers: {} }, request);
 * // TypeError: wrapLint: response.status must be an integer from 100 to 599, got number 99
 */
export function lintResponse<Res extends Response>(
  response: Res,
  request?: Request,
  _options?: LintOptions,
): Res {
  if (isWebSocketResponse(response)) return lintWebSocketResponse(response, request) as unknown as Res;
  const problem = responseProblem(response) ?? duplicateHeaderProblem(response.headers);
  if (problem !== undefined) throw new TypeError(`wrapLint: ${problem}`);
  return response;
}

/**
 * A websocket response (docs/SPEC.md, "WebSockets"): checked as a response, then its listener, its
 * `protocol` against what the client offered, and that it answers a WebSocket handshake. Returned with a
 * listener that checks the socket calls it makes (message types, close codes, control frame sizes) and
 * what each of its functions returns, so a mistake inside a listener is named rather than lost.
 */
function lintWebSocketResponse(response: WebSocketResponse, request: Request | undefined): WebSocketResponse {
  let problem = websocketResponseProblem(response) ?? duplicateHeaderProblem(response.headers);
  if (problem === undefined && request !== undefined) {
    if (!isWebSocketRequest(request)) {
      problem =
        "a websocket response answers only a WebSocket upgrade request (a GET with Connection: upgrade and Upgrade: websocket); the adapter would answer 500";
    } else if (response.protocol !== undefined && !offeredProtocols(request).includes(response.protocol)) {
      problem = `response.protocol ${JSON.stringify(response.protocol)} was not offered by the client (RFC 6455 §4.1)`;
    }
  }
  if (problem !== undefined) throw new TypeError(`wrapLint: ${problem}`);
  return { ...response, websocket: lintListener(response.websocket) };
}

function lintListener(listener: WebSocketListener): WebSocketListener {
  const linted: Record<string, unknown> = {};
  for (const key of LISTENER_KEYS) {
    const fn = listener[key] as ((socket: WebSocketSocket, ...rest: unknown[]) => unknown) | undefined;
    if (fn === undefined) continue;
    linted[key] = (socket: WebSocketSocket, ...rest: unknown[]) => {
      const result = fn.call(listener, lintSocket(socket), ...rest);
      if (result !== undefined && !isThenable(result)) {
        throw new TypeError(
          `wrapLint: listener.${key} must return undefined or a promise, got ${describeValue(result)}`,
        );
      }
      return result;
    };
  }
  return linted as WebSocketListener;
}

const lintedSockets = new WeakMap<WebSocketSocket, WebSocketSocket>();

function lintSocket(socket: WebSocketSocket): WebSocketSocket {
  const known = lintedSockets.get(socket);
  if (known !== undefined) return known;
  const fail = (problem: string): never => {
    throw new TypeError(`wrapLint: ${problem}`);
  };
  const checkControl = (name: string, data: unknown): void => {
    if (data === undefined) return;
    if (typeof data !== "string" && !(data instanceof Uint8Array)) {
      fail(`socket.${name}(data) takes a string or a Uint8Array, got ${describeValue(data)}`);
    }
    // RFC 6455 §5.5: control frames carry at most 125 bytes.
    if (byteLength(data as string | Uint8Array) > 125)
      fail(`socket.${name}(data) takes at most 125 bytes (RFC 6455 §5.5)`);
  };
  const linted: WebSocketSocket = {
    send: (message) => {
      if (typeof message !== "string" && !(message instanceof Uint8Array)) {
        fail(`socket.send(message) takes a string or a Uint8Array, got ${describeValue(message)}`);
      }
      return socket.send(message);
    },
    ping: (data) => {
      checkControl("ping", data);
      socket.ping(data);
    },
    pong: (data) => {
      checkControl("pong", data);
      socket.pong(data);
    },
    close: (code, reason) => {
      // RFC 6455 §7.4.1-2: 1000-1003 and 1007-1014 are defined to be sent, 3000-4999 are for libraries and
      // applications; 1004-1006 and 1015 must never be sent in a close frame.
      if (
        code !== undefined &&
        !(
          Number.isInteger(code) &&
          ((code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999))
        )
      ) {
        fail(
          `socket.close(code) takes 1000-1003, 1007-1014 or 3000-4999 (RFC 6455 §7.4), got ${describeValue(code)}`,
        );
      }
      if (reason !== undefined && (typeof reason !== "string" || byteLength(reason) > 123)) {
        fail(
          `socket.close(code, reason) takes a reason of at most 123 bytes of UTF-8 (RFC 6455 §5.5), got ${describeValue(reason)}`,
        );
      }
      socket.close(code, reason);
    },
    isOpen: () => socket.isOpen(),
  };
  lintedSockets.set(socket, linted);
  return linted;
}

const encoder = new TextEncoder();
function byteLength(data: string | Uint8Array): number {
  return typeof data === "string" ? encoder.encode(data).byteLength : data.byteLength;
}

/** Options of `wrapLint`. There are none; an unknown option throws, as everywhere. */
export type LintOptions = Record<string, never>;

/**
 * Check each request before the handler sees it, each response before it is returned, and that the handler
 * did not change the request it was given (requests are immutable: middleware adds keys by spreading).
 * Errors are `TypeError`s naming the key, e.g. `wrapLint: request.uri must start with "/", got "foo"`.
 *
 * @example
 * const app = compose(wrapLint, wrapParams)(handler); // in tests and development
 */
export function wrapLint(
  options?: LintOptions,
): <Req extends Request, Res extends Response>(handler: Handler<Req, Res>) => Handler<Req, Res>;
export function wrapLint<Req extends Request, Res extends Response>(
  handler: Handler<Req, Res>,
  options?: LintOptions,
): Handler<Req, Res>;
export function wrapLint(
  handler: Handler<any, any> | LintOptions | undefined,
  options?: LintOptions,
): Handler<any, any> | ((handler: Handler<any, any>) => Handler<any, any>) {
  if (typeof handler !== "function") {
    checkOptionsArgument("wrapLint", handler);
    checkLintOptions(handler);
    return (inner: Handler<any, any>) => wrapLint(inner);
  }
  checkLintOptions(options);
  return (request: Request) => {
    lintRequest(request);
    const before = snapshot(request);
    // A handler's own error passes through untouched: it says more than a lint finding would.
    return andThen(handler(request), (res) => {
      checkUnchanged(before, request);
      return lintResponse(res, request);
    });
  };
}

function checkLintOptions(options: unknown): void {
  if (options === undefined) return;
  const keys = typeof options === "object" && options !== null ? Object.keys(options) : undefined;
  if (keys === undefined) throw new TypeError("wrapLint: options must be an object");
  if (keys.length > 0) throw new TypeError(`wrapLint: unknown option ${JSON.stringify(keys[0])}`);
}

// "HTTP/1.0", "HTTP/1.1", "HTTP/2", "HTTP/2.0" (Node's httpVersion for h2), "HTTP/3".
const PROTOCOL = /^HTTP\/\d(?:\.\d)?$/;

/**
 * The index of the first character a raw request target may not contain: controls, space and DEL (RFC 9112
 * §3.2 sends the target as visible characters), `#` (a fragment is never sent), and in the path `?`.
 */
function badTargetChar(text: string, isPath: boolean): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f || c === 0x23 || (isPath && c === 0x3f)) return i;
  }
  return -1;
}

function charProblem(text: string, at: number): string {
  const c = text.charCodeAt(at);
  const what = c === 0x3f ? '"?" (the query belongs in queryString)' : c === 0x23 ? '"#"' : `U+${hex(c)}`;
  return `must not contain ${what} (found at index ${at})`;
}

function requestHeadersProblem(headers: unknown): string | undefined {
  if (typeof headers !== "object" || headers === null || Array.isArray(headers)) {
    return `request.headers must be an object of header names to strings, got ${describeValue(headers)}`;
  }
  for (const name of Object.keys(headers)) {
    if (!isValidHeaderName(name)) {
      return `request.headers has an invalid name ${JSON.stringify(name)}: a header name must be an RFC 9110 token (§5.6.2)`;
    }
    if (name !== name.toLowerCase()) {
      return `request.headers has the name ${JSON.stringify(name)}: request header names must be lower case`;
    }
    const value = (headers as Record<string, unknown>)[name];
    if (typeof value !== "string") {
      return `request.headers[${JSON.stringify(name)}] must be a string (repeated headers are joined), got ${describeValue(value)}`;
    }
    const at = invalidHeaderValueIndex(value);
    if (at !== -1) {
      return `request.headers[${JSON.stringify(name)}] contains U+${hex(value.charCodeAt(at))} at index ${at} (RFC 9110 §5.5)`;
    }
  }
  return undefined;
}

function paramsProblem(key: string, params: unknown): string | undefined {
  if (typeof params !== "object" || params === null || Array.isArray(params)) {
    return `request.${key} must be an object of names to strings or string arrays, got ${describeValue(params)}`;
  }
  for (const name of Object.keys(params)) {
    const value = (params as Record<string, unknown>)[name];
    if (typeof value === "string") continue;
    if (Array.isArray(value) && value.every((v) => typeof v === "string")) continue;
    return `request.${key}[${JSON.stringify(name)}] must be a string or an array of strings, got ${describeValue(value)}`;
  }
  return undefined;
}

function duplicateHeaderProblem(headers: Response["headers"]): string | undefined {
  const names = Object.keys(headers);
  if (names.length < 2) return undefined;
  const seen = new Map<string, string>();
  for (const name of names) {
    const lower = name.toLowerCase();
    const other = seen.get(lower);
    if (other !== undefined) {
      return `response.headers has both ${JSON.stringify(other)} and ${JSON.stringify(name)}: header names are case-insensitive, so it would be sent twice`;
    }
    seen.set(lower, name);
  }
  return undefined;
}

interface Snapshot {
  readonly keys: string[];
  readonly values: unknown[];
  readonly headerKeys: string[];
  readonly headerValues: unknown[];
}

/** The request's own keys and values, and its headers', unless both are frozen (then nothing can change). */
function snapshot(request: Request): Snapshot | undefined {
  const headers = request.headers;
  if (Object.isFrozen(request) && Object.isFrozen(headers)) return undefined;
  const keys = Object.keys(request);
  const headerKeys = Object.keys(headers);
  return {
    keys,
    values: keys.map((k) => (request as unknown as Record<string, unknown>)[k]),
    headerKeys,
    headerValues: headerKeys.map((k) => headers[k]),
  };
}

function checkUnchanged(before: Snapshot | undefined, request: Request): void {
  if (before === undefined) return;
  const changed =
    changedKey("request", before.keys, before.values, request as unknown as Record<string, unknown>) ??
    changedKey("request.headers", before.headerKeys, before.headerValues, request.headers);
  if (changed !== undefined) {
    throw new TypeError(
      `wrapLint: the handler changed ${changed}; requests are immutable, so spread them into a new object instead`,
    );
  }
}

function changedKey(
  label: string,
  keys: string[],
  values: unknown[],
  now: Readonly<Record<string, unknown>>,
): string | undefined {
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (!Object.hasOwn(now, key)) return `${label}[${JSON.stringify(key)}] (deleted)`;
    if (!Object.is(now[key], values[i])) return `${label}[${JSON.stringify(key)}]`;
  }
  const current = Object.keys(now);
  if (current.length !== keys.length) {
    const added = current.find((k) => !keys.includes(k));
    return `${label}[${JSON.stringify(added)}] (added)`;
  }
  return undefined;
}

function hex(c: number): string {
  return c.toString(16).toUpperCase().padStart(4, "0");
}
