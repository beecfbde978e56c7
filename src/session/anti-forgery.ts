/**
 * `wrapAntiForgery`, ring-anti-forgery's CSRF protection bound to the session: every unsafe request must carry
 * a token made from a secret kept in the session. Beyond Ring, tokens are masked afresh per request (BREACH)
 * and the `Origin` / `Sec-Fetch-Site` headers are checked first. It sits inside `wrapSession` (and `wrapParams`).
 */
import * as z from "zod/mini";
import { BASE64URL_ALPHABET, encodeBase64url } from "../core/base64url.js";
import { checkOptionsArgument } from "../core/compose.js";
import { describeValue } from "../core/describe-value.js";
import { parseOptions } from "../core/parse-options.js";
import {
  type Awaitable,
  andThen,
  type Handler,
  isFunction,
  type Request,
  type Response,
} from "../core/types.js";
import { noncePool } from "./cookie-store/nonce-pool.js";
import type { SessionData } from "./store.js";
import type { SessionRequestKeys, SessionResponseKeys, UntypedSession } from "./wrap-session.js";

/**
 * The session key that holds the anti-forgery secret (base64url of 32 random bytes). A session `schema` must
 * allow it, e.g. `z.object({ user: z.string(), [ANTI_FORGERY_SESSION_KEY]: z.string().optional() })`.
 */
export const ANTI_FORGERY_SESSION_KEY = "ringlet/anti-forgery-secret";

/** The form field the token is read from first, and the name `antiForgeryField` gives its hidden input. */
export const ANTI_FORGERY_FIELD = "__anti-forgery-token";

/** What `antiForgeryRequest` adds to a request. */
export interface AntiForgeryRequestKeys {
  /**
   * A token for this session, to put in a form (`antiForgeryField`) or an `x-csrf-token` header. A fresh mask
   * per request, so two pages carry different strings; each one validates for the session's life.
   */
  readonly antiForgeryToken: string;
}

/** Why a request was refused; given to `errorHandler`. Never shown to the client by the default response. */
export interface AntiForgeryFailure {
  readonly kind: "cross-site" | "cross-origin" | "missing-token" | "no-secret" | "invalid-token";
  /** One line for logs. */
  readonly reason: string;
}

/**
 * Options of `wrapAntiForgery` and `antiForgeryConfig`.
 *
 * - `readToken(request)`: where the token of an unsafe request is. Default: the form field
 *   `__anti-forgery-token` (`formParams`, from `wrapParams`, else `multipartParams`, from `wrapMultipartParams`),
 *   else the `x-csrf-token` header, else `x-xsrf-token`.
 * - `trustedOrigins`: origins besides the request's own whose unsafe requests are let through to the token
 *   check, written as a browser sends them (`"https://app.example.com"`, no path, default port left out).
 *   Default: none.
 * - `errorResponse`: the response for a refused request. Default: 403, `text/plain`, `Invalid anti-forgery token`.
 * - `errorHandler(request, failure)`: builds the response for a refused request instead. Not with `errorResponse`.
 */
export interface AntiForgeryOptions {
  readToken?: ((request: Request) => string | undefined) | undefined;
  trustedOrigins?: readonly string[] | undefined;
  errorResponse?: Response | undefined;
  errorHandler?: ((request: Request, failure: AntiForgeryFailure) => Awaitable<Response>) | undefined;
}

const SECRET_BYTES = 32;
// Canonical unpadded base64url of 32 bytes: the last of 43 characters carries 4 bits and 2 zero bits.
const SECRET_PATTERN = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS", "TRACE"]);

/** `text` as a browser serialises an http(s) origin (RFC 6454 §6.1): scheme, lower-case host, non-default port. */
function isOrigin(text: string): boolean {
  if (!URL.canParse(text)) return false;
  const url = new URL(text);
  return (url.protocol === "http:" || url.protocol === "https:") && url.origin === text;
}

