import * as crypto from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { gcmOpen, gcmSeal, nodeGcmKey } from "../../src/session/node-gcm.js";

const aad = new Uint8Array([1, 0xde, 0xad, 0xbe, 0xef]);

/**
 * Seals with node-gcm, in place: [associated data | nonce | plaintext → ciphertext | tag] as seal.ts lays
 * it out, or with `aadLast`, [nonce | ciphertext | tag | associated data].
 */
function sealed(
  key: ReturnType<typeof nodeGcmKey>,
  plaintext: Uint8Array,
  associated = aad,
  aadLast = false,
) {
  const a = associated.length;
  const n = plaintext.length;
  const buf = new Uint8Array(a + 12 + n + 16);
  const aadAt = aadLast ? 12 + n + 16 : 0;
  const nonceAt = aadLast ? 0 : a;
  buf.set(associated, aadAt);
  buf.set(plaintext, nonceAt + 12);
  gcmSeal(crypto, key, buf, aadAt, aadAt + a, nonceAt, nonceAt + 12, n);
  expect(buf.subarray(aadAt, aadAt + a)).toEqual(associated); // left as it was
  return {
    nonce: buf.subarray(nonceAt, nonceAt + 12),
    body: buf.subarray(nonceAt + 12, nonceAt + 12 + n + 16),
  };
}

function opensWithOpenSsl(raw: Uint8Array, nonce: Uint8Array, body: Uint8Array, associated = aad) {
  const decipher = crypto.createDecipheriv("aes-256-gcm", raw, nonce, { authTagLength: 16 });
  decipher.setAAD(associated).setAuthTag(body.subarray(body.length - 16));
  return new Uint8Array(
    Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]),
  );
}

async function opensWithWebCrypto(raw: Uint8Array, nonce: Uint8Array, body: Uint8Array) {
  const key = await globalThis.crypto.subtle.importKey("raw", raw as BufferSource, "AES-GCM", false, [
    "decrypt",
  ]);
  const params = { name: "AES-GCM", iv: nonce as BufferSource, additionalData: aad as BufferSource };
  return new Uint8Array(await globalThis.crypto.subtle.decrypt(params, key, body as BufferSource));
}

