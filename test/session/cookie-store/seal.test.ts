import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeBase64url, encodeBase64url } from "../../../src/core/base64url.js";
import {
  type CryptoBackend,
  type DerivedKey,
  defaultCryptoBackend,
  firstWorkingBackend,
  nodeCryptoBackend,
  TAG_BYTES,
  webCryptoBackend,
} from "../../../src/session/cookie-store/crypto-backend.js";
import { NONCE_BYTES } from "../../../src/session/cookie-store/nonce-pool.js";
import {
  open,
  SEAL_OVERHEAD_BYTES,
  SEAL_VERSION,
  seal,
  sealedLength,
} from "../../../src/session/cookie-store/seal.js";

const node = nodeCryptoBackend()!;
const web = webCryptoBackend();
const backends: [string, CryptoBackend][] = [
  ["node:crypto", node],
  ["WebCrypto", web],
];
const secretA = new Uint8Array(32).map((_, i) => i + 1);
const secretB = new Uint8Array(32).map((_, i) => 200 - i);
const utf8 = new TextEncoder();
const ISSUED = 1_700_000_000;

// node:crypto hands back Buffers; compare bytes, not classes.
const plain = (result: unknown) =>
  result !== null && typeof result === "object" && "payload" in result
    ? { ...result, payload: Uint8Array.from(result.payload as Uint8Array) }
    : result;

describe("crypto backends", () => {
  it("node:crypto is found at run time here, and its results are plain values", () => {
    expect(node.name).toBe("node");
    const key = node.deriveKey(secretA);
    expect(key).not.toBeInstanceOf(Promise);
    expect(seal(node, key as DerivedKey, utf8.encode("{}"), ISSUED)).toBeTypeOf("string");
  });

  it("the default is node:crypto here, and a node:crypto that exists but does not work is passed over", () => {
    expect(defaultCryptoBackend().name).toBe("node");
    expect(firstWorkingBackend(node, () => web)).toBe(node);
    expect(firstWorkingBackend(undefined, () => web)).toBe(web);
    const throwing: CryptoBackend = {
      ...node,
      seal: () => {
        throw new Error("aes-256-gcm is not implemented");
      },
    };
    expect(firstWorkingBackend(throwing, () => web)).toBe(web);
    const lying: CryptoBackend = { ...node, open: () => new Uint8Array([1, 2, 4]) };
    expect(firstWorkingBackend(lying, () => web)).toBe(web);
    // One that opens the known answer but would also accept a forgery (it never checks the tag).
    const known = new TextEncoder().encode("ringlet known answer");
    const credulous: CryptoBackend = { ...node, open: () => known };
    expect(firstWorkingBackend(credulous, () => web)).toBe(web);
    // One whose seals do not open.
    const garbling: CryptoBackend = {
      ...node,
      seal: (key, aad, plaintext) => {
        const sealed = node.seal(key, aad, plaintext) as Uint8Array;
        sealed[NONCE_BYTES]! ^= 1;
        return sealed;
      },
    };
    expect(firstWorkingBackend(garbling, () => web)).toBe(web);
    expect(firstWorkingBackend(web, () => node)).toBe(node); // asynchronous: not a sync candidate
  });

  it("derive the same key id from the same secret, a different one from another secret", async () => {
    const [a1, a2, b] = [
      await web.deriveKey(secretA),
      node.deriveKey(secretA) as DerivedKey,
      await web.deriveKey(secretB),
    ];
    expect(a1.id).toEqual(a2.id);
    expect(a1.id).toHaveLength(4);
    expect(b.id).not.toEqual(a1.id);
  });

  it("seal as nonce, ciphertext, tag: standard AES-256-GCM, which the other backend opens", async () => {
    const aad = new Uint8Array([1, 2, 3, 4, 5]);
    const plaintext = utf8.encode("some plaintext");
    const keys = { node: node.deriveKey(secretA) as DerivedKey, webcrypto: await web.deriveKey(secretA) };
    for (const [writer, reader] of [
      [node, web],
      [web, node],
    ] as const) {
      const sealed = await writer.seal(keys[writer.name], aad, plaintext);
      expect(sealed).toHaveLength(NONCE_BYTES + plaintext.length + TAG_BYTES);
      const opened = await reader.open(keys[reader.name], aad, sealed);
      expect(opened && Uint8Array.from(opened)).toEqual(plaintext);
      // Under other associated data, the tag does not verify.
      expect(await reader.open(keys[reader.name], aad.subarray(1), sealed)).toBeUndefined();
    }
  });

  it("open nothing shorter than a nonce and a tag, without throwing", async () => {
    for (const [, backend] of backends) {
      const key = await backend.deriveKey(secretA);
      for (const length of [0, 1, NONCE_BYTES, NONCE_BYTES + TAG_BYTES - 1]) {
        expect(
          await backend.open(key, new Uint8Array(5), new Uint8Array(length)),
          `${length}`,
        ).toBeUndefined();
      }
    }
  });

  it("seal under a fresh nonce every time, across pool refills", async () => {
    for (const [, backend] of backends) {
      const key = await backend.deriveKey(secretA);
      const seen = new Set<string>();
      for (let i = 0; i < 1500; i++) {
        const payload = utf8.encode(`{"n":${i}}`);
        const text = await seal(backend, key, payload, ISSUED);
        seen.add(encodeBase64url(decodeBase64url(text)!.subarray(5, 17)));
        // Every seal opens, on this backend and on the other one, before and after each pool refill.
        for (const [, reader] of backends) {
          expect(plain(await open(reader, [await reader.deriveKey(secretA)], text))).toMatchObject({
            payload,
          });
        }
      }
      expect(seen.size).toBe(1500);
    }
  });
});

