import * as crypto from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { gcmOpen, gcmSeal, nodeGcmKey } from "../../src/session/node-gcm.js";

const aad = new Uint8Array([1, 0xde, 0xad, 0xbe, 0xef]);

/** Seals with node-gcm into [nonce | ciphertext | tag]. */
function sealed(key: ReturnType<typeof nodeGcmKey>, plaintext: Uint8Array, associated = aad) {
  const out = new Uint8Array(12 + plaintext.length + 16);
  gcmSeal(crypto, key, associated, plaintext, out, 0, 12);
  return { nonce: out.subarray(0, 12), body: out.subarray(12) };
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
      expect(key.stream.subarray(used * 128, used * 128 + 128).every((b) => b === 0)).toBe(true);
    }
    expect(seen.size).toBe(2000);
  });

  it("seals correctly under one key across many pool refills, whatever the length (OpenSSL opens all)", () => {
    const raw = crypto.randomBytes(32);
    const key = nodeGcmKey(crypto, raw);
    for (let i = 0; i < 700; i++) {
      const plaintext = new Uint8Array(crypto.randomBytes((i * 37) % 301));
      if (i % 3 === 0) {
        // In place, as seal.ts lays it out.
        const out = new Uint8Array(12 + plaintext.length + 16);
        out.set(plaintext, 12);
        gcmSeal(crypto, key, aad, out.subarray(12, 12 + plaintext.length), out, 0, 12);
        expect(opensWithOpenSsl(raw, out.subarray(0, 12), out.subarray(12))).toEqual(plaintext);
      } else {
        const { nonce, body } = sealed(key, plaintext);
        expect(opensWithOpenSsl(raw, nonce, body)).toEqual(plaintext);
        expect(gcmOpen(key, nonce, aad, body)).toEqual(plaintext);
      }
    }
  });

  it("reads associated data that is a view into the output before writing there", () => {
    const raw = crypto.randomBytes(32);
    const key = nodeGcmKey(crypto, raw);
    const plaintext = new TextEncoder().encode("overlapping associated data");
    for (const [from, to] of [
      [2, 7], // over the nonce
      [17, 22], // over the ciphertext
    ] as const) {
      const out = new Uint8Array(12 + plaintext.length + 16).map((_, i) => i * 7);
      const associated = out.subarray(from, to);
      const before = associated.slice();
      gcmSeal(crypto, key, associated, plaintext, out, 0, 12);
      expect(opensWithOpenSsl(raw, out.subarray(0, 12), out.subarray(12), before)).toEqual(plaintext);
    }
  });

  it("refuses more plaintext than it handles, and opens nothing that long", () => {
    const key = nodeGcmKey(crypto, crypto.randomBytes(32));
    const huge = { length: 2 ** 30 + 1 } as Uint8Array;
    expect(() => gcmSeal(crypto, key, aad, huge, new Uint8Array(0), 0, 12)).toThrow(
      "gcmSeal: at most 1073741824 bytes of plaintext, got 1073741825",
    );
    const next = key.next;
    expect(key.next).toBe(next); // no nonce was used up
    expect(gcmOpen(key, new Uint8Array(12), aad, { length: 2 ** 30 + 17 } as Uint8Array)).toBeUndefined();
  });

  it("seals in place: the plaintext may be where its ciphertext goes", () => {
    const raw = crypto.randomBytes(32);
    const key = nodeGcmKey(crypto, raw);
    for (const length of [0, 1, 15, 16, 17, 111, 112, 113, 200]) {
      const plaintext = crypto.randomBytes(length);
      const out = new Uint8Array(12 + length + 16);
      out.set(plaintext, 12);
      gcmSeal(crypto, key, aad, out.subarray(12, 12 + length), out, 0, 12);
      expect(opensWithOpenSsl(raw, out.subarray(0, 12), out.subarray(12))).toEqual(new Uint8Array(plaintext));
    }
  });

  it("refuses a key that is not 32 bytes", () => {
    expect(() => nodeGcmKey(crypto, new Uint8Array(16))).toThrow("an AES-256 key is 32 bytes, got 16");
  });
});
