import { describe, expect, it } from "vitest";
import { cookieStore } from "../../src/session/cookie-store/cookie-store.js";
import { newSessionKey } from "../../src/session/keys.js";
import { memoryStore } from "../../src/session/memory-store.js";
import type { SessionData, SessionStore, VersionedSessionStore } from "../../src/session/store.js";
import {
  type CheckSessionStoreOptions,
  checkSessionStore,
  estimateKeyBits,
  type SessionStoreLaw,
  SessionStoreLawError,
  type StoreFactoryContext,
} from "../../src/testing/check-session-store.js";

/**
 * A small correct store, the baseline each broken store below departs from in one way: keys from
 * `newSessionKey`, data copied in and out, an idle lifetime on the injected clock.
 */
function referenceStore(
  { now }: StoreFactoryContext,
  tweak: {
    key?: () => string;
    copyIn?: (data: SessionData) => SessionData;
    copyOut?: (data: SessionData) => SessionData;
    deletes?: boolean;
    maxAgeMs?: number;
    refreshOnRead?: boolean;
    readKey?: (key: string) => void;
  } = {},
): SessionStore {
  const map = new Map<string, { data: SessionData; at: number }>();
  const key = tweak.key ?? newSessionKey;
  const copyIn = tweak.copyIn ?? ((d: SessionData) => structuredClone(d));
  const copyOut = tweak.copyOut ?? ((d: SessionData) => structuredClone(d));
  return {
    readSession(k) {
      tweak.readKey?.(k);
      const entry = map.get(k);
      if (entry === undefined) return undefined;
      if (tweak.maxAgeMs !== undefined && now() >= entry.at + tweak.maxAgeMs) {
        map.delete(k);
        return undefined;
      }
      if (tweak.refreshOnRead) entry.at = now();
      return copyOut(entry.data);
    },
    writeSession(k, data) {
      const next = k ?? key();
      map.set(next, { data: copyIn(data), at: now() });
      return next;
    },
    deleteSession(k) {
      if (tweak.deletes !== false) map.delete(k);
    },
  };
}

const FAST: CheckSessionStoreOptions = { numRuns: 25, maxCommands: 20 };
// For bugs that few sequences reach (a lifetime that reads do or do not extend, the empty key): over 200
// seeds, 20 and 5 runs missed them 18% of the time, so one run finds them with a chance of only 0.08 and
// 0.3, and 100 and 25 runs miss about once in 5000 (a flaky test). 300 runs miss less than once in 10^10;
// they cost nothing more when the bug is there, since the check stops at the first run that finds it.
const SURE: CheckSessionStoreOptions = { ...FAST, numRuns: 300 };

/** Awaits a rejection for `law`, named both on the error and in its message. */
async function lawBroken(promise: Promise<unknown>, law: SessionStoreLaw): Promise<SessionStoreLawError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SessionStoreLawError);
  expect((error as SessionStoreLawError).law).toBe(law);
  expect((error as Error).message).toMatch(new RegExp(`^checkSessionStore: law "${law}" broken: `));
  return error as SessionStoreLawError;
}

describe("checkSessionStore on a correct store", () => {
  it("resolves, with the key entropy estimate", async () => {
    const result = await checkSessionStore((ctx) => referenceStore(ctx), { ...FAST, updateKeepsKey: true });
    expect(result.numRuns).toBe(25);
    expect(result.keyBits).toBe(43 * 6);
  });

  it("resolves with a TTL checked against the injected clock", async () => {
    await checkSessionStore((ctx) => referenceStore(ctx, { maxAgeMs: 60_000, refreshOnRead: true }), {
      ...FAST,
      ttl: { maxAge: 60, refreshOnRead: true, toleranceMs: 0 },
    });
    await checkSessionStore((ctx) => referenceStore(ctx, { maxAgeMs: 60_000 }), {
      ...FAST,
      ttl: { maxAge: 60, toleranceMs: 0 },
    });
  });

  it("resolves for an async store, and calls dispose for every store it made", async () => {
    let made = 0;
    let disposed = 0;
    await checkSessionStore(
      (ctx) => {
        made++;
        const inner = referenceStore(ctx);
        const later = <T>(f: () => T | Promise<T>) =>
          new Promise<T>((resolve) => setImmediate(() => resolve(f())));
        return {
          readSession: (k) => later(() => inner.readSession(k)),
          writeSession: (k, d) => later(() => inner.writeSession(k, d)),
          deleteSession: (k) => later(() => inner.deleteSession(k)),
        };
      },
      { numRuns: 10, maxCommands: 10, dispose: () => void disposed++ },
    );
    expect(made).toBeGreaterThan(10);
    expect(disposed).toBe(made);
  });
});