describe.each(backends)("seal and open (%s)", (_name, backend) => {
  it("round-trips any payload and its issued-at time", async () => {
    const key = await backend.deriveKey(secretA);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), fc.nat(2 ** 32 - 1), async (payload, issuedAt) => {
        const text = await seal(backend, key, payload, issuedAt);
        expect(text).toMatch(/^[A-Za-z0-9_-]*$/);
        expect(text).toHaveLength(sealedLength(payload.length));
        expect(plain(await open(backend, [key], text))).toEqual({ payload, issuedAt, key });
      }),
      { numRuns: 100 },
    );
  });

  it("seals the same payload differently each time (random nonce)", async () => {
    const key = await backend.deriveKey(secretA);
    const payload = utf8.encode('{"count":1}');
    const first = await seal(backend, key, payload, ISSUED);
    const second = await seal(backend, key, payload, ISSUED);
    expect(first).not.toBe(second);
  });

  it("lays the bytes out as version, key id, nonce, ciphertext, tag", async () => {
    const key = await backend.deriveKey(secretA);
    const bytes = decodeBase64url(await seal(backend, key, utf8.encode("hello"), ISSUED))!;
    expect(bytes).toHaveLength(SEAL_OVERHEAD_BYTES + 5);
    expect(SEAL_OVERHEAD_BYTES).toBe(1 + 4 + 12 + 4 + 16);
    expect(bytes[0]).toBe(SEAL_VERSION);
    expect(bytes.subarray(1, 5)).toEqual(key.id);
    // The payload and the time are encrypted: neither appears in clear.
    expect(new TextDecoder().decode(bytes)).not.toContain("hello");
  });

  it("rejects a seal with any single bit flipped (every bit position), saying why", async () => {
    const key = await backend.deriveKey(secretA);
    const bytes = decodeBase64url(await seal(backend, key, utf8.encode('{"user":"ada"}'), ISSUED))!;
    for (let bit = 0; bit < bytes.length * 8; bit++) {
      const flipped = bytes.slice();
      flipped[bit >> 3]! ^= 1 << (bit & 7);
      const result = await open(backend, [key], encodeBase64url(flipped));
      const reason = (result as { rejected?: string }).rejected;
      if (bit < 8) expect(reason, `bit ${bit}`).toMatch(/^unknown seal version \d+$/);
      else if (bit < 40)
        expect(reason, `bit ${bit}`).toBe("sealed with an unknown key (not the secret or a previous secret)");
      else
        expect(reason, `bit ${bit}`).toBe(
          "authentication failed (tampered, truncated or sealed with another key)",
        );
    }
  });

  it("rejects every truncation of a seal", async () => {
    const key = await backend.deriveKey(secretA);
    const text = await seal(backend, key, utf8.encode('{"user":"ada"}'), ISSUED);
    for (let length = 0; length < text.length; length++) {
      const result = await open(backend, [key], text.slice(0, length));
      expect(result, `length ${length}`).toHaveProperty("rejected");
    }
  });

  it("rejects a seal under another key, and a key that only shares the id", async () => {
    const keyA = await backend.deriveKey(secretA);
    const keyB = await backend.deriveKey(secretB);
    const text = await seal(backend, keyA, utf8.encode("{}"), ISSUED);
    expect(await open(backend, [keyB], text)).toEqual({
      rejected: "sealed with an unknown key (not the secret or a previous secret)",
    });
    const impostor: DerivedKey = { key: keyB.key, id: keyA.id };
    expect(await open(backend, [impostor], text)).toEqual({
      rejected: "authentication failed (tampered, truncated or sealed with another key)",
    });
    // With both, the one that verifies wins whatever the order.
    expect(await open(backend, [impostor, keyA], text)).toHaveProperty("key", keyA);
  });

  it("authenticates the key id: a seal relabelled with another id fails even under the right key", async () => {
    const key = await backend.deriveKey(secretA);
    const bytes = decodeBase64url(await seal(backend, key, utf8.encode("{}"), ISSUED))!;
    const otherId = new Uint8Array([9, 9, 9, 9]);
    bytes.set(otherId, 1);
    expect(await open(backend, [{ key: key.key, id: otherId }], encodeBase64url(bytes))).toEqual({
      rejected: "authentication failed (tampered, truncated or sealed with another key)",
    });
  });

  it("opens with the matching key among several", async () => {
    const keyA = await backend.deriveKey(secretA);
    const keyB = await backend.deriveKey(secretB);
    const text = await seal(backend, keyB, utf8.encode("{}"), ISSUED);
    expect(await open(backend, [keyA, keyB], text)).toHaveProperty("key", keyB);
  });

  it("rejects empty text, bad encodings, short values and unknown versions", async () => {
    const key = await backend.deriveKey(secretA);
    const text = await seal(backend, key, utf8.encode("{}"), ISSUED);
    expect(await open(backend, [key], "")).toEqual({ rejected: "empty sealed value" });
    for (const bad of [`${text}=`, `${text.slice(0, -1)}+`, ` ${text}`, "a"]) {
      expect(await open(backend, [key], bad)).toEqual({
        rejected: "sealed value is not canonical base64url",
      });
    }
    expect(await open(backend, [key], "AAAA")).toEqual({
      rejected: "sealed value is 3 bytes, shorter than the 37 of any seal",
    });
    const v2 = decodeBase64url(text)!;
    v2[0] = 2;
    expect(await open(backend, [key], encodeBase64url(v2))).toEqual({ rejected: "unknown seal version 2" });
  });

  it("never throws on arbitrary text", async () => {
    const key = await backend.deriveKey(secretA);
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 120 }), async (text) => {
        expect(await open(backend, [key], text)).toHaveProperty("rejected");
      }),
      { numRuns: 100 },
    );
  });
});

