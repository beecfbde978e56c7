/**
 * How error messages show what a caller got wrong: short, typed and never throwing, so a message such as
 * `response.status must be an integer from 100 to 599, got number 700` says what was there. One module for
 * every message: a value (`describeValue`), a value that may be a secret (`describeKind`), an error
 * (`describeError`).
 */

/**
 * A short description of `value` for an error message: a string quoted (cut at 60 characters), a number,
 * bigint or boolean with its type, `null`, `undefined`, `an array`, `an object` or `an instance of Foo`.
 *
 * @example
 * describeValue("foo"); // '"foo"'
 * describeValue(700); // "number 700"
 * describeValue(new ArrayBuffer(1)); // "an instance of ArrayBuffer"
 */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
    case "number":
    case "bigint":
    case "boolean":
      return `${typeof value} ${String(value)}`;
    case "object":
      return value === null ? "null" : describeObject(value);
    default:
      return typeof value;
  }
}

function describeObject(value: object): string {
  try {
    if (Array.isArray(value)) return "an array";
    if (value instanceof Date) return `Date(${value.getTime()})`;
    const ctor = (value as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof ctor === "string" && ctor !== "Object" ? `an instance of ${ctor}` : "an object";
  } catch {
    // A revoked proxy or a throwing getter: still an object, and the message must still be built.
    return "an object";
  }
}

/**
 * What kind of value this is, with no content that could be a secret (options carry secrets and Redis URLs
 * with passwords, and start-up errors end up in logs): numbers, booleans, `null` and `undefined` as they
 * are, `a string` / `an empty string`, `N bytes` for a `Uint8Array`, else the kind.
 *
 * @example
 * describeKind("hunter2"); // "a string"
 * describeKind(new Uint8Array(31)); // "31 bytes"
 */
export function describeKind(value: unknown): string {
  switch (typeof value) {
    case "number":
    case "boolean":
    case "undefined":
      return String(value);
    case "string":
      return value === "" ? "an empty string" : "a string";
    case "function":
      return "a function";
    case "bigint":
      return "a bigint";
    case "symbol":
      return "a symbol";
  }
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  return "an object";
}

/**
 * An error for a log line or a report: `Name: message`, the status of an `HttpError`-like error, and the
 * message of an `Error` cause; a thrown non-Error is shown as a value. Never throws.
 *
 * @example
 * describeError(new TypeError("bad")); // "TypeError: bad"
 */
export function describeError(error: unknown): string {
  try {
    if (!(error instanceof Error)) return `non-Error value thrown: ${describeValue(error)}`;
    const code = (error as { status?: unknown }).status;
    const status = typeof code === "number" ? ` (${code})` : "";
    const cause = error.cause instanceof Error ? ` (cause: ${error.cause.message})` : "";
    return `${error.name}${status}: ${error.message}${cause}`;
  } catch {
    return "an error that cannot be described";
  }
}
