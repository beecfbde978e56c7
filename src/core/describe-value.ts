/**
 * How error messages show a value a caller got wrong: short, typed and never throwing, so a message such as
 * `response.status must be an integer from 100 to 599, got number 700` says what was there.
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
    const ctor = (value as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof ctor === "string" && ctor !== "Object" ? `an instance of ${ctor}` : "an object";
  } catch {
    // A revoked proxy or a throwing getter: still an object, and the message must still be built.
    return "an object";
  }
}
