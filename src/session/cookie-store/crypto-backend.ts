/**
 * The cryptography under the cookie store: HKDF-SHA-256, AES-256-GCM and pooled nonces, from Node's
 * `node:crypto` (synchronous, fetched at run time, no static `node:` import; GCM assembled in ./node-gcm.ts)
 * or else WebCrypto (async). `defaultCryptoBackend()` picks one once per process.
 */
import { decodeBase64url, encodeBase64url } from "../../core/base64url.js";
import type { Awaitable } from "../../core/types.js";
import { gcmOpen, gcmSeal, type NodeGcmCrypto, type NodeGcmKey, nodeGcmKey } from "../node-gcm.js";

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
  /** True when `deriveKey`, `encrypt` and `decrypt` return plain values, never Promises. */
  readonly synchronous: boolean;
  /** Derive the AES key and key id from a secret of 32+ bytes (HKDF-SHA-256, RFC 5869). */
  deriveKey(secret: Uint8Array): Awaitable<DerivedKey>;
  /**
   * AES-256-GCM in place, under a fresh random nonce: the associated data is `buf[0, aadEnd)`, the nonce
   * (`NONCE_BYTES` never-used random bytes) is written at `nonceAt`, and the plaintext `buf[at, at + length)`
   * is replaced by its ciphertext, followed by the 16-byte tag. The nonce must not overlap the other two
   * ranges. On an asynchronous backend `buf` must not change until the Promise settles.
   */
  encrypt(
    key: DerivedKey,
    buf: Uint8Array,
    aadEnd: number,
    nonceAt: number,
    at: number,
    length: number,
  ): Awaitable<void>;
  /** AES-256-GCM: returns the plaintext, or `undefined` when the tag does not verify. */
  decrypt(
    key: DerivedKey,
    nonce: Uint8Array,
    aad: Uint8Array,
    sealed: Uint8Array,
  ): Awaitable<Uint8Array | undefined>;
  /**
   * The first `length` bytes as unpadded base64url (RFC 4648 §5); `Buffer`'s native encoder on Node, about
   * three times faster.
   */
  encodeBase64url(bytes: Uint8Array, length: number): string;
  /**
   * Strict unpadded base64url decoding: `undefined` for any text that is not the one canonical encoding of
   * some bytes (see `decodeBase64url` in src/core/base64url.ts). On Node the bytes come from `Buffer`'s
   * decoder, in memory that views can share at no cost.
   */
  decodeBase64url(text: string): Uint8Array | undefined;
}

export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
export const KEY_ID_BYTES = 4;

const encoder = new TextEncoder();
// RFC 5869 §3.1: a fixed, application-specific salt; §3.2: distinct `info` strings give independent keys.
const HKDF_SALT = encoder.encode("ringlet/cookie-store");
const INFO_KEY = encoder.encode("ringlet/cookie-store v1 aes-256-gcm key");
const INFO_ID = encoder.encode("ringlet/cookie-store v1 key id");

// 512 nonces per refill: one CSPRNG call per 512 seals instead of one per seal.
const POOL_BYTES = NONCE_BYTES * 512;

function noncePool(fill: (bytes: Uint8Array) => void): (out: Uint8Array, offset: number) => void {
  const pool = new Uint8Array(POOL_BYTES);
  let used = POOL_BYTES;
  return (out, offset) => {
    if (used === POOL_BYTES) {
      fill(pool);
      used = 0;
    }
    // Copied out, never aliased: the next refill overwrites the pool.
    out.set(pool.subarray(used, used + NONCE_BYTES), offset);
    used += NONCE_BYTES;
  };
}

type NodeCrypto = typeof import("node:crypto");
type NodeBuffer = typeof import("node:buffer");

/** A built-in module fetched at run time, so that no `node:` import breaks other runtimes' bundlers. */
function builtin<T>(id: string): Partial<T> | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  return proc?.getBuiltinModule?.(id) as Partial<T> | undefined;
}

/**
 * The synchronous backend over `node:crypto`, or `undefined` when the runtime has no `node:crypto`. GCM is
 * assembled from node:crypto's AES block function (./node-gcm.ts): one cipher context per key instead of one
 * per message.
 *
 * @example
 * const backend = nodeCryptoBackend() ?? webCryptoBackend();
 */
