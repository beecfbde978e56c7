/**
 * `ringlet/session`: Ring's sessions for TypeScript. `wrapSession` and its halves, the `SessionStore`
 * behaviour, the stores that ship with ringlet, flash messages and the session errors.
 */

export { CookieTooLargeError, SessionStoreError } from "./errors.js";
export { isSessionKeyShape, newSessionKey, SESSION_KEY_LENGTH } from "./keys.js";
export { type MemoryStore, type MemoryStoreOptions, memoryStore } from "./memory-store.js";
export type { SessionData, SessionReport, SessionStore, StoreReadContext } from "./store.js";
