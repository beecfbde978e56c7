/**
 * How the memory store keeps session data apart from the caller's objects: a copy taken on write. Plain data
 * (objects and arrays) is copied and frozen in one walk, so reads can hand out the stored value itself;
 * anything else goes through `structuredClone` on write and again on every read.
 */
import { MAX_SESSION_DEPTH } from "./json-check.js";

/** A stored copy, and whether it can be handed out as it is (`frozen`) or must be cloned on each read. */
export interface Snapshot<T> {
  readonly value: T;
  readonly frozen: boolean;
}

class NotPlain extends Error {}

/**
 * A copy of `data` that a later mutation of `data` cannot reach.
 *
 * The plain copy is much cheaper than `structuredClone` for the small objects sessions are (the memory-store
 * counter in bench/ runs through it). Plain copies are also frozen, so the handler cannot change what the
 * store holds through `request.session` either (a mutation throws in strict code, as Ring's persistent maps
 * cannot be mutated). Data nested deeper than `MAX_SESSION_DEPTH` levels (cycles aside) throws a `RangeError`.
 *
 * @example
 * const { value } = snapshot({ user: { id: 1 } }); // deep copy, frozen
 */
export function snapshot<T>(data: T): Snapshot<T> {
  try {
    return { value: copyPlain(data, 0) as T, frozen: true };
  } catch (error) {
    if (!(error instanceof NotPlain)) throw error;
    // Date, Map, Set, typed arrays, class instances, cycles: the platform's structured clone keeps them.
    // It recurses too, so a deep chain must be refused first, with a message rather than a stack overflow.
    assertDepth(data, []);
    return { value: structuredClone(data), frozen: false };
  }
}

/** The value to hand to a reader: the frozen copy itself, or a fresh clone. */
export function readSnapshot<T>(stored: Snapshot<T>): T {
  return stored.frozen ? stored.value : structuredClone(stored.value);
}

function copyPlain(value: unknown, depth: number): unknown {
  if (typeof value !== "object" || value === null) {
    if (typeof value === "function" || typeof value === "symbol") throw new NotPlain();
    return value;
  }
  // Past the limit it is a cycle (structuredClone keeps those) or too deep (assertDepth says so).
  if (depth >= MAX_SESSION_DEPTH) throw new NotPlain();
  if (Array.isArray(value)) {
    const n = value.length;
    const out = new Array(n);
    for (let i = 0; i < n; i++) out[i] = copyPlain(value[i], depth + 1);
    return Object.freeze(out);
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) throw new NotPlain();
  const out: Record<string, unknown> = proto === null ? Object.create(null) : {};
  for (const key in value) {
    setDataKey(out, key, copyPlain((value as Record<string, unknown>)[key], depth + 1));
  }
  return Object.freeze(out);
}

/**
 * `target[key] = value`, except that a `"__proto__"` key (JSON.parse makes them as own keys) stays a key
 * instead of becoming `target`'s prototype.
 */
export function setDataKey(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/** Throw a `RangeError` when a chain of containers that is not a cycle is deeper than `MAX_SESSION_DEPTH`. */
function assertDepth(value: unknown, ancestors: object[]): void {
  if (typeof value !== "object" || value === null || ancestors.includes(value)) return;
  if (ancestors.length >= MAX_SESSION_DEPTH) {
    throw new RangeError(`session data is nested deeper than ${MAX_SESSION_DEPTH} levels`);
  }
  ancestors.push(value);
  if (value instanceof Map) {
    for (const [key, item] of value) {
      assertDepth(key, ancestors);
      assertDepth(item, ancestors);
    }
  } else if (value instanceof Set) {
    for (const item of value) assertDepth(item, ancestors);
  } else if (!ArrayBuffer.isView(value)) {
    for (const key of Object.keys(value)) assertDepth((value as Record<string, unknown>)[key], ancestors);
  }
  ancestors.pop();
}
