/**
 * `memoryStore`: sessions in a `Map` in this process (Ring's `memory-store`), bounded by an idle time-to-live
 * and a maximum number of sessions, least recently used first out. For one process; use a shared store
 * (Redis, the cookie store) when several processes serve the same users.
 */
import * as z from "zod/mini";
import { parseOptions } from "../core/parse-options.js";
import { isFunction } from "../core/types.js";
import { isSessionKeyShape, newSessionKey } from "./keys.js";
import { readSnapshot, type Snapshot, snapshot } from "./snapshot.js";
import type {
  SessionData,
  SessionVersion,
  StoreReadContext,
  VersionedSession,
  VersionedSessionStore,
} from "./store.js";

/** Options of `memoryStore`, each with its default. */
export interface MemoryStoreOptions {
  /** Idle time-to-live in seconds: a session not read or written for this long reads as absent. Default 86 400 (24 h). */
  maxAge?: number;
  /** The most sessions held; past it the least recently used one is dropped. Default 10 000. */
  maxEntries?: number;
  /** Seconds between sweeps of expired sessions; `0` sweeps only on `size`. Default 60. */
  sweepInterval?: number;
  /** The clock, in milliseconds (tests inject one). Default `Date.now`. */
  now?: () => number;
}

/**
 * A memory store: a versioned `SessionStore` whose methods all answer synchronously, plus housekeeping.
 */
export interface MemoryStore<Data extends SessionData = SessionData> extends VersionedSessionStore<Data> {
  readSession(key: string, context?: StoreReadContext): Data | undefined;
  writeSession(key: string | undefined, data: Data): string;
  deleteSession(key: string): void;
  readVersionedSession(key: string, context?: StoreReadContext): VersionedSession<Data> | undefined;
  writeSessionIfVersion(key: string, data: Data, version: SessionVersion): string | null;
  /** Live sessions (expired ones are swept first). */
  readonly size: number;
  /** Forget every session (and stop the sweep timer until the next write). */
  clear(): void;
}

const optionsSchema = z.strictObject({
  maxAge: z.optional(
    z.int({ error: "must be a positive integer (seconds)" }).check(z.positive("must be >0 (seconds)")),
  ),
  maxEntries: z.optional(z.int({ error: "must be a positive integer" }).check(z.positive("must be >0"))),
  sweepInterval: z.optional(
    z.number({ error: "must be a number of seconds" }).check(z.nonnegative("must be 0 or more (seconds)")),
  ),
  now: z.optional(z.custom<() => number>(isFunction, "must be a function")),
});

interface Entry {
  stored: Snapshot<SessionData>;
  expires: number;
  /** Counts the writes of this session: its `SessionVersion`. */
  version: number;
}

interface Timer {
  unref?: () => void;
}

/**
 * A store that keeps sessions in memory.
 *
 * - Keys are `newSessionKey()` values (256 random bits, base64url); anything else reads as absent.
 * - `writeSession` keeps the key on update while that session is alive; a key that is unknown or expired (for
 *   instance deleted by a concurrent logout) gets a new key, so a deleted key never comes back to life.
 * - Data is copied on write (see `snapshot`): plain data is frozen and shared with readers, other values are
 *   cloned on every read.
 * - Reads and writes refresh the idle time-to-live and move the session to the back of the LRU order
 *   (to within a second: a session touched again sooner is left in place, which keeps the hot path cheap).
 * - The sweep timer runs only while sessions are held and never keeps the process alive.
 *
 * @example
 * const store = memoryStore({ maxAge: 2 * 3600, maxEntries: 50_000 });
 * const app = wrapSession(handler, { store });
 */
