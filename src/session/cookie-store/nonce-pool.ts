/**
 * Nonces for the cookie store's AES-256-GCM: 12 random bytes each, drawn from the platform CSPRNG in
 * batches and handed out once each. docs/security.md says why random nonces bound a secret to 2^32 seals.
 */

/** Bytes of a GCM nonce: 96 bits, the length GCM is designed for (NIST SP 800-38D §5.2.1.1). */
export const NONCE_BYTES = 12;

// One CSPRNG call per 512 seals instead of one per seal (bench/seal.ts: "raw-node-aes: seal" draws one per
// seal, "node: seal" from this pool).
const POOL_NONCES = 512;

/**
 * A source of fresh nonces of `size` bytes (default `NONCE_BYTES`), refilled by `fill` (a CSPRNG such as
 * `randomFillSync` or `crypto.getRandomValues`) whenever it runs out. Each call returns a new array holding
 * bytes no other call returns. The anti-forgery middleware draws its per-request masks from one too.
 *
 * @example
 * const nextNonce = noncePool((bytes) => crypto.getRandomValues(bytes));
 * const iv = nextNonce(); // 12 random bytes
 */
export function noncePool(fill: (bytes: Uint8Array) => void, size = NONCE_BYTES): () => Uint8Array {
  const pool = new Uint8Array(size * POOL_NONCES);
  let used = pool.length;
  return () => {
    if (used === pool.length) {
      fill(pool);
      used = 0;
    }
    // A copy, never a view: the next refill overwrites the pool.
    const nonce = pool.slice(used, used + size);
    used += size;
    return nonce;
  };
}
