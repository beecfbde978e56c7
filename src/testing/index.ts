/**
 * `ringlet/testing`: tools to test ringlet applications: `mockRequest`, a client with a real cookie jar, and a
 * raw HTTP/1.1 connection. It loads without any optional peer dependency; `createClient` needs tough-cookie.
 * The fast-check tools (arbitraries and conformance checks) are in `ringlet/conformance`. docs/testing.md
 * shows them.
 */

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
