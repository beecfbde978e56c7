/**
 * AES-256-GCM (NIST SP 800-38D) for the cookie store on Node, assembled from node:crypto's AES-256 block
 * function and the constant-time GHASH of ./ghash.ts. Node's `createCipheriv` builds and frees a cipher
 * context for every message, which costs several times the encryption itself; here one long-lived ECB
 * context per key encrypts the counter blocks of 256 fresh random nonces at a time, and a seal only XORs and
 * hashes. The output is standard AES-256-GCM: WebCrypto and `createDecipheriv` open it (tests hold them equal).
 * docs/security.md explains the construction and its threat model.
 */
import { type GhashKey, type GhashPrefix, ghashKey, ghashPrefix, ghashTag } from "./ghash.js";

type NodeCrypto = typeof import("node:crypto");
type Cipher = import("node:crypto").Cipher;

/** What this module needs from `node:crypto`. */
export type NodeGcmCrypto = Pick<NodeCrypto, "createCipheriv" | "randomFillSync">;

/** Bytes of a GCM nonce here: 96 bits, the length GCM is designed for (SP 800-38D §5.2.1.1). */
const NONCE = 12;
const BLOCK = 16;
const TAG = 16;
/** Nonces prepared per refill of a key's pool. */
const POOL_NONCES = 256;
/**
 * Blocks of keystream prepared per nonce: E_K(J0) for the tag, then the first blocks of plaintext. A refill
 * prepares as many as the widest seal since the previous refill needed, within these bounds, so the AES work
 * done ahead matches the sessions this process actually writes; a wider seal gets the rest on the spot.
 */
const FIRST_POOL_BLOCKS = 8;
const MIN_POOL_BLOCKS = 2;
const MAX_POOL_BLOCKS = 16;
/**
 * The longest plaintext handled: far beyond any cookie, and well inside GCM's limits (2^36 - 32 bytes, after
 * which the 32-bit counter would come back to J0) and those of the 32-bit lengths in ghash.ts.
 */
const MAX_BYTES = 2 ** 30;

/**
 * An AES-256-GCM key: the AES key schedule inside a long-lived ECB context, the hash subkey H, and a pool of
 * never-used nonces with their keystream.
 */
export interface NodeGcmKey {
  readonly ecb: Cipher;
  readonly hash: GhashKey;
  /** GHASH after the associated data of the last seal or open; the cookie store's never changes. */
  prefix: GhashPrefix | undefined;
  /** `POOL_NONCES` random nonces; the one at `next` is the next to be used. */
  readonly nonces: Uint8Array;
  /** For each nonce, `stride` bytes of AES_K(nonce ‖ counter), counters 1, 2, ... */
  stream: Uint8Array;
  stride: number;
  next: number;
  /** The most blocks (J0 included) a seal has needed since the last refill. */
  widest: number;
}

/**
 * Prepares `key` (32 bytes) for {@link gcmSeal} and {@link gcmOpen}. The caller may wipe `key` afterwards:
 * OpenSSL keeps its own copy, the key schedule.
 *
 * @example
 * const key = nodeGcmKey(crypto, hkdfSync("sha256", secret, salt, info, 32));
 */
export function nodeGcmKey(crypto: NodeGcmCrypto, key: Uint8Array): NodeGcmKey {
  if (key.length !== 32) throw new RangeError(`nodeGcmKey: an AES-256 key is 32 bytes, got ${key.length}`);
  const ecb = crypto.createCipheriv("aes-256-ecb", key, null);
  // Only whole blocks are ever passed in, so ECB holds no state between calls and update() alone is AES.
  ecb.setAutoPadding(false);
  const hash = ghashKey(ecb.update(new Uint8Array(BLOCK))); // H = AES_K(0^128), §6.4
  return {
    ecb,
    hash,
    prefix: undefined,
    nonces: new Uint8Array(POOL_NONCES * NONCE),
    stream: new Uint8Array(0),
    stride: 0,
    next: POOL_NONCES,
    widest: FIRST_POOL_BLOCKS,
  };
}

/**
 * Encrypts in place, under a fresh random nonce: the associated data is `buf[aadStart, aadEnd)`, the plaintext
 * `buf[at, at + length)`, which becomes the ciphertext, followed by the 16-byte tag; the nonce is written at
 * `nonceAt`. The nonce's 12 bytes must not overlap the other ranges. Offsets rather than views: a seal is a
 * few hundred nanoseconds of work, and every `subarray` costs about a hundred.
 *
 * @example
 * // [aad (5) | nonce (12) | plaintext (n) | tag (16)]
 * gcmSeal(crypto, key, buf, 0, 5, 5, 17, n);
 */
