/**
 * Builds the ringlet request map from a Node `IncomingMessage`: raw target, headers (Node's parsed ones when
 * they lost nothing, else rebuilt from `rawHeaders`), host, scheme and peer, and a body that reads nothing
 * until iterated.
 */
import type { IncomingMessage } from "node:http";
import { HttpError } from "../../core/http-error.js";
import type { Request } from "../../core/types.js";
import { hasValidPercentEncoding } from "../request-target.js";

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
  const target = req.url ?? "";
  let pathAndQuery = target;
  let authority: string | undefined;
  let authorityHttps = false;
  if (target.charCodeAt(0) !== SLASH) {
    // RFC 9112 §3.2.2: absolute-form (what proxies send); its authority replaces the Host header.
    const prefix = absoluteFormPrefix(target);
    if (prefix === 0) return badRequest(`Malformed request target ${quote(target)}`);
    authorityHttps = prefix === 8;
    let end = prefix;
    while (end < target.length && target.charCodeAt(end) !== SLASH && target.charCodeAt(end) !== QUESTION)
      end++;
    authority = target.slice(prefix, end);
    if (authority === "") return badRequest(`Malformed request target ${quote(target)}`);
    const rest = target.slice(end);
    pathAndQuery = rest === "" ? "/" : rest.charCodeAt(0) === QUESTION ? `/${rest}` : rest;
  }
  // One pass over the path (short, and scanned inline rather than by three indexOf calls): where the query
  // starts, and whether a "%" or a "#" occurs. A fragment is never part of a request target (RFC 9112 §3.2);
  // Node's parser lets `#` through. In the path, "%" only starts a pct-encoded octet (RFC 3986 §2.1); queries
  // are left to their parsers, as a stray "%" there is common and harmless.
  let q = -1;
  let fragment = false;
  let percent = false;
  for (let i = 0; i < pathAndQuery.length; i++) {
    const c = pathAndQuery.charCodeAt(i);
    if (c === QUESTION) {
      q = i;
      fragment = pathAndQuery.indexOf("#", i) !== -1;
      break;
    }
    if (c === HASH) {
      fragment = true;
      break;
    }
    if (c === PERCENT) percent = true;
  }
  if (fragment) return badRequest(`Malformed request target ${quote(target)}`);
  const uri = q === -1 ? pathAndQuery : pathAndQuery.slice(0, q);
  const queryString = q === -1 ? undefined : pathAndQuery.slice(q + 1);
  if (percent && !hasValidPercentEncoding(uri)) {
    return badRequest(`Malformed percent-encoding in request path ${quote(uri)}`);
  }

  const connection = connectionOf(req);
  const raw = req.rawHeaders;
  let headers = connection.lastHeaders;
  let facts = connection.lastFacts;
  if (headers === undefined || !sameLines(connection.lastRaw!, raw)) {
    headers = headersFrom(raw);
    if (headers === undefined) return badRequest("More than one Host header");
    facts = undefined;
    connection.lastRaw = raw;
    connection.lastHeaders = headers;
    connection.lastFacts = undefined;
  }
  // The facts drawn from the same header lines on the same connection are the same (the absolute-form's own
  // authority aside): drawn once per connection and header block, not once per request.
  if (authority !== undefined || facts === undefined || facts.trustProxy !== trustProxy) {
    const drawn = factsOf(headers, connection, req, trustProxy, authority, authorityHttps);
    if (drawn instanceof HttpError) return drawn;
    facts = drawn;
    if (authority === undefined) connection.lastFacts = facts;
  }

  return Object.freeze({
    method: req.method ?? "GET",
    uri,
    queryString,
    scheme: facts.scheme,
    protocol: protocolOf(req),
    headers,
    serverName: facts.serverName,
    serverPort: facts.serverPort,
    remoteAddr: facts.remoteAddr,
    body: facts.hasBody ? Object.freeze(new NodeRequestBody(req)) : undefined,
  });
}

/** What a request's header block and connection say about where it came from and whether it has content. */
interface Facts {
  /** The `trustProxy` they were drawn with. */
  readonly trustProxy: boolean;
  readonly scheme: "http" | "https";
  readonly serverName: string;
  readonly serverPort: number;
  readonly remoteAddr: string;
  readonly hasBody: boolean;
}