describe("checkSessionStore on ringlet's stores", () => {
  it("memoryStore keeps every law: the key survives updates, reads refresh the idle lifetime", async () => {
    const result = await checkSessionStore(({ now }) => memoryStore({ now, maxAge: 60, sweepInterval: 0 }), {
      updateKeepsKey: true,
      ttl: { maxAge: 60, refreshOnRead: true },
      numRuns: 60,
    });
    expect(result.keyBits).toBeGreaterThanOrEqual(256);
  });

  it("cookieStore keeps every law: a new seal per write, no revocation, a lifetime from the write", async () => {
    const secret = crypto.getRandomValues(new Uint8Array(32));
    const result = await checkSessionStore(({ now }) => cookieStore({ secret, now, maxAge: 60 }), {
      updateKeepsKey: false,
      canDelete: false,
      ttl: { maxAge: 60 },
      numRuns: 60,
    });
    expect(result.keyBits).toBeGreaterThanOrEqual(128);
  });

  it("is not vacuous for them: a wrong claim about either store is rejected", async () => {
    const secret = crypto.getRandomValues(new Uint8Array(32));
    await lawBroken(
      checkSessionStore(({ now }) => cookieStore({ secret, now, maxAge: 60 }), {
        ...FAST,
        updateKeepsKey: false,
      }),
      "delete",
    );
    await lawBroken(
      checkSessionStore(({ now }) => cookieStore({ secret, now, maxAge: 60 }), {
        ...FAST,
        updateKeepsKey: true,
        canDelete: false,
      }),
      "update-key",
    );
    await lawBroken(
      checkSessionStore(({ now }) => memoryStore({ now, maxAge: 60, sweepInterval: 0 }), {
        ...SURE,
        ttl: { maxAge: 60 },
      }),
      "ttl",
    );
  });
});

