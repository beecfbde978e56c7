/**
 * GHASH, the authenticator of AES-GCM (NIST SP 800-38D §6.4), in constant time and without allocation.
 * `node-gcm.ts` builds AES-256-GCM from it and node:crypto's AES block function, so that a seal needs no
 * per-message cipher object. Pure JavaScript: no `node:` import.
 *
 * Multiplication in GF(2^128) is done with integer multiplications that leave "holes" between the bits, so no
 * carry reaches a bit that matters (the technique of BearSSL's `ghash_ctmul32`): no table is indexed and no
 * branch is taken on secret data, so the time it takes reveals nothing about H or the data.
 */

/**
 * A hash subkey H prepared for {@link ghash}: its words, their Karatsuba sums and all of them bit-reversed,
 * each split into the four masks of `bmul32`.
 */
export type GhashKey = Int32Array & { readonly __ghashKey: true };

/**
 * Prepares the hash subkey `h` (16 bytes: AES_K(0^128) for GCM).
 *
 * @example
 * const key = ghashKey(aesEcb.update(new Uint8Array(16)));
 */
export function ghashKey(h: Uint8Array): GhashKey {
  if (h.length !== 16) throw new RangeError(`ghashKey: H must be 16 bytes, got ${h.length}`);
  const k = new Int32Array(18);
  // Least significant word first; a GCM block is big-endian with its first bit as the x^0 coefficient, so
  // these words hold H bit-reflected, which the multiplication below accounts for.
  k[0] = word(h, 12);
  k[1] = word(h, 8);
  k[2] = k[0] ^ k[1];
  k[3] = word(h, 4);
  k[4] = word(h, 0);
  k[5] = k[3] ^ k[4];
  k[6] = k[0] ^ k[3];
  k[7] = k[1] ^ k[4];
  k[8] = k[6] ^ k[7];
  for (let i = 0; i < 9; i++) k[i + 9] = rev32(k[i]!);
  // Each word split once into the four masks bmul32 needs.
  const masks = new Int32Array(72);
  for (let i = 0; i < 18; i++) {
    masks[4 * i] = k[i]! & 0x11111111;
    masks[4 * i + 1] = k[i]! & 0x22222222;
    masks[4 * i + 2] = k[i]! & 0x44444444;
    masks[4 * i + 3] = k[i]! & 0x88888888;
  }
  return masks as GhashKey;
}

/**
 * GHASH's running value after the associated data A (zero-padded to whole blocks). GCM's associated data is
 * often the same for every message under a key (the cookie store's is its version and key id), so it is
 * absorbed once and {@link ghashTag} starts from here.
 */
export interface GhashPrefix {
  readonly key: GhashKey;
  readonly aad: Uint8Array;
  readonly y: Int32Array;
}

/**
 * Absorbs the associated data `aad` under `key`.
 *
 * @example
 * const prefix = ghashPrefix(key, new Uint8Array([1, 0xde, 0xad, 0xbe, 0xef]));
 */
export function ghashPrefix(key: GhashKey, aad: Uint8Array): GhashPrefix {
  const y = new Int32Array(4);
  absorb(key, y, aad, 0, aad.length);
  // A copy, even of a Node Buffer (whose slice() is a view): the prefix must not change with the caller's bytes.
  return { key, aad: new Uint8Array(aad), y };
}

/**
 * GHASH_H(A ‖ 0* ‖ C ‖ 0* ‖ [len(A)]64 ‖ [len(C)]64) with A from `prefix` and C the bytes of `data` from
 * `start` to `end`, XORed with the 16 bytes of `mask` at `maskAt` (GCM's E_K(J0)) and written to `out` at
 * `outAt`: the GCM authentication tag (NIST SP 800-38D §7.1, steps 5 and 6). Ranges rather than views: a
 * `subarray` costs more than hashing a short message.
 *
 * @example
 * ghashTag(prefix, sealed, 0, sealed.length - 16, encryptedJ0, 0, tag, 0);
 */
export function ghashTag(
  prefix: GhashPrefix,
  data: Uint8Array,
  start: number,
  end: number,
  mask: Uint8Array,
  maskAt: number,
  out: Uint8Array,
  outAt: number,
): void {
  const { key } = prefix;
  const y = state;
  y.set(prefix.y);
  absorb(key, y, data, start, end);
  // The lengths in bits, as two 64-bit big-endian numbers; the high words are exact below 2^32 bytes, far
  // above what node-gcm.ts accepts.
  const aadLength = prefix.aad.length;
  const length = end - start;
  multiply(key, y, length << 3, length >>> 29, aadLength << 3, aadLength >>> 29);
  // y[3] holds the block's first four bytes (the most significant word).
  for (let w = 0; w < 4; w++) {
    const v = y[3 - w]!;
    const m = maskAt + 4 * w;
    const o = outAt + 4 * w;
    out[o] = (v >>> 24) ^ mask[m]!;
    out[o + 1] = (v >>> 16) ^ mask[m + 1]!;
    out[o + 2] = (v >>> 8) ^ mask[m + 2]!;
    out[o + 3] = v ^ mask[m + 3]!;
  }
}

