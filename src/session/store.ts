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
  readonly kind: "rejected-cookie" | "invalid-session" | "store-failure" | "session-conflict";
  /** A short, human-readable reason, e.g. `"authentication tag mismatch"`. */
  readonly reason: string;
  readonly cause?: unknown;
  /**
   * For `"session-conflict"`: what `wrapSession` did about it: `"merged"` (this request's changes applied to
   * the fresh data), `"retried"` (the handler ran again on it) or `"rejected"` (409 Conflict).
   */
  readonly resolution?: "merged" | "retried" | "rejected";
  /** For `"session-conflict"`: the top-level keys this request changed. Names only, never values. */
  readonly keys?: readonly string[];
  /** For `"session-conflict"`: the keys both this request and a concurrent one changed. */
  readonly contested?: readonly string[];
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

/**
 * A store's version of one session: an opaque value the store hands out with a read and compares on a
 * conditional write. `wrapSession` never looks inside it.
 */
export type SessionVersion = string | number;

/** What `readVersionedSession` returns for a session that exists. */
export interface VersionedSession<Data extends SessionData = SessionData> {
  readonly data: Data;
  readonly version: SessionVersion;
}

/**
 * The optional versioned extension of `SessionStore` (docs/stores.md, "Versioned stores"): with it,
 * `wrapSession` detects that another request wrote the session after this one read it, and merges, retries
 * or rejects instead of letting the last write win.
 *
 * - `readVersionedSession(key, context)` is `readSession` with the session's current version: the same rules
 *   for absent and bad keys, `undefined`/`null` for no session.
 * - `writeSessionIfVersion(key, data, version)` stores `data` under `key` only if the session still exists
 *   and its version is still `version`, atomically (no other write can land between the check and the
 *   write), and returns `key`. When the check fails (another write landed first, or the session was deleted
 *   or expired meanwhile) it stores nothing and returns `null`: a conflict, not a failure. Data it cannot
 *   store throws synchronously as for `writeSession`; any other throw or rejection is a store failure (503).
 * - A successful write (`writeSession` or `writeSessionIfVersion`) that changes the data gives the session a
 *   new version, so the old one no longer matches. A write of identical data may keep it: nothing is lost
 *   when a write computed from exactly the current data lands.
 */
export interface VersionedSessionStore<Data extends SessionData = SessionData> extends SessionStore<Data> {
  readVersionedSession(
    key: string,
    context?: StoreReadContext,
  ): Awaitable<VersionedSession<Data> | undefined | null>;
  writeSessionIfVersion(key: string, data: Data, version: SessionVersion): Awaitable<string | null>;
}

/** True when `store` implements the versioned extension (both methods). */
export function isVersionedStore<Data extends SessionData>(
  store: SessionStore<Data>,
): store is VersionedSessionStore<Data> {
  return (
    typeof (store as Partial<VersionedSessionStore<Data>>).readVersionedSession === "function" &&
    typeof (store as Partial<VersionedSessionStore<Data>>).writeSessionIfVersion === "function"
  );
}
