/**
 * `wrapDefaults`, ring-defaults' `wrap-defaults`: one call that stacks the middleware a site (`siteDefaults`)
 * or an API (`apiDefaults`) needs, in Ring's order, each part turned off with `false` or configured with its
 * options. In `ringlet/node` because two parts (`wrapFile`, `wrapMultipartParams`) touch the file system.
 * docs/defaults.md has the stacks, the order and why.
 */
import * as z from "zod/mini";
import { type CookiesRequestKeys, type CookiesResponseKeys, wrapCookies } from "../../cookies/middleware.js";
import { parseOptions } from "../../core/parse-options.js";
import type { Handler, Request, Response } from "../../core/types.js";
import type { FileOptions } from "../../files/file-response.js";
import { wrapFile } from "../../files/wrap-file.js";
import { type ContentTypeOptions, wrapContentType } from "../../middleware/content-type.js";
import { type DefaultCharsetOptions, wrapDefaultCharset } from "../../middleware/default-charset.js";
import type { NestedParams } from "../../middleware/nested-params.js";
import { type NotModifiedOptions, wrapNotModified } from "../../middleware/not-modified.js";
import { type NestedOptions, type Params, type ParamsOptions, wrapParams } from "../../middleware/params.js";
import { type SecurityHeadersOptions, wrapSecurityHeaders } from "../../middleware/security-headers.js";
import {
  type AntiForgeryOptions,
  type AntiForgeryRequestKeys,
  wrapAntiForgery,
} from "../../session/anti-forgery.js";
import { type FlashRequestKeys, type FlashResponseKeys, wrapFlash } from "../../session/flash.js";
import {
  type SessionOptions,
  type SessionRequestKeys,
  type SessionResponseKeys,
  type SessionSchema,
  type UntypedSession,
  wrapSession,
} from "../../session/wrap-session.js";
import {
  type MultipartParams,
  type MultipartParamsOptions,
  type MultipartValue,
  wrapMultipartParams,
} from "./multipart-params.js";

/**
 * What `wrapDefaults` stacks. A part is on when its key holds `true` (its middleware's defaults) or its
 * options, and off when the key holds `false` or is absent, as in ring-defaults. Outermost first:
 * `securityHeaders`, `notModified`, `defaultCharset`, `contentType`, `files`, `cookies`, `params`,
 * `multipart`, `session`, `flash`, `antiForgery`.
 */
export interface DefaultsConfig {
  /** Query string and urlencoded form params, `wrapParams` (its `nested` is the `nested` key here). */
  params?: Omit<ParamsOptions, "nested"> | boolean | undefined;
  /** Read `params` as nested names (`user[name]`), for urlencoded and multipart params alike. */
  nested?: NestedOptions | boolean | undefined;
  /** `multipart/form-data` bodies, `wrapMultipartParams` (its `nested` is the `nested` key here). */
  multipart?: Omit<MultipartParamsOptions, "nested"> | boolean | undefined;
  /** `req.cookies` and the `cookies` response key, `wrapCookies`. */
  cookies?: boolean | undefined;
  /** `wrapSession`; `true` is its defaults (a `memoryStore`). A `schema` here types `req.session`. */
  session?: SessionOptions<any> | boolean | undefined;
  /** `wrapFlash`; needs `session`. */
  flash?: boolean | undefined;
  /** `wrapAntiForgery`; needs `session`. */
  antiForgery?: AntiForgeryOptions | boolean | undefined;
  /** Static files, `wrapFile`: the folder, or `{ root, ...FileOptions }`. No default folder. */
  files?: string | (FileOptions & { root: string }) | false | undefined;
  /** `wrapNotModified`. */
  notModified?: NotModifiedOptions | boolean | undefined;
  /** `wrapContentType`. */
  contentType?: ContentTypeOptions | boolean | undefined;
  /** `wrapDefaultCharset`. */
  defaultCharset?: DefaultCharsetOptions | boolean | undefined;
  /** `wrapSecurityHeaders`. */
  securityHeaders?: SecurityHeadersOptions | boolean | undefined;
}

/**
 * ring-defaults' `site-defaults`: params (urlencoded, nested, multipart), cookies, a session with flash and
 * anti-forgery, not-modified, content types, a UTF-8 default charset and the security headers (HSTS on https
 * requests only). No static files: add `files: "public"`. Frozen; spread it to change a part.
 *
 * @example
 * const app = wrapDefaults(routes, { ...siteDefaults, files: "public", session: { store: cookieStore({ secret }) } });
 */
export const siteDefaults = Object.freeze({
  params: true,
  nested: true,
  multipart: true,
  cookies: true,
  session: true,
  flash: true,
  antiForgery: true,
  files: false,
  notModified: true,
  contentType: true,
  defaultCharset: true,
  securityHeaders: true,
} as const);

/**
 * ring-defaults' `api-defaults`: urlencoded and nested params, not-modified, content types, a UTF-8 default
 * charset and `X-Content-Type-Options: nosniff`; no cookies, session or anti-forgery (an API's clients are
 * not browsers holding a session cookie). Frozen; spread it to change a part.
 *
 * @example
 * const api = wrapDefaults(routes, apiDefaults);
 */
