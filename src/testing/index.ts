/**
 * `ringlet/testing`: tools to test ringlet applications and stores in-process: `mockRequest`, a client with a
 * real cookie jar, fast-check arbitraries and a conformance check for session stores. docs/testing.md shows them.
 */

export {
  encodeFields,
  type Fields,
  type FieldValue,
  type MockRequestOptions,
  mockRequest,
} from "./mock-request.js";
