/**
 * `ringlet/conformance`: fast-check arbitraries and the conformance checks for session stores and adapters.
 * fast-check is an optional peer dependency of ringlet, needed by this entry only: install it beside ringlet
 * (any 4.x) so the arbitraries are your copy's. docs/testing.md shows them.
 */

export * as arbitraries from "./arbitraries.js";
export {
  ADAPTER_CHECKS,
  type AdapterCheck,
  AdapterCheckError,
  type AdapterCheckFailure,
  type AdapterServer,
  type CheckAdapterOptions,
  checkAdapter,
  type StartAdapter,
  WEBSOCKET_CHECKS,
} from "./check-adapter.js";
export {
  type CheckSessionStoreOptions,
  type CheckSessionStoreResult,
  checkSessionStore,
  estimateKeyBits,
  type SessionStoreLaw,
  SessionStoreLawError,
  type StoreFactoryContext,
} from "./check-session-store.js";
