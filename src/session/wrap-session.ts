/**
 * Ring's `wrap-session`: the session cookie's value is a store key; the handler sees `request.session` and
 * answers with `session` to write it, `null` to delete it. The contract (docs/sessions.md) is Ring's, with
 * unknown keys never adopted, deletion clearing the cookie, async stores and typed, validated session data.
 */
import * as z from "zod/mini";
import { readCookie } from "../cookies/parse.js";
import { type CookieAttributes, cookieAttributesText } from "../cookies/serialize.js";
import { appendSetCookie } from "../cookies/set-cookie-header.js";
import { cancelBody } from "../core/cancel-body.js";
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
import { CookieTooLargeError, SessionConflictError, SessionStoreError } from "./errors.js";
import { memoryStore } from "./memory-store.js";
import { changedKeys, mergeChanges, sessionChanges } from "./merge.js";
import {
  isVersionedStore,
  type SessionData,
  type SessionReport,
  type SessionStore,
  type SessionVersion,
  type StoreReadContext,
  type VersionedSession,
  type VersionedSessionStore,
} from "./store.js";

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
 *   on the internet) and `session-conflict` (concurrency is normal too), one `console.error` line for
 *   `invalid-session` and `store-failure`.
 * - `onConflict`: what to do when another request wrote the session after this one read it and both changed
 *   the same top-level key (needs a versioned store, docs/stores.md; changes to different keys are always
 *   both kept). `"merge"` (default): this request's value wins for that key only. `"retry"`: run the handler
 *   again on the fresh session (declares the handler pure: it may run up to `maxAttempts` times).
 *   `"reject"`: answer 409 Conflict (`SessionConflictError`).
 * - `maxAttempts`: with `"retry"`, the most times the handler runs for one request; past it, 409. Default 3.
 */
export interface SessionOptions<S extends SessionData = UntypedSession> {
  store?: SessionStore<any> | undefined;
  cookieName?: string | undefined;
  root?: string | undefined;
  cookieAttrs?: CookieAttributes | undefined;
  schema?: SessionSchema<S> | undefined;
  onError?: SessionErrorHook | undefined;
  onConflict?: "merge" | "retry" | "reject" | undefined;
  maxAttempts?: number | undefined;
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
  onConflict: z.optional(
    z.enum(["merge", "retry", "reject"], { error: 'must be "merge", "retry" or "reject"' }),
  ),
  maxAttempts: z.optional(
    z.int({ error: "must be a positive integer" }).check(z.positive("must be a positive integer")),
  ),
});

/**
 * How many times in a row a merged write may meet yet another concurrent write before the request gives up
 * with 409. Each failed conditional write means some other write landed, so the session keeps moving; the
 * bound only keeps one request from waiting forever behind a flood of writers.
 */
const MAX_MERGES = 100;

const DEFAULT_ATTRS: CookieAttributes = { path: "/", httpOnly: true, sameSite: "lax" };

