/**
 * Ring's `wrap-session`: the session cookie's value is a store key; the handler sees `request.session` and
 * answers with `session` to write it, `null` to delete it. The contract (docs/sessions.md) is Ring's, with
 * unknown keys never adopted, deletion clearing the cookie, async stores and typed, validated session data.
 */
import * as z from "zod/mini";
import { readCookie } from "../cookies/parse.js";
import { type CookieAttributes, cookieAttributesText } from "../cookies/serialize.js";
import { appendSetCookie } from "../cookies/set-cookie-header.js";
import { checkOptionsArgument } from "../core/compose.js";
import { describeValue } from "../core/describe-value.js";
import { parseOptions } from "../core/parse-options.js";
import { isToken } from "../core/token.js";
import {
  type Awaitable,
  andThen,
  type Handler,
  isFunction,
  isThenable,
  type Request,
  type Response,
} from "../core/types.js";
import { CookieTooLargeError, SessionStoreError } from "./errors.js";
import { memoryStore } from "./memory-store.js";
import type { SessionData, SessionReport, SessionStore, StoreReadContext } from "./store.js";

/**
 * The session's type when neither a type argument nor a `schema` gives one: any value under any key, as in
 * Ring, so an unannotated handler can write `req.session.count ?? 0`. Give a type
 * (`wrapSession<{ count?: number }>(…)`, `SessionHandler<{ count?: number }>`) or a `schema` to have it checked.
 */
export type UntypedSession = Record<string, any>;

/** What `sessionRequest` adds to a request. */
export interface SessionRequestKeys<S extends SessionData = UntypedSession> {
  /**
   * The session's data, or `{}` when there is none. Typed `Partial<S>` because a request without a (valid)
   * session cookie gets `{}` whatever the schema says.
   */
  readonly session: Partial<S>;
  /** The store key of the session read, or `undefined` when there was none: an unknown key is never adopted. */
  readonly sessionKey: string | undefined;
}

/** What a handler may put in its response for `sessionResponse`. */
export interface SessionResponseKeys<S extends SessionData = UntypedSession> {
  /** Data to store (`{}` too), or `null` to delete the session and expire its cookie. Absent: no change. */
  readonly session?: S | null | undefined;
  /** Cookie attributes for this response, merged over the options' (e.g. `{ maxAge }` to extend the cookie). */
  readonly sessionCookieAttrs?: CookieAttributes | undefined;
  /** With `session`: store the data under a new key and delete the old one (fixation defence after login). */
  readonly recreateSession?: boolean | undefined;
}

/** A request as a session handler sees it. */
export type SessionRequest<S extends SessionData = UntypedSession, Req extends Request = Request> = Req &
  SessionRequestKeys<S>;

/** A handler that reads and writes a session of type `S`. */
export type SessionHandler<
  S extends SessionData = UntypedSession,
  Req extends Request = Request,
  Res extends Response = Response,
> = Handler<Req & SessionRequestKeys<S>, Res & SessionResponseKeys<S>>;

/** The `onError` hook: told about every rejected cookie, invalid session and store failure. */
export type SessionErrorHook = (report: SessionReport, request: Request) => void;

/** The minimal shape of a schema (zod's `safeParse`); `S` is its output type. */
export interface SessionSchema<S extends SessionData = SessionData> {
  safeParse(
    data: unknown,
  ):
    | { success: true; data: S }
    | { success: false; error: { issues: ReadonlyArray<{ path: PropertyKey[]; message: string }> } };
}

