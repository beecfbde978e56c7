/**
 * Ring's `wrap-session`: the session cookie's value is a store key; the handler sees `request.session` and
 * answers with `session` to write it, `null` to delete it. The contract (docs/sessions.md) is Ring's, with
 * unknown keys never adopted, deletion clearing the cookie, async stores and typed, validated session data.
 */
import { z } from "zod";
import { readCookie } from "../cookies/parse.js";
import { type CookieAttributes, cookieAttributesText } from "../cookies/serialize.js";
import { appendSetCookie } from "../cookies/set-cookie-header.js";
import { parseOptions } from "../core/parse-options.js";
import { type Handler, isThenable, type Request, type Response } from "../core/types.js";
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

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// RFC 6265 §4.1.1 cookie-octets: what a key can be made of. Longer than 4096 never fits a cookie (§6.1).
const KEY_CHARS = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]+$/;
const MAX_KEY_LENGTH = 4096;
const MAX_LINE_BYTES = 4096;
const EMPTY: SessionData = Object.freeze({});

const isFunction = (value: unknown): boolean => typeof value === "function";

const optionsSchema = z.strictObject({
  store: z
    .custom<SessionStore>(
      (value) =>
        typeof value === "object" &&
        value !== null &&
        isFunction((value as SessionStore).readSession) &&
        isFunction((value as SessionStore).writeSession) &&
        isFunction((value as SessionStore).deleteSession),
      "must be a SessionStore (readSession, writeSession and deleteSession functions)",
    )
    .optional(),
  cookieName: z.string().regex(TOKEN, "must be an RFC 6265 cookie name (an RFC 9110 token)").optional(),
  root: z.string().startsWith("/", 'must start with "/"').optional(),
  cookieAttrs: z
    .strictObject({
      path: z.string().optional(),
      domain: z.string().optional(),
      maxAge: z.number().int().optional(),
      expires: z.date().optional(),
      secure: z.boolean().optional(),
      httpOnly: z.boolean().optional(),
      sameSite: z
        .string()
        .refine((v) => /^(strict|lax|none)$/i.test(v), 'must be "strict", "lax" or "none"')
        .optional(),
      partitioned: z.boolean().optional(),
      priority: z
        .string()
        .refine((v) => /^(low|medium|high)$/i.test(v), 'must be "low", "medium" or "high"')
        .optional(),
    })
    .optional(),
  schema: z
    .custom<SessionSchema>(
      (value) =>
        typeof value === "object" && value !== null && isFunction((value as SessionSchema).safeParse),
      "must be a zod schema (an object with safeParse)",
    )
    .optional(),
  onError: z.custom<SessionErrorHook>(isFunction, "must be a function").optional(),
});

/** Options validated and cookie attributes compiled, once. */
interface SessionConfig {
  readonly store: SessionStore<SessionData>;
  readonly cookieName: string;
  readonly schema: SessionSchema | undefined;
  readonly onError: SessionErrorHook;
  /** defaults < cookieAttrs < root; `secure` only when given. */
  readonly attrs: CookieAttributes;
  readonly secureGiven: boolean;
  /** Attribute text for `http` and `https` requests, and the same with `Max-Age=0` for deletion. */
  readonly text: readonly [http: string, https: string];
  readonly expire: readonly [http: string, https: string];
}

const DEFAULT_ATTRS: CookieAttributes = { path: "/", httpOnly: true, sameSite: "lax" };

function defaultOnError(report: SessionReport, request: Request): void {
  if (report.kind === "rejected-cookie") return;
  const cause = report.cause instanceof Error ? `: ${report.cause.message}` : "";
  console.error(
    `ringlet session ${report.kind}: ${report.reason}${cause} (${request.method} ${request.uri})`,
  );
}

function merge(base: CookieAttributes, over: CookieAttributes | undefined): CookieAttributes {
  if (over === undefined) return base;
  const out: Record<string, unknown> = { ...base };
  for (const key in over) {
    const value = (over as Record<string, unknown>)[key];
    if (value !== undefined) out[key] = value;
  }
  return out as CookieAttributes;
}

function compile(
  name: string,
  attrs: CookieAttributes,
  secureGiven: boolean,
  https: boolean,
  expire: boolean,
) {
  let all = secureGiven || !https ? attrs : { ...attrs, secure: true };
  if (expire) all = { ...all, maxAge: 0, expires: undefined };
  return cookieAttributesText(name, all);
}