// Seals written by ringlet at commit aec3a08, whose Node backend assembled GCM by hand (node-gcm.ts):
// secret bytes (i * 7 + 3) & 255, payload {"count":41,"user":"ada"}, issued at 1700000000. Cookies
// already in browsers must keep opening: the format (version 1) does not change.
const OLD_SECRET = new Uint8Array(32).map((_, i) => (i * 7 + 3) & 255);
const OLD_SEALS = {
  "node:crypto (hand-assembled GCM)":
    "Adj0Poc6PC6_eGAeX7oGG20ZHFYQGepIVYExUOAOYol51S0gbchzN4JNkZW7J19uxj9G6w-T0mev9X-hL3Y",
  WebCrypto: "Adj0PofHxLr-O2SHbsVgiqy2MIE_Lkxr1cA3aRC0cQZF-CxX1VhamWimcuheuA-MCJ_n_DvLhykojC3R0Nk",
};

describe.each(backends)("seals written by earlier versions (%s)", (_name, backend) => {
  it.each(Object.entries(OLD_SEALS))("open a version-1 seal made by %s", async (_writer, text) => {
    const key = await backend.deriveKey(OLD_SECRET);
    expect(plain(await open(backend, [key], text))).toEqual({
      payload: utf8.encode('{"count":41,"user":"ada"}'),
      issuedAt: 1_700_000_000,
      key,
    });
    // The same text with its last tag bit flipped does not.
    const bytes = decodeBase64url(text)!;
    bytes[bytes.length - 1]! ^= 1;
    expect(await open(backend, [key], encodeBase64url(bytes))).toEqual({
      rejected: "authentication failed (tampered, truncated or sealed with another key)",
    });
  });
});

describe("the two backends interoperate", () => {
  it("what one seals, the other opens", async () => {
    const keyNode = node.deriveKey(secretA) as DerivedKey;
    const keyWeb = await web.deriveKey(secretA);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), async (payload) => {
        const fromNode = seal(node, keyNode, payload, ISSUED) as string;
        expect(plain(await open(web, [keyWeb], fromNode))).toEqual({
          payload,
          issuedAt: ISSUED,
          key: keyWeb,
        });
        const fromWeb = await seal(web, keyWeb, payload, ISSUED);
        expect(plain(open(node, [keyNode], fromWeb))).toEqual({ payload, issuedAt: ISSUED, key: keyNode });
      }),
      { numRuns: 50 },
    );
  });
});
