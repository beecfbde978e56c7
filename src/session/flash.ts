/**
 * Ring's `wrap-flash`: a message kept in the session for exactly one later request (the classic "Saved!"
 * after a redirect). The flash lives in the session under `_flash`; it must run inside `wrapSession`.
 */
import * as z from "zod/mini";
import { checkOptionsArgument } from "../core/compose.js";
import { parseOptions } from "../core/parse-options.js";
import { andThen, type Handler, type Request, type Response } from "../core/types.js";
import type { SessionData } from "./store.js";
import type { SessionRequestKeys, SessionResponseKeys, UntypedSession } from "./wrap-session.js";

/** What `flashRequest` adds: the flash stored by an earlier response, if any. */
export interface FlashRequestKeys<F = unknown> {
  readonly flash?: F;
}

/** What a handler may put in its response: a flash for the next request (`undefined`/`null`: none). */
export interface FlashResponseKeys<F = unknown> {
  readonly flash?: F | null | undefined;
}

/** Options of the flash middleware. There are none; an unknown option throws, as everywhere. */
export type FlashOptions = Record<string, never>;

const FLASH_KEY = "_flash";

function present(value: unknown): boolean {
  return value !== undefined && value !== null;
}

/**
 * Ring's `flash-request`: when the session holds a flash, the request gets it as `flash` and `session` without
 * it. Throws a `TypeError` when the request has no `session` (`wrapSession` must sit outside `wrapFlash`).
 *
 * @example
 * flashRequest({ ...req, session: { user: 1, _flash: "Saved" } }); // flash: "Saved", session: { user: 1 }
 */
export function flashRequest<Req extends Request & SessionRequestKeys<any>, F = unknown>(
  request: Req,
  _options?: FlashOptions,
): Req & FlashRequestKeys<F> {
  const session = (request as Partial<SessionRequestKeys>).session;
  if (typeof session !== "object" || session === null) {
    throw new TypeError("wrapFlash: request.session is missing; wrapSession must sit outside wrapFlash");
  }
  if (!present(session[FLASH_KEY])) return request;
  const { [FLASH_KEY]: flash, ...rest } = session as SessionData;
  return { ...request, flash: flash as F, session: rest };
}

/**
 * Ring's `flash-response`: a `flash` in the response is stored in the session for the next request (merged into
 * the response's `session`, or into the request's session when the response has none); a flash the request
 * read is removed from the session even when the handler leaves the session alone. `session: null` with a new
 * flash deletes the session and starts a new one (new key) holding only the flash. The `flash` key is removed.
 *
 * @example
 * flashResponse({ ...redirect("/items"), flash: "Item saved" }, req); // session: { ...req.session, _flash: "Item saved" }
 */
export function flashResponse<Res extends Response>(
  response: (Res & SessionResponseKeys<any> & FlashResponseKeys) | null | undefined,
  request: Request & SessionRequestKeys<any> & FlashRequestKeys,
  _options?: FlashOptions,
): (Omit<Res, "flash"> & SessionResponseKeys<any>) | null | undefined {
  if (response === undefined || response === null) return response;
  const hasFlash = "flash" in response;
  if (!hasFlash && !present(request.flash)) return response;
  const { flash, ...rest } = response;
  if (present(flash)) {
    if (!("session" in rest)) return { ...rest, session: { ...request.session, [FLASH_KEY]: flash } };
    const session = rest.session;
    if (session === null) return { ...rest, session: { [FLASH_KEY]: flash }, recreateSession: true };
    return { ...rest, session: { ...(session as SessionData), [FLASH_KEY]: flash } };
  }
  // The flash was read: store the session without it, unless the handler already decided what to store.
  if (present(request.flash) && !("session" in rest)) return { ...rest, session: request.session };
  return hasFlash ? rest : response;
}

/**
 * Ring's `wrap-flash`. Put it inside `wrapSession`: `wrapSession(wrapFlash(handler))`.
 *
 * @example
 * const save = wrapSession(wrapFlash((req) => ({ ...redirect("/", 303), flash: "Saved" })));
 * const show = wrapSession(wrapFlash((req) => response(String(req.flash ?? ""))));
 */
export function wrapFlash<F = unknown, S extends SessionData = UntypedSession>(
  options?: FlashOptions,
): <Req extends Request = Request, Res extends Response = Response>(
  handler: Handler<
    Req & SessionRequestKeys<S> & FlashRequestKeys<F>,
    Res & SessionResponseKeys<S> & FlashResponseKeys<F>
  >,
) => Handler<Req & SessionRequestKeys<S>, Res & SessionResponseKeys<S>>;
export function wrapFlash<
  F = unknown,
  S extends SessionData = UntypedSession,
  Req extends Request = Request,
  Res extends Response = Response,
>(
  handler: Handler<
    Req & SessionRequestKeys<S> & FlashRequestKeys<F>,
    Res & SessionResponseKeys<S> & FlashResponseKeys<F>
  >,
  options?: FlashOptions,
): Handler<Req & SessionRequestKeys<S>, Res & SessionResponseKeys<S>>;
export function wrapFlash(
  handler: Handler<any, any> | FlashOptions | undefined,
  options?: FlashOptions,
): Handler<any, any> | ((handler: Handler<any, any>) => Handler<any, any>) {
  if (typeof handler !== "function") {
    checkOptionsArgument("wrapFlash", handler);
    if (handler !== undefined) parseOptions("wrapFlash", z.strictObject({}), handler);
    return (inner: Handler<any, any>) => wrapFlash(inner);
  }
  if (options !== undefined) parseOptions("wrapFlash", z.strictObject({}), options);
  return (request: Request & SessionRequestKeys) => {
    const inner = flashRequest(request);
    return andThen(handler(inner), (response) => flashResponse(response, inner));
  };
}