function defaultOnError(report: SessionReport, request: Request): void {
  if (report.kind === "rejected-cookie" || report.kind === "session-conflict") return;
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
  /** The store, when it implements the versioned extension. */
  readonly versioned: VersionedSessionStore<SessionData> | undefined;
  readonly onConflict: "merge" | "retry" | "reject";
  readonly maxAttempts: number;
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
    this.versioned = isVersionedStore(this.store) ? this.store : undefined;
    this.onConflict = parsed.onConflict ?? "merge";
    this.maxAttempts = parsed.maxAttempts ?? 3;
    if (this.versioned === undefined && this.onConflict !== "merge") {
      // Without versions a conflict cannot be seen, so the promise of "retry" or "reject" could not be kept.
      throw new TypeError(
        `${owner}: option "onConflict": "${this.onConflict}" needs a versioned store ` +
          "(readVersionedSession and writeSessionIfVersion, docs/stores.md); this store has none",
      );
    }
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

  /** What a store read is handed, so it can say why it found nothing: its reports reach `onError`. */
  readContext(request: Request): StoreReadContext {
    return { report: (what) => this.report(request, what) };
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

/**
 * The version each request's session was read at, keyed by the request `sessionRequest` made (so the halves
 * find it too), with the config that read it: a conditional write needs both.
 */
const readVersions = new WeakMap<object, { config: CompiledSessionConfig; version: SessionVersion }>();

/** `data` if it is an object that passes the schema (parsed by it); else `undefined`, reported. */
function checkData(config: CompiledSessionConfig, request: Request, data: unknown): SessionData | undefined {
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    config.report(request, {
      kind: "invalid-session",
      reason: "the store returned data that is not an object",
    });
    return undefined;
  }
  if (config.schema === undefined) return data as SessionData;
  const result = config.schema.safeParse(data);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where =
    issue === undefined || issue.path.length === 0 ? "session" : `session.${issue.path.join(".")}`;
  config.report(request, {
    kind: "invalid-session",
    reason: `${where}: ${issue?.message ?? "does not match the schema"}`,
  });
  return undefined;
}

/** The session the store returned, if it is an object (and passes the schema); else none, reported. */
function adopt<Req extends Request, S extends SessionData>(
  config: CompiledSessionConfig,
  request: Req,
  key: string,
  data: unknown,
): Req & SessionRequestKeys<S> {
  if (data === undefined || data === null) return withSession(request, EMPTY, undefined);
  const checked = checkData(config, request, data);
  return checked === undefined ? withSession(request, EMPTY, undefined) : withSession(request, checked, key);
}

/** `adopt` for a versioned read: the request also remembers the version, for the conditional write. */
function adoptVersioned<Req extends Request, S extends SessionData>(
  config: CompiledSessionConfig,
  request: Req,
  key: string,
  read: VersionedSession | undefined | null,
): Req & SessionRequestKeys<S> {
  if (read === undefined || read === null) return withSession(request, EMPTY, undefined);
  const adopted = adopt<Req, S>(config, request, key, read.data);
  if (adopted.sessionKey !== undefined) readVersions.set(adopted, { config, version: read.version });
  return adopted;
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
  const context = config.readContext(request);
  const versioned = config.versioned;
  if (versioned !== undefined) {
    return callStore(
      config,
      request,
      "readSession",
      () => versioned.readVersionedSession(key, context),
      (read) => adoptVersioned<Req, S>(config, request, key, read),
    );
  }
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

/**
 * `finish`'s answer when `onConflict` is `"retry"` and another request changed the keys this one changed:
 * run the handler again on `request`, which carries the fresh session.
 */
class Retry {
  constructor(readonly request: Request & SessionRequestKeys<SessionData>) {}
}

/** Carry out `decision` against the store; the returned response has the `Set-Cookie` line it needs. */
function perform<Res extends Response>(
  config: CompiledSessionConfig,
  request: Request & Partial<SessionRequestKeys<any>>,
  response: Res,
  decision: Decision,
  attempt: number | undefined,
): Awaitable<Res | Retry> {
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
    case "write": {
      const read = decision.key === undefined ? undefined : readVersions.get(request);
      if (read !== undefined && read.config === config && request.session !== undefined) {
        const target: WriteTarget = {
          key: decision.key!,
          attrs: decision.attrs,
          base: request.session as SessionData,
          data: decision.data,
          attempt,
          merges: 0,
        };
        return writeIfUnchanged(config, request, response, target, decision.data, read.version);
      }
      return write(config, request, response, decision.key, decision.data, decision.attrs);
    }
  }
}

/** Where a conditional write goes, and how far this request's conflict handling has got. */
interface WriteTarget {
  readonly key: string;
  readonly attrs: CookieAttributes | undefined;
  /** The session the handler saw, and the one it answered with: its changes are between the two. */
  readonly base: SessionData;
  readonly data: SessionData;
  /**
   * How many times the handler has run for this request (1 the first time), or `undefined` when it cannot
   * run again (the `sessionResponse` half has no handler to run).
   */
  readonly attempt: number | undefined;
  /** How many merged writes have met yet another concurrent write. */
  readonly merges: number;
}

/**
 * Write `data` only if the session is still at `version`; on a conflict, re-read it and merge, retry or
 * reject (docs/sessions.md, "Concurrent requests"). `data` is the handler's session the first time, then
 * its changes merged onto the session as last read.
 */
function writeIfUnchanged<Res extends Response>(
  config: CompiledSessionConfig,
  request: Request,
  response: Res,
  target: WriteTarget,
  data: SessionData,
  version: SessionVersion,
): Awaitable<Res | Retry> {
  const store = config.versioned!;
  return callStore(
    config,
    request,
    "writeSession",
    () => store.writeSessionIfVersion(target.key, data, version),
    (written) => {
      if (written === null) return resolveConflict(config, request, response, target);
      return afterWrite(config, request, response, target.key, written, target.attrs);
    },
  );
}

function resolveConflict<Res extends Response>(
  config: CompiledSessionConfig,
  request: Request,
  response: Res,
  target: WriteTarget,
): Awaitable<Res | Retry> {
  const store = config.versioned!;
  const context = config.readContext(request);
  return callStore(
    config,
    request,
    "readSession",
    () => store.readVersionedSession(target.key, context),
    (read) => {
      // Gone (deleted by a logout elsewhere, expired) reads as empty: the changes then start a new session.
      const checked = read === undefined || read === null ? undefined : checkData(config, request, read.data);
      const fresh = checked ?? EMPTY;
      // Always the changes from what the handler saw: a key this request set, which an earlier merge found
      // already at that value, must still win over a write that changed it again since.
      const mine = sessionChanges(target.base, target.data);
      const { data: merged, contested } = mergeChanges(target.base, fresh, mine);
      const keys = changedKeys(mine);
      const conflict = (resolution: "merged" | "retried" | "rejected", reason: string) =>
        config.report(request, { kind: "session-conflict", reason, resolution, keys, contested });

      const { attempt } = target;
      if (
        contested.length > 0 &&
        config.onConflict === "retry" &&
        attempt !== undefined &&
        attempt < config.maxAttempts
      ) {
        conflict("retried", `a concurrent request changed the same keys; running the handler again`);
        const again = withSession<Request, SessionData>(
          request,
          fresh,
          read === undefined || read === null ? undefined : target.key,
        );
        if (read !== undefined && read !== null) readVersions.set(again, { config, version: read.version });
        return new Retry(again);
      }
      if (contested.length > 0 && config.onConflict !== "merge") {
        const reason =
          config.onConflict === "reject"
            ? "a concurrent request changed the same keys"
            : attempt === undefined
              ? "a concurrent request changed the same keys (sessionResponse cannot run the handler again)"
              : `a concurrent request changed the same keys on each of ${attempt} runs of the handler`;
        conflict("rejected", reason);
        throw new SessionConflictError(contested);
      }
      if (target.merges >= MAX_MERGES) {
        conflict("rejected", `the session kept changing through ${MAX_MERGES} merged writes`);
        throw new SessionConflictError(contested);
      }
      conflict("merged", "a concurrent request wrote the session; this request's changes were merged");
      if (read === undefined || read === null) {
        return write(config, request, response, undefined, merged, target.attrs);
      }
      const next: WriteTarget = { ...target, merges: target.merges + 1 };
      return writeIfUnchanged(config, request, response, next, merged, read.version);
    },
  );
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
    (written) => afterWrite(config, request, response, key, written, attrs),
  );
}