const optionsSchema = z.strictObject({
  readToken: z.optional(z.custom<AntiForgeryOptions["readToken"]>(isFunction, "must be a function")),
  trustedOrigins: z.optional(
    z.readonly(
      z.array(
        z
          .string({ error: 'must be an origin as a browser sends it, such as "https://example.com"' })
          .check(
            z.refine(isOrigin, 'must be an origin as a browser sends it, such as "https://example.com"'),
          ),
        { error: "must be an array of origins" },
      ),
    ),
  ),
  errorResponse: z.optional(
    z.custom<Response>(
      (value) =>
        typeof value === "object" &&
        value !== null &&
        typeof (value as Response).status === "number" &&
        typeof (value as Response).headers === "object",
      "must be a response map (status and headers)",
    ),
  ),
  errorHandler: z.optional(z.custom<AntiForgeryOptions["errorHandler"]>(isFunction, "must be a function")),
});

const DEFAULT_ERROR: Response = Object.freeze({
  status: 403,
  headers: Object.freeze({ "content-type": "text/plain; charset=utf-8" }),
  body: "Invalid anti-forgery token",
});

/**
 * The default `readToken`: Ring's order, the form field of a urlencoded form (`formParams`, `wrapParams`) or of
 * a multipart one (`multipartParams`, `wrapMultipartParams`), then the headers. A repeated field (an array)
 * or a file is no token.
 */
function defaultReadToken(request: Request): string | undefined {
  const field = formField(request, "formParams") ?? formField(request, "multipartParams");
  if (field !== undefined) return field;
  return request.headers["x-csrf-token"] ?? request.headers["x-xsrf-token"];
}

function formField(request: Request, key: "formParams" | "multipartParams"): string | undefined {
  const form = (request as unknown as Partial<Record<typeof key, Readonly<Record<string, unknown>>>>)[key];
  const field = typeof form === "object" && form !== null ? form[ANTI_FORGERY_FIELD] : undefined;
  return typeof field === "string" ? field : undefined;
}

/** `wrapAntiForgery`'s options, validated once. Made by `antiForgeryConfig(options)`. */
class CompiledAntiForgeryConfig {
  readonly readToken: (request: Request) => string | undefined;
  readonly trustedOrigins: ReadonlySet<string>;
  readonly errorHandler: (request: Request, failure: AntiForgeryFailure) => Awaitable<Response>;

  constructor(options: AntiForgeryOptions, owner: string) {
    const parsed = parseOptions(owner, optionsSchema, options);
    if (parsed.errorResponse !== undefined && parsed.errorHandler !== undefined) {
      throw new TypeError(`${owner}: give option "errorResponse" or option "errorHandler", not both`);
    }
    this.readToken = parsed.readToken ?? defaultReadToken;
    this.trustedOrigins = new Set(parsed.trustedOrigins ?? []);
    const fixed = parsed.errorResponse ?? DEFAULT_ERROR;
    this.errorHandler = parsed.errorHandler ?? (() => fixed);
  }
}

/** The compiled options of the halves; see `antiForgeryConfig`. */
export type AntiForgeryConfig = CompiledAntiForgeryConfig;

/**
 * Validate `options` once for the halves (`antiForgeryCheck`, `antiForgeryRequest`, `antiForgeryResponse`).
 * Throws a `TypeError` naming a bad option.
 *
 * @example
 * const config = antiForgeryConfig({ trustedOrigins: ["https://app.example.com"] });
 */
export function antiForgeryConfig(options: AntiForgeryOptions = {}): AntiForgeryConfig {
  return new CompiledAntiForgeryConfig(options, "antiForgeryConfig");
}

let defaultConfig: CompiledAntiForgeryConfig | undefined;

function configOf(config: AntiForgeryConfig | undefined, owner: string): CompiledAntiForgeryConfig {
  if (config === undefined) {
    defaultConfig ??= new CompiledAntiForgeryConfig({}, owner);
    return defaultConfig;
  }
  if (!(config instanceof CompiledAntiForgeryConfig)) {
    throw new TypeError(
      `${owner}: the config must come from antiForgeryConfig(options), got ${describeValue(config)}`,
    );
  }
  return config;
}

function sessionOf(request: Request, owner: string): SessionData {
  const session = (request as Partial<SessionRequestKeys>).session;
  if (typeof session !== "object" || session === null) {
    throw new TypeError(`${owner}: request.session is missing; wrapSession must sit outside wrapAntiForgery`);
  }
  return session;
}

