/**
 * `wrapSecurityHeaders`, ring-defaults' `wrap-x-headers` and `wrap-hsts` in one: the response headers that
 * tell a browser not to sniff types, not to be framed by other sites, what referrer to send, and (on https
 * only) to keep using https. A header the response sets itself always wins. docs/defaults.md says why each.
 */
import * as z from "zod/mini";
import { checkOptionsArgument } from "../core/compose.js";
import { parseOptions } from "../core/parse-options.js";
import { isValidHeaderValue } from "../core/response-check.js";
import { andThen, type Handler, type Request, type Response } from "../core/types.js";

/** `Strict-Transport-Security` (RFC 6797) settings. */
export interface HstsOptions {
  /** Seconds the browser keeps to https. Default: 31,536,000 (one year, as ring-defaults). */
  maxAge?: number | undefined;
  /** Cover every subdomain too. Default: `true` (as ring-defaults). */
  includeSubDomains?: boolean | undefined;
  /** Ask to be put on the browsers' preload lists (hstspreload.org). Default: `false`. */
  preload?: boolean | undefined;
}

/**
 * Options of `wrapSecurityHeaders` and `securityHeadersResponse`. Each header is on by default; `false`
 * leaves it out.
 */
export interface SecurityHeadersOptions {
  /** `X-Content-Type-Options`. Default: `"nosniff"`, the one value there is. */
  contentTypeOptions?: "nosniff" | false | undefined;
  /** `X-Frame-Options`: which pages may frame this one. Default: `"SAMEORIGIN"`. */
  frameOptions?: "SAMEORIGIN" | "DENY" | false | undefined;
  /**
   * `Content-Security-Policy`, given whole. Default: `"frame-ancestors 'self'"`, `frameOptions`'s rule in the
   * header that replaces it (CSP Level 2 §7.7); the rest of a policy is the application's to write.
   */
  contentSecurityPolicy?: string | false | undefined;
  /** `Referrer-Policy`. Default: `"strict-origin-when-cross-origin"` (browsers' own default, made explicit). */
  referrerPolicy?: ReferrerPolicy | false | undefined;
  /** `Strict-Transport-Security`, sent on https requests only. Default: `{}` (the defaults of `HstsOptions`). */
  hsts?: HstsOptions | boolean | undefined;
}

/** The values of `Referrer-Policy` (W3C Referrer Policy §3). */
export type ReferrerPolicy =
  | "no-referrer"
  | "no-referrer-when-downgrade"
  | "same-origin"
  | "origin"
  | "strict-origin"
  | "origin-when-cross-origin"
  | "strict-origin-when-cross-origin"
  | "unsafe-url";

const REFERRER_POLICIES: readonly ReferrerPolicy[] = [
  "no-referrer",
  "no-referrer-when-downgrade",
  "same-origin",
  "origin",
  "strict-origin",
  "origin-when-cross-origin",
  "strict-origin-when-cross-origin",
  "unsafe-url",
];

/**
 * The request unchanged: the headers are added on the way out. Exported so every middleware has both halves.
 */
export function securityHeadersRequest<R extends Request>(request: R): R {
  return request;
}

/**
 * `response` with each configured security header it does not set itself (names compared in any case).
 * `Strict-Transport-Security` only when `request.scheme` is https: RFC 6797 §7.2 forbids it over plain http,
 * where an attacker could forge it. Bad options throw at once.
 *
 * @example
 * securityHeadersResponse(text("hi"), request);
 * // headers: { ..., "x-content-type-options": "nosniff", "x-frame-options": "SAMEORIGIN", ... }
 */
export function securityHeadersResponse<Res extends Response>(
  response: Res,
  request: Request,
  options?: SecurityHeadersOptions,
): Res {
  return addHeaders(response, request, resolveOptions("securityHeadersResponse", options));
}

/**
 * Add security headers to every response: `X-Content-Type-Options: nosniff`, `X-Frame-Options: SAMEORIGIN`,
 * `Content-Security-Policy: frame-ancestors 'self'`, `Referrer-Policy: strict-origin-when-cross-origin`, and
 * HSTS on https requests. Each can be changed or turned off (`false`); a response's own header wins.
 *
 * @example
 * const app = wrapSecurityHeaders(routes, { frameOptions: "DENY", contentSecurityPolicy: "frame-ancestors 'none'" });
 */
export function wrapSecurityHeaders(
  options?: SecurityHeadersOptions,
): <Req extends Request, Res extends Response>(handler: Handler<Req, Res>) => Handler<Req, Res>;
export function wrapSecurityHeaders<Req extends Request, Res extends Response>(
  handler: Handler<Req, Res>,
  options?: SecurityHeadersOptions,
): Handler<Req, Res>;
export function wrapSecurityHeaders(
  handler: Handler<any, any> | SecurityHeadersOptions | undefined,
  options?: SecurityHeadersOptions,
): Handler<any, any> | ((handler: Handler<any, any>) => Handler<any, any>) {
  if (typeof handler !== "function") {
    checkOptionsArgument("wrapSecurityHeaders", handler);
    const config = resolveOptions("wrapSecurityHeaders", handler);
    return (inner: Handler<any, any>) => wrapWith(inner, config);
  }
  return wrapWith(handler, resolveOptions("wrapSecurityHeaders", options));
}