function buildConfig(options: SessionOptions<any>): SessionConfig {
  const parsed = parseOptions("wrapSession", optionsSchema, options);
  const cookieName = parsed.cookieName ?? "ring-session";
  let attrs = merge(DEFAULT_ATTRS, parsed.cookieAttrs as CookieAttributes | undefined);
  if (parsed.root !== undefined) attrs = { ...attrs, path: parsed.root };
  const secureGiven = attrs.secure !== undefined;
  let text: [string, string];
  let expire: [string, string];
  try {
    text = [
      compile(cookieName, attrs, secureGiven, false, false),
      compile(cookieName, attrs, secureGiven, true, false),
    ];
    expire = [
      compile(cookieName, attrs, secureGiven, false, true),
      compile(cookieName, attrs, secureGiven, true, true),
    ];
  } catch (error) {
    throw new TypeError(`wrapSession: option "cookieAttrs": ${(error as Error).message}`);
  }
  return {
    store: (parsed.store as SessionStore<SessionData> | undefined) ?? memoryStore(),
    cookieName,
    schema: parsed.schema,
    onError: parsed.onError ?? defaultOnError,
    attrs,
    secureGiven,
    text,
    expire,
  };
}

const configs = new WeakMap<object, SessionConfig>();
let defaultConfig: SessionConfig | undefined;

// The halves take plain options; each options object is validated once and remembered, so pass the same
// object on every request (a new `{}` each time would also mean a new default memory store each time).
function configFor(options: SessionOptions<any> | undefined): SessionConfig {
  if (options === undefined) {
    defaultConfig ??= buildConfig({});
    return defaultConfig;
  }
  let config = configs.get(options);
  if (config === undefined) {
    config = buildConfig(options);
    configs.set(options, config);
  }
  return config;
}

