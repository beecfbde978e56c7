/**
 * The cryptography under the cookie store: HKDF-SHA-256 and AES-256-GCM from `node:crypto` (OpenSSL,
 * synchronous, fetched at run time so that no `node:` import reaches other runtimes' bundlers) or else
 * WebCrypto (asynchronous), nonces from ./nonce-pool.ts. `defaultCryptoBackend()` picks one per process.
 */
import { decodeBase64url } from "../../core/base64url.js";
import type { Awaitable } from "../../core/types.js";
import { NONCE_BYTES, noncePool } from "./nonce-pool.js";

/** An AES-256-GCM key derived from a secret, with its public key id. */
export interface DerivedKey {
  /** The backend's key handle (a Node `KeyObject` or a WebCrypto `CryptoKey`). */
  readonly key: unknown;
  /** `KEY_ID_BYTES` bytes, derived with a distinct HKDF `info`, so the id reveals nothing about the key. */
  readonly id: Uint8Array;
}

/**
 * The primitives the seal format needs. The Node backend returns plain values; the WebCrypto one returns
 * Promises, which is why every result is `Awaitable`.
 */
export interface CryptoBackend {
  readonly name: "node" | "webcrypto";
  /** True when `deriveKey`, `seal` and `open` return plain values, never Promises. */
  readonly synchronous: boolean;
  /** Derive the AES key and key id from a secret of 32+ bytes (HKDF-SHA-256, RFC 5869). */
  deriveKey(secret: Uint8Array): Awaitable<DerivedKey>;
  /**
   * AES-256-GCM under a fresh nonce from the pool: returns `nonce ‖ ciphertext ‖ tag`
   * (`NONCE_BYTES + plaintext.length + TAG_BYTES` new bytes), the tag covering `aad` and the ciphertext.
   */
  seal(key: DerivedKey, aad: Uint8Array, plaintext: Uint8Array): Awaitable<Uint8Array>;
  /**
   * The plaintext of `nonce ‖ ciphertext ‖ tag` sealed under `key` with this `aad`, or `undefined` when
   * the tag does not verify (or `sealed` is too short to hold a nonce and a tag).
   */
  open(key: DerivedKey, aad: Uint8Array, sealed: Uint8Array): Awaitable<Uint8Array | undefined>;
}

export const TAG_BYTES = 16;
export const KEY_ID_BYTES = 4;

const encoder = new TextEncoder();
// RFC 5869 §3.1: a fixed, application-specific salt; §3.2: distinct `info` strings give independent keys.
const HKDF_SALT = encoder.encode("ringlet/cookie-store");
const INFO_KEY = encoder.encode("ringlet/cookie-store v1 aes-256-gcm key");
const INFO_ID = encoder.encode("ringlet/cookie-store v1 key id");

type NodeCrypto = typeof import("node:crypto");
type NodeBuffer = typeof import("node:buffer");
type KeyObject = import("node:crypto").KeyObject;

/** A built-in module fetched at run time, so that no `node:` import breaks other runtimes' bundlers. */
function builtin<T>(id: string): Partial<T> | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  return proc?.getBuiltinModule?.(id) as Partial<T> | undefined;
}

/**
 * The synchronous backend over `node:crypto`'s `aes-256-gcm` (one OpenSSL cipher object per message), or
 * `undefined` when the runtime has no `node:crypto`.
 *
 * @example
 * const backend = nodeCryptoBackend() ?? webCryptoBackend();
 */
export function nodeCryptoBackend(): CryptoBackend | undefined {
  const crypto = builtin<NodeCrypto>("node:crypto");
  const NodeBuffer = builtin<NodeBuffer>("node:buffer")?.Buffer;
  if (
    !crypto?.createCipheriv ||
    !crypto.createDecipheriv ||
    !crypto.createSecretKey ||
    !crypto.hkdfSync ||
    !crypto.randomFillSync ||
    !NodeBuffer
  ) {
    return undefined;
  }
  const { createCipheriv, createDecipheriv, createSecretKey, hkdfSync, randomFillSync } = crypto;
  const nextNonce = noncePool((bytes) => randomFillSync(bytes));
  const options = { authTagLength: TAG_BYTES };
  return {
    name: "node",
    synchronous: true,
    deriveKey(secret) {
      const raw = new Uint8Array(hkdfSync("sha256", secret, HKDF_SALT, INFO_KEY, 32));
      const id = new Uint8Array(hkdfSync("sha256", secret, HKDF_SALT, INFO_ID, KEY_ID_BYTES));
      const key = createSecretKey(raw);
      raw.fill(0); // the KeyObject holds its own copy, outside the JavaScript heap
      return { key, id };
    },
    seal(key, aad, plaintext) {
      const nonce = nextNonce();
      const cipher = createCipheriv("aes-256-gcm", key.key as KeyObject, nonce, options);
      cipher.setAAD(aad);
      const ciphertext = cipher.update(plaintext);
      const rest = cipher.final();
      return NodeBuffer.concat([nonce, ciphertext, rest, cipher.getAuthTag()]);
    },
    open(key, aad, sealed) {
      if (sealed.length < NONCE_BYTES + TAG_BYTES) return undefined;
      const tagAt = sealed.length - TAG_BYTES;
      const nonce = sealed.subarray(0, NONCE_BYTES);
      const decipher = createDecipheriv("aes-256-gcm", key.key as KeyObject, nonce, options);
      decipher.setAAD(aad);
      decipher.setAuthTag(sealed.subarray(tagAt));
      const plaintext = decipher.update(sealed.subarray(NONCE_BYTES, tagAt));
      try {
        // OpenSSL compares the tag (in constant time) here, and final() throws when it does not match;
        // the plaintext is returned only after that.
        return NodeBuffer.concat([plaintext, decipher.final()]);
      } catch {
        return undefined;
      }
    },
  };
}

