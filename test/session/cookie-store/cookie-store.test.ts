import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { decodeBase64url, encodeBase64url } from "../../../src/core/base64url.js";
import {
  type CookieStoreOptions,
  cookieStore,
  DEFAULT_COOKIE_STORE_MAX_AGE,
} from "../../../src/session/cookie-store/cookie-store.js";
import {
  type CryptoBackend,
  firstWorkingBackend,
  nodeCryptoBackend,
  webCryptoBackend,
} from "../../../src/session/cookie-store/crypto-backend.js";
import { seal } from "../../../src/session/cookie-store/seal.js";
import { CookieTooLargeError } from "../../../src/session/errors.js";
import type { SessionData, SessionReport, SessionStore } from "../../../src/session/store.js";

const node = nodeCryptoBackend()!;
const web = webCryptoBackend();
const secret = new Uint8Array(32).map((_, i) => (i * 7 + 3) & 255);
const otherSecret = new Uint8Array(32).map((_, i) => (i * 13 + 1) & 255);
const T0 = 1_700_000_000_000; // a whole second, in ms

/** A read context that records reports. */
function recorder() {
  const reports: SessionReport[] = [];
  return { reports, context: { report: (report: SessionReport) => reports.push(report) } };
}

/** The reason of the one report a rejected read made. */
async function rejection(store: SessionStore, sealed: string): Promise<string> {
  const { reports, context } = recorder();
  expect(await store.readSession(sealed, context)).toBeUndefined();
  expect(reports).toHaveLength(1);
  expect(reports[0]!.kind).toBe("rejected-cookie");
  return reports[0]!.reason;
}

const anyCodeUnit = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code));
const keyIdOf = (sealed: string) => Array.from(decodeBase64url(sealed)!.subarray(1, 5));

