/**
 * What a request changed in its session, and how those changes apply to data another request wrote since:
 * the pure part of `wrapSession`'s answer to a write conflict (docs/sessions.md, "Concurrent requests").
 * Changes are per top-level key; a value is compared by its content, not its identity.
 */
import { setDataKey } from "./snapshot.js";
import type { SessionData } from "./store.js";

/** The key the flash middleware keeps its message under (see flash.ts). */
export const FLASH_KEY = "_flash";

/** One request's changes: the keys it set (to these values) and the keys it removed. */
export interface SessionChanges {
  readonly set: ReadonlyMap<string, unknown>;
  readonly removed: ReadonlySet<string>;
}

/** The top-level keys `next` adds, changes or removes relative to `base`. */
export function sessionChanges(base: SessionData, next: SessionData): SessionChanges {
  const set = new Map<string, unknown>();
  const removed = new Set<string>();
  for (const key of Object.keys(next)) {
    if (!Object.hasOwn(base, key) || !sameData(base[key], next[key])) set.set(key, next[key]);
  }
  for (const key of Object.keys(base)) {
    if (!Object.hasOwn(next, key)) removed.add(key);
  }
  return { set, removed };
}

/** The keys in `changes`, in a stable order (for reports). */
export function changedKeys(changes: SessionChanges): string[] {
  return [...changes.set.keys(), ...changes.removed].sort();
}

/** The result of applying one request's changes onto data written meanwhile. */
export interface Merge {
  /** The fresh data with this request's changes applied. */
  readonly data: SessionData;
  /** Keys this request changed that the concurrent write changed too (relative to the same base). */
  readonly contested: readonly string[];
}

/**
 * Apply `mine` (changes relative to `base`) onto `fresh`, the data as it is now. A key both changed is
 * contested and takes this request's value (the later write wins, for that key only).
 *
 * One exception keeps flash messages right: removing `_flash` means "the message I showed is consumed", so
 * it removes the flash only while it is still the one this request read. A flash set meanwhile by another
 * request survives, and two requests consuming the same flash do not contest it.
 */
export function mergeChanges(base: SessionData, fresh: SessionData, mine: SessionChanges): Merge {
  const data: SessionData = { ...fresh };
  const contested: string[] = [];
  for (const [key, value] of mine.set) {
    if (changedSince(base, fresh, key)) contested.push(key);
    setDataKey(data, key, value);
  }
  for (const key of mine.removed) {
    if (key === FLASH_KEY) {
      if (!changedSince(base, fresh, key)) delete data[key];
      continue;
    }
    if (changedSince(base, fresh, key)) contested.push(key);
    delete data[key];
  }
  return { data, contested: contested.sort() };
}

/** Whether `key` differs between `base` and `fresh` (added, changed or removed). */
function changedSince(base: SessionData, fresh: SessionData, key: string): boolean {
  const inBase = Object.hasOwn(base, key);
  if (inBase !== Object.hasOwn(fresh, key)) return true;
  return inBase && !sameData(base[key], fresh[key]);
}

/**
 * Structural equality for session data: primitives by `Object.is`, arrays and plain objects by content,
 * `Date`s by time; anything else (Map, class instances) only when it is the same object.
 */
export function sameData(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameData(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date && Object.is(a.getTime(), b.getTime());
  }
  if (!isPlain(a) || !isPlain(b)) return false;
  const keysA = Object.keys(a);
  if (keysA.length !== Object.keys(b).length) return false;
  for (const key of keysA) {
    if (!Object.hasOwn(b, key)) return false;
    if (!sameData((a as SessionData)[key], (b as SessionData)[key])) return false;
  }
  return true;
}

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
