import { describe, expect, it } from "vitest";
import { NONCE_BYTES, noncePool } from "../../../src/session/cookie-store/nonce-pool.js";

/** A stand-in CSPRNG that writes a counter, so every byte it produced can be traced. */
function countingFill() {
  let next = 0;
  const calls: number[] = [];
  const fill = (bytes: Uint8Array) => {
    calls.push(bytes.length);
    for (let i = 0; i < bytes.length; i++) bytes[i] = next++ & 255;
  };
  return { fill, calls };
}

describe("noncePool", () => {
  it("hands out each filled byte once, 12 at a time, in order, and refills only when empty", () => {
    const { fill, calls } = countingFill();
    const nextNonce = noncePool(fill);
    expect(calls).toEqual([]); // nothing drawn before the first nonce is needed
    const nonces = Array.from({ length: 1025 }, () => nextNonce());
    // One refill per 512 nonces: the 1st, the 513th and the 1025th nonce each started one.
    expect(calls).toEqual([512 * NONCE_BYTES, 512 * NONCE_BYTES, 512 * NONCE_BYTES]);
    nonces.forEach((nonce, n) => {
      expect(nonce).toHaveLength(NONCE_BYTES);
      expect(Array.from(nonce)).toEqual(
        Array.from({ length: NONCE_BYTES }, (_, i) => (n * NONCE_BYTES + i) & 255),
      );
    });
  });

  it("hands out nonces of another size when asked (the anti-forgery masks: 64 bytes)", () => {
    const { fill, calls } = countingFill();
    const next = noncePool(fill, 64);
    const a = next();
    const b = next();
    expect(calls).toEqual([512 * 64]);
    expect([a.length, b.length, a[0], b[0]]).toEqual([64, 64, 0, 64]);
  });

  it("returns copies: a refill or a change to one nonce leaves the others as they were", () => {
    const { fill } = countingFill();
    const nextNonce = noncePool(fill);
    const first = nextNonce();
    const kept = Array.from(first);
    const second = nextNonce();
    second.fill(0xff);
    for (let i = 0; i < 600; i++) nextNonce(); // past a refill
    expect(Array.from(first)).toEqual(kept);
    expect(first.buffer).not.toBe(second.buffer);
  });

  it("gives distinct nonces from a real CSPRNG across refills", () => {
    const nextNonce = noncePool((bytes) => crypto.getRandomValues(bytes));
    const seen = new Set(Array.from({ length: 2000 }, () => Buffer.from(nextNonce()).toString("hex")));
    expect(seen.size).toBe(2000);
  });
});
