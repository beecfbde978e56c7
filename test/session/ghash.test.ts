import { createCipheriv } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ghashKey, ghashPrefix, ghashTag } from "../../src/session/ghash.js";

const hex = (text: string) => new Uint8Array(Buffer.from(text, "hex"));

/** H = AES_K(0^128) and E_K(J0) for a 96-bit nonce, from OpenSSL's AES. */
function subkeys(key: Uint8Array, nonce: Uint8Array) {
  const ecb = createCipheriv("aes-256-ecb", key, null).setAutoPadding(false);
  const j0 = new Uint8Array(16);
  j0.set(nonce);
  j0[15] = 1;
  return { h: new Uint8Array(ecb.update(new Uint8Array(16))), ej0: new Uint8Array(ecb.update(j0)) };
}

function tagOf(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  const { h, ej0 } = subkeys(key, nonce);
  const tag = new Uint8Array(16);
  ghashTag(ghashPrefix(ghashKey(h), aad), ciphertext, 0, ciphertext.length, ej0, 0, tag, 0);
  return tag;
}

describe("ghash", () => {
  // The AES-256 test cases of McGrew and Viega, "The Galois/Counter Mode of Operation" (the GCM spec that
  // NIST SP 800-38D adopted), appendix B: test cases 13, 14 and 16.
  it.each([
    ["13 (no data)", "00".repeat(32), "00".repeat(12), "", "", "530f8afbc74536b9a963b4f1c4cb738b"],
    [
      "14 (one block)",
      "00".repeat(32),
      "00".repeat(12),
      "",
      "cea7403d4d606b6e074ec5d3baf39d18",
      "d0d1c8a799996bf0265b98b5d48ab919",
    ],
    [
      "16 (associated data, partial last block)",
      "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
      "cafebabefacedbaddecaf888",
      "feedfacedeadbeeffeedfacedeadbeefabaddad2",
      "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa" +
        "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
      "76fc6ece0f4e1768cddf8853bb2d551b",
    ],
  ])("gives the tag of GCM test case %s", (_, key, nonce, aad, ciphertext, tag) => {
    expect(tagOf(hex(key), hex(nonce), hex(aad), hex(ciphertext))).toEqual(hex(tag));
  });

  it("gives OpenSSL's AES-256-GCM tag for any key, nonce, associated data and plaintext (property)", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 12, maxLength: 12 }),
        fc.uint8Array({ maxLength: 70 }),
        fc.uint8Array({ maxLength: 300 }),
        (key, nonce, aad, plaintext) => {
          const cipher = createCipheriv("aes-256-gcm", key, nonce).setAAD(aad);
          const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
          expect(tagOf(key, nonce, aad, ciphertext)).toEqual(new Uint8Array(cipher.getAuthTag()));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("hashes the range it is given, writes at the offset it is given and reads the mask from its offset", () => {
    const key = new Uint8Array(32).fill(7);
    const nonce = new Uint8Array(12).fill(3);
    const { h, ej0 } = subkeys(key, nonce);
    const ciphertext = new Uint8Array(35).map((_, i) => i * 11);
    const expected = tagOf(key, nonce, new Uint8Array([1]), ciphertext.subarray(4, 31));
    const mask = new Uint8Array(40);
    mask.set(ej0, 9);
    const out = new Uint8Array(40).fill(0xaa);
    ghashTag(ghashPrefix(ghashKey(h), new Uint8Array([1])), ciphertext, 4, 31, mask, 9, out, 20);
    expect(out.subarray(20, 36)).toEqual(expected);
    expect([...out.subarray(0, 20), ...out.subarray(36)].every((b) => b === 0xaa)).toBe(true);
  });

  it("keeps a prefix independent of the associated data it was given, and refuses a wrong-sized H", () => {
    const aad = new Uint8Array([1, 2, 3]);
    const prefix = ghashPrefix(ghashKey(new Uint8Array(16).fill(1)), aad);
    aad[0] = 9;
    expect(prefix.aad).toEqual(new Uint8Array([1, 2, 3]));
    expect(() => ghashKey(new Uint8Array(15))).toThrow("ghashKey: H must be 16 bytes, got 15");
  });
});