/** The session's secret as text, if it holds a well-formed one. */
function heldSecret(session: SessionData): string | undefined {
  const secret = session[ANTI_FORGERY_SESSION_KEY];
  return typeof secret === "string" && SECRET_PATTERN.test(secret) ? secret : undefined;
}

/** The request's own origin, serialised as a browser would send it in `Origin`. */
function ownOrigin(request: Request): string {
  const defaultPort = request.scheme === "https" ? 443 : 80;
  const port = request.serverPort === defaultPort ? "" : `:${request.serverPort}`;
  return `${request.scheme}://${request.serverName.toLowerCase()}${port}`;
}

/**
 * The check alone, decided before anything is done: `undefined` when the request may go on, else why not.
 * Origin first (OWASP's defence in depth: a browser says where a request comes from), then the token.
 */
function failureOf(config: CompiledAntiForgeryConfig, request: Request): AntiForgeryFailure | undefined {
  if (SAFE_METHODS.has(request.method)) return undefined;
  const headers = request.headers;
  if (headers["sec-fetch-site"] === "cross-site") {
    return { kind: "cross-site", reason: "Sec-Fetch-Site is cross-site" };
  }
  const origin = headers.origin;
  if (origin !== undefined) {
    // `Origin: null` comes from sandboxed frames, data: URLs and cross-origin redirects: never our own.
    const given = origin.toLowerCase();
    if (given !== ownOrigin(request) && !config.trustedOrigins.has(given)) {
      return { kind: "cross-origin", reason: "Origin is neither this server's origin nor a trusted one" };
    }
  }
  const token = config.readToken(request);
  if (typeof token !== "string" || token === "") {
    return { kind: "missing-token", reason: "the request carries no anti-forgery token" };
  }
  const secret = heldSecret(sessionOf(request, "wrapAntiForgery"));
  if (secret === undefined) return { kind: "no-secret", reason: "the session holds no anti-forgery secret" };
  if (!tokenMatches(token, secret)) {
    return { kind: "invalid-token", reason: "the anti-forgery token does not match the session's secret" };
  }
  return undefined;
}

// The token is built and checked on the secret's 43 base64url characters as 6-bit symbols (the value of each
// character in the alphabet): XOR on symbols is XOR on the bits they stand for, and needs no decoding or
// re-encoding per request (bench/README.md, "anti-forgery").
const SYMBOL = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++) SYMBOL[BASE64URL_ALPHABET.charCodeAt(i)] = i;
const CHAR_CODE = Uint8Array.from(BASE64URL_ALPHABET, (c) => c.charCodeAt(0));
const SECRET_CHARS = 43;
const TOKEN_CHARS = 2 * SECRET_CHARS;

/** The 6-bit value of the base64url character at `i`, or -1 when it is not one. */
function symbolAt(text: string, i: number): number {
  const c = text.charCodeAt(i);
  return c < 128 ? SYMBOL[c]! : -1;
}

/** Whether `token` is `mask || secret XOR mask` for `secret`, compared in constant time. */
function tokenMatches(token: string, secret: string): boolean {
  if (token.length !== TOKEN_CHARS) return false;
  // Only the length (public) decides early; every character is looked at, so the time says nothing of the secret.
  let invalid = 0;
  let diff = 0;
  for (let i = 0; i < SECRET_CHARS; i++) {
    const mask = symbolAt(token, i);
    const masked = symbolAt(token, SECRET_CHARS + i);
    invalid |= mask | masked; // negative (all bits set) for a character outside the alphabet
    diff |= mask ^ masked ^ symbolAt(secret, i);
  }
  return invalid >= 0 && diff === 0;
}

// Masks are drawn in batches: one CSPRNG call per request was the largest cost of the middleware
// (bench/README.md, "anti-forgery"). A mask is public (it is in the token); it only has to be unpredictable.
const nextMask = noncePool((bytes) => crypto.getRandomValues(bytes), SECRET_CHARS);

