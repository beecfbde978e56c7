/**
 * The cookie store's sealed value, version 1: AES-256-GCM over the issued-at time and the payload, with
 * the version and key id authenticated as associated data, the whole written as unpadded base64url.
 * docs/security.md lays out the bytes.
 */
import { decodeBase64url, encodeBase64url } from "../../core/base64url.js";
import type { Awaitable } from "../../core/types.js";
import { type CryptoBackend, type DerivedKey, KEY_ID_BYTES, TAG_BYTES } from "./crypto-backend.js";
import { NONCE_BYTES } from "./nonce-pool.js";

/** The format version, the first byte of every seal. */
export const SEAL_VERSION = 1;

// version | key id            : associated data, authenticated, in clear
// nonce                       : 12 random bytes
// ciphertext(issued-at | payload) | tag
const AAD_BYTES = 1 + KEY_ID_BYTES;
const ISSUED_AT_BYTES = 4;

/** Bytes a seal adds around its payload. */
export const SEAL_OVERHEAD_BYTES = AAD_BYTES + NONCE_BYTES + ISSUED_AT_BYTES + TAG_BYTES;

/** Length in characters of the sealed text for a payload of `payloadBytes` bytes. */
export function sealedLength(payloadBytes: number): number {
  return Math.ceil(((payloadBytes + SEAL_OVERHEAD_BYTES) * 4) / 3);
}

/** A seal that opened: the payload, when it was sealed (seconds since the epoch) and under which key. */
export interface OpenedSeal {
  readonly payload: Uint8Array;
  readonly issuedAt: number;
  readonly key: DerivedKey;
}

/** A seal that did not open, and why (for `SessionReport.reason`). */
export interface RejectedSeal {
  readonly rejected: string;
}

/**
 * Seal `payload` under `key`, stamped with `issuedAt` (whole seconds since the epoch, up to 2^32 - 1: the
 * year 2106). A fresh nonce is drawn for every call.
 *
 * @example
 * const text = seal(backend, key, new TextEncoder().encode('{"count":1}'), Math.floor(Date.now() / 1000));
 */
export function seal(
  backend: CryptoBackend,
  key: DerivedKey,
  payload: Uint8Array,
  issuedAt: number,
): Awaitable<string> {
  const aad = new Uint8Array(AAD_BYTES);
  aad[0] = SEAL_VERSION;
  aad.set(key.id, 1);
  const plaintext = new Uint8Array(ISSUED_AT_BYTES + payload.length);
  plaintext[0] = issuedAt >>> 24; // big-endian
  plaintext[1] = issuedAt >>> 16;
  plaintext[2] = issuedAt >>> 8;
  plaintext[3] = issuedAt;
  plaintext.set(payload, ISSUED_AT_BYTES);
  const sealed = backend.seal(key, aad, plaintext);
  return sealed instanceof Promise ? sealed.then((s) => encodeSeal(aad, s)) : encodeSeal(aad, sealed);
}

/** version ‖ key id, then the backend's nonce ‖ ciphertext ‖ tag, as base64url. */
function encodeSeal(aad: Uint8Array, sealed: Uint8Array): string {
  const bytes = new Uint8Array(AAD_BYTES + sealed.length);
  bytes.set(aad);
  bytes.set(sealed, AAD_BYTES);
  return encodeBase64url(bytes);
}

/**
 * Open a seal made by `seal` under any of `keys` (the current key first, then previous ones). Never
 * throws: anything that is not an intact seal under a known key comes back as `{ rejected: reason }`.
 *
 * @example
 * const result = open(backend, [key], text);
 * if ("rejected" in result) report(result.rejected); else use(result.payload);
 */
export function open(
  backend: CryptoBackend,
  keys: readonly DerivedKey[],
  text: string,
): Awaitable<OpenedSeal | RejectedSeal> {
  if (text.length === 0) return { rejected: "empty sealed value" };
  const bytes = decodeBase64url(text);
  if (bytes === undefined) return { rejected: "sealed value is not canonical base64url" };
  if (bytes.length < SEAL_OVERHEAD_BYTES) {
    return {
      rejected: `sealed value is ${bytes.length} bytes, shorter than the ${SEAL_OVERHEAD_BYTES} of any seal`,
    };
  }
  if (bytes[0] !== SEAL_VERSION) return { rejected: `unknown seal version ${bytes[0]}` };
  const first = nextKey(keys, 0, bytes);
  if (first < 0) return { rejected: "sealed with an unknown key (not the secret or a previous secret)" };
  return tryKeys(backend, keys, first, bytes);
}

const AUTH_FAILED: RejectedSeal = {
  rejected: "authentication failed (tampered, truncated or sealed with another key)",
};

function tryKeys(
  backend: CryptoBackend,
  keys: readonly DerivedKey[],
  index: number,
  bytes: Uint8Array,
): Awaitable<OpenedSeal | RejectedSeal> {
  const key = keys[index]!;
  const plaintext = backend.open(key, bytes.subarray(0, AAD_BYTES), bytes.subarray(AAD_BYTES));
  const opened = (plaintext: Uint8Array | undefined): Awaitable<OpenedSeal | RejectedSeal> => {
    if (plaintext !== undefined) {
      const issuedAt =
        ((plaintext[0]! << 24) | (plaintext[1]! << 16) | (plaintext[2]! << 8) | plaintext[3]!) >>> 0;
      return { payload: plaintext.subarray(ISSUED_AT_BYTES), issuedAt, key };
    }
    // Key ids are 32 bits, so two keys may share one; try each before giving up.
    const next = nextKey(keys, index + 1, bytes);
    return next < 0 ? AUTH_FAILED : tryKeys(backend, keys, next, bytes);
  };
  return plaintext instanceof Promise ? plaintext.then(opened) : opened(plaintext);
}

/** The index of the first key from `from` whose id is the seal's, or -1. */
function nextKey(keys: readonly DerivedKey[], from: number, bytes: Uint8Array): number {
  for (let k = from; k < keys.length; k++) if (sameId(keys[k]!.id, bytes)) return k;
  return -1;
}

function sameId(id: Uint8Array, bytes: Uint8Array): boolean {
  for (let i = 0; i < KEY_ID_BYTES; i++) if (id[i] !== bytes[i + 1]) return false;
  return true;
}