// The running value Y, least significant word first. Reused: ghashTag never yields or re-enters.
const state = new Int32Array(4);

function absorb(key: GhashKey, y: Int32Array, data: Uint8Array, start: number, end: number): void {
  const n = end;
  const full = end - ((end - start) % 16);
  for (let i = start; i < full; i += 16) {
    multiply(key, y, word(data, i + 12), word(data, i + 8), word(data, i + 4), word(data, i));
  }
  if (full < n) {
    // The last partial block, padded with zeros. Lengths are public, so this branch leaks nothing.
    multiply(
      key,
      y,
      paddedWord(data, full + 12, n),
      paddedWord(data, full + 8, n),
      paddedWord(data, full + 4, n),
      paddedWord(data, full, n),
    );
  }
}

/**
 * y ← (y ⊕ x) · H in GF(2^128) mod x^128 + x^7 + x^2 + x + 1, on bit-reflected operands, where x is the
 * block whose words are `x0` (least significant, the block's last four bytes) to `x3`. Karatsuba turns the
 * 128 × 128 carry-less product into nine 32 × 32 ones; each needs its low word (`bmul32`) and its high
 * word (the low word of the product of the bit-reversed operands, reversed back and shifted by one).
 */
function multiply(k: GhashKey, y: Int32Array, x0: number, x1: number, x2: number, x3: number): void {
  const a0 = y[0]! ^ x0;
  const a1 = y[1]! ^ x1;
  const a3 = y[2]! ^ x2;
  const a4 = y[3]! ^ x3;
  const a2 = a0 ^ a1;
  const a5 = a3 ^ a4;
  const a6 = a0 ^ a3;
  const a7 = a1 ^ a4;
  const a8 = a6 ^ a7;
  // Low words of the nine products.
  const c0 = bmul32(k, 0, a0);
  const c1 = bmul32(k, 4, a1);
  const c2 = bmul32(k, 8, a2) ^ c0 ^ c1;
  const c3 = bmul32(k, 12, a3);
  const c4 = bmul32(k, 16, a4);
  const c5 = bmul32(k, 20, a5) ^ c3 ^ c4;
  const c6 = bmul32(k, 24, a6);
  const c7 = bmul32(k, 28, a7);
  const c8 = bmul32(k, 32, a8) ^ c6 ^ c7;
  // High words, from the bit-reversed operands.
  const r0 = bmul32(k, 36, rev32(a0));
  const r1 = bmul32(k, 40, rev32(a1));
  const h0 = rev32(r0) >>> 1;
  const h1 = rev32(r1) >>> 1;
  const h2 = rev32(bmul32(k, 44, rev32(a2)) ^ r0 ^ r1) >>> 1;
  const r3 = bmul32(k, 48, rev32(a3));
  const r4 = bmul32(k, 52, rev32(a4));
  const h3 = rev32(r3) >>> 1;
  const h4 = rev32(r4) >>> 1;
  const h5 = rev32(bmul32(k, 56, rev32(a5)) ^ r3 ^ r4) >>> 1;
  const r6 = bmul32(k, 60, rev32(a6));
  const r7 = bmul32(k, 64, rev32(a7));
  const h6 = rev32(r6) >>> 1;
  const h7 = rev32(r7) >>> 1;
  const h8 = rev32(bmul32(k, 68, rev32(a8)) ^ r6 ^ r7) >>> 1;
  // The three 64 × 64 products, as four words each: low half, high half, and the middle term.
  const p0 = c0;
  const p1 = h0 ^ c2;
  const p2 = c1 ^ h2;
  const p3 = h1;
  const q0 = c3;
  const q1 = h3 ^ c5;
  const q2 = c4 ^ h5;
  const q3 = h4;
  const m0 = c6 ^ p0 ^ q0;
  const m1 = h6 ^ c8 ^ p1 ^ q1;
  const m2 = c7 ^ h8 ^ p2 ^ q2;
  const m3 = h7 ^ p3 ^ q3;
  // The 255-bit product of reflected operands, shifted left by one to align it as a reflected 256-bit value.
  let z0 = p0;
  let z1 = p1;
  let z2 = p2 ^ m0;
  let z3 = p3 ^ m1;
  let z4 = q0 ^ m2;
  let z5 = q1 ^ m3;
  let z6 = q2;
  let z7 = q3;
  z7 = (z7 << 1) | (z6 >>> 31);
  z6 = (z6 << 1) | (z5 >>> 31);
  z5 = (z5 << 1) | (z4 >>> 31);
  z4 = (z4 << 1) | (z3 >>> 31);
  z3 = (z3 << 1) | (z2 >>> 31);
  z2 = (z2 << 1) | (z1 >>> 31);
  z1 = (z1 << 1) | (z0 >>> 31);
  z0 <<= 1;
  // Reduction: the low words hold the coefficients of x^128 and above (reflected); x^128 = x^7 + x^2 + x + 1
  // folds each of them onto four positions 128, 127, 126 and 121 bits higher. Word 3 is folded last because
  // folding word 0 changes it.
  z4 ^= z0 ^ (z0 >>> 1) ^ (z0 >>> 2) ^ (z0 >>> 7);
  z3 ^= (z0 << 31) ^ (z0 << 30) ^ (z0 << 25);
  z5 ^= z1 ^ (z1 >>> 1) ^ (z1 >>> 2) ^ (z1 >>> 7);
  z4 ^= (z1 << 31) ^ (z1 << 30) ^ (z1 << 25);
  z6 ^= z2 ^ (z2 >>> 1) ^ (z2 >>> 2) ^ (z2 >>> 7);
  z5 ^= (z2 << 31) ^ (z2 << 30) ^ (z2 << 25);
  z7 ^= z3 ^ (z3 >>> 1) ^ (z3 >>> 2) ^ (z3 >>> 7);
  z6 ^= (z3 << 31) ^ (z3 << 30) ^ (z3 << 25);
  y[0] = z4;
  y[1] = z5;
  y[2] = z6;
  y[3] = z7;
}