/** The response after a write that returned `written` for `key`: with a cookie when the key changed. */
function afterWrite<Res extends Response>(
  config: CompiledSessionConfig,
  request: Request,
  response: Res,
  key: string | undefined,
  written: string,
  attrs: CookieAttributes | undefined,
): Res {
  // The key kept on update was already checked on the way in.
  if (written !== key || key === undefined) checkKey(config, request, written);
  // Ring: send the cookie when the key changed, or when attributes were given for this response.
  if (written !== key || attrs !== undefined) {
    return withCookie(config, request, response, written, attrs, false);
  }
  return response;
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
  return finish(configOf(config, "sessionResponse"), response, request, undefined) as Awaitable<
    Outgoing<Res>
  >;
}

function finish<Res extends Response>(
  config: CompiledSessionConfig,
  response: (Res & SessionResponseKeys<SessionData>) | null | undefined,
  request: Request & Partial<SessionRequestKeys<any>>,
  attempt: number | undefined,
): Awaitable<Response | Retry | null | undefined> {
  if (response === undefined || response === null) return response;
  if (!("session" in response) && !("sessionCookieAttrs" in response) && !("recreateSession" in response)) {
    return response;
  }
  const decision = decide(response, request.sessionKey);
  const { session: _s, sessionCookieAttrs: _a, recreateSession: _r, ...rest } = response;
  return perform(config, request, rest, decision, attempt);
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
  const run = (request: Req & SessionRequestKeys<S>, attempt: number): Awaitable<unknown> =>
    andThen(handler(request), (response) =>
      andThen(finish(config, response, request, attempt), (outcome) => {
        if (!(outcome instanceof Retry)) return outcome;
        // The answer computed from the stale session is dropped; a streamed body must not leak its source.
        cancelBody(response?.body);
        return run(outcome.request as Req & SessionRequestKeys<S>, attempt + 1);
      }),
    );
  const first = (request: Req & SessionRequestKeys<S>) => run(request, 1);
  return ((request: Req) => andThen(loadSession<Req, S>(config, request), first)) as unknown as Handler<
    Incoming<Req>,
    Outgoing<Res>
  >;
}