export function nodeCryptoBackend(): CryptoBackend | undefined {
  const crypto = builtin<NodeCrypto>("node:crypto");
  const NodeBuffer = builtin<NodeBuffer>("node:buffer")?.Buffer;
  if (!crypto?.createCipheriv || !crypto.hkdfSync || !crypto.randomFillSync || !NodeBuffer) return undefined;
  const { createCipheriv, hkdfSync, randomFillSync } = crypto;
  const primitives = { createCipheriv, randomFillSync } as NodeGcmCrypto;
  // Buffer's encoder reads through a Buffer view; the seal's scratch buffer is the same object every time,
  // so its view is made once.
  let lastBytes: Uint8Array | undefined;
  let lastView: InstanceType<typeof NodeBuffer> | undefined;
  return {
    name: "node",
    synchronous: true,
    deriveKey(secret) {
      const raw = new Uint8Array(hkdfSync("sha256", secret, HKDF_SALT, INFO_KEY, 32));
      const id = new Uint8Array(hkdfSync("sha256", secret, HKDF_SALT, INFO_ID, KEY_ID_BYTES));
      const key = nodeGcmKey(primitives, raw);
      raw.fill(0); // OpenSSL holds the key schedule; no second copy stays in the JavaScript heap
      return { key, id };
    },
    encrypt(key, buf, aadEnd, nonceAt, at, length) {
      gcmSeal(primitives, key.key as NodeGcmKey, buf, 0, aadEnd, nonceAt, at, length);
    },
    decrypt(key, nonce, aad, sealed) {
      return gcmOpen(key.key as NodeGcmKey, nonce, aad, sealed);
    },
    encodeBase64url(bytes, length) {
      if (bytes !== lastBytes || lastView === undefined) {
        lastView = NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        lastBytes = bytes;
      }
      return lastView.toString("base64url", 0, length);
    },
    decodeBase64url(text) {
      // Buffer's decoder skips what it does not know; only the text it would give back is canonical.
      const bytes = NodeBuffer.from(text, "base64url");
      if (bytes.toString("base64url") !== text) return undefined;
      // A plain Uint8Array view of the same memory, as the other backend returns.
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
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
  const subtle = globalThis.crypto.subtle;
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
    async encrypt(key, buf, aadEnd, nonceAt, at, length) {
      const nonce = new Uint8Array(NONCE_BYTES);
      nextNonce(nonce, 0);
      // WebCrypto copies its inputs when it is called (WebCrypto §14.3.1), before the nonce or the result
      // lands in `buf`, so views into `buf` are safe.
      const aad = buf.subarray(0, aadEnd);
      const params = { name: "AES-GCM", iv: nonce as BufferSource, additionalData: aad as BufferSource };
      const sealed = subtle.encrypt(
        params,
        key.key as CryptoKey,
        buf.subarray(at, at + length) as BufferSource,
      );
      buf.set(nonce, nonceAt);
      buf.set(new Uint8Array(await sealed), at);
    },
    async decrypt(key, nonce, aad, sealed) {
      if (sealed.length < TAG_BYTES) return undefined;
      const params = { name: "AES-GCM", iv: nonce as BufferSource, additionalData: aad as BufferSource };
      try {
        return new Uint8Array(await subtle.decrypt(params, key.key as CryptoKey, sealed as BufferSource));
      } catch {
        // WebCrypto reports a tag mismatch as an OperationError, with no more detail.
        return undefined;
      }
    },
    encodeBase64url,
    decodeBase64url,
  };
}

let chosen: CryptoBackend | undefined;

/**
 * The backend for this runtime, chosen once: `node:crypto` when present and working (synchronous, about
 * ten times faster per seal), WebCrypto otherwise.
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
    const { nonce, aad, plaintext, sealed } = KNOWN_ANSWER;
    const opened = candidate.decrypt(key, nonce, aad, sealed);
    if (!(opened instanceof Uint8Array) || !equalBytes(opened, plaintext)) return fallback();
    const flipped = sealed.slice();
    flipped[3]! ^= 0x10;
    if (candidate.decrypt(key, nonce, aad, flipped) !== undefined) return fallback();
    // [aad | nonce | plaintext → ciphertext | tag], as the seal lays it out.
    const at = aad.length + NONCE_BYTES;
    const out = new Uint8Array(at + plaintext.length + TAG_BYTES);
    out.set(aad);
    out.set(plaintext, at);
    if (candidate.encrypt(key, out, aad.length, aad.length, at, plaintext.length) instanceof Promise) {
      return fallback();
    }
    const again = candidate.decrypt(key, out.subarray(aad.length, at), aad, out.subarray(at));
    if (!(again instanceof Uint8Array) || !equalBytes(again, plaintext)) return fallback();
    return candidate;
  } catch {
    return fallback();
  }
}

// AES-256-GCM by OpenSSL (Node's createCipheriv), key = HKDF of the 32-byte zero secret as deriveKey does it.
const KNOWN_ANSWER = {
  nonce: new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]),
  aad: new Uint8Array([9, 8, 7, 6, 5]),
  plaintext: encoder.encode("ringlet known answer"),
  sealed: decodeBase64url("umTrnQOhvgH1gFK9vNZ0x7eCwFw-XTql1MYf0250U1mRRAbz")!,
};

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