/**
 * The low 32 bits of the carry-less product of `x` and the key word whose masks start at `k[at]`. Each
 * operand is split into four masks with one bit in four set; an integer product of two such masks sums at
 * most eight bits into any position, which fits in the three zero bits above it, so the bit at each kept
 * position is the XOR (the sum mod 2) of the bits that meet there.
 */
function bmul32(k: GhashKey, at: number, x: number): number {
  const x0 = x & 0x11111111;
  const x1 = x & 0x22222222;
  const x2 = x & 0x44444444;
  const x3 = x & 0x88888888;
  const y0 = k[at]!;
  const y1 = k[at + 1]!;
  const y2 = k[at + 2]!;
  const y3 = k[at + 3]!;
  const z0 = Math.imul(x0, y0) ^ Math.imul(x1, y3) ^ Math.imul(x2, y2) ^ Math.imul(x3, y1);
  const z1 = Math.imul(x0, y1) ^ Math.imul(x1, y0) ^ Math.imul(x2, y3) ^ Math.imul(x3, y2);
  const z2 = Math.imul(x0, y2) ^ Math.imul(x1, y1) ^ Math.imul(x2, y0) ^ Math.imul(x3, y3);
  const z3 = Math.imul(x0, y3) ^ Math.imul(x1, y2) ^ Math.imul(x2, y1) ^ Math.imul(x3, y0);
  return (z0 & 0x11111111) | (z1 & 0x22222222) | (z2 & 0x44444444) | (z3 & 0x88888888);
}

/** The 32 bits of `x` in reverse order. */
function rev32(x: number): number {
  x = ((x & 0x55555555) << 1) | ((x >>> 1) & 0x55555555);
  x = ((x & 0x33333333) << 2) | ((x >>> 2) & 0x33333333);
  x = ((x & 0x0f0f0f0f) << 4) | ((x >>> 4) & 0x0f0f0f0f);
  x = ((x & 0x00ff00ff) << 8) | ((x >>> 8) & 0x00ff00ff);
  return (x << 16) | (x >>> 16);
}

function word(b: Uint8Array, i: number): number {
  return (b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!;
}

function paddedWord(b: Uint8Array, i: number, end: number): number {
  return (
    ((i < end ? b[i]! : 0) << 24) |
    ((i + 1 < end ? b[i + 1]! : 0) << 16) |
    ((i + 2 < end ? b[i + 2]! : 0) << 8) |
    (i + 3 < end ? b[i + 3]! : 0)
  );
}
