/**
 * The data contract of ringlet (docs/SPEC.md): requests and responses are plain, immutable maps, a
 * handler turns one into the other, and middleware turns a handler into a handler.
 */

/** Any body a handler may return. See docs/SPEC.md, "Response bodies". */
export type ResponseBody =
  | string
  | Uint8Array
  | AsyncIterable<Uint8Array | string>
  | ReadableStream<Uint8Array | string>
  | NodeReadableLike
  | null
  | undefined;

/**
 * The structural shape of a Node `stream.Readable` that the adapters accept, declared here so the core
 * imports no `node:` module. A Node `Readable` is also an `AsyncIterable`, which is how it is consumed.
 */
export interface NodeReadableLike extends AsyncIterable<Uint8Array | string> {
  readonly readable: boolean;
  pipe: unknown;
  destroy(error?: Error): unknown;
}

/** Request headers: lower-case names; repeated headers joined with `", "` (`cookie` with `"; "`). */
export type RequestHeaders = Readonly<Record<string, string>>;

/** Response headers: an array value is sent as one header line per element (as for `set-cookie`). */
export type ResponseHeaders = Readonly<Record<string, string | readonly string[]>>;

/** The request map an adapter builds. Middleware adds keys by spreading into a new object. */
export interface Request {
  /** Upper case as sent: `"GET"`, `"PATCH"`, any token. */
  readonly method: string;
  /** The raw path, still percent-encoded, always starting with `/`; no query. */
  readonly uri: string;
  /** The raw text after `?`, without the `?`; `undefined` when the target has no `?`. */
  readonly queryString: string | undefined;
  readonly scheme: "http" | "https";
  /** e.g. `"HTTP/1.1"`. */
  readonly protocol: string;
  readonly headers: RequestHeaders;
  /** From the Host header, else the local address. */
  readonly serverName: string;
  readonly serverPort: number;
  /** The peer address. */
  readonly remoteAddr: string;
  /** Lazy: nothing is read, copied or wrapped until a handler iterates it. */
  readonly body: AsyncIterable<Uint8Array> | undefined;
}

/** The response map a handler returns. */
export interface Response {
  /** An integer from 100 to 599. */
  readonly status: number;
  readonly headers: ResponseHeaders;
  readonly body?: ResponseBody;
}

/** A handler: a function from a request to a response, synchronously or not. */
export type Handler<Req extends Request = Request, Res extends Response = Response> = (
  request: Req,
) => Res | Promise<Res>;

/** Middleware: a function from handler to handler. */
export type Middleware<
  InnerReq extends Request = Request,
  OuterReq extends Request = Request,
  InnerRes extends Response = Response,
  OuterRes extends Response = Response,
> = (handler: Handler<InnerReq, InnerRes>) => Handler<OuterReq, OuterRes>;

/** A value or a promise of it: what handlers, stores and hooks may return. */
export type Awaitable<T> = T | Promise<T>;

/**
 * True for a function: the one check behind every option that takes a hook (`onError`, `now`, ...).
 *
 * @example
 * const schema = z.custom<OnError>(isFunction, "must be a function");
 */
export function isFunction(value: unknown): value is (...args: never[]) => unknown {
  return typeof value === "function";
}

/**
 * Whether an `Awaitable` is a promise (any thenable), so a synchronous result can be used without an `await`.
 *
 * @example
 * const result = handler(request);
 * return isThenable(result) ? result.then(finish) : finish(result);
 */
export function isThenable<T>(value: Awaitable<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === "function";
}

/**
 * `f(value)`, after the promise settles when `value` is one: continue a sync-or-async result without an
 * `await`, so a synchronous chain stays synchronous. Every middleware that may be either uses it.
 *
 * @example
 * return andThen(handler(request), (response) => finish(response, request));
 */
export function andThen<T, U>(value: Awaitable<T>, f: (value: T) => Awaitable<U>): Awaitable<U> {
  return isThenable(value) ? value.then(f) : f(value);
}