function factsOf(
  headers: Readonly<Record<string, string>>,
  connection: Connection,
  req: IncomingMessage,
  trustProxy: boolean,
  authority: string | undefined,
  authorityHttps: boolean,
): Facts | HttpError {
  let scheme = connection.scheme;
  let remoteAddr = connection.remoteAddr;
  let hostValue = authority ?? headers.host;
  let defaultPortHttps = authority === undefined ? scheme === "https" : authorityHttps;
  if (trustProxy) {
    const proto = headers["x-forwarded-proto"];
    if (proto !== undefined) {
      const first = firstListValue(proto).toLowerCase();
      if (first !== "http" && first !== "https")
        return badRequest(`Malformed X-Forwarded-Proto ${quote(proto)}`);
      scheme = first;
      defaultPortHttps = first === "https";
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
    const parsed = parseHost(hostValue);
    if (parsed === undefined) return badRequest(`Malformed host ${quote(hostValue)}`);
    serverName = parsed.name;
    serverPort = parsed.port === -1 ? (defaultPortHttps ? 443 : 80) : parsed.port;
  } else {
    // HTTP/1.0 without Host (or an empty one, RFC 9112 §3.2): the address the client connected to.
    const socket = req.socket as IncomingMessage["socket"] | null;
    const local = socket?.localAddress ?? "";
    serverName = local.indexOf(":") === -1 ? local : `[${local}]`;
    serverPort = socket?.localPort ?? (scheme === "https" ? 443 : 80);
  }

  const contentLength = headers["content-length"];
  // RFC 9112 §6.3: a request has content only when it says so with Content-Length or Transfer-Encoding.
  const hasBody =
    headers["transfer-encoding"] !== undefined || (contentLength !== undefined && contentLength !== "0");
  return { trustProxy, scheme, serverName, serverPort, remoteAddr, hasBody };
}

/**
 * Objects made by `new HeaderMap()` have no inherited keys (their prototype is an empty object with a `null`
 * prototype), so a header named `__proto__` or `constructor` is data like any other. Unlike
 * `Object.create(null)` they stay in V8's fast mode: filling and freezing them costs a fraction.
 */
const HeaderMap = function HeaderMap() {} as unknown as new () => Record<string, string>;
HeaderMap.prototype = Object.freeze(Object.create(null));

/**
 * What the adapter knows of one connection: facts that cannot change while it is open (the peer address,
 * TLS or not), read from the socket once, and the header map of its previous request with the raw lines it
 * was built from.
 */
interface Connection {
  readonly scheme: "http" | "https";
  readonly remoteAddr: string;
  lastRaw: readonly string[] | undefined;
  lastHeaders: Readonly<Record<string, string>> | undefined;
  /** Drawn from `lastHeaders` for an origin-form target; `undefined` until then. */
  lastFacts: Facts | undefined;
}

// Keyed by socket. Reading the peer address goes through three getters of Node's socket on every call, and
// a keep-alive client (an API client, a proxy, a load generator) sends the same header lines again and
// again: comparing them costs a fraction of building and freezing a new map.
const connections = new WeakMap<object, Connection>();

function connectionOf(req: IncomingMessage): Connection {
  const socket = req.socket as (IncomingMessage["socket"] & { encrypted?: boolean }) | null;
  // A request without a socket (a hand-made IncomingMessage) has no connection to remember.
  if (socket === null) return newConnection("http", "");
  let connection = connections.get(socket);
  if (connection === undefined) {
    connection = newConnection(socket.encrypted === true ? "https" : "http", socket.remoteAddress ?? "");
    // A Unix domain socket has no peer address (""): remembered all the same, as nothing else would come.
    connections.set(socket, connection);
  }
  return connection;
}

function newConnection(scheme: "http" | "https", remoteAddr: string): Connection {
  return { scheme, remoteAddr, lastRaw: undefined, lastHeaders: undefined, lastFacts: undefined };
}

/**
 * The request headers as the SPEC says, frozen, or `undefined` for a repeated Host (RFC 9112 §3.2: a 400).
 * Built from `req.rawHeaders`, what the client sent: Node's `req.headers` is built lazily on first access,
 * keeps only the first of some repeated headers (`authorization`, `user-agent`, ...) and cannot hold a header
 * named `__proto__`. Frozen, so that a connection's next request with exactly the same lines can share it.
 */
function headersFrom(raw: readonly string[]): Readonly<Record<string, string>> | undefined {
  const headers = new HeaderMap();
  let hostLines = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    const previous = headers[name];
    if (previous === undefined) headers[name] = value;
    else headers[name] = `${previous}${name === "cookie" ? "; " : ", "}${value}`;
    if (name === "host") hostLines++;
  }
  if (hostLines > 1) return undefined;
  return Object.freeze(headers);
}

