/**
 * `ringlet/session`: Ring's sessions for TypeScript. `wrapSession` and its halves, the `SessionStore`
 * behaviour, the stores that ship with ringlet, flash messages, anti-forgery (CSRF) tokens and the session errors.
 */

export {
  ANTI_FORGERY_FIELD,
  ANTI_FORGERY_SESSION_KEY,
  type AntiForgeryConfig,
  type AntiForgeryFailure,
  type AntiForgeryOptions,
  type AntiForgeryRequestKeys,
  antiForgeryCheck,
  antiForgeryConfig,
  antiForgeryField,
  antiForgeryRequest,
  antiForgeryResponse,
  wrapAntiForgery,
} from "./anti-forgery.js";

export {
  type CookieStoreOptions,
  cookieStore,
  DEFAULT_COOKIE_STORE_MAX_AGE,
} from "./cookie-store/cookie-store.js";
export { CookieTooLargeError, SessionConflictError, SessionStoreError } from "./errors.js";
export {
  type FlashOptions,
  type FlashRequestKeys,
  type FlashResponseKeys,
  flashRequest,
  flashResponse,
  wrapFlash,
} from "./flash.js";
export { assertJsonRoundTrip, MAX_SESSION_DEPTH } from "./json-check.js";
export { isSessionKeyShape, newSessionKey, SESSION_KEY_LENGTH } from "./keys.js";
export { type MemoryStore, type MemoryStoreOptions, memoryStore } from "./memory-store.js";
export {
  isVersionedStore,
  type SessionData,
  type SessionReport,
  type SessionStore,
  type SessionVersion,
  type StoreReadContext,
  type VersionedSession,
  type VersionedSessionStore,
} from "./store.js";
export {
  type Incoming,
  type Outgoing,
  type SessionConfig,
  type SessionErrorHook,
  type SessionHandler,
  type SessionOptions,
  type SessionRequest,
  type SessionRequestKeys,
  type SessionResponseKeys,
  type SessionSchema,
  sessionConfig,
  sessionRequest,
  sessionResponse,
  type UntypedSession,
  wrapSession,
} from "./wrap-session.js";
