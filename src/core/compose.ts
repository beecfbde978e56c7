/**
 * `compose` applies middleware in reading order, so the first one listed is the outermost: it sees the
 * request first and the response last, as with Ring's `->` threading read top to bottom.
 */
import type { Handler } from "./types.js";

type AnyMiddleware = (handler: Handler<any, any>) => Handler<any, any>;

/**
 * Compose middleware into one, outermost first.
 *
 * @example
 * const app = compose(wrapLint, wrapHead, wrapParams)(handler);
 * // same as wrapLint(wrapHead(wrapParams(handler)))
 */
export function compose(...middleware: AnyMiddleware[]): (handler: Handler<any, any>) => Handler<any, any> {
  for (const [i, m] of middleware.entries()) {
    if (typeof m !== "function") {
      throw new TypeError(`compose: argument ${i} is not a function (got ${typeof m})`);
    }
  }
  return (handler) => middleware.reduceRight((inner, wrap) => wrap(inner), handler);
}