/** A token for `secret`: a fresh random mask, then the secret XOR the mask (BREACH defence), 86 characters. */
function maskedToken(secret: string): string {
  const mask = nextMask();
  const codes = new Array<number>(TOKEN_CHARS);
  for (let i = 0; i < SECRET_CHARS; i++) {
    // A random byte's low 6 bits are a uniform symbol (64 divides 256).
    const symbol = mask[i]! & 63;
    codes[i] = CHAR_CODE[symbol]!;
    codes[SECRET_CHARS + i] = CHAR_CODE[symbol ^ symbolAt(secret, i)]!;
  }
  return String.fromCharCode.apply(null, codes);
}

/**
 * A request whose session held no secret: the secret created when a handler first read the token, and that
 * token. Kept on the request under a symbol so that the response half finds it.
 */
interface TokenState {
  created: string | undefined;
  token: string | undefined;
}

const STATE: unique symbol = Symbol("ringlet.antiForgery");

function newSecretToken(state: TokenState): string {
  if (state.token === undefined) {
    state.created = encodeBase64url(crypto.getRandomValues(new Uint8Array(SECRET_BYTES)));
    state.token = maskedToken(state.created);
  }
  return state.token;
}

/**
 * Refuse a request that fails the check: `undefined` when it may go on (a safe method, or an unsafe one from
 * an accepted origin with a valid token), else the error response (`errorResponse`, `errorHandler`'s, or the
 * default 403). Throws a `TypeError` when an unsafe request has no `session` (`wrapSession` must sit outside).
 *
 * @example
 * const refused = antiForgeryCheck(request, config);
 * if (refused !== undefined) return refused;
 */
export function antiForgeryCheck(
  request: Request & Partial<SessionRequestKeys<any>>,
  config?: AntiForgeryConfig,
): Awaitable<Response> | undefined {
  const compiled = configOf(config, "antiForgeryCheck");
  const failure = failureOf(compiled, request);
  return failure === undefined ? undefined : compiled.errorHandler(request, failure);
}

/**
 * The request with `antiForgeryToken`. In a session without a secret the token is made when first read (Ring's
 * `delay`), so a request whose handler never shows a form creates no secret and writes no session; that first
 * read creates the secret, which `antiForgeryResponse` adds to the session. It does not check the request: call
 * `antiForgeryCheck` first. Throws a `TypeError` when the request has no `session`.
 *
 * @example
 * const req = antiForgeryRequest(await sessionRequest(request, sessions), config);
 * req.antiForgeryToken; // "dG9r…" (86 characters)
 */
export function antiForgeryRequest<Req extends Request & SessionRequestKeys<any>>(
  request: Req,
  _config?: AntiForgeryConfig,
): Req & AntiForgeryRequestKeys {
  const held = heldSecret(sessionOf(request, "antiForgeryRequest"));
  // With a secret in the session a token costs one mask: a plain key, and the response half has nothing to
  // add. Without one, reading the token creates the secret, so it waits behind a getter until a handler asks.
  // (An accessor and a symbol key make the map several times slower to build, bench/README.md
  // "anti-forgery", so only this rarer case pays for them.)
  // Object.assign, not a spread: in Node 20 (V8 11.3) spreading a map that was itself built by a spread (here
  // wrapSession's) leaves V8's fast path and costs microseconds; Object.assign copies it as fast as the first.
  if (held !== undefined) return Object.assign({}, request, { antiForgeryToken: maskedToken(held) });
  const state: TokenState = { created: undefined, token: undefined };
  return {
    ...request,
    [STATE]: state,
    get antiForgeryToken() {
      return newSecretToken(state);
    },
  };
}

/**
 * The response with the session's secret kept: added to the handler's own `session` when it writes one without
 * it, or to the request's session when a secret was created for this request. `session: null` (logout) is left
 * alone, and when the session already holds the secret and the handler writes nothing, nothing is written.
 *
 * @example
 * const res = antiForgeryResponse(handlerResponse, req, config); // then sessionResponse(res, req, sessions)
 */