/**
 * The asynchronous backend over WebCrypto (`crypto.subtle`), present on every runtime ringlet targets.
 *
 * @example
 * const backend = webCryptoBackend();
 * const key = await backend.deriveKey(secret);
 */
export function webCryptoBackend(): CryptoBackend {
  const subtle = (globalThis as { crypto?: Crypto }).crypto?.subtle;
  if (subtle === undefined || typeof globalThis.crypto.getRandomValues !== "function") {
    throw new TypeError(
      "cookieStore: this runtime has neither node:crypto nor WebCrypto (crypto.subtle), and the cookie store " +
        "needs one of them to seal sessions. In a browser, WebCrypto exists only in secure contexts (https, or " +
        "http://localhost); elsewhere, use a runtime with WebCrypto or another session store.",
    );
  }
  const nextNonce = noncePool((bytes) => globalThis.crypto.getRandomValues(bytes));
  return {
    name: "webcrypto",
    synchronous: false,
    async deriveKey(secret) {
      const ikm = await subtle.importKey("raw", secret as BufferSource, "HKDF", false, ["deriveBits"]);
      const hkdf = (info: Uint8Array, bytes: number) =>
        subtle.deriveBits(
          { name: "HKDF", hash: "SHA-256", salt: HKDF_SALT, info: info as BufferSource },
          ikm,
          bytes * 8,
        );
      const [raw, id] = await Promise.all([hkdf(INFO_KEY, 32), hkdf(INFO_ID, KEY_ID_BYTES)]);
      const key = await subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
      return { key, id: new Uint8Array(id) };
    },
    async seal(key, aad, plaintext) {
      // Taken before the first await, so overlapping seals never share a nonce.
      const nonce = nextNonce();
      const params = { name: "AES-GCM", iv: nonce as BufferSource, additionalData: aad as BufferSource };
      const encrypted = await subtle.encrypt(params, key.key as CryptoKey, plaintext as BufferSource);
      const sealed = new Uint8Array(NONCE_BYTES + encrypted.byteLength);
      sealed.set(nonce);
      sealed.set(new Uint8Array(encrypted), NONCE_BYTES);
      return sealed;
    },
    async open(key, aad, sealed) {
      if (sealed.length < NONCE_BYTES + TAG_BYTES) return undefined;
      const iv = sealed.subarray(0, NONCE_BYTES);
      const params = { name: "AES-GCM", iv: iv as BufferSource, additionalData: aad as BufferSource };
      const data = sealed.subarray(NONCE_BYTES) as BufferSource;
      try {
        return new Uint8Array(await subtle.decrypt(params, key.key as CryptoKey, data));
      } catch {
        // WebCrypto reports a tag mismatch as an OperationError, with no more detail.
        return undefined;
      }
    },
  };
}

let chosen: CryptoBackend | undefined;

/**
 * The backend for this runtime, chosen once: `node:crypto` when present and working (synchronous, so a
 * synchronous handler stays synchronous), WebCrypto otherwise.
 */
export function defaultCryptoBackend(): CryptoBackend {
  chosen ??= firstWorkingBackend(nodeCryptoBackend(), webCryptoBackend);
  return chosen;
}

/**
 * `candidate` if it is synchronous and passes a known-answer test, else `fallback()`. Some runtimes expose a
 * partial `node:crypto` (a compatibility layer without AES-GCM or HKDF) whose functions exist but throw or
 * compute something else; the test opens a seal made by OpenSSL's own AES-256-GCM under a key derived from
 * a fixed secret, refuses it with one bit flipped, and round-trips a fresh seal.
 */
export function firstWorkingBackend(
  candidate: CryptoBackend | undefined,
  fallback: () => CryptoBackend,
): CryptoBackend {
  if (candidate === undefined) return fallback();
  try {
    if (!candidate.synchronous) return fallback();
    const key = candidate.deriveKey(new Uint8Array(32));
    if (key instanceof Promise) return fallback();
    const { aad, plaintext, sealed } = KNOWN_ANSWER;
    if (!opensTo(candidate.open(key, aad, sealed), plaintext)) return fallback();
    const flipped = sealed.slice();
    flipped[NONCE_BYTES + 3]! ^= 0x10;
    if (candidate.open(key, aad, flipped) !== undefined) return fallback();
    const fresh = candidate.seal(key, aad, plaintext);
    if (!(fresh instanceof Uint8Array) || fresh.length !== sealed.length) return fallback();
    if (!opensTo(candidate.open(key, aad, fresh), plaintext)) return fallback();
    return candidate;
  } catch {
    return fallback();
  }
}

// nonce ‖ ciphertext ‖ tag by OpenSSL (Node's createCipheriv, nonce 0, 1, …, 11), key = HKDF of the 32-byte
// zero secret as deriveKey does it.
const KNOWN_ANSWER = {
  aad: new Uint8Array([9, 8, 7, 6, 5]),
  plaintext: encoder.encode("ringlet known answer"),
  sealed: decodeBase64url("AAECAwQFBgcICQoLumTrnQOhvgH1gFK9vNZ0x7eCwFw-XTql1MYf0250U1mRRAbz")!,
};

function opensTo(opened: Awaitable<Uint8Array | undefined>, expected: Uint8Array): boolean {
  return (
    opened instanceof Uint8Array &&
    opened.length === expected.length &&
    opened.every((byte, i) => byte === expected[i])
  );
}
