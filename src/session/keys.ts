/**
 * Session identifiers: 256 bits from the platform CSPRNG (`crypto.getRandomValues`, present on Node 20+,
 * Deno, Bun and Workers), base64url without padding, so always 43 characters from `[A-Za-z0-9_-]`.
 */
import { encodeBase64url } from "../core/base64url.js";

/** Bytes of entropy in a session key. */
export const SESSION_KEY_BYTES = 32;

/** Length of a session key as text. */
export const SESSION_KEY_LENGTH = 43;

const KEY_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/**
 * A new random session key.
 *
 * @example
 * newSessionKey(); // "q3X9…" (43 characters)
 */
export function newSessionKey(): string {
  return encodeBase64url(crypto.getRandomValues(new Uint8Array(SESSION_KEY_BYTES)));
}

/**
 * Whether `key` has the shape of a key from `newSessionKey`: a store can refuse anything else without a lookup.
 *
 * @example
 * isSessionKeyShape(newSessionKey()); // true
 * isSessionKeyShape("admin"); // false
 */
export function isSessionKeyShape(key: string): boolean {
  return KEY_PATTERN.test(key);
}