export function gcmSeal(
  crypto: NodeGcmCrypto,
  key: NodeGcmKey,
  buf: Uint8Array,
  aadStart: number,
  aadEnd: number,
  nonceAt: number,
  at: number,
  length: number,
): void {
  if (length > MAX_BYTES) {
    throw new RangeError(`gcmSeal: at most ${MAX_BYTES} bytes of plaintext, got ${length}`);
  }
  const prefix = prefixFor(key, buf, aadStart, aadEnd);
  if (key.next === POOL_NONCES) refill(crypto, key);
  const index = key.next++;
  const nonces = key.nonces;
  const nonceFrom = index * NONCE;
  for (let i = 0; i < NONCE; i++) buf[nonceAt + i] = nonces[nonceFrom + i]!;
  const stream = key.stream;
  const stride = key.stride;
  const base = index * stride;
  const blocks = 1 + Math.ceil(length / BLOCK);
  if (blocks > key.widest) key.widest = blocks;
  // Counter 1 (J0) masks the tag; the plaintext's keystream starts at counter 2 (§7.1, steps 2 to 4).
  const pooled = Math.min(length, stride - BLOCK);
  for (let i = 0; i < pooled; i++) buf[at + i] = buf[at + i]! ^ stream[base + BLOCK + i]!;
  if (length > pooled) {
    const more = keystream(key, buf, nonceAt, stride / BLOCK + 1, Math.ceil((length - pooled) / BLOCK));
    for (let i = pooled; i < length; i++) buf[at + i] = buf[at + i]! ^ more[i - pooled]!;
  }
  ghashTag(prefix, buf, at, at + length, stream, base, buf, at + length);
  // Each nonce and its keystream serve one message: wipe them so no later call can use them again.
  stream.fill(0, base, base + stride);
  nonces.fill(0, nonceFrom, nonceFrom + NONCE);
}

/**
 * Decrypts `sealed` (ciphertext ‖ 16-byte tag) made under `nonce` (12 bytes) and `aad`. Returns the plaintext,
 * or `undefined` when the tag does not verify; nothing is decrypted before it has (§7.2).
 *
 * @example
 * const plaintext = gcmOpen(key, nonce, aad, sealed);
 */
export function gcmOpen(
  key: NodeGcmKey,
  nonce: Uint8Array,
  aad: Uint8Array,
  sealed: Uint8Array,
): Uint8Array | undefined {
  if (nonce.length !== NONCE || sealed.length < TAG || sealed.length - TAG > MAX_BYTES) return undefined;
  const n = sealed.length - TAG;
  const stream = keystream(key, nonce, 0, 1, 1 + Math.ceil(n / BLOCK));
  ghashTag(prefixFor(key, aad, 0, aad.length), sealed, 0, n, stream, 0, expected, 0);
  // Constant time: the whole tag is compared whatever the first difference (§7.2, step 8).
  let difference = 0;
  for (let i = 0; i < TAG; i++) difference |= expected[i]! ^ sealed[n + i]!;
  if (difference !== 0) return undefined;
  // Decrypted over the keystream, in the buffer AES just allocated for this open alone: a view of it costs
  // nothing, where a new small typed array would have to move off V8's heap to be viewed (about 1 µs).
  for (let i = 0; i < n; i++) stream[BLOCK + i] = sealed[i]! ^ stream[BLOCK + i]!;
  return new Uint8Array(stream.buffer, stream.byteOffset + BLOCK, n);
}

const expected = new Uint8Array(TAG);

/** Fresh nonces from the CSPRNG, and the first blocks of keystream of each, in one AES call. */
function refill(crypto: NodeGcmCrypto, key: NodeGcmKey): void {
  const blocks = Math.min(MAX_POOL_BLOCKS, Math.max(MIN_POOL_BLOCKS, key.widest));
  const stride = blocks * BLOCK;
  crypto.randomFillSync(key.nonces);
  const nonces = key.nonces;
  const counters = new Uint8Array(POOL_NONCES * stride);
  for (let i = 0; i < POOL_NONCES; i++) writeCounters(counters, i * stride, nonces, i * NONCE, 1, blocks);
  key.stream = key.ecb.update(counters);
  key.stride = stride;
  key.next = 0;
  key.widest = 0;
}

/**
 * AES_K(nonce ‖ c) for `count` counters c from `first`, the nonce being the 12 bytes of `source` at `nonceAt`:
 * the keystream of one message from that counter on.
 */
function keystream(
  key: NodeGcmKey,
  source: Uint8Array,
  nonceAt: number,
  first: number,
  count: number,
): Uint8Array {
  const counters = new Uint8Array(count * BLOCK);
  writeCounters(counters, 0, source, nonceAt, first, count);
  return key.ecb.update(counters);
}

/**
 * Writes `count` counter blocks nonce ‖ [c]32 for c from `first` (J0 is counter 1, §7.1 step 2; each next
 * block is inc32 of the one before) into `out` at `at`, the nonce being `source[nonceAt, nonceAt + 12)`.
 */
function writeCounters(
  out: Uint8Array,
  at: number,
  source: Uint8Array,
  nonceAt: number,
  first: number,
  count: number,
): void {
  for (let b = 0; b < count; b++) {
    const block = at + b * BLOCK;
    const c = first + b;
    for (let j = 0; j < NONCE; j++) out[block + j] = source[nonceAt + j]!;
    out[block + 12] = c >>> 24;
    out[block + 13] = c >>> 16;
    out[block + 14] = c >>> 8;
    out[block + 15] = c;
  }
}

function prefixFor(key: NodeGcmKey, bytes: Uint8Array, start: number, end: number): GhashPrefix {
  const prefix = key.prefix;
  if (prefix !== undefined && sameBytes(prefix.aad, bytes, start, end)) return prefix;
  key.prefix = ghashPrefix(key.hash, bytes.subarray(start, end));
  return key.prefix;
}

function sameBytes(a: Uint8Array, b: Uint8Array, start: number, end: number): boolean {
  if (a.length !== end - start) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[start + i]) return false;
  return true;
}