describe.each([
  ["node:crypto", node, undefined],
  ["node:crypto, no cache", node, 0],
  ["WebCrypto", web, undefined],
  ["WebCrypto, no cache", web, 0],
] as [string, CryptoBackend, number | undefined][])("cookieStore (%s)", (_name, backend, cacheSize) => {
  const make = (options: CookieStoreOptions = {}) => cookieStore({ secret, backend, cacheSize, ...options });

  it("round-trips any JSON object", async () => {
    const store = make();
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 8 }), async (data) => {
        const sealed = await store.writeSession(undefined, data);
        const { reports, context } = recorder();
        // JSON turns -0 into 0; compare what JSON itself gives back.
        expect(await store.readSession(sealed, context)).toEqual(JSON.parse(JSON.stringify(data)));
        expect(reports).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });

  it(`is ${backend.name === "node" ? "synchronous" : "asynchronous"} on this backend`, async () => {
    const written = make().writeSession(undefined, { count: 1 });
    // Read by another store: not in its cache, so this read decrypts.
    const read = make().readSession(await written);
    expect(written instanceof Promise).toBe(backend.name !== "node");
    expect(read instanceof Promise).toBe(backend.name !== "node");
    expect(await read).toEqual({ count: 1 });
  });

  it("seals each of many overlapping writes with its own data (before and after the keys are ready)", async () => {
    const store = make();
    const first = Array.from({ length: 20 }, (_, n) =>
      store.writeSession(undefined, { n, s: "x".repeat(n) }),
    );
    const sealed = await Promise.all(first);
    const later = await Promise.all(
      Array.from({ length: 20 }, (_, n) => store.writeSession(undefined, { n: n + 20, s: "y".repeat(n) })),
    );
    const reader = make({ cacheSize: 0 });
    for (const [n, text] of [...sealed, ...later].entries()) {
      expect(await reader.readSession(text)).toEqual({ n, s: (n < 20 ? "x" : "y").repeat(n % 20) });
    }
    expect(new Set([...sealed, ...later]).size).toBe(40);
  });

  it("always returns a new sealed value, even for the same key and data", async () => {
    const store = make();
    const first = await store.writeSession(undefined, { count: 1 });
    const second = await store.writeSession(first, { count: 1 });
    expect(second).not.toBe(first);
    expect(await store.readSession(second)).toEqual({ count: 1 });
  });

  it("reads a seal with any single bit flipped (every bit position) as absent, and reports why", async () => {
    const store = make();
    const bytes = decodeBase64url(await store.writeSession(undefined, { user: "ada", roles: ["admin"] }))!;
    for (let bit = 0; bit < bytes.length * 8; bit++) {
      const flipped = bytes.slice();
      flipped[bit >> 3]! ^= 1 << (bit & 7);
      expect(await rejection(store, encodeBase64url(flipped)), `bit ${bit}`).toMatch(
        /^(unknown seal version \d+|sealed with an unknown key .*|authentication failed .*)$/,
      );
    }
  });

  it("reads any truncation, or any edit of the text, as absent", async () => {
    const store = make();
    const sealed = await store.writeSession(undefined, { user: "ada" });
    for (let length = 0; length < sealed.length; length++) {
      await rejection(store, sealed.slice(0, length));
    }
    await fc.assert(
      fc.asyncProperty(
        fc.nat(sealed.length - 1),
        fc.string({ minLength: 1, maxLength: 1 }),
        async (at, char) => {
          fc.pre(sealed[at] !== char);
          await rejection(store, sealed.slice(0, at) + char + sealed.slice(at + 1));
        },
      ),
      { numRuns: 100 },
    );
  });

  it("never throws on arbitrary cookie values, including huge ones", async () => {
    const store = make();
    await fc.assert(
      // Any UTF-16 code unit, lone surrogates included (cheaper to generate than unit "binary").
      fc.asyncProperty(fc.string({ unit: anyCodeUnit, maxLength: 200 }), async (text) => {
        await rejection(store, text);
      }),
      { numRuns: 100 },
    );
    expect(await rejection(store, "A".repeat(10_000))).toBe("sealed value is 10000 characters, too long");
    expect(await rejection(store, "")).toBe("empty sealed value");
  });

  it("reads a seal made under another secret as absent", async () => {
    const sealed = await make({ secret: otherSecret }).writeSession(undefined, { user: "mallory" });
    expect(await rejection(make(), sealed)).toBe(
      "sealed with an unknown key (not the secret or a previous secret)",
    );
  });

  it("rotates keys: reads previous secrets and seals the next write with the current one", async () => {
    const before = make({ secret: otherSecret });
    const oldSeal = await before.writeSession(undefined, { count: 5 });
    const after = make({ secret, previousSecrets: [otherSecret] });
    expect(await after.readSession(oldSeal)).toEqual({ count: 5 });
    const newSeal = await after.writeSession(oldSeal, { count: 6 });
    expect(keyIdOf(newSeal)).not.toEqual(keyIdOf(oldSeal));
    expect(keyIdOf(newSeal)).toEqual(keyIdOf(await make().writeSession(undefined, {})));
    expect(await make().readSession(newSeal)).toEqual({ count: 6 });
    // Once the old secret is dropped, the old seal no longer opens.
    expect(await rejection(make(), oldSeal)).toMatch(/^sealed with an unknown key/);
  });

  it("expires a seal maxAge seconds after it was written (injected clock)", async () => {
    let now = T0;
    const store = make({ maxAge: 3600, now: () => now });
    const sealed = await store.writeSession(undefined, { count: 1 });
    now = T0 + 3600 * 1000 - 1;
    expect(await store.readSession(sealed)).toEqual({ count: 1 });
    now = T0 + 3600 * 1000;
    expect(await rejection(store, sealed)).toBe("seal expired: written 3600 s ago, maxAge is 3600 s");
    now = T0 + 10 * 86_400_000;
    expect(await rejection(store, sealed)).toBe("seal expired: written 864000 s ago, maxAge is 3600 s");
  });

  it("expires after 14 days by default", async () => {
    let now = T0;
    const store = make({ now: () => now });
    const sealed = await store.writeSession(undefined, { count: 1 });
    expect(DEFAULT_COOKIE_STORE_MAX_AGE).toBe(14 * 86_400);
    now = T0 + DEFAULT_COOKIE_STORE_MAX_AGE * 1000 - 1;
    expect(await store.readSession(sealed)).toEqual({ count: 1 });
    now = T0 + DEFAULT_COOKIE_STORE_MAX_AGE * 1000;
    expect(await rejection(store, sealed)).toMatch(/^seal expired/);
  });

  it("accepts a seal from up to 60 s in the future (clock skew), not beyond", async () => {
    let now = T0;
    const store = make({ now: () => now });
    const sealed = await store.writeSession(undefined, { count: 1 });
    now = T0 - 60_000;
    expect(await store.readSession(sealed)).toEqual({ count: 1 });
    now = T0 - 61_000;
    expect(await rejection(store, sealed)).toBe(
      "seal written 61 s in the future, beyond the allowed clock skew",
    );
  });

  it("rejects a genuine seal whose payload is not a JSON object", async () => {
    const key = await backend.deriveKey(secret);
    const store = make({ now: () => T0 });
    const forge = (text: string | Uint8Array) =>
      seal(backend, key, typeof text === "string" ? new TextEncoder().encode(text) : text, T0 / 1000);
    expect(await rejection(store, await forge("[1,2]"))).toBe("sealed payload is not a JSON object");
    expect(await rejection(store, await forge("null"))).toBe("sealed payload is not a JSON object");
    expect(await rejection(store, await forge("{"))).toBe("sealed payload is not JSON");
    expect(await rejection(store, await forge(new Uint8Array([0x7b, 0xff, 0x7d])))).toBe(
      "sealed payload is not JSON",
    );
  });

  it("refuses data that does not survive JSON, naming the path", () => {
    const store = make();
    expect(() => store.writeSession(undefined, { user: { createdAt: new Date(0) } })).toThrowError(
      new TypeError("session.user.createdAt: Date (it becomes a string) does not survive JSON"),
    );
    expect(() => store.writeSession(undefined, { n: 1n })).toThrowError(TypeError);
  });

  it("refuses, before sealing, data whose cookie could never fit 4096 bytes", async () => {
    const store = make();
    // A value may use 4094 characters (a one-character name and "=" take the rest). 3033 payload bytes
    // seal to 3070 bytes, 4094 characters; 3034 to 4095. {"s":"…"} is 8 bytes around the string.
    const fits = { s: "x".repeat(3033 - 8) };
    const sealed = await store.writeSession(undefined, fits);
    expect(sealed).toHaveLength(4094);
    expect(await store.readSession(sealed)).toEqual(fits);
    const tooLarge = () => store.writeSession(undefined, { s: "x".repeat(3034 - 8) });
    expect(tooLarge).toThrowError(CookieTooLargeError);
    expect(tooLarge).toThrowError(
      'Cookie "(sealed session)" would be 4097 bytes in Set-Cookie, over the 4096-byte limit',
    );
    // Multi-byte characters count as their UTF-8 bytes.
    expect(() => store.writeSession(undefined, { s: "é".repeat(1600) })).toThrowError(CookieTooLargeError);
  });

  it("has nothing to delete: the server keeps nothing, so a copied seal stays valid until maxAge", async () => {
    const store = make();
    const sealed = await store.writeSession(undefined, { count: 1 });
    expect(await store.deleteSession(sealed)).toBeUndefined();
    expect(await store.readSession(sealed)).toEqual({ count: 1 });
  });
});

