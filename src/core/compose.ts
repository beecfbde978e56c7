/**
 * `compose` applies middleware in reading order, so the first one listed is the outermost: it sees the
 * request first and the response last, as with Ring's `->` threading read top to bottom. Its types follow
 * what each middleware adds: the handler given to the composition sees every key the middleware put on the
 * request, and may answer with every key they read from the response.
 */
import { describeKind } from "./describe-value.js";
import type { Handler, Request, Response } from "./types.js";

/**
 * Any middleware: a function whose first argument is the handler it wraps (options, if it takes any, come
 * after). Every `wrapXxx` in ringlet is one, as is `wrapXxx(options)`, the form with its options applied.
 */
export type AnyMiddleware = (handler: Handler<any, any>, ...options: any[]) => Handler<any, any>;

/**
 * The request a middleware hands its inner handler, e.g. `Request & ParamsRequestKeys` for `wrapParams`.
 * A generic middleware is read at its type parameters' constraints.
 */
export type InnerRequest<M> = M extends (handler: Handler<infer Req, any>, ...options: any[]) => unknown
  ? Req
  : never;

/** The response a middleware accepts from its inner handler, e.g. `Response & SessionResponseKeys<S>`. */
export type InnerResponse<M> = M extends (handler: Handler<any, infer Res>, ...options: any[]) => unknown
  ? Res
  : never;

type Intersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
type AllOf<U> = [U] extends [never] ? unknown : Intersection<U>;

/**
 * The handler `compose(...middleware)` takes: its request has the keys of every middleware's inner request,
 * its response may carry the keys of every middleware's inner response.
 *
 * @example
 * const handler: ComposedHandler<[typeof wrapParams]> = (req) => response(String(req.params.page));
 */
export type ComposedHandler<M extends readonly AnyMiddleware[]> = Handler<
  Request & AllOf<InnerRequest<M[number]>>,
  Response & AllOf<InnerResponse<M[number]>>
>;

/**
 * For a middleware called without a handler (`wrapSession({ store })`): its first argument must then be the
 * options object, or nothing. Throws a `TypeError` naming the middleware otherwise.
 *
 * @example
 * if (typeof handler !== "function") checkOptionsArgument("wrapHead", handler);
 */
export function checkOptionsArgument(owner: string, value: unknown): void {
  if (value === undefined || (typeof value === "object" && value !== null)) return;
  throw new TypeError(
    `${owner}: the first argument must be a handler function, or an options object to get the middleware (got ${describeKind(value)})`,
  );
}

/**
 * Compose middleware into one, outermost first. The handler's request and response are typed by what the
 * middleware add, so an unannotated handler sees `req.session`, `req.params`... with their types, and a
 * typo is a compile error. Give a middleware its options with its one-argument form (`wrapSession({ store })`),
 * or its type arguments with an instantiation expression (`wrapSession<Counter>`).
 *
 * @example
 * const app = compose(wrapHead, wrapSession<{ count?: number }>({ store }), wrapParams)((req) => ({
 *   ...text(`count=${req.session.count ?? 0}, page=${req.params.page}`),
 *   session: { count: (req.session.count ?? 0) + 1 },
 * }));
 * // same as wrapHead(wrapSession(wrapParams(handler), { store }))
 */
export function compose<const M extends readonly AnyMiddleware[]>(
  ...middleware: M
): (handler: ComposedHandler<M>) => Handler {
  for (const [i, m] of middleware.entries()) {
    if (typeof m !== "function") {
      throw new TypeError(`compose: argument ${i} is not a function (got ${typeof m})`);
    }
  }
  return (handler) =>
    middleware.reduceRight<Handler<Request, Response>>(
      (inner, wrap) => wrap(inner),
      handler as unknown as Handler<Request, Response>,
    );
}
