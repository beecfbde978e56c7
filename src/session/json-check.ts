/**
 * Checks that session data survives a JSON round trip unchanged, before a store serialises it (the cookie
 * store and the Redis store). One recursive walk; the path of the first offending value is only built
 * when there is one.
 */

/**
 * The deepest nesting of objects and arrays that session data may have, the session object itself being the
 * first level. Deeper data is refused with a `RangeError` before any recursive copy or `JSON.stringify` could
 * overflow the stack: no real session is this deep, but a request body saved into the session can be.
 */
export const MAX_SESSION_DEPTH = 128;

const TOO_DEEP = `nested deeper than ${MAX_SESSION_DEPTH} levels of objects and arrays`;

/**
 * Throw a `TypeError` naming the path of the first value in `value` that `JSON.parse(JSON.stringify(value))`
 * would not give back unchanged; return normally otherwise.
 *
 * Accepted: `null`, booleans, strings, finite numbers, arrays without holes, and objects whose prototype is
 * `Object.prototype` or `null`, nested to any depth. A shared (non-circular) sub-object is accepted: it
 * comes back as two equal copies. `-0` is accepted: it reads back as `0`, and `-0 === 0`; rejecting it
 * would make ordinary arithmetic such as `Math.round(-0.2)` fail at write time.
 *
 * Rejected, with the reason in the message: `undefined` (in an array it becomes `null`; as a property value
 * JSON drops the key, so `"key" in session` changes: delete the key or store `null` instead), `NaN` and
 * `±Infinity` (become `null`), `BigInt` (`JSON.stringify` throws), functions and symbols, `Date` (becomes a
 * string), `Map`, `Set`, class instances, boxed primitives, typed arrays and every other object with a
 * prototype of its own (the prototype is lost), array subclasses, arrays with holes, `toJSON` methods,
 * symbol keys and non-enumerable properties (dropped), and circular references (`JSON.stringify` throws).
 *
 * Data nested deeper than `MAX_SESSION_DEPTH` levels throws a `RangeError` naming where (its path cut short).
 *
 * Not detected, for speed: named (non-index) properties on an array, such as the `index` and `input` of a
 * `RegExp` match result; JSON drops them. Listing an array's keys would cost more than the whole walk.
 *
 * @param value the data to check.
 * @param root the name the path starts with in messages; default `"session"`.
 * @example
 * assertJsonRoundTrip({ user: { name: "ada" } });            // ok
 * assertJsonRoundTrip({ user: { createdAt: new Date() } });
 * // TypeError: session.user.createdAt: Date does not survive JSON (it becomes a string)
 */
export function assertJsonRoundTrip(value: unknown, root = "session"): void {
  const problem = check(value, [], false);
  if (problem === undefined) return;
  if (problem.what === TOO_DEEP) {
    throw new RangeError(`${renderPath(root, problem.path)}: ${TOO_DEEP}`);
  }
  throw new TypeError(`${renderPath(root, problem.path)}: ${problem.what} does not survive JSON`);
}

/** What was found, and where: `path` holds the keys from the leaf up (pushed while unwinding). */
interface Problem {
  readonly what: string;
  readonly path: (string | number | symbol)[];
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const isEnumerable = Object.prototype.propertyIsEnumerable;

function problem(what: string, ...path: (string | number | symbol)[]): Problem {
  return { what, path };
}

// Returns a Problem instead of throwing so that the path is assembled once, on the way back up, and the
// happy path builds no strings at all.
function check(value: unknown, ancestors: object[], inArray: boolean): Problem | undefined {
  switch (typeof value) {
    case "string":
    case "boolean":
      return undefined;
    case "number":
      return Number.isFinite(value) ? undefined : problem(`${String(value)} (it becomes null)`);
    case "undefined":
      return problem(
        inArray
          ? "undefined in an array (it becomes null)"
          : "undefined (JSON drops the key; delete the key or store null)",
      );
    case "bigint":
      return problem("BigInt (JSON.stringify throws)");
    case "symbol":
      return problem("symbol (it is dropped)");
    case "function":
      return problem(inArray ? "function (it becomes null)" : "function (it is dropped)");
  }
  if (value === null) return undefined;
  const object = value as object;
  if (ancestors.length >= MAX_SESSION_DEPTH) return problem(TOO_DEEP);
  if (ancestors.includes(object)) return problem("circular reference (JSON.stringify throws)");
  const proto = Object.getPrototypeOf(object);
  if (proto === Array.prototype) return checkArray(object as unknown[], ancestors);
  if (proto === Object.prototype || proto === null) {
    return checkObject(object as Record<string, unknown>, ancestors);
  }
  return problem(describeInstance(object, proto));
}

function checkArray(array: unknown[], ancestors: object[]): Problem | undefined {
  const n = array.length;
  ancestors.push(array);
  for (let i = 0; i < n; i++) {
    if (!(i in array)) return problem("array hole (it becomes null)", i);
    const found = check(array[i], ancestors, true);
    if (found !== undefined) {
      found.path.push(i);
      return found;
    }
  }
  ancestors.pop();
  return undefined;
}

function checkObject(object: Record<string, unknown>, ancestors: object[]): Problem | undefined {
  const keys = Object.keys(object);
  ancestors.push(object);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const child = object[key];
    if (key === "toJSON" && typeof child === "function") {
      return problem("object with a toJSON method (it comes back as what toJSON returns)");
    }
    const found = check(child, ancestors, false);
    if (found !== undefined) {
      found.path.push(key);
      return found;
    }
  }
  ancestors.pop();
  // Non-enumerable properties and symbol keys are dropped by JSON.stringify. Listing property names is
  // cheap; look closer only when the counts differ.
  if (Object.getOwnPropertyNames(object).length !== keys.length) {
    for (const key of Object.getOwnPropertyNames(object)) {
      if (!isEnumerable.call(object, key)) return problem("non-enumerable property (it is dropped)", key);
    }
  }
  const symbols = Object.getOwnPropertySymbols(object);
  if (symbols.length > 0) return problem("symbol-keyed property (it is dropped)", symbols[0]!);
  return undefined;
}

function describeInstance(object: object, proto: object): string {
  if (object instanceof Date) return "Date (it becomes a string)";
  if (object instanceof Map) return "Map (it becomes {})";
  if (object instanceof Set) return "Set (it becomes {})";
  const ctor = (proto as { constructor?: unknown }).constructor;
  const name = typeof ctor === "function" && ctor.name !== "" ? ctor.name : "object with a custom prototype";
  if (Array.isArray(object)) return `${name} (an array subclass comes back as a plain Array)`;
  if (typeof (object as { toJSON?: unknown }).toJSON === "function") {
    return `${name} with a toJSON method (it comes back as what toJSON returns)`;
  }
  return `${name} (its prototype is lost: it comes back as a plain object)`;
}

// Enough of a path to find the place; the path to a too-deep value would fill the log line.
const MAX_PATH_SHOWN = 8;

function renderPath(root: string, reversed: readonly (string | number | symbol)[]): string {
  let out = root;
  const last = Math.max(0, reversed.length - MAX_PATH_SHOWN);
  for (let i = reversed.length - 1; i >= last; i--) {
    const key = reversed[i]!;
    if (typeof key === "number") out += `[${key}]`;
    else if (typeof key === "symbol") out += `[${String(key)}]`;
    else out += IDENTIFIER.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
  }
  return last > 0 ? `${out}…` : out;
}