/** The node:crypto backend, counting decryptions. */
function countingBackend() {
  const counted = { ...node, decryptions: 0 };
  counted.open = (key, aad, sealed) => {
    counted.decryptions++;
    return node.open(key, aad, sealed);
  };
  return counted;
}

describe("cookieStore's cache of recent seals", () => {
  it("answers a read of a seal it wrote, or opened before, without decrypting", () => {
    const backend = countingBackend();
    const store = cookieStore({ secret, backend });
    const own = store.writeSession(undefined, { count: 1 }) as string;
    expect(store.readSession(own)).toEqual({ count: 1 });
    expect(backend.decryptions).toBe(0);
    const foreign = cookieStore({ secret }).writeSession(undefined, { count: 2 }) as string;
    expect(store.readSession(foreign)).toEqual({ count: 2 });
    expect(store.readSession(foreign)).toEqual({ count: 2 });
    expect(backend.decryptions).toBe(1);
  });

  it("hands out a fresh object on every read", () => {
    const store = cookieStore({ secret });
    const sealed = store.writeSession(undefined, { list: [1] }) as string;
    const first = store.readSession(sealed) as { list: number[] };
    first.list.push(2);
    expect(store.readSession(sealed)).toEqual({ list: [1] });
  });

  it("keeps at most cacheSize seals, dropping the oldest, and none with cacheSize 0", () => {
    const backend = countingBackend();
    const store = cookieStore({ secret, backend, cacheSize: 2 });
    const [a, b, c] = [1, 2, 3].map((n) => store.writeSession(undefined, { n }) as string);
    expect([store.readSession(b!), store.readSession(c!)]).toEqual([{ n: 2 }, { n: 3 }]);
    expect(backend.decryptions).toBe(0);
    expect(store.readSession(a!)).toEqual({ n: 1 });
    expect(backend.decryptions).toBe(1);
    const uncached = countingBackend();
    const off = cookieStore({ secret, backend: uncached, cacheSize: 0 });
    const sealed = off.writeSession(undefined, {}) as string;
    off.readSession(sealed);
    off.readSession(sealed);
    expect(uncached.decryptions).toBe(2);
  });

  it("remembers up to 1000 seals by default, at least the newest 500", () => {
    const backend = countingBackend();
    const store = cookieStore({ secret, backend });
    const sealed = Array.from({ length: 1000 }, (_, n) => store.writeSession(undefined, { n }) as string);
    expect(store.readSession(sealed[0]!)).toEqual({ n: 0 });
    expect(backend.decryptions).toBe(0);
    sealed.push(store.writeSession(undefined, { n: 1000 }) as string);
    // The 1,001st seal started a new generation: the oldest 500 are gone, the newest 501 are held.
    expect(store.readSession(sealed[500]!)).toEqual({ n: 500 });
    expect(store.readSession(sealed[1000]!)).toEqual({ n: 1000 });
    expect(backend.decryptions).toBe(0);
    expect(store.readSession(sealed[499]!)).toEqual({ n: 499 });
    expect(backend.decryptions).toBe(1);
  });

  it("never caches what did not verify, and still expires what it holds", () => {
    const backend = countingBackend();
    let now = T0;
    const store = cookieStore({ secret, backend, maxAge: 60, now: () => now });
    const sealed = store.writeSession(undefined, { count: 1 }) as string;
    const tampered = `${sealed.slice(0, -2)}${sealed.endsWith("AA") ? "BA" : "AA"}`;
    store.readSession(tampered);
    store.readSession(tampered);
    expect(backend.decryptions).toBe(2);
    now = T0 + 60_000;
    const { reports, context } = recorder();
    expect(store.readSession(sealed, context)).toBeUndefined();
    expect(reports[0]?.reason).toBe("seal expired: written 60 s ago, maxAge is 60 s");
  });
});