describe("node-gcm: AES-256-GCM from node:crypto's AES and a JavaScript GHASH", () => {
  it("seals what OpenSSL and WebCrypto open, for any plaintext and associated data (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 400 }),
        fc.uint8Array({ maxLength: 40 }),
        async (raw, plaintext, associated) => {
          const key = nodeGcmKey(crypto, raw);
          const { nonce, body } = sealed(key, plaintext, associated);
          expect(opensWithOpenSsl(raw, nonce, body, associated)).toEqual(plaintext);
          if (associated.length === aad.length && associated.every((b, i) => b === aad[i])) {
            expect(await opensWithWebCrypto(raw, nonce, body)).toEqual(plaintext);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it("opens what OpenSSL seals, for any plaintext and associated data (property)", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 12, maxLength: 12 }),
        fc.uint8Array({ maxLength: 400 }),
        fc.uint8Array({ maxLength: 40 }),
        (raw, nonce, plaintext, associated) => {
          const cipher = crypto.createCipheriv("aes-256-gcm", raw, nonce).setAAD(associated);
          const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
          expect(gcmOpen(nodeGcmKey(crypto, raw), nonce, associated, body)).toEqual(plaintext);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("refuses a seal with any single bit flipped, nonce, ciphertext or tag, and the wrong associated data", () => {
    const raw = crypto.randomBytes(32);
    const key = nodeGcmKey(crypto, raw);
    const { nonce, body } = sealed(key, new TextEncoder().encode('{"user":"ada","count":12}'));
    expect(gcmOpen(key, nonce, aad, body)).toBeDefined();
    for (let bit = 0; bit < body.length * 8; bit++) {
      const changed = body.slice();
      changed[bit >> 3]! ^= 1 << (bit & 7);
      expect(gcmOpen(key, nonce, aad, changed)).toBeUndefined();
    }
    for (let bit = 0; bit < 96; bit++) {
      const changed = nonce.slice();
      changed[bit >> 3]! ^= 1 << (bit & 7);
      expect(gcmOpen(key, changed, aad, body)).toBeUndefined();
    }
    expect(gcmOpen(key, nonce, new Uint8Array([1, 0xde, 0xad, 0xbe, 0xee]), body)).toBeUndefined();
    expect(gcmOpen(nodeGcmKey(crypto, crypto.randomBytes(32)), nonce, aad, body)).toBeUndefined();
    for (let length = 0; length < body.length; length++) {
      expect(gcmOpen(key, nonce, aad, body.subarray(0, length))).toBeUndefined();
    }
    expect(gcmOpen(key, nonce.subarray(0, 11), aad, body)).toBeUndefined();
  });

  it("uses a fresh nonce for every seal across many pool refills, and wipes each one after use", () => {
    const key = nodeGcmKey(crypto, crypto.randomBytes(32));
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const { nonce } = sealed(key, new Uint8Array([i & 255]));
      seen.add(Buffer.from(nonce).toString("hex"));
      // The pool entry just used is zero, nonce and keystream both.
      const used = key.next - 1;
      expect(key.nonces.subarray(used * 12, used * 12 + 12).every((b) => b === 0)).toBe(true);
      expect(key.stream.subarray(used * key.stride, (used + 1) * key.stride).every((b) => b === 0)).toBe(
        true,
      );
    }
    expect(seen.size).toBe(2000);
  });

  it("seals correctly under one key across many pool refills, whatever the length (OpenSSL opens all)", () => {
    const raw = crypto.randomBytes(32);
    const key = nodeGcmKey(crypto, raw);
    for (let i = 0; i < 700; i++) {
      const plaintext = new Uint8Array(crypto.randomBytes((i * 37) % 301));
      const { nonce, body } = sealed(key, plaintext, aad, i % 3 === 0);
      expect(opensWithOpenSsl(raw, nonce, body)).toEqual(plaintext);
      expect(gcmOpen(key, nonce, aad, body)).toEqual(plaintext);
    }
  });

  it("refuses more plaintext than it handles, and opens nothing that long", () => {
    const key = nodeGcmKey(crypto, crypto.randomBytes(32));
    expect(() => gcmSeal(crypto, key, new Uint8Array(64), 0, 5, 5, 17, 2 ** 30 + 1)).toThrow(
      "gcmSeal: at most 1073741824 bytes of plaintext, got 1073741825",
    );
    expect(key.next).toBe(256); // no pool was even filled
    expect(gcmOpen(key, new Uint8Array(12), aad, { length: 2 ** 30 + 17 } as Uint8Array)).toBeUndefined();
  });

  it("sizes each refill's keystream to the widest seal since the last one, within 2 to 16 blocks", () => {
    const raw = crypto.randomBytes(32);
    const key = nodeGcmKey(crypto, raw);
    const strides: number[] = [];
    for (const [length, count] of [
      [10, 256], // first pool: 8 blocks
      [10, 256], // 1 + 1 blocks needed
      [100, 256], // 1 + 7
      [1000, 256], // 1 + 63, capped at 16
      [0, 1],
    ] as const) {
      for (let i = 0; i < count; i++) {
        const plaintext = new Uint8Array(crypto.randomBytes(length));
        const { nonce, body } = sealed(key, plaintext);
        expect(opensWithOpenSsl(raw, nonce, body)).toEqual(plaintext);
        if (i === 0) strides.push(key.stride / 16);
      }
    }
    expect(strides).toEqual([8, 2, 2, 8, 16]);
  });

  it("seals every length across the end of the pooled keystream (112 bytes) and beyond", () => {
    const raw = crypto.randomBytes(32);
    const key = nodeGcmKey(crypto, raw);
    for (const length of [0, 1, 15, 16, 17, 111, 112, 113, 128, 200, 1000]) {
      const plaintext = new Uint8Array(crypto.randomBytes(length));
      const { nonce, body } = sealed(key, plaintext);
      expect(opensWithOpenSsl(raw, nonce, body)).toEqual(plaintext);
    }
  });

  it("refuses a key that is not 32 bytes", () => {
    expect(() => nodeGcmKey(crypto, new Uint8Array(16))).toThrow("an AES-256 key is 32 bytes, got 16");
  });
});
