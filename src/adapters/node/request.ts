/**
 * Builds the ringlet request map from a Node `IncomingMessage`: raw target and host (parsed by the helpers
 * every adapter shares), headers from `rawHeaders`, scheme and peer, and a body that reads nothing until
 * iterated. Each request gets its own frozen map and headers.
 */
import type { IncomingMessage } from "node:http";
import { HttpError } from "../../core/http-error.js";
import type { Request } from "../../core/types.js";
import { parseHost } from "../host.js";
import { quote, splitTarget } from "../request-target.js";

/**
 * The request map for `req`, frozen with its headers, or an `HttpError` (400) when the request target,
 * the Host header or (with `trustProxy`) an `X-Forwarded-*` header is malformed. `OPTIONS *` is not mapped
 * here: the listener answers it (see docs/node-adapter.md).
 *
 * @example
 * const request = toRequest(req, false);
 * if (request instanceof HttpError) { ... } // answer 400, never call the handler
 */
export function toRequest(req: IncomingMessage, trustProxy: boolean): Request | HttpError {
  const target = splitTarget(req.url ?? "");
  if (typeof target === "string") return badRequest(target);
  const headers = headersFrom(req.rawHeaders);
  if (headers === undefined) return badRequest("More than one Host header");

  // A request without a socket is a hand-made IncomingMessage; one whose socket is gone has no peer left.
  const socket = req.socket as (IncomingMessage["socket"] & { encrypted?: boolean }) | null;
  let scheme: "http" | "https" = socket?.encrypted === true ? "https" : "http";
  let remoteAddr = socket?.remoteAddress ?? "";
  // An absolute-form target's authority replaces the Host header (RFC 9112 §3.2.2), its scheme the port's default.
  let hostValue = target.authority ?? headers.host;
  let defaultPort = (target.scheme ?? scheme) === "https" ? 443 : 80;
  if (trustProxy) {
    const proto = headers["x-forwarded-proto"];
    if (proto !== undefined) {
      const first = firstListValue(proto).toLowerCase();
      if (first !== "http" && first !== "https")
        return badRequest(`Malformed X-Forwarded-Proto ${quote(proto)}`);
      scheme = first;
      defaultPort = first === "https" ? 443 : 80;
    }
    const forwardedHost = headers["x-forwarded-host"];
    if (forwardedHost !== undefined) hostValue = firstListValue(forwardedHost);
    const forwardedFor = headers["x-forwarded-for"];
    if (forwardedFor !== undefined) {
      const client = firstListValue(forwardedFor);
      if (client !== "") remoteAddr = client;
    }
  }

  let serverName: string;
  let serverPort: number;
  if (hostValue !== undefined && hostValue !== "") {
    const host = parseHost(hostValue, defaultPort);
    if (host === undefined) return badRequest(`Malformed host ${quote(hostValue)}`);
    serverName = host.serverName;
    serverPort = host.serverPort;
  } else {
    // HTTP/1.0 without Host (or an empty one, RFC 9112 §3.2): the address the client connected to.
    const local = socket?.localAddress ?? "";
    serverName = local.indexOf(":") === -1 ? local : `[${local}]`;
    serverPort = socket?.localPort ?? defaultPort;
  }

  const contentLength = headers["content-length"];
  return Object.freeze({
    method: req.method ?? "GET",
    uri: target.uri,
    queryString: target.queryString,
    scheme,
    protocol: protocolOf(req),
    headers,
    serverName,
    serverPort,
    remoteAddr,
    // RFC 9112 §6.3: a request has content only when it says so with Content-Length or Transfer-Encoding.
    body:
      headers["transfer-encoding"] !== undefined || (contentLength !== undefined && contentLength !== "0")
        ? Object.freeze(new NodeRequestBody(req))
        : undefined,
  });
}

/**
 * Objects made by `new HeaderMap()` have no inherited keys (their prototype is an empty object with a `null`
 * prototype), so a header named `__proto__` or `constructor` is data like any other. Unlike
 * `Object.create(null)` they stay in V8's fast mode, which makes filling and freezing them cheaper.
 */
const HeaderMap = function HeaderMap() {} as unknown as new () => Record<string, string>;
HeaderMap.prototype = Object.freeze(Object.create(null));

/**
 * The request's own headers as the SPEC says, frozen, or `undefined` for a repeated Host (RFC 9112 §3.2:
 * a 400). Built in one pass from `req.rawHeaders`, what the client sent, one character per byte: Node's
 * `req.headers` is built lazily on first access, keeps only the first of some repeated headers
 * (`authorization`, `user-agent`, ...) and cannot hold a header named `__proto__`.
 */
function headersFrom(raw: readonly string[]): Readonly<Record<string, string>> | undefined {
  const headers = new HeaderMap();
  let hostLines = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = lowerCase(raw[i]!);
    const value = raw[i + 1]!;
    const previous = headers[name];
    if (previous === undefined) headers[name] = value;
    // RFC 9110 §5.3 joins repeated fields with ", "; cookie lines with "; " (RFC 6265 §5.4's separator).
    else headers[name] = `${previous}${name === "cookie" ? "; " : ", "}${value}`;
    if (name === "host") hostLines++;
  }
  if (hostLines > 1) return undefined;
  return Object.freeze(headers);
}

/**
 * `name` in lower case: the string itself when it already is, as most header names are. A new string from
 * `toLowerCase` must be hashed again when it becomes a key, which made a request of 150 small headers cost
 * twice what one header of the same size does (`npm run bench -- --suite adversarial`, case many-headers).
 */
function lowerCase(name: string): string {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) return name.toLowerCase();
  }
  return name;
}

/**
 * The request body: iterating reads `req`; nothing is read or wrapped before. Leaving the loop early
 * (a size limit, a parse error) does not destroy the socket, so the error response can still be sent; the
 * listener drains or closes what is left after the response.
 */
class NodeRequestBody implements AsyncIterable<Uint8Array> {
  readonly #req: IncomingMessage;

  constructor(req: IncomingMessage) {
    this.#req = req;
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return this.#req.iterator({ destroyOnReturn: false });
  }
}

/** The first element of a comma-separated list, trimmed: the client side of an `X-Forwarded-*` chain. */
function firstListValue(value: string): string {
  const comma = value.indexOf(",");
  return (comma === -1 ? value : value.slice(0, comma)).trim();
}

function protocolOf(req: IncomingMessage): string {
  // From the parser's numbers: comparing the `httpVersion` string it builds would cost a call per request.
  const major = req.httpVersionMajor;
  const minor = req.httpVersionMinor;
  if (major === 1 && minor === 1) return "HTTP/1.1";
  if (major === 1 && minor === 0) return "HTTP/1.0";
  return `HTTP/${req.httpVersion}`;
}

function badRequest(message: string): HttpError {
  // The detail goes to onError; the client gets the plain reason phrase.
  return new HttpError(400, message, { expose: false });
}