export const apiDefaults = Object.freeze({
  params: true,
  nested: true,
  notModified: true,
  contentType: true,
  defaultCharset: true,
  securityHeaders: Object.freeze({
    frameOptions: false,
    contentSecurityPolicy: false,
    referrerPolicy: false,
    hsts: false,
  } as const),
} as const);

/** Whether a part of `C` is on, off, or may be either (its type says `boolean`, or it is optional). */
type State<V> = [V] extends [false | undefined]
  ? "off"
  : [false] extends [V]
    ? "maybe"
    : [undefined] extends [V]
      ? "maybe"
      : "on";
type Part<C, K extends keyof DefaultsConfig> = K extends keyof C ? State<C[K]> : "off";
type Keys<S, T> = S extends "on" ? T : S extends "maybe" ? Partial<T> : unknown;
type Either<A, B> = A extends "on"
  ? "on"
  : B extends "on"
    ? "on"
    : A extends "maybe"
      ? "maybe"
      : B extends "maybe"
        ? "maybe"
        : "off";

type Leaf<C> = Part<C, "multipart"> extends "off" ? string : MultipartValue;
/** `params` as the configuration makes it: flat or nested, with files when multipart is on. */
export type DefaultsParams<C> =
  Part<C, "nested"> extends "off"
    ? Readonly<Record<string, Leaf<C> | readonly Leaf<C>[]>>
    : NestedParams<Leaf<C>>;
/** The session's type: the `schema`'s output when `session` has one, else `UntypedSession`. */
export type DefaultsSession<C> = C extends { readonly session: { readonly schema: SessionSchema<infer S> } }
  ? S
  : UntypedSession;

/** The keys `wrapDefaults(config)` adds to the request, part by part. */
export type DefaultsRequestKeys<C> = Keys<
  Part<C, "params">,
  { readonly queryParams: Params; readonly formParams: Params }
> &
  Keys<Either<Part<C, "params">, Part<C, "multipart">>, { readonly params: DefaultsParams<C> }> &
  Keys<Part<C, "multipart">, { readonly multipartParams: MultipartParams }> &
  Keys<Part<C, "cookies">, CookiesRequestKeys> &
  Keys<Part<C, "session">, SessionRequestKeys<DefaultsSession<C>>> &
  Keys<Part<C, "flash">, FlashRequestKeys> &
  Keys<Part<C, "antiForgery">, AntiForgeryRequestKeys>;

/** The keys a handler may answer with under `wrapDefaults(config)`. */
export type DefaultsResponseKeys<C> = (Part<C, "cookies"> extends "off" ? unknown : CookiesResponseKeys) &
  (Part<C, "session"> extends "off" ? unknown : SessionResponseKeys<DefaultsSession<C>>) &
  (Part<C, "flash"> extends "off" ? unknown : FlashResponseKeys);

/**
 * Wrap `handler` in the middleware `config` turns on, in ring-defaults' order; give it `siteDefaults` or
 * `apiDefaults`, spread and changed as needed. Every part's options are checked now; a bad one throws a
 * `TypeError` naming it (`wrapDefaults: option "session.cookieName": ...`). With only `config`, returns the
 * middleware, for `compose`.
 *
 * @example
 * const app = wrapDefaults(
 *   (req) => (req.method === "POST" ? text(`hello ${req.params.name}`) : html(`<form method="post">${antiForgeryField(req)}…`)),
 *   { ...siteDefaults, files: "public" },
 * );
 * serve(app, { port: 3000 });
 */
export function wrapDefaults<const C extends DefaultsConfig>(
  config: C,
): <Req extends Request = Request>(
  handler: Handler<Req & DefaultsRequestKeys<C>, Response & DefaultsResponseKeys<C>>,
) => Handler<Req, Response>;
export function wrapDefaults<const C extends DefaultsConfig>(
  handler: Handler<Request & DefaultsRequestKeys<C>, Response & DefaultsResponseKeys<C>>,
  config: C,
): Handler<Request, Response>;
export function wrapDefaults(
  handler: Handler<any, any> | DefaultsConfig,
  config?: DefaultsConfig,
): Handler<any, any> | ((handler: Handler<any, any>) => Handler<any, any>) {
  if (typeof handler !== "function") {
    if (typeof handler !== "object" || handler === null) {
      throw new TypeError(
        `wrapDefaults: the first argument must be a handler function, or the configuration (siteDefaults, apiDefaults) to get the middleware (got ${handler === null ? "null" : typeof handler})`,
      );
    }
    const stack = build(handler);
    return (inner: Handler<any, any>) => stack(inner);
  }
  if (config === undefined) {
    throw new TypeError(
      "wrapDefaults: give a configuration as the second argument (siteDefaults, apiDefaults)",
    );
  }
  return build(config)(handler);
}

type Wrap = (handler: Handler<any, any>) => Handler<any, any>;