function wrapWith(handler: Handler<any, any>, config: Config): Handler<any, any> {
  return (request: Request) => andThen(handler(request), (res) => addHeaders(res, request, config));
}

/** The headers to add, as [lower-case name, value], for http and for https requests. */
interface Config {
  readonly http: readonly (readonly [string, string])[];
  readonly https: readonly (readonly [string, string])[];
}

function addHeaders<Res extends Response>(response: Res, request: Request, config: Config): Res {
  const wanted = request.scheme === "https" ? config.https : config.http;
  if (wanted.length === 0) return response;
  const own = new Set<string>();
  for (const name in response.headers) own.add(name.toLowerCase());
  let headers: Record<string, string | readonly string[]> | undefined;
  for (const [name, value] of wanted) {
    if (own.has(name)) continue;
    headers ??= { ...response.headers };
    headers[name] = value;
  }
  return headers === undefined ? response : { ...response, headers };
}

const headerValue = z.string({ error: "must be a header value string" }).check(
  z.refine((value) => value.trim() !== "" && isValidHeaderValue(value), {
    error: "must be a non-empty header value without control characters",
  }),
);

const OptionsSchema = z.strictObject({
  contentTypeOptions: z.optional(
    z.union([z.literal("nosniff"), z.literal(false)], { error: 'must be "nosniff" or false' }),
  ),
  frameOptions: z.optional(
    z.union([z.literal("SAMEORIGIN"), z.literal("DENY"), z.literal(false)], {
      error: 'must be "SAMEORIGIN", "DENY" or false',
    }),
  ),
  contentSecurityPolicy: z.optional(
    z.union([headerValue, z.literal(false)], { error: "must be a policy string or false" }),
  ),
  referrerPolicy: z.optional(
    z.union([z.enum(REFERRER_POLICIES as [ReferrerPolicy, ...ReferrerPolicy[]]), z.literal(false)], {
      error: `must be a Referrer-Policy value (${REFERRER_POLICIES.join(", ")}) or false`,
    }),
  ),
  hsts: z.optional(
    z.union(
      [
        z.boolean(),
        z.strictObject({
          maxAge: z.optional(
            z.int({ error: "must be a whole number of seconds" }).check(z.gte(0, "must be 0 or more")),
          ),
          includeSubDomains: z.optional(z.boolean({ error: "must be a boolean" })),
          preload: z.optional(z.boolean({ error: "must be a boolean" })),
        }),
      ],
      { error: "must be true, false or { maxAge, includeSubDomains, preload }" },
    ),
  ),
});

/** One year, ring-defaults' `:hsts` max-age. */
const HSTS_MAX_AGE = 31_536_000;

// Options objects already checked, so `securityHeadersResponse(response, request, sameOptions)` validates once.
const checked = new WeakMap<object, Config>();
let defaults: Config | undefined;

function resolveOptions(owner: string, options: SecurityHeadersOptions | undefined): Config {
  if (options === undefined) {
    defaults ??= compile({});
    return defaults;
  }
  const cached = typeof options === "object" && options !== null ? checked.get(options) : undefined;
  if (cached !== undefined) return cached;
  const config = compile(parseOptions(owner, OptionsSchema, options));
  checked.set(options, config);
  return config;
}

function compile(given: z.infer<typeof OptionsSchema>): Config {
  const http: [string, string][] = [];
  const nosniff = given.contentTypeOptions ?? "nosniff";
  if (nosniff !== false) http.push(["x-content-type-options", nosniff]);
  const frame = given.frameOptions ?? "SAMEORIGIN";
  if (frame !== false) http.push(["x-frame-options", frame]);
  const csp = given.contentSecurityPolicy ?? "frame-ancestors 'self'";
  if (csp !== false) http.push(["content-security-policy", csp]);
  const referrer = given.referrerPolicy ?? "strict-origin-when-cross-origin";
  if (referrer !== false) http.push(["referrer-policy", referrer]);
  const hsts = given.hsts ?? true;
  if (hsts === false) return { http, https: http };
  const { maxAge = HSTS_MAX_AGE, includeSubDomains = true, preload = false } = hsts === true ? {} : hsts;
  let value = `max-age=${maxAge}`;
  if (includeSubDomains) value += "; includeSubDomains";
  if (preload) value += "; preload";
  return { http, https: [...http, ["strict-transport-security", value]] };
}