describe("checkSessionStore rejects broken stores, naming the law", () => {
  it("a store that reuses keys: fresh-key", async () => {
    let n = 0;
    const keys = [newSessionKey(), newSessionKey(), newSessionKey()];
    const error = await lawBroken(
      checkSessionStore((ctx) => referenceStore(ctx, { key: () => keys[n++ % 3]! }), {
        ...FAST,
        minKeyBits: 0,
      }),
      "fresh-key",
    );
    expect(error.message).toMatch(/a key it had returned before/);
  });

  it("a store that reuses a key only after many writes: fresh-key, with the counter-example shrunk", async () => {
    // Key reuse that the 32-write entropy probe does not reach: only the model-based run finds it.
    const error = await lawBroken(
      checkSessionStore(
        () => {
          const inner = referenceStore({ now: () => 0 });
          let writes = 0;
          let first: string | undefined;
          return {
            ...inner,
            writeSession(k, data) {
              // Writes of {} (all the entropy probe makes) are fine; the second new non-empty session reuses a key.
              if (k === undefined && Object.keys(data).length > 0 && ++writes === 2 && first !== undefined) {
                inner.writeSession(first, data);
                return first;
              }
              const key = inner.writeSession(k, data) as string;
              first ??= key;
              return key;
            },
          };
        },
        { ...FAST, numRuns: 60 },
      ),
      "fresh-key",
    );
    expect(error.counterexample).toMatch(/writeSession\(undefined, .*\) → k1/);
    expect(error.seed).toBeTypeOf("number");
  });

  it("a store that returns no key, or an empty one: fresh-key and update-key", async () => {
    const error = await lawBroken(
      checkSessionStore((ctx) => referenceStore(ctx, { key: () => "" }), { ...FAST, minKeyBits: 0 }),
      "fresh-key",
    );
    expect(error.message).toMatch(/write 1 of 32 returned "", not a non-empty string key/);
    const update = await lawBroken(
      checkSessionStore(({ now }) => {
        const inner = referenceStore({ now });
        return {
          ...inner,
          writeSession: (k, data) => (k === undefined ? inner.writeSession(k, data) : (undefined as never)),
        };
      }, FAST),
      "update-key",
    );
    expect(update.message).toMatch(/returned undefined, not a non-empty string key/);
  });

  it("a store that keeps the caller's object: write-isolation", async () => {
    const error = await lawBroken(
      checkSessionStore((ctx) => referenceStore(ctx, { copyIn: (d) => d }), FAST),
      "write-isolation",
    );
    expect(error.message).toMatch(/after the caller changed the object it wrote/);
  });

  it("a store that hands out its own object: read-isolation", async () => {
    await lawBroken(
      checkSessionStore((ctx) => referenceStore(ctx, { copyOut: (d) => d }), FAST),
      "read-isolation",
    );
  });

  it("accepts a store that freezes what it keeps instead of copying", async () => {
    const deepFreeze = (d: SessionData): SessionData => {
      const copy = structuredClone(d);
      const walk = (v: unknown): void => {
        if (typeof v === "object" && v !== null) {
          Object.freeze(v);
          for (const c of Object.values(v)) walk(c);
        }
      };
      walk(copy);
      return copy;
    };
    await checkSessionStore((ctx) => referenceStore(ctx, { copyIn: deepFreeze, copyOut: (d) => d }), FAST);
  });

  it("a store that ignores delete: delete", async () => {
    const error = await lawBroken(
      checkSessionStore((ctx) => referenceStore(ctx, { deletes: false }), FAST),
      "delete",
    );
    expect(error.message).toMatch(/k\d+ (was deleted but )?reads .*expected absent/);
  });

  it("…which passes once canDelete: false says it cannot revoke", async () => {
    await checkSessionStore((ctx) => referenceStore(ctx, { deletes: false }), { ...FAST, canDelete: false });
  });

  it("a store that throws on a garbage key: absent-keys", async () => {
    const error = await lawBroken(
      checkSessionStore(
        (ctx) =>
          referenceStore(ctx, {
            readKey: (k) => {
              if (k.length !== 43) throw new Error("bad key");
            },
          }),
        FAST,
      ),
      "absent-keys",
    );
    expect(error.message).toMatch(/threw Error: bad key/);
    expect(error.cause).toBeInstanceOf(Error);
  });

  it("a store that answers a made-up key with data: absent-keys", async () => {
    const error = await lawBroken(
      checkSessionStore(({ now }) => {
        const inner = referenceStore({ now });
        return { ...inner, readSession: (k) => inner.readSession(k) ?? (k === "" ? {} : undefined) };
      }, SURE),
      "absent-keys",
    );
    expect(error.message).toMatch(/key "" reads \{\}/);
  });

  it("a store that reports nonsense to the read context: report", async () => {
    await lawBroken(
      checkSessionStore(({ now }) => {
        const inner = referenceStore({ now });
        return {
          ...inner,
          readSession(k, context) {
            const data = inner.readSession(k);
            if (data === undefined) context?.report({ kind: "tampered" as never, reason: "" });
            return data;
          },
        };
      }, FAST),
      "report",
    );
  });

  it("counter keys: key-entropy", async () => {
    let n = 0;
    const error = await lawBroken(
      checkSessionStore(
        (ctx) => referenceStore(ctx, { key: () => `session-${String(n++).padStart(40, "0")}` }),
        FAST,
      ),
      "key-entropy",
    );
    expect(error.message).toMatch(/fewer than 128/);
  });

  it("an update that changes the key when updateKeepsKey is true: update-key", async () => {
    const error = await lawBroken(
      checkSessionStore(
        ({ now }) => {
          const inner = referenceStore({ now });
          return { ...inner, writeSession: (_k, data) => inner.writeSession(undefined, data) };
        },
        { ...FAST, updateKeepsKey: true },
      ),
      "update-key",
    );
    expect(error.message).toMatch(/returned a new key, but updateKeepsKey is true/);
  });

  it("an update that keeps the key when updateKeepsKey is false: update-key", async () => {
    await lawBroken(
      checkSessionStore((ctx) => referenceStore(ctx), { ...FAST, updateKeepsKey: false }),
      "update-key",
    );
  });

  it("a store that writes the wrong data: read-after-write", async () => {
    await lawBroken(
      checkSessionStore(({ now }) => {
        const inner = referenceStore({ now });
        return { ...inner, writeSession: (k, data) => inner.writeSession(k, { ...data, extra: 1 }) };
      }, FAST),
      "read-after-write",
    );
  });

  it("sessions that never expire, or expire early: ttl", async () => {
    const never = await lawBroken(
      checkSessionStore((ctx) => referenceStore(ctx), { ...FAST, numRuns: 60, ttl: { maxAge: 60 } }),
      "ttl",
    );
    expect(never.message).toMatch(/should have expired/);
    const early = await lawBroken(
      checkSessionStore((ctx) => referenceStore(ctx, { maxAgeMs: 30_000 }), {
        ...FAST,
        numRuns: 60,
        ttl: { maxAge: 60 },
      }),
      "ttl",
    );
    expect(early.message).toMatch(/reads as absent/);
  });

  it("an idle timeout when the store says reads do not refresh: ttl", async () => {
    await lawBroken(
      checkSessionStore((ctx) => referenceStore(ctx, { maxAgeMs: 60_000, refreshOnRead: true }), {
        ...SURE,
        ttl: { maxAge: 60 },
      }),
      "ttl",
    );
  });

  it("a store whose concurrent writes to distinct keys interfere: concurrency", async () => {
    // The bug only shows when two writes overlap: both land under the key of the last one to finish.
    const error = await lawBroken(
      checkSessionStore(
        ({ now }) => {
          const inner = referenceStore({ now });
          let pending: SessionData | undefined;
          return {
            readSession: (k) => inner.readSession(k),
            deleteSession: (k) => inner.deleteSession(k),
            async writeSession(k, data) {
              pending = data;
              await new Promise((resolve) => setImmediate(resolve));
              return inner.writeSession(k, pending);
            },
          };
        },
        { ...FAST, numRuns: 60 },
      ),
      "concurrency",
    );
    expect(error.counterexample).toMatch(/concurrently: /);
  });

  it("a store operation that never settles: named, not hung", async () => {
    const error = await lawBroken(
      checkSessionStore(
        ({ now }) => {
          const inner = referenceStore({ now });
          return { ...inner, deleteSession: () => new Promise<void>(() => {}) };
        },
        { ...FAST, timeoutMs: 20 },
      ),
      "delete",
    );
    expect(error.message).toMatch(/did not settle within 20 ms/);
  });
});

