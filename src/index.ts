/**
 * ringlet: Clojure's Ring for TypeScript. The core entry: the data contract, composition, response
 * helpers, body readers and the core middleware. Adapters live in `ringlet/node` and `ringlet/fetch`.
 */

export {
  type CookiesOptions,
  type CookiesRequestKeys,
  type CookiesResponseKeys,
  cookiesRequest,
  cookiesResponse,
  wrapCookies,
} from "./cookies/middleware.js";
export { parseCookies, readCookie } from "./cookies/parse.js";
export {
  type CookieAttributes,
  type CookiePriority,
  type CookieSpec,
  type SameSite,
  serializeCookie,
} from "./cookies/serialize.js";
export { setCookie } from "./cookies/set-cookie-header.js";
export {
  type BodySchema,
  DEFAULT_BODY_LIMIT,
  type ReadBodyOptions,
  type ReadJsonOptions,
  readBytes,
  readJson,
  readText,
  type SchemaOutput,
} from "./core/body.js";
export {
  type AnyMiddleware,
  type ComposedHandler,
  checkOptionsArgument,
  compose,
  type InnerRequest,
  type InnerResponse,
} from "./core/compose.js";
export { HttpError, type HttpErrorOptions, isHttpError } from "./core/http-error.js";
export {
  contentType,
  created,
  getHeader,
  header,
  html,
  json,
  notFound,
  redirect,
  response,
  status,
  text,
  type WithHeaders,
} from "./core/response.js";
export {
  isResponseBody,
  isValidHeaderName,
  isValidHeaderValue,
  responseProblem,
} from "./core/response-check.js";
export type {
  Awaitable,
  Handler,
  Middleware,
  NodeReadableLike,
  Request,
  RequestHeaders,
  Response,
  ResponseBody,
  ResponseHeaders,
} from "./core/types.js";
export { andThen, isFunction, isThenable } from "./core/types.js";
export {
  isWebSocketRequest,
  isWebSocketResponse,
  offeredProtocols,
  originAllowed,
  type WebSocketListener,
  type WebSocketMessage,
  type WebSocketResponse,
  type WebSocketSocket,
  websocketResponse,
  websocketResponseProblem,
} from "./core/websocket.js";
export {
  type ContentTypeOptions,
  contentTypeFor,
  contentTypeRequest,
  contentTypeResponse,
  wrapContentType,
} from "./middleware/content-type.js";
export {
  type DefaultCharsetOptions,
  defaultCharsetRequest,
  defaultCharsetResponse,
  wrapDefaultCharset,
} from "./middleware/default-charset.js";
export { type HeadOptions, headRequest, headResponse, wrapHead } from "./middleware/head.js";
export { type LintOptions, lintRequest, lintResponse, requestProblem, wrapLint } from "./middleware/lint.js";
export {
  DEFAULT_NESTED_DEPTH,
  type NestedParam,
  type NestedParams,
  nestParams,
  parseNestedKeys,
} from "./middleware/nested-params.js";
export {
  isNotModified,
  type NotModifiedOptions,
  notModifiedRequest,
  notModifiedResponse,
  wrapNotModified,
} from "./middleware/not-modified.js";
export {
  type FlatParamsOptions,
  type NestedOptions,
  type NestedParamsOptions,
  type NestedParamsRequestKeys,
  type Params,
  type ParamsOptions,
  type ParamsRequestKeys,
  paramsRequest,
  paramsResponse,
  parseUrlEncoded,
  wrapParams,
} from "./middleware/params.js";
export {
  type HstsOptions,
  type ReferrerPolicy,
  type SecurityHeadersOptions,
  securityHeadersRequest,
  securityHeadersResponse,
  wrapSecurityHeaders,
} from "./middleware/security-headers.js";