/**
 * Options of `wrapSession`, `sessionRequest` and `sessionResponse`.
 *
 * - `store`: where sessions live. Default: a new `memoryStore()` per `wrapSession` call.
 * - `cookieName`: default `"ring-session"`. An RFC 6265 token.
 * - `root`: the cookie's path; overrides `cookieAttrs.path`. Default: `cookieAttrs.path`, else `"/"`.
 * - `cookieAttrs`: merged over the defaults `{ path: "/", httpOnly: true, sameSite: "lax" }`; `secure` is set
 *   when `request.scheme` is `"https"` unless given here. Precedence, lowest first: defaults, `cookieAttrs`,
 *   `root`, the response's `sessionCookieAttrs`.
 * - `schema`: a zod schema (anything with `safeParse`) for the session data. Data that fails it is treated
 *   as no session and reported (`invalid-session`). Default: none.
 * - `onError(report, request)`: default: silent for `rejected-cookie` (tampered and stale cookies are normal
 *   on the internet), one `console.error` line for `invalid-session` and `store-failure`.
 */
export interface SessionOptions<S extends SessionData = UntypedSession> {
  store?: SessionStore<any> | undefined;
  cookieName?: string | undefined;
  root?: string | undefined;
  cookieAttrs?: CookieAttributes | undefined;
  schema?: SessionSchema<S> | undefined;
  onError?: SessionErrorHook | undefined;
}

// RFC 6265 §4.1.1 cookie-octets: what a key can be made of. Longer than 4096 never fits a cookie (§6.1).
const KEY_CHARS = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]+$/;
const MAX_KEY_LENGTH = 4096;
const MAX_LINE_BYTES = 4096;
const EMPTY: SessionData = Object.freeze({});

const optionsSchema = z.strictObject({
  store: z.optional(
    z.custom<SessionStore>(
      (value) =>
        typeof value === "object" &&
        value !== null &&
        isFunction((value as SessionStore).readSession) &&
        isFunction((value as SessionStore).writeSession) &&
        isFunction((value as SessionStore).deleteSession),
      "must be a SessionStore (readSession, writeSession and deleteSession functions)",
    ),
  ),
  cookieName: z.optional(
    z
      .string({ error: "must be an RFC 6265 cookie name (an RFC 9110 token)" })
      .check(z.refine(isToken, "must be an RFC 6265 cookie name (an RFC 9110 token)")),
  ),
  root: z.optional(
    z.string({ error: 'must be a path starting with "/"' }).check(z.startsWith("/", 'must start with "/"')),
  ),
  cookieAttrs: z.optional(
    z.strictObject({
      path: z.optional(z.string({ error: "must be a string" })),
      domain: z.optional(z.string({ error: "must be a string" })),
      maxAge: z.optional(z.int({ error: "must be an integer (seconds)" })),
      expires: z.optional(z.date({ error: "must be a Date" })),
      secure: z.optional(z.boolean({ error: "must be a boolean" })),
      httpOnly: z.optional(z.boolean({ error: "must be a boolean" })),
      sameSite: z.optional(
        z
          .string({ error: 'must be "strict", "lax" or "none"' })
          .check(z.refine((v) => /^(strict|lax|none)$/i.test(v), 'must be "strict", "lax" or "none"')),
      ),
      partitioned: z.optional(z.boolean({ error: "must be a boolean" })),
      priority: z.optional(
        z
          .string({ error: 'must be "low", "medium" or "high"' })
          .check(z.refine((v) => /^(low|medium|high)$/i.test(v), 'must be "low", "medium" or "high"')),
      ),
    }),
  ),
  schema: z.optional(
    z.custom<SessionSchema>(
      (value) =>
        typeof value === "object" && value !== null && isFunction((value as SessionSchema).safeParse),
      "must be a zod schema (an object with safeParse)",
    ),
  ),
  onError: z.optional(z.custom<SessionErrorHook>(isFunction, "must be a function")),
});

const DEFAULT_ATTRS: CookieAttributes = { path: "/", httpOnly: true, sameSite: "lax" };

function defaultOnError(report: SessionReport, request: Request): void {
  if (report.kind === "rejected-cookie") return;
  const cause = report.cause instanceof Error ? `: ${report.cause.message}` : "";
  console.error(
    `ringlet session ${report.kind}: ${report.reason}${cause} (${request.method} ${request.uri})`,
  );
}