function report(config: SessionConfig, request: Request, what: SessionReport): void {
  try {
    config.onError(what, request);
  } catch (error) {
    // A failing hook must not turn a rejected cookie into a failed request; it is still not silent.
    console.error(
      `ringlet session: onError threw: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** The `StoreReadContext` a store gets: its reports go to `onError` with this request. */
class ReadContext implements StoreReadContext {
  constructor(
    private readonly config: SessionConfig,
    private readonly request: Request,
  ) {}
  report(what: SessionReport): void {
    report(this.config, this.request, what);
  }
}

function storeFailure(
  config: SessionConfig,
  request: Request,
  operation: "readSession" | "writeSession" | "deleteSession",
  cause: unknown,
): SessionStoreError {
  const error = new SessionStoreError(operation, cause);
  report(config, request, { kind: "store-failure", reason: `${operation} failed`, cause });
  return error;
}

function withSession<Req extends Request, S extends SessionData>(
  request: Req,
  session: SessionData,
  sessionKey: string | undefined,
): Req & SessionRequestKeys<S> {
  // Not `{ ...request, session, sessionKey }`: on Node 20 (V8 11) a spread that adds keys costs ≈ 3 µs, a copy
  // then two stores ≈ 0.15 µs. Object.assign would call the `__proto__` setter for an own "__proto__" key,
  // so such a request keeps the spread.
  if (Object.hasOwn(request, "__proto__")) return { ...request, session: session as Partial<S>, sessionKey };
  const out = Object.assign({}, request) as Req & { session: unknown; sessionKey: unknown };
  out.session = session;
  out.sessionKey = sessionKey;
  return out as Req & SessionRequestKeys<S>;
}

function adopt<Req extends Request, S extends SessionData>(
  config: SessionConfig,
  request: Req,
  key: string,
  data: unknown,
): Req & SessionRequestKeys<S> {
  if (data === undefined || data === null) return withSession(request, EMPTY, undefined);
  if (typeof data !== "object" || Array.isArray(data)) {
    report(config, request, {
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
      report(config, request, {
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
 * throw (or reject with) a `SessionStoreError`.
 *
 * @example
 * const options = { store: memoryStore() }; // one object, reused: validated once
 * const req = await sessionRequest(request, options);
 * req.session; // {} or the stored data
 */
export function sessionRequest<Req extends Request, S extends SessionData = UntypedSession>(
  request: Req,
  options?: SessionOptions<S>,
): (Req & SessionRequestKeys<S>) | Promise<Req & SessionRequestKeys<S>> {
  return loadSession(configFor(options), request);
}

function loadSession<Req extends Request, S extends SessionData>(
  config: SessionConfig,
  request: Req,
): (Req & SessionRequestKeys<S>) | Promise<Req & SessionRequestKeys<S>> {
  const cookies = (request as { cookies?: Readonly<Record<string, string>> }).cookies;
  const key =
    typeof cookies === "object" && cookies !== null
      ? cookies[config.cookieName]
      : readCookie(request.headers.cookie, config.cookieName);
  if (key === undefined) return withSession(request, EMPTY, undefined);
  if (typeof key !== "string" || key.length === 0 || key.length > MAX_KEY_LENGTH || !KEY_CHARS.test(key)) {
    report(config, request, { kind: "rejected-cookie", reason: "the session cookie is not a plausible key" });
    return withSession(request, EMPTY, undefined);
  }
  let data: ReturnType<SessionStore["readSession"]>;
  try {
    data = config.store.readSession(key, new ReadContext(config, request));
  } catch (error) {
    throw storeFailure(config, request, "readSession", error);
  }
  if (isThenable(data)) {
    return data.then(
      (value) => adopt(config, request, key, value),
      (error: unknown) => {
        throw storeFailure(config, request, "readSession", error);
      },
    );
  }
  return adopt(config, request, key, data);
}

function setCookie<Res extends Response>(
  config: SessionConfig,
  request: Request,
  response: Res,
  value: string,
  attrs: CookieAttributes | undefined,
  expire: boolean,
): Res {
  const https = request.scheme === "https" ? 1 : 0;
  let text: string;
  if (attrs === undefined) {
    text = expire ? config.expire[https] : config.text[https];
  } else {
    let all = merge(config.attrs, attrs);
    if (!config.secureGiven && attrs.secure === undefined && https) all = { ...all, secure: true };
    if (expire) all = { ...all, maxAge: 0, expires: undefined };
    text = cookieAttributesText(config.cookieName, all);
  }
  const line = `${config.cookieName}=${value}${text}`;
  // RFC 6265 §6.1: browsers keep at least 4096 bytes per cookie (name, value and attributes); past that they
  // may drop it silently. The line is ASCII, so its length is its size in bytes.
  if (line.length > MAX_LINE_BYTES)
    throw new CookieTooLargeError(config.cookieName, line.length, MAX_LINE_BYTES);
  return { ...response, headers: appendSetCookie(response.headers, line) };
}

function checkedKey(config: SessionConfig, request: Request, key: unknown): string {
  if (typeof key !== "string" || !KEY_CHARS.test(key)) {
    // Never the key itself: it is (nearly) a session id, and this message is logged.
    const got =
      typeof key !== "string"
        ? key === null
          ? "null"
          : typeof key
        : key === ""
          ? "an empty string"
          : "a string with other characters";
    const problem = new TypeError(
      `writeSession must return a non-empty string of RFC 6265 cookie-octets, got ${got}`,
    );
    throw storeFailure(config, request, "writeSession", problem);
  }
  return key;
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

function afterWrite<Res extends Response>(
  config: SessionConfig,
  request: Request,
  response: Res,
  oldKey: string | undefined,
  written: unknown,
  attrs: CookieAttributes | undefined,
): Res {
  // The key kept on update was already checked on the way in.
  const key = written === oldKey && oldKey !== undefined ? oldKey : checkedKey(config, request, written);
  // Ring: send the cookie when the key changed, or when attributes were given for this response.
  if (key !== oldKey || attrs !== undefined) return setCookie(config, request, response, key, attrs, false);
  return response;
}

function write<Res extends Response>(
  config: SessionConfig,
  request: Request,
  response: Res,
  oldKey: string | undefined,
  data: SessionData,
  attrs: CookieAttributes | undefined,
): Res | Promise<Res> {
  let written: ReturnType<SessionStore["writeSession"]>;
  try {
    written = config.store.writeSession(oldKey, data);
  } catch (error) {
    // Data the store refuses at once (it would not survive JSON, or not fit a cookie) is the handler's bug,
    // not an outage: let it through as it is (a 500), rather than a 503 that says "try again later".
    if (error instanceof TypeError || error instanceof CookieTooLargeError) throw error;
    throw storeFailure(config, request, "writeSession", error);
  }
  if (isThenable(written)) {
    return written.then(
      (key) => afterWrite(config, request, response, oldKey, key, attrs),
      (error: unknown) => {
        throw storeFailure(config, request, "writeSession", error);
      },
    );
  }
  return afterWrite(config, request, response, oldKey, written, attrs);
}

function remove<T>(
  config: SessionConfig,
  request: Request,
  key: string,
  next: () => T | Promise<T>,
): T | Promise<T> {
  let done: ReturnType<SessionStore["deleteSession"]>;
  try {
    done = config.store.deleteSession(key);
  } catch (error) {
    throw storeFailure(config, request, "deleteSession", error);
  }
  if (isThenable(done)) {
    return done.then(next, (error: unknown) => {
      throw storeFailure(config, request, "deleteSession", error);
    });
  }
  return next();
}

/**
 * Ring's `session-response`: store, delete or keep the session as the response says (docs/sessions.md has the
 * table), add the `set-cookie` line when the key changed, and remove `session`, `sessionCookieAttrs` and
 * `recreateSession`. The store has finished before the response is returned. Returns a Promise only when the
 * store answered with one. Throws a `SessionStoreError` when the store fails (no cookie is sent), and a
 * `CookieTooLargeError` when the `set-cookie` line would exceed 4096 bytes.
 *
 * @example
 * const res = await sessionResponse({ ...response("ok"), session: { user: 42 } }, req, options);
 */
export function sessionResponse<Res extends Response, S extends SessionData = UntypedSession>(
  response: (Res & SessionResponseKeys<S>) | null | undefined,
  request: Request & Partial<SessionRequestKeys<any>>,
  options?: SessionOptions<S>,
): Outgoing<Res> | Promise<Outgoing<Res>> {
  return writeResponse(configFor(options), response, request) as Outgoing<Res> | Promise<Outgoing<Res>>;
}

function writeResponse<Res extends Response>(
  config: SessionConfig,
  response: (Res & SessionResponseKeys<SessionData>) | null | undefined,
  request: Request & Partial<SessionRequestKeys<any>>,
): Response | null | undefined | Promise<Response> {
  if (response === undefined || response === null) return response;
  const hasSession = "session" in response;
  if (!hasSession && !("sessionCookieAttrs" in response) && !("recreateSession" in response)) return response;
  const { session, sessionCookieAttrs: attrs, recreateSession, ...rest } = response;
  const key = request.sessionKey;
  if (attrs !== undefined && (typeof attrs !== "object" || attrs === null)) {
    throw new TypeError(`response.sessionCookieAttrs must be an object, got ${String(attrs)}`);
  }
  if (!hasSession) {
    // No change to the session; with attributes, re-send the current key so the handler can extend its life.
    return attrs !== undefined && key !== undefined
      ? setCookie(config, request, rest, key, attrs, false)
      : rest;
  }
  if (session === null) {
    // Unlike Ring, deleting a session always expires the cookie, so the browser forgets the key too.
    const expire = () => setCookie(config, request, rest, "", attrs, true);
    return key === undefined ? expire() : remove(config, request, key, expire);
  }
  if (typeof session !== "object" || Array.isArray(session)) {
    throw new TypeError(
      `response.session must be an object (to store), null (to delete) or absent, got ${Array.isArray(session) ? "an array" : typeof session}`,
    );
  }
  if (recreateSession === true) {
    // Session fixation defence (OWASP): after a privilege change, the old key must stop working.
    if (key === undefined) return write(config, request, rest, undefined, session, attrs);
    return remove(config, request, key, () => write(config, request, rest, undefined, session, attrs));
  }
  return write(config, request, rest, key, session, attrs);
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
export function wrapSession<
  S extends SessionData = UntypedSession,
  Req extends Request = Request,
  Res extends Response = Response,
>(
  handler: Handler<Req & SessionRequestKeys<S>, Res & SessionResponseKeys<S>>,
  options: SessionOptions<S> = {},
): Handler<Incoming<Req>, Outgoing<Res>> {
  const config = buildConfig(options);
  const respond = (request: Req & SessionRequestKeys<S>) => {
    const response = handler(request);
    if (isThenable(response)) return response.then((value) => writeResponse(config, value, request));
    return writeResponse(config, response, request);
  };
  return ((request: Req) => {
    const read = loadSession<Req, S>(config, request);
    return isThenable(read) ? read.then(respond) : respond(read);
  }) as unknown as Handler<Incoming<Req>, Outgoing<Res>>;
}