export function memoryStore<Data extends SessionData = SessionData>(
  options: MemoryStoreOptions = {},
): MemoryStore<Data> {
  const parsed = parseOptions("memoryStore", optionsSchema, options);
  const ttl = (parsed.maxAge ?? 86_400) * 1000;
  const maxEntries = parsed.maxEntries ?? 10_000;
  const sweepEvery = (parsed.sweepInterval ?? 60) * 1000;
  const now = parsed.now ?? Date.now;
  // Insertion order is least recently used first, and since every touch re-inserts with `now + ttl`, also
  // soonest expiry first: a sweep stops at the first live entry and eviction drops the first one.
  const sessions = new Map<string, Entry>();
  // Re-inserting costs several times a lookup, so a touch within this many ms of the last refresh leaves
  // the entry where it is: expiry and LRU order are accurate to this, and stay consistent with each other.
  const refreshGranule = Math.min(1000, ttl / 100);
  let timer: unknown;

  const touch = (key: string, entry: Entry, time: number): void => {
    if (time + ttl - entry.expires < refreshGranule) return;
    entry.expires = time + ttl;
    sessions.delete(key);
    sessions.set(key, entry);
  };

  const sweep = (): void => {
    const time = now();
    for (const [key, entry] of sessions) {
      if (entry.expires > time) break;
      sessions.delete(key);
    }
    if (sessions.size === 0) stopTimer();
  };

  const startTimer = (): void => {
    if (timer !== undefined || sweepEvery === 0) return;
    timer = setInterval(sweep, sweepEvery);
    // The sweep must not keep the process alive: Node and Bun timers have unref(), Deno has Deno.unrefTimer.
    if (typeof (timer as Timer).unref === "function") (timer as Timer).unref!();
    else (globalThis as { Deno?: { unrefTimer?: (id: unknown) => void } }).Deno?.unrefTimer?.(timer);
  };

  const stopTimer = (): void => {
    if (timer === undefined) return;
    clearInterval(timer as Parameters<typeof clearInterval>[0]);
    timer = undefined;
  };

  /** The live entry under `key` (refreshed), or `undefined`, with the reason told to `context`. */
  const lookup = (key: string, context: StoreReadContext | undefined): Entry | undefined => {
    // Only keys from newSessionKey() are ever stored, so a hit needs no shape check; the shape only
    // makes the report of a miss more precise.
    const entry = sessions.get(key);
    if (entry === undefined) {
      const shaped = typeof key === "string" && isSessionKeyShape(key);
      context?.report({
        kind: "rejected-cookie",
        reason: shaped ? "unknown session key" : "not a memory-store session key",
      });
      return undefined;
    }
    const time = now();
    if (entry.expires <= time) {
      sessions.delete(key);
      context?.report({ kind: "rejected-cookie", reason: "session expired" });
      return undefined;
    }
    touch(key, entry, time);
    return entry;
  };

  const copyOf = (data: Data, method: string): Snapshot<SessionData> => {
    if (typeof data !== "object" || data === null || Array.isArray(data)) {
      throw new TypeError(
        `memoryStore.${method}: data must be an object, got ${Array.isArray(data) ? "an array" : String(data)}`,
      );
    }
    return snapshot<SessionData>(data);
  };

  return {
    readSession(key, context) {
      const entry = lookup(key, context);
      return entry === undefined ? undefined : (readSnapshot(entry.stored) as Data);
    },

    readVersionedSession(key, context) {
      const entry = lookup(key, context);
      if (entry === undefined) return undefined;
      return { data: readSnapshot(entry.stored) as Data, version: entry.version };
    },

    writeSessionIfVersion(key, data, version) {
      const stored = copyOf(data, "writeSessionIfVersion");
      const time = now();
      const current = sessions.get(key);
      // Deleted, expired or written since: the caller's data was computed from a state that is gone.
      if (current === undefined || current.expires <= time || current.version !== version) return null;
      current.stored = stored;
      current.version++;
      touch(key, current, time);
      return key;
    },

    writeSession(key, data) {
      const stored = copyOf(data, "writeSession");
      const time = now();
      const current = key === undefined ? undefined : sessions.get(key);
      if (current !== undefined && current.expires > time) {
        current.stored = stored;
        current.version++;
        touch(key!, current, time);
        return key!;
      }
      if (current !== undefined) sessions.delete(key!);
      const id = newSessionKey();
      sessions.set(id, { stored, expires: time + ttl, version: 1 });
      if (sessions.size > maxEntries) {
        for (const oldest of sessions.keys()) {
          sessions.delete(oldest);
          if (sessions.size <= maxEntries) break;
        }
      }
      startTimer();
      return id;
    },

    deleteSession(key) {
      sessions.delete(key);
      if (sessions.size === 0) stopTimer();
    },

    get size() {
      sweep();
      return sessions.size;
    },

    clear() {
      sessions.clear();
      stopTimer();
    },
  };
}