/** `over`'s defined attributes on top of `base`'s. */
function mergeAttrs(base: CookieAttributes, over: CookieAttributes | undefined): CookieAttributes {
  if (over === undefined) return base;
  const out: Record<string, unknown> = { ...base };
  for (const key in over) {
    const value = (over as Record<string, unknown>)[key];
    if (value !== undefined) out[key] = value;
  }
  return out as CookieAttributes;
}

/**
 * `wrapSession`'s options, validated once, with the defaults filled in and the cookie's attribute text built
 * for http and https (Plug's `init`). Made by `sessionConfig(options)`; `wrapSession` makes its own.
 */
class CompiledSessionConfig {
  readonly store: SessionStore<SessionData>;
  readonly cookieName: string;
  readonly schema: SessionSchema | undefined;
  readonly onError: SessionErrorHook;
  /** defaults < cookieAttrs < root; `secure` only when given. */
  readonly attrs: CookieAttributes;
  /** Attribute text for [http, https] requests, and the same with `Max-Age=0` for deletion. */
  private readonly text: readonly [string, string];
  private readonly expireText: readonly [string, string];

  constructor(options: SessionOptions<any>, owner: string) {
    const parsed = parseOptions(owner, optionsSchema, options);
    this.cookieName = parsed.cookieName ?? "ring-session";
    let attrs = mergeAttrs(DEFAULT_ATTRS, parsed.cookieAttrs as CookieAttributes | undefined);
    if (parsed.root !== undefined) attrs = { ...attrs, path: parsed.root };
    this.attrs = attrs;
    try {
      this.text = [this.attributeText(attrs, false, false), this.attributeText(attrs, true, false)];
      this.expireText = [this.attributeText(attrs, false, true), this.attributeText(attrs, true, true)];
    } catch (error) {
      throw new TypeError(`${owner}: option "cookieAttrs": ${(error as Error).message}`);
    }
    this.store = (parsed.store as SessionStore<SessionData> | undefined) ?? memoryStore();
    this.schema = parsed.schema;
    this.onError = parsed.onError ?? defaultOnError;
  }

  /** The `; Path=/; HttpOnly…` text: `secure` on https unless given, `Max-Age=0` to expire. */
  private attributeText(attrs: CookieAttributes, https: boolean, expire: boolean): string {
    let all = attrs;
    if (https && all.secure === undefined) all = { ...all, secure: true };
    if (expire) all = { ...all, maxAge: 0, expires: undefined };
    return cookieAttributesText(this.cookieName, all);
  }

  /** The `Set-Cookie` line carrying `value`, with this response's attributes over the configured ones. */
  cookieLine(request: Request, value: string, over: CookieAttributes | undefined, expire: boolean): string {
    const https = request.scheme === "https";
    const text =
      over === undefined
        ? (expire ? this.expireText : this.text)[https ? 1 : 0]
        : this.attributeText(mergeAttrs(this.attrs, over), https, expire);
    const line = `${this.cookieName}=${value}${text}`;
    // RFC 6265 §6.1: browsers keep at least 4096 bytes per cookie (name, value and attributes); past that they
    // may drop it silently. The line is ASCII, so its length is its size in bytes.
    if (line.length > MAX_LINE_BYTES)
      throw new CookieTooLargeError(this.cookieName, line.length, MAX_LINE_BYTES);
    return line;
  }