describe("cookieStore across backends and secret encodings", () => {
  it("node:crypto and WebCrypto stores with one secret read each other's seals", async () => {
    const a = cookieStore({ secret, backend: node });
    const b = cookieStore({ secret, backend: web });
    expect(await b.readSession(a.writeSession(undefined, { from: "node" }) as string)).toEqual({
      from: "node",
    });
    expect(a.readSession(await b.writeSession(undefined, { from: "web" }))).toEqual({ from: "web" });
  });

  it("takes the secret as bytes, base64 (padded or not) or base64url, all the same key", () => {
    const bytes = new Uint8Array(33).map((_, i) => 250 - i * 3); // 33 bytes: base64 has "+" or "/", no padding
    const b64 = Buffer.from(bytes).toString("base64");
    const b64url = Buffer.from(bytes).toString("base64url");
    const longer = new Uint8Array(34).fill(251);
    const stores = [
      cookieStore({ secret: bytes }),
      cookieStore({ secret: b64 }),
      cookieStore({ secret: b64url }),
      cookieStore({ secret: Buffer.from(bytes) }),
    ];
    expect(b64).not.toBe(b64url);
    const sealed = stores[0]!.writeSession(undefined, { ok: true }) as string;
    for (const store of stores) expect(store.readSession(sealed)).toEqual({ ok: true });
    const padded = Buffer.from(longer).toString("base64");
    expect(padded).toMatch(/==$/);
    const fromPadded = cookieStore({ secret: padded }).writeSession(undefined, { ok: 1 }) as string;
    expect(cookieStore({ secret: longer }).readSession(fromPadded)).toEqual({ ok: 1 });
  });
});

