/**
 * `ringlet/testing`: tools to test ringlet applications, stores and adapters: `mockRequest`, a client with a
 * real cookie jar, fast-check arbitraries, conformance checks for session stores and adapters, and a raw
 * HTTP/1.1 connection. docs/testing.md shows them.
 */

// fast-check is a peer dependency of this entry only (optional for the package, so production installs of
// `ringlet` do not pull it in): install it beside ringlet to use `ringlet/testing`.
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
export {
  type Client,
  type ClientCookie,
  type ClientOptions,
  type ClientRequestOptions,
  type ClientResponse,
  createClient,
  type RejectedCookie,
} from "./client.js";
export {
  encodeFields,
  type Fields,
  type FieldValue,
  type MockRequestOptions,
  mockRequest,
} from "./mock-request.js";
export {
  headerValues,
  RawConnection,
  type RawConnectionOptions,
  type RawReadOptions,
  type RawResponse,
  rawRequest,
} from "./raw-http.js";
