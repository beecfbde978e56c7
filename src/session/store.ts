/**
 * The `SessionStore` behaviour every store implements (Ring's SessionStore protocol, async allowed), and
 * the report a store makes when it rejects what a client sent. docs/stores.md explains how to write one.
 */
import type { Awaitable } from "../core/types.js";

/** Session data: a plain JSON-like object. */
export type SessionData = Record<string, unknown>;

/** Why a session was not used. `wrapSession` passes these to its `onError` hook. */
export interface SessionReport {
  /**
   * - `"rejected-cookie"`: the key or sealed value is not valid (tampered, truncated, wrong key, expired seal).
   * - `"invalid-session"`: the store had data but it failed the `schema` or could not be decoded.
   * - `"store-failure"`: the store threw or rejected (always reported; the request fails with 503).
   */
  readonly kind: "rejected-cookie" | "invalid-session" | "store-failure";
  /** A short, human-readable reason, e.g. `"authentication tag mismatch"`. */
  readonly reason: string;
  readonly cause?: unknown;
}

/** What `wrapSession` hands a store on each read, so it can say why it returned nothing. */
export interface StoreReadContext {
  report(report: SessionReport): void;
}

/**
 * A session store.
 *
 * - `readSession(key)` returns the data for `key`, or `undefined`/`null` when the key is unknown, expired
 *   or invalid. It must not throw for a bad key: bad keys come from the network.
 * - `writeSession(key, data)` stores `data` under `key` (or under a new key when `key` is `undefined`) and
 *   returns the key the client must send from now on. Data it cannot store (it would not survive JSON, is
 *   nested deeper than `MAX_SESSION_DEPTH`, or would not fit a cookie) makes it throw at once, synchronously,
 *   a `TypeError`, a `RangeError` or a `CookieTooLargeError`: `wrapSession` lets those through unchanged,
 *   as the programmer errors they are (500, not 503).
 * - `deleteSession(key)` forgets the session.
 *
 * Each may return a value or a Promise. Any other throw, and any rejection, is a store failure (HTTP 503 via
 * `wrapSession`).
 *
 * @example
 * const store: SessionStore = {
 *   readSession: (key) => map.get(key),
 *   writeSession: (key, data) => { const k = key ?? newKey(); map.set(k, structuredClone(data)); return k; },
 *   deleteSession: (key) => { map.delete(key); },
 * };
 */
export interface SessionStore<Data extends SessionData = SessionData> {
  readSession(key: string, context?: StoreReadContext): Awaitable<Data | undefined | null>;
  writeSession(key: string | undefined, data: Data): Awaitable<string>;
  deleteSession(key: string): Awaitable<void>;
}