describe("cookieStore options", () => {
  const bad = (options: unknown, message: string) =>
    expect(() => cookieStore(options as CookieStoreOptions)).toThrowError(new TypeError(message));

  it("refuses secrets shorter than 32 bytes, or not base64", () => {
    bad(
      { secret: new Uint8Array(31) },
      'cookieStore: option "secret": must hold at least 32 bytes after decoding (got 31 bytes)',
    );
    bad(
      { secret: "c2hvcnQgc2VjcmV0" },
      'cookieStore: option "secret": must hold at least 32 bytes after decoding (got 12 bytes)',
    );
    // 43 characters look long enough, but only hold 32 bytes when they are base64.
    bad(
      { secret: "this is a passphrase, not base64 at all!!!" },
      'cookieStore: option "secret": must be base64 or base64url text (e.g. `openssl rand -base64 32`); the character at index 4 is in neither alphabet (got a string)',
    );
    bad(
      { secret: "" },
      'cookieStore: option "secret": must hold at least 32 bytes after decoding (got 0 bytes)',
    );
    bad(
      { secret: 42 },
      'cookieStore: option "secret": must be a Uint8Array or a base64/base64url string of 32+ random bytes (got 42)',
    );
  });

  it("names what is wrong with secret text that is not base64", () => {
    // Every character is base64, but 43 "a"s set bits past the 32nd byte: no encoder writes that.
    bad(
      { secret: "a".repeat(43) },
      'cookieStore: option "secret": is not canonical base64: its last character sets bits beyond the last byte, so it was not written by a base64 encoder (make one with `openssl rand -base64 32`) (got a string)',
    );
    bad(
      { secret: `${"A".repeat(20)}+/${"A".repeat(20)}-_` },
      'cookieStore: option "secret": mixes the base64 (+ /) and base64url (- _) alphabets: use one (e.g. `openssl rand -base64 32`) (got a string)',
    );
    bad(
      { secret: `${"A".repeat(42)}=` },
      'cookieStore: option "secret": has "=" padding but a length of 43, not a multiple of 4: was it cut? (got a string)',
    );
    bad(
      { secret: "A".repeat(45) },
      'cookieStore: option "secret": has 45 base64 characters, a length no byte string encodes to: was it cut? (got a string)',
    );
    // The canonical forms of the same 32 bytes are accepted, padded or not, in either alphabet.
    const bytes = new Uint8Array(32).fill(0xfb);
    const b64 = Buffer.from(bytes).toString("base64");
    for (const secret of [b64, b64.replace(/=+$/, ""), Buffer.from(bytes).toString("base64url")]) {
      expect(() => cookieStore({ secret })).not.toThrow();
    }
  });

  it("requires a secret when NODE_ENV is production, saying how to make one", () => {
    vi.stubEnv("NODE_ENV", "production");
    try {
      expect(() => cookieStore()).toThrow(
        /cookieStore: option "secret" is required when NODE_ENV is "production".*openssl rand -base64 32/,
      );
      expect(() => cookieStore({ secret: undefined })).toThrow(/is required when NODE_ENV is "production"/);
      expect(() => cookieStore({ secret })).not.toThrow();
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("never echoes a secret into the message", () => {
    const leaked = "c2hvcnQgc2VjcmV0IHRoYXQgbXVzdCBub3QgbGVhaw"; // 31 bytes
    const message = (options: unknown) => {
      try {
        cookieStore(options as CookieStoreOptions);
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error("expected a throw");
    };
    for (const options of [
      { secret: leaked },
      { secret: `${leaked}!` },
      { secret, previousSecrets: [`${leaked}!`] },
      { secret, previousSecrets: [leaked] },
      { secret, previousSecrets: leaked },
      { secret: [leaked] },
      { secret: { value: leaked } },
      leaked,
    ]) {
      const text = message(options);
      expect(text).toMatch(/^cookieStore: /);
      expect(text).not.toContain(leaked.slice(0, 8));
    }
  });

  it("checks each previous secret, naming its index", () => {
    bad(
      { secret, previousSecrets: [otherSecret, new Uint8Array(8)] },
      'cookieStore: option "previousSecrets.1": must hold at least 32 bytes after decoding (got 8 bytes)',
    );
    bad(
      { secret, previousSecrets: otherSecret },
      'cookieStore: option "previousSecrets": must be an array of secrets (got 32 bytes)',
    );
  });

  it("checks maxAge, cacheSize, now and unknown options", () => {
    bad({ secret, maxAge: 0 }, 'cookieStore: option "maxAge": must be at least 1 second (got 0)');
    bad({ secret, maxAge: 1.5 }, 'cookieStore: option "maxAge": must be a whole number of seconds (got 1.5)');
    bad({ secret, maxAge: "1h" }, 'cookieStore: option "maxAge": must be a number of seconds (got a string)');
    bad({ secret, cacheSize: -1 }, 'cookieStore: option "cacheSize": must be 0 (off) or more (got -1)');
    bad(
      { secret, cacheSize: 0.5 },
      'cookieStore: option "cacheSize": must be a whole number of entries (got 0.5)',
    );
    bad({ secret, now: 5 }, 'cookieStore: option "now": must be a function returning milliseconds (got 5)');
    bad({ secret, maxage: 60 }, 'cookieStore: unknown option "maxage"');
    bad("secret", "cookieStore: options must be an object, got a string");
  });
});

describe("cookieStore without a secret", () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.resetModules();
  });

  it("warns once per process, and its stores share one random key", async () => {
    vi.resetModules();
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const fresh = await import("../../../src/session/cookie-store/cookie-store.js");
    const a = fresh.cookieStore();
    const b = fresh.cookieStore<SessionData>({ maxAge: 60 });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]![0]).toMatch(/no `secret` given.*will not survive a restart/);
    expect(b.readSession(a.writeSession(undefined, { n: 1 }) as string)).toEqual({ n: 1 });
    // A store with a real secret does not know that key, and does not warn.
    expect(await rejection(fresh.cookieStore({ secret }), a.writeSession(undefined, {}) as string)).toMatch(
      /^sealed with an unknown key/,
    );
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it("a new process (fresh module) gets a different key", async () => {
    vi.resetModules();
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const first = (await import("../../../src/session/cookie-store/cookie-store.js")).cookieStore();
    vi.resetModules();
    const second = (await import("../../../src/session/cookie-store/cookie-store.js")).cookieStore();
    expect(keyIdOf(first.writeSession(undefined, {}) as string)).not.toEqual(
      keyIdOf(second.writeSession(undefined, {}) as string),
    );
  });
});

describe("a runtime without WebCrypto", () => {
  it("gets one clear error when the store is built, not a TypeError from deep inside", () => {
    const original = Object.getOwnPropertyDescriptor(globalThis, "crypto");
    Object.defineProperty(globalThis, "crypto", { value: undefined, configurable: true, writable: true });
    try {
      expect(() => webCryptoBackend()).toThrow(
        /cookieStore: this runtime has neither node:crypto nor WebCrypto \(crypto\.subtle\).*secure contexts/,
      );
      // Where node:crypto is missing too, picking the backend (what cookieStore() does first) fails the same way.
      expect(() => firstWorkingBackend(undefined, webCryptoBackend)).toThrow(
        /neither node:crypto nor WebCrypto/,
      );
    } finally {
      if (original !== undefined) Object.defineProperty(globalThis, "crypto", original);
    }
  });
});