const part = z.optional(
  z.union([z.boolean(), z.custom<object>((value) => typeof value === "object" && value !== null)], {
    error: "must be true, false or an options object",
  }),
);
const flag = z.optional(z.boolean({ error: "must be a boolean" }));
const ConfigSchema = z.strictObject({
  params: part,
  nested: part,
  multipart: part,
  cookies: flag,
  session: part,
  flash: flag,
  antiForgery: part,
  files: z.optional(
    z.union(
      [
        z.literal(false),
        z.string(),
        z.custom<object>((value) => typeof value === "object" && value !== null && "root" in value),
      ],
      { error: "must be a folder, { root, ...options } or false (there is no default folder)" },
    ),
  ),
  notModified: part,
  contentType: part,
  defaultCharset: part,
  securityHeaders: part,
});

/** `value` as a part's options: `undefined` for its defaults, or the object given. */
function optionsOf<T>(value: boolean | T): T | undefined {
  return value === true ? undefined : (value as T);
}

/** Build one part, its errors re-told as `wrapDefaults`'s, under the part's key. */
function within<T>(key: string, make: () => T): T {
  try {
    return make();
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    const message = error.message.replace(/^\w+: /, "");
    const told = /^option "/.test(message)
      ? message.replace(/^option "/, `option "${key}.`)
      : /^unknown option "/.test(message)
        ? message.replace(/^unknown option "/, `unknown option "${key}.`)
        : `option "${key}": ${message}`;
    throw new TypeError(`wrapDefaults: ${told}`, { cause: error });
  }
}

/** Check `config` and build each part once; the result wraps a handler in them, outermost first. */
function build(config: DefaultsConfig): Wrap {
  const c = parseOptions("wrapDefaults", ConfigSchema, config) as DefaultsConfig;
  const on = (value: unknown) => value !== undefined && value !== false;
  if (on(c.flash) && !on(c.session))
    throw new TypeError('wrapDefaults: option "flash" needs option "session"');
  if (on(c.antiForgery) && !on(c.session)) {
    throw new TypeError('wrapDefaults: option "antiForgery" needs option "session"');
  }
  if (on(c.nested) && !on(c.params) && !on(c.multipart)) {
    throw new TypeError('wrapDefaults: option "nested" needs option "params" or option "multipart"');
  }
  for (const key of ["params", "multipart"] as const) {
    const value = c[key];
    if (typeof value === "object" && value !== null && "nested" in value) {
      throw new TypeError(
        `wrapDefaults: option "${key}.nested": give it as option "nested", which covers both`,
      );
    }
  }
  const nested = on(c.nested) ? (c.nested === true ? true : (c.nested as NestedOptions)) : false;
  const layers: Wrap[] = [];
  // Outermost first, ring-defaults 0.7.1's order read from the outside in. The headers go on every answer,
  // 304s and static files included; not-modified sees the final validators; content type and charset are
  // settled before it; static files are answered before any cookie, param or session work.
  if (on(c.securityHeaders)) {
    layers.push(within("securityHeaders", () => wrapSecurityHeaders(optionsOf(c.securityHeaders!))));
  }
  if (on(c.notModified)) layers.push(within("notModified", () => wrapNotModified(optionsOf(c.notModified!))));
  if (on(c.defaultCharset)) {
    layers.push(within("defaultCharset", () => wrapDefaultCharset(optionsOf(c.defaultCharset!))));
  }
  if (on(c.contentType)) layers.push(within("contentType", () => wrapContentType(optionsOf(c.contentType!))));
  if (on(c.files)) {
    const files = c.files as string | (FileOptions & { root: string });
    layers.push(
      within("files", () => {
        if (typeof files === "string") return wrapFile(files);
        const { root, ...options } = files;
        return wrapFile(root, options);
      }),
    );
  }
  if (on(c.cookies)) layers.push(within("cookies", () => wrapCookies()));
  if (on(c.params)) {
    // With multipart on, the multipart layer merges these flat params with its own and nests them all at
    // once; nesting here too would nest a tree again.
    const own = optionsOf<Omit<ParamsOptions, "nested">>(c.params!) ?? {};
    const nest = on(c.multipart) ? false : nested;
    layers.push(within("params", () => wrapParams({ ...own, nested: nest } as ParamsOptions as never)));
  }
  if (on(c.multipart)) {
    const own = optionsOf<Omit<MultipartParamsOptions, "nested">>(c.multipart!) ?? {};
    layers.push(within("multipart", () => wrapMultipartParams({ ...own, nested } as never)));
  }
  if (on(c.session)) layers.push(within("session", () => wrapSession(optionsOf(c.session!))));
  if (on(c.flash)) layers.push(within("flash", () => wrapFlash()));
  if (on(c.antiForgery)) layers.push(within("antiForgery", () => wrapAntiForgery(optionsOf(c.antiForgery!))));
  return (handler) => layers.reduceRight<Handler<any, any>>((inner, wrap) => wrap(inner), handler);
}