describe("checkSessionStore options", () => {
  it("throws at once for bad options, naming the option", () => {
    const make = (ctx: StoreFactoryContext) => referenceStore(ctx);
    expect(() => checkSessionStore(make, { numRuns: 0 })).toThrow(
      /^checkSessionStore: option "numRuns": Too small: expected number to be >=1/,
    );
    expect(() => checkSessionStore(make, { ttl: { maxAge: -1 } })).toThrow(
      /^checkSessionStore: option "ttl\.maxAge": Too small: expected number to be >0/,
    );
    expect(() => checkSessionStore(make, { data: {} as never })).toThrow(
      /^checkSessionStore: option "data": expected a fast-check Arbitrary/,
    );
    expect(() => checkSessionStore(make, { canDelet: false } as never)).toThrow(
      'checkSessionStore: unknown option "canDelet"',
    );
    expect(() => checkSessionStore(undefined as never)).toThrow(/makeStore must be a function/);
  });

  it("replays a failure from its seed and path", async () => {
    const broken = (ctx: StoreFactoryContext) => referenceStore(ctx, { deletes: false });
    const first = await lawBroken(checkSessionStore(broken, FAST), "delete");
    const again = await lawBroken(
      checkSessionStore(broken, {
        ...FAST,
        seed: first.seed!,
        ...(first.path === undefined ? {} : { path: first.path }),
        ...(first.replayPath === undefined ? {} : { replayPath: first.replayPath }),
      }),
      "delete",
    );
    expect(again.counterexample).toBe(first.counterexample);
    expect(again.message).toMatch(/Replay with \{ seed: /);
  });
});

describe("estimateKeyBits", () => {
  it("counts bits per character of the key's alphabet, over the varying positions", () => {
    const keys = (f: () => string) => Array.from({ length: 32 }, f);
    expect(estimateKeyBits(keys(newSessionKey)).bits).toBe(43 * 6);
    const hex = () =>
      Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
    expect(estimateKeyBits(keys(hex)).bits).toBe(128);
    // A v4 UUID holds 122 random bits: its fixed dashes and version digit do not count.
    expect(estimateKeyBits(keys(() => crypto.randomUUID())).bits).toBeLessThan(128);
    let n = 0;
    expect(estimateKeyBits(keys(() => String(1_000_000 + n++))).bits).toBeLessThan(10);
    expect(estimateKeyBits(["only-one"]).bits).toBe(0);
  });
});

describe("checkSessionStore's versioned law", () => {
  /** The memory store with one thing broken in its versioned extension. */
  function brokenVersioned(
    ctx: StoreFactoryContext,
    how: "ignores-version" | "same-version" | "revives",
  ): VersionedSessionStore {
    const inner = memoryStore({ now: ctx.now, maxAge: 60, sweepInterval: 0 });
    return {
      readSession: (k, c) => inner.readSession(k, c),
      writeSession: (k, d) => inner.writeSession(k, d),
      deleteSession: (k) => inner.deleteSession(k),
      readVersionedSession: (k, c) => {
        const read = inner.readVersionedSession(k, c);
        return how === "same-version" && read !== undefined ? { data: read.data, version: 1 } : read;
      },
      writeSessionIfVersion: (k, d, v) => {
        if (how === "ignores-version") return inner.writeSession(k, d) === k ? k : null;
        if (how === "revives") {
          return inner.readSession(k) === undefined
            ? inner.writeSession(undefined, d) && k
            : inner.writeSessionIfVersion(k, d, v);
        }
        // "same-version": the versions handed out say nothing, so the store compares with the current one.
        const current = inner.readVersionedSession(k);
        return current === undefined ? null : inner.writeSessionIfVersion(k, d, current.version);
      },
    };
  }

  it("memoryStore keeps it (checked because the store has the methods)", async () => {
    await checkSessionStore(({ now }) => memoryStore({ now, maxAge: 60, sweepInterval: 0 }), {
      ...FAST,
      updateKeepsKey: true,
      ttl: { maxAge: 60, refreshOnRead: true },
    });
  });

  it("rejects a store that ignores the version", async () => {
    const error = await lawBroken(
      checkSessionStore((ctx) => brokenVersioned(ctx, "ignores-version"), { ...FAST, updateKeepsKey: true }),
      "versioned",
    );
    expect(error.message).toMatch(/replaced version returned .*, not null/);
  });

  it("rejects a store whose versions never change", async () => {
    await lawBroken(
      checkSessionStore((ctx) => brokenVersioned(ctx, "same-version"), { ...FAST, updateKeepsKey: true }),
      "versioned",
    );
  });

  it("rejects a store whose conditional write on a deleted key succeeds", async () => {
    const error = await lawBroken(
      checkSessionStore((ctx) => brokenVersioned(ctx, "revives"), { ...FAST, updateKeepsKey: true }),
      "versioned",
    );
    expect(error.message).toMatch(/deleted session/);
  });

  it("rejects versioned: true for a store without the extension (the cookie store)", async () => {
    const secret = crypto.getRandomValues(new Uint8Array(32));
    await lawBroken(
      checkSessionStore(({ now }) => cookieStore({ secret, now, maxAge: 60 }), {
        ...FAST,
        updateKeepsKey: false,
        canDelete: false,
        versioned: true,
      }),
      "versioned",
    );
  });
});