export function antiForgeryResponse<Res extends Response>(
  response: (Res & SessionResponseKeys<any>) | null | undefined,
  request: Request & SessionRequestKeys<any>,
  _config?: AntiForgeryConfig,
): (Res & SessionResponseKeys<any>) | null | undefined {
  if (response === undefined || response === null) return response;
  const created = (request as { [STATE]?: TokenState })[STATE]?.created;
  if (!("session" in response)) {
    // The handler leaves the session as it is: it holds the secret already, unless one was just created.
    if (created === undefined) return response;
    return { ...response, session: { ...request.session, [ANTI_FORGERY_SESSION_KEY]: created } };
  }
  const session = response.session;
  // null is a logout; anything but an object is wrapSession's to refuse; a handler's own secret is its choice.
  if (typeof session !== "object" || session === null || Array.isArray(session)) return response;
  if (ANTI_FORGERY_SESSION_KEY in session) return response;
  const secret = created ?? heldSecret(request.session);
  if (secret === undefined) return response;
  return { ...response, session: { ...session, [ANTI_FORGERY_SESSION_KEY]: secret } };
}

/**
 * ring-anti-forgery's `wrap-anti-forgery`. Unsafe requests (any method but GET, HEAD, OPTIONS and TRACE) from
 * another origin (`Sec-Fetch-Site: cross-site`, or an `Origin` that is neither the request's own nor one of
 * `trustedOrigins`) or without a valid token are refused (403 by default); the handler sees
 * `request.antiForgeryToken`. Put it inside `wrapSession` and `wrapParams`. Options are validated here, once;
 * called with only options (or nothing) it returns the middleware, for `compose`.
 *
 * @example
 * const app = wrapSession(wrapParams(wrapAntiForgery((req) =>
 *   req.method === "POST" ? response("saved") : html(`<form method="post">${antiForgeryField(req)}</form>`),
 * )));
 * const same = compose(wrapSession({ store }), wrapParams, wrapAntiForgery())(handler);
 */
export function wrapAntiForgery<S extends SessionData = UntypedSession>(
  options?: AntiForgeryOptions,
): <Req extends Request = Request, Res extends Response = Response>(
  handler: Handler<Req & SessionRequestKeys<S> & AntiForgeryRequestKeys, Res & SessionResponseKeys<S>>,
) => Handler<Req & SessionRequestKeys<S>, Res & SessionResponseKeys<S>>;
export function wrapAntiForgery<
  S extends SessionData = UntypedSession,
  Req extends Request = Request,
  Res extends Response = Response,
>(
  handler: Handler<Req & SessionRequestKeys<S> & AntiForgeryRequestKeys, Res & SessionResponseKeys<S>>,
  options?: AntiForgeryOptions,
): Handler<Req & SessionRequestKeys<S>, Res & SessionResponseKeys<S>>;
export function wrapAntiForgery(
  handler: Handler<any, any> | AntiForgeryOptions | undefined,
  options: AntiForgeryOptions = {},
): Handler<any, any> | ((handler: Handler<any, any>) => Handler<any, any>) {
  if (typeof handler !== "function") {
    checkOptionsArgument("wrapAntiForgery", handler);
    // Checked once, here; each handler wrapped gets the same config.
    const config = new CompiledAntiForgeryConfig(handler ?? {}, "wrapAntiForgery");
    return (inner: Handler<any, any>) => wrapWithConfig(inner, config);
  }
  return wrapWithConfig(handler, new CompiledAntiForgeryConfig(options, "wrapAntiForgery"));
}

function wrapWithConfig(
  handler: Handler<any, any>,
  config: CompiledAntiForgeryConfig,
): Handler<Request & SessionRequestKeys, Response & SessionResponseKeys> {
  return (request) => {
    const failure = failureOf(config, request);
    if (failure !== undefined) return config.errorHandler(request, failure);
    const inner = antiForgeryRequest(request);
    return andThen(handler(inner), (response) => antiForgeryResponse(response, inner));
  };
}

const HTML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/**
 * The hidden form field carrying `request.antiForgeryToken`, HTML-escaped.
 *
 * @example
 * `<form method="post" action="/save">${antiForgeryField(req)}<button>Save</button></form>`;
 * // <input type="hidden" name="__anti-forgery-token" value="…">
 */
export function antiForgeryField(request: AntiForgeryRequestKeys): string {
  const value = String(request.antiForgeryToken).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
  return `<input type="hidden" name="${ANTI_FORGERY_FIELD}" value="${value}">`;
}