  /** Tell `onError`; a hook that throws is logged, never allowed to fail the request. */
  report(request: Request, what: SessionReport): void {
    try {
      this.onError(what, request);
    } catch (error) {
      console.error(
        `ringlet session: onError threw: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}

/** The compiled options of `sessionRequest` and `sessionResponse`; see `sessionConfig`. */
export type SessionConfig = CompiledSessionConfig;

/**
 * Validate `options` once and compile them for the halves (Plug's `init`): pass the result to every
 * `sessionRequest` / `sessionResponse` call. Throws a `TypeError` naming a bad option.
 *
 * @example
 * const config = sessionConfig({ store: memoryStore(), cookieName: "sid" });
 * const req = await sessionRequest(request, config);
 * const res = await sessionResponse(handlerResponse, req, config);
 */
export function sessionConfig(options: SessionOptions<any> = {}): SessionConfig {
  return new CompiledSessionConfig(options, "sessionConfig");
}

let defaultConfig: CompiledSessionConfig | undefined;

function configOf(config: SessionConfig | undefined, owner: string): CompiledSessionConfig {
  if (config === undefined) {
    // One shared default memory store for the halves called without a config.
    defaultConfig ??= new CompiledSessionConfig({}, owner);
    return defaultConfig;
  }
  if (!(config instanceof CompiledSessionConfig)) {
    throw new TypeError(
      `${owner}: the second argument must come from sessionConfig(options), got ${describeValue(config)} ` +
        "(options are validated once, by sessionConfig)",
    );
  }
  return config;
}

type StoreOperation = "readSession" | "writeSession" | "deleteSession";

/**
 * Call the store, then continue with `next`, synchronously when the store answered synchronously. A throw
 * or rejection becomes a `SessionStoreError` (503), reported to `onError`; except that data a store refuses
 * at once is the handler's bug, not an outage, and goes through unchanged (500).
 */
function callStore<T, U>(
  config: CompiledSessionConfig,
  request: Request,
  operation: StoreOperation,
  call: () => Awaitable<T>,
  next: (value: T) => Awaitable<U>,
): Awaitable<U> {
  let result: Awaitable<T>;
  try {
    result = call();
  } catch (error) {
    if (operation === "writeSession" && isDataError(error)) throw error;
    throw storeFailure(config, request, operation, error);
  }
  if (!isThenable(result)) return next(result);
  return result.then(next, (error: unknown) => {
    throw storeFailure(config, request, operation, error);
  });
}

/**
 * What an in-process store throws synchronously for data it cannot keep: a `TypeError` (not JSON), a
 * `RangeError` (nested past the depth limit) or a `CookieTooLargeError`. None is an I/O failure.
 */
function isDataError(error: unknown): boolean {
  return error instanceof TypeError || error instanceof RangeError || error instanceof CookieTooLargeError;
}

function storeFailure(
  config: CompiledSessionConfig,
  request: Request,
  operation: StoreOperation,
  cause: unknown,
): SessionStoreError {
  config.report(request, { kind: "store-failure", reason: `${operation} failed`, cause });
  return new SessionStoreError(operation, cause);
}

function withSession<Req extends Request, S extends SessionData>(
  request: Req,
  session: SessionData,
  sessionKey: string | undefined,
): Req & SessionRequestKeys<S> {
  return { ...request, session: session as Partial<S>, sessionKey };
}

/** The session the store returned, if it is an object (and passes the schema); else none, reported. */
function adopt<Req extends Request, S extends SessionData>(
  config: CompiledSessionConfig,
  request: Req,
  key: string,
  data: unknown,
): Req & SessionRequestKeys<S> {
  if (data === undefined || data === null) return withSession(request, EMPTY, undefined);
  if (typeof data !== "object" || Array.isArray(data)) {
    config.report(request, {
      kind: "invalid-session",
      reason: "the store returned data that is not an object",
    });
    return withSession(request, EMPTY, undefined);
  }
  if (config.schema !== undefined) {
    const result = config.schema.safeParse(data);
    if (!result.success) {
      const issue = result.error.issues[0];
      const where =
        issue === undefined || issue.path.length === 0 ? "session" : `session.${issue.path.join(".")}`;
      config.report(request, {
        kind: "invalid-session",
        reason: `${where}: ${issue?.message ?? "does not match the schema"}`,
      });
      return withSession(request, EMPTY, undefined);
    }
    data = result.data;
  }
  return withSession(request, data as SessionData, key);
}

/**
 * Ring's `session-request`: the request with `session` (the stored data, or `{}`) and `sessionKey` (the key, or
 * `undefined`). The store is asked only when the request has a plausible session cookie; what it does not know
 * is never adopted. Returns a Promise only when the store answered with one. A store that throws makes it
 * throw (or reject with) a `SessionStoreError`. Without a `config`, a shared default (a memory store) is used.
 *
 * @example
 * const config = sessionConfig({ store: memoryStore() }); // once, at start-up
 * const req = await sessionRequest(request, config);
 * req.session; // {} or the stored data
 */
export function sessionRequest<Req extends Request, S extends SessionData = UntypedSession>(
  request: Req,
  config?: SessionConfig,
): Awaitable<Req & SessionRequestKeys<S>> {
  return loadSession(configOf(config, "sessionRequest"), request);
}

function loadSession<Req extends Request, S extends SessionData>(
  config: CompiledSessionConfig,
  request: Req,
): Awaitable<Req & SessionRequestKeys<S>> {
  const cookies = (request as { cookies?: Readonly<Record<string, string>> }).cookies;
  const key =
    typeof cookies === "object" && cookies !== null
      ? cookies[config.cookieName]
      : readCookie(request.headers.cookie, config.cookieName);
  if (key === undefined) return withSession(request, EMPTY, undefined);
  if (typeof key !== "string" || key.length === 0 || key.length > MAX_KEY_LENGTH || !KEY_CHARS.test(key)) {
    config.report(request, { kind: "rejected-cookie", reason: "the session cookie is not a plausible key" });
    return withSession(request, EMPTY, undefined);
  }
  const context: StoreReadContext = { report: (what) => config.report(request, what) };
  return callStore(
    config,
    request,
    "readSession",
    () => config.store.readSession(key, context),
    (data) => adopt<Req, S>(config, request, key, data),
  );
}

type ResponseKey = "session" | "sessionCookieAttrs" | "recreateSession";
type RequestKey = "session" | "sessionKey";

/** The response handed outwards: the handler's, without the session keys (plain `Response` when that is all). */
export type Outgoing<Res> = [Exclude<keyof Res, keyof Response | ResponseKey>] extends [never]
  ? Response
  : Omit<Res, ResponseKey> & Response;

/** The request `wrapSession` accepts: the handler's, without the keys it adds (plain `Request` when that is all). */
export type Incoming<Req> = [Exclude<keyof Req, keyof Request | RequestKey>] extends [never]
  ? Request
  : Omit<Req, RequestKey> & Request;

/**
 * What a response asks of the session (docs/sessions.md, "Response side"), decided before anything is done
 * (Plug's `:write | :drop | :renew | :ignore`). `key` is the request's valid incoming key, if any.
 */
type Decision =
  /** No session keys in the response: nothing to do. */
  | { readonly action: "keep" }
  /** No `session`, but `sessionCookieAttrs` and a key: re-send the key with those attributes. */
  | { readonly action: "touch"; readonly key: string; readonly attrs: CookieAttributes }
  /** `session: data`: store it under `key` (a new key when there is none). */
  | {
      readonly action: "write";
      readonly key: string | undefined;
      readonly data: SessionData;
      readonly attrs: CookieAttributes | undefined;
    }
  /** `session: data` with `recreateSession`: delete `key` (if any), store the data under a new key. */
  | {
      readonly action: "renew";
      readonly key: string | undefined;
      readonly data: SessionData;
      readonly attrs: CookieAttributes | undefined;
    }
  /** `session: null`: delete `key` (if any) and expire the cookie. */
  | {
      readonly action: "drop";
      readonly key: string | undefined;
      readonly attrs: CookieAttributes | undefined;
    };

const KEEP: Decision = { action: "keep" };

/** The decision for `response`; throws a `TypeError` for session keys of the wrong type (a programmer error). */
function decide(response: Response & SessionResponseKeys<SessionData>, key: string | undefined): Decision {
  const { session, sessionCookieAttrs: attrs, recreateSession } = response;
  if (attrs !== undefined && (typeof attrs !== "object" || attrs === null)) {
    throw new TypeError(`response.sessionCookieAttrs must be an object, got ${describeValue(attrs)}`);
  }
  if (!("session" in response)) {
    return attrs !== undefined && key !== undefined ? { action: "touch", key, attrs } : KEEP;
  }
  if (session === null) return { action: "drop", key, attrs };
  if (typeof session !== "object" || Array.isArray(session)) {
    throw new TypeError(
      `response.session must be an object (to store), null (to delete) or absent, got ${Array.isArray(session) ? "an array" : typeof session}`,
    );
  }
  // Session fixation defence (OWASP): after a privilege change, the old key must stop working.
  return { action: recreateSession === true ? "renew" : "write", key, data: session, attrs };
}

/** Carry out `decision` against the store; the returned response has the `Set-Cookie` line it needs. */
function perform<Res extends Response>(
  config: CompiledSessionConfig,
  request: Request,
  response: Res,
  decision: Decision,
): Awaitable<Res> {
  switch (decision.action) {
    case "keep":
      return response;
    case "touch":
      return withCookie(config, request, response, decision.key, decision.attrs, false);
    case "drop": {
      // Unlike Ring, deleting a session always expires the cookie, so the browser forgets the key too.
      const expire = () => withCookie(config, request, response, "", decision.attrs, true);
      return deleteThen(config, request, decision.key, expire);
    }
    case "renew":
      return deleteThen(config, request, decision.key, () =>
        write(config, request, response, undefined, decision.data, decision.attrs),
      );
    case "write":
      return write(config, request, response, decision.key, decision.data, decision.attrs);
  }
}

function deleteThen<T>(
  config: CompiledSessionConfig,
  request: Request,
  key: string | undefined,
  next: () => Awaitable<T>,
): Awaitable<T> {
  if (key === undefined) return next();
  return callStore(config, request, "deleteSession", () => config.store.deleteSession(key), next);
}

function write<Res extends Response>(
  config: CompiledSessionConfig,
  request: Request,
  response: Res,
  key: string | undefined,
  data: SessionData,
  attrs: CookieAttributes | undefined,
): Awaitable<Res> {
  return callStore(
    config,
    request,
    "writeSession",
    () => config.store.writeSession(key, data),
    (written) => {
      // The key kept on update was already checked on the way in.
      if (written !== key || key === undefined) checkKey(config, request, written);
      // Ring: send the cookie when the key changed, or when attributes were given for this response.
      if (written !== key || attrs !== undefined) {
        return withCookie(config, request, response, written, attrs, false);
      }
      return response;
    },
  );
}

function checkKey(config: CompiledSessionConfig, request: Request, key: unknown): void {
  if (typeof key === "string" && KEY_CHARS.test(key)) return;
  // Never the key itself: it is (nearly) a session id, and this message is logged.
  const got =
    typeof key !== "string"
      ? describeValue(key)
      : key === ""
        ? "an empty string"
        : "a string with other characters";
  const problem = new TypeError(
    `writeSession must return a non-empty string of RFC 6265 cookie-octets, got ${got}`,
  );
  throw storeFailure(config, request, "writeSession", problem);
}

function withCookie<Res extends Response>(
  config: CompiledSessionConfig,
  request: Request,
  response: Res,
  value: string,
  attrs: CookieAttributes | undefined,
  expire: boolean,
): Res {
  const line = config.cookieLine(request, value, attrs, expire);
  return { ...response, headers: appendSetCookie(response.headers, line) };
}

/**
 * Ring's `session-response`: store, delete or keep the session as the response says (docs/sessions.md has the
 * table), add the `set-cookie` line when the key changed, and remove `session`, `sessionCookieAttrs` and
 * `recreateSession`. The store has finished before the response is returned. Returns a Promise only when the
 * store answered with one. Throws a `SessionStoreError` when the store fails (no cookie is sent), and a
 * `CookieTooLargeError` when the `set-cookie` line would exceed 4096 bytes.
 *
 * @example
 * const res = await sessionResponse({ ...response("ok"), session: { user: 42 } }, req, config);
 */
export function sessionResponse<Res extends Response, S extends SessionData = UntypedSession>(
  response: (Res & SessionResponseKeys<S>) | null | undefined,
  request: Request & Partial<SessionRequestKeys<any>>,
  config?: SessionConfig,
): Awaitable<Outgoing<Res>> {
  return finish(configOf(config, "sessionResponse"), response, request) as Awaitable<Outgoing<Res>>;
}

function finish<Res extends Response>(
  config: CompiledSessionConfig,
  response: (Res & SessionResponseKeys<SessionData>) | null | undefined,
  request: Request & Partial<SessionRequestKeys<any>>,
): Awaitable<Response | null | undefined> {
  if (response === undefined || response === null) return response;
  if (!("session" in response) && !("sessionCookieAttrs" in response) && !("recreateSession" in response)) {
    return response;
  }
  const decision = decide(response, request.sessionKey);
  const { session: _s, sessionCookieAttrs: _a, recreateSession: _r, ...rest } = response;
  return perform(config, request, rest, decision);
}

/**
 * Ring's `wrap-session`. The handler sees `request.session` (`{}` when there is none) and `request.sessionKey`,
 * and may answer with `session` (data to store, `{}` included), `session: null` (delete, and expire the cookie),
 * `recreateSession: true` (new key) and `sessionCookieAttrs`. See `SessionOptions` for the options, validated
 * here once. With a synchronous store (the default memory store) a synchronous handler stays synchronous.
 *
 * @example
 * type Counter = { count?: number };
 * const app = wrapSession<Counter>((req) => {
 *   const count = req.session.count ?? 0;
 *   return { ...response(`You accessed this page ${count} times.`), session: { ...req.session, count: count + 1 } };
 * });
 */
export function wrapSession<S extends SessionData = UntypedSession>(
  options?: SessionOptions<S>,
): <Req extends Request = Request, Res extends Response = Response>(
  handler: Handler<Req & SessionRequestKeys<S>, Res & SessionResponseKeys<S>>,
) => Handler<Incoming<Req>, Outgoing<Res>>;
export function wrapSession<
  S extends SessionData = UntypedSession,
  Req extends Request = Request,
  Res extends Response = Response,
>(
  handler: Handler<Req & SessionRequestKeys<S>, Res & SessionResponseKeys<S>>,
  options?: SessionOptions<S>,
): Handler<Incoming<Req>, Outgoing<Res>>;
export function wrapSession(
  handler: Handler<any, any> | SessionOptions<any> | undefined,
  options: SessionOptions<any> = {},
): Handler<any, any> | ((handler: Handler<any, any>) => Handler<any, any>) {
  if (typeof handler !== "function") {
    checkOptionsArgument("wrapSession", handler);
    // The options are checked (and the store chosen) once, here; each handler wrapped gets the same config.
    const config = new CompiledSessionConfig(handler ?? {}, "wrapSession");
    return (inner: Handler<any, any>) => wrapWithConfig(inner, config);
  }
  return wrapWithConfig(handler, new CompiledSessionConfig(options, "wrapSession"));
}

function wrapWithConfig<S extends SessionData, Req extends Request, Res extends Response>(
  handler: Handler<Req & SessionRequestKeys<S>, Res & SessionResponseKeys<S>>,
  config: CompiledSessionConfig,
): Handler<Incoming<Req>, Outgoing<Res>> {
  const respond = (request: Req & SessionRequestKeys<S>) =>
    andThen(handler(request), (response) => finish(config, response, request));
  return ((request: Req) => andThen(loadSession<Req, S>(config, request), respond)) as unknown as Handler<
    Incoming<Req>,
    Outgoing<Res>
  >;
}