function sameLines(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
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

const SLASH = 0x2f;
const QUESTION = 0x3f;
const HASH = 0x23;
const PERCENT = 0x25;

/**
 * Splits a Host (or `X-Forwarded-Host`) value, `uri-host [ ":" port ]` (RFC 9110 §7.2, RFC 3986 §3.2.2),
 * into a lower-cased name (an IPv6 literal keeps its brackets) and a port, -1 when absent. `undefined`
 * when malformed.
 *
 * @example
 * parseHost("[::1]:8080"); // { name: "[::1]", port: 8080 }
 * parseHost("Example.com"); // { name: "example.com", port: -1 }
 */
export function parseHost(value: string): { name: string; port: number } | undefined {
  let nameEnd: number;
  if (value.charCodeAt(0) === 0x5b /* [ */) {
    nameEnd = value.indexOf("]") + 1;
    if (nameEnd === 0 || !isIpLiteral(value, 1, nameEnd - 1)) return undefined;
  } else {
    nameEnd = value.indexOf(":");
    if (nameEnd === -1) nameEnd = value.length;
    if (nameEnd === 0 || !isRegName(value, nameEnd)) return undefined;
  }
  let port = -1;
  if (nameEnd < value.length) {
    if (value.charCodeAt(nameEnd) !== 0x3a /* : */) return undefined;
    const digits = value.length - nameEnd - 1;
    // `port = *DIGIT`: "host:" is legal and means the default port.
    if (digits > 5) return undefined;
    if (digits > 0) {
      port = 0;
      for (let i = nameEnd + 1; i < value.length; i++) {
        const d = value.charCodeAt(i) - 0x30;
        if (d < 0 || d > 9) return undefined;
        port = port * 10 + d;
      }
      if (port > 65535) return undefined;
    }
  }
  return { name: value.slice(0, nameEnd).toLowerCase(), port };
}

// reg-name = *( unreserved / pct-encoded / sub-delims ), RFC 3986 §3.2.2.
const REG_NAME = new Uint8Array(128);
for (const c of "-._~!$&'()*+,;=%") REG_NAME[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) REG_NAME[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) REG_NAME[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) REG_NAME[c] = 1;

function isRegName(value: string, end: number): boolean {
  for (let i = 0; i < end; i++) {
    const c = value.charCodeAt(i);
    if (c > 127 || REG_NAME[c] === 0) return false;
    if (c === 0x25 && !(isHex(value.charCodeAt(i + 1)) && isHex(value.charCodeAt(i + 2)) && i + 2 < end)) {
      return false;
    }
  }
  return true;
}

function isIpLiteral(value: string, start: number, end: number): boolean {
  // IPv6address (hex digits, ":" and an embedded dotted IPv4); the exact grammar is the resolver's job,
  // this keeps out anything that could not be one.
  let colons = 0;
  for (let i = start; i < end; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x3a) colons++;
    else if (!(isHex(c) || c === 0x2e)) return false;
  }
  return colons >= 2;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** 7 for `http://`, 8 for `https://` (any case, RFC 3986 §3.1), else 0. */
function absoluteFormPrefix(target: string): number {
  const lower = target.slice(0, 8).toLowerCase();
  if (lower.startsWith("http://")) return 7;
  if (lower === "https://") return 8;
  return 0;
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

function quote(text: string): string {
  return JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}…` : text);
}
