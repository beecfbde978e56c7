import fc from "fast-check";
import { Cluster, Redis } from "ioredis";
import { createCluster, RESP_TYPES } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  COMPARE_AND_SET_SCRIPT,
  type RedisCommands,
  type RedisStore,
  RedisTimeoutError,
  redisStore,
} from "../../src/redis/index.js";
import { isSessionKeyShape, newSessionKey } from "../../src/session/keys.js";
import {
  isVersionedStore,
  type SessionReport,
  type SessionVersion,
  type VersionedSessionStore,
} from "../../src/session/store.js";
import { checkSessionStore } from "../../src/testing/check-session-store.js";
import {
  type ClientKind,
  closeClient,
  connect,
  connectIoredis,
  connectNodeRedis,
  deleteKeysUnder,
  hashedKey,
  keysUnder,
  type NodeRedisClient,
  type PrivateRedis,
  type PrivateRedisCluster,
  privateRedis,
  privateRedisCluster,
  REDIS_PORT,
  redisServerAvailable,
  redisUp,
  uniquePrefix,
} from "./redis-env.js";

function recorder() {
  const reports: SessionReport[] = [];
  return { reports, context: { report: (r: SessionReport) => void reports.push(r) } };
}

const roundTrip = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** `RedisCommands` of the user's own making, as docs/scaling.md shows, here on top of ioredis. */
const ownCommands = (client: Redis): RedisCommands => ({
  get: (key) => client.get(key),
  getAndTouch: (key, seconds) => client.getex(key, "EX", seconds),
  setWithTtl: (key, value, seconds, onlyIfExists) =>
    onlyIfExists ? client.set(key, value, "EX", seconds, "XX") : client.set(key, value, "EX", seconds),
  del: (key) => client.del(key),
});

describe.skipIf(!redisUp)(`redisStore against the Redis at 127.0.0.1:${REDIS_PORT}`, () => {
  // An ioredis client of the test's own, to look at Redis directly.
  let admin: Redis;
  const prefixes: string[] = [];
  const prefix = (label: string) => {
    const p = uniquePrefix(label);
    prefixes.push(p);
    return p;
  };

  beforeAll(async () => {
    admin = await connectIoredis();
  });
  afterAll(async () => {
    for (const p of prefixes) await deleteKeysUnder(admin, p);
    closeClient(admin);
  });

  describe.each<ClientKind>(["node-redis", "ioredis"])("with a %s client", (kind) => {
    let client: NodeRedisClient | Redis;
    beforeAll(async () => {
      client = await connect(kind);
    });
    afterAll(() => closeClient(client));

    it("writes under a new 256-bit key, reads it back, and keeps the key on update", async () => {
      const store = redisStore({ client, prefix: prefix("rw") });
      const key = await store.writeSession(undefined, { count: 1, user: { name: "ada" } });
      expect(isSessionKeyShape(key)).toBe(true);
      expect(await store.readSession(key)).toEqual({ count: 1, user: { name: "ada" } });

      expect(await store.writeSession(key, { count: 2 })).toBe(key);
      expect(await store.readSession(key)).toEqual({ count: 2 });

      const other = await store.writeSession(undefined, { count: 1 });
      expect(other).not.toBe(key);
    });

    it("round-trips any JSON object (property)", async () => {
      const store = redisStore({ client, prefix: prefix("prop") });
      await fc.assert(
        fc.asyncProperty(fc.dictionary(fc.string(), fc.jsonValue()), async (data) => {
          const key = await store.writeSession(undefined, data);
          expect(await store.readSession(key)).toEqual(roundTrip(data));
        }),
        { numRuns: 100 },
      );
    });

    it("stores under prefix + hex SHA-256 of the id: the raw id is nowhere in Redis", async () => {
      const p = prefix("hash");
      const store = redisStore({ client, prefix: p });
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push(await store.writeSession(undefined, { i }));

      const keys = await keysUnder(admin, p);
      expect(keys.sort()).toEqual(ids.map((id) => hashedKey(p, id)).sort());
      for (const id of ids) expect(store.redisKey(id)).toBe(hashedKey(p, id));
      for (const key of keys) {
        const value = (await admin.get(key)) ?? "";
        for (const id of ids) {
          expect(key).not.toContain(id);
          expect(value).not.toContain(id);
        }
      }
    });

    it("sets the idle lifetime with every write (SET … EX maxAge)", async () => {
      const store = redisStore({ client, prefix: prefix("ttl"), maxAge: 600 });
      const key = await store.writeSession(undefined, { a: 1 });
      const ttl = await admin.ttl(store.redisKey(key));
      expect(ttl).toBeGreaterThan(590);
      expect(ttl).toBeLessThanOrEqual(600);

      await admin.expire(store.redisKey(key), 30);
      await store.writeSession(key, { a: 2 });
      expect(await admin.ttl(store.redisKey(key))).toBeGreaterThan(590);
    });

    it("lets abandoned sessions expire", async () => {
      const store = redisStore({ client, prefix: prefix("expire"), maxAge: 1 });
      const key = await store.writeSession(undefined, { a: 1 });
      expect(await store.readSession(key)).toEqual({ a: 1 });
      await new Promise((resolve) => setTimeout(resolve, 1100));
      expect(await store.readSession(key)).toBeUndefined();
    });

    it("with touch, a read resets the lifetime without rewriting the data; without, it does not", async () => {
      const p = prefix("touch");
      const touching = redisStore({ client, prefix: p, maxAge: 600, touch: true });
      const plain = redisStore({ client, prefix: p, maxAge: 600 });
      const key = await plain.writeSession(undefined, { n: 1 });
      const redisKey = plain.redisKey(key);

      await admin.expire(redisKey, 30);
      expect(await plain.readSession(key)).toEqual({ n: 1 });
      expect(await admin.ttl(redisKey)).toBeLessThanOrEqual(30);

      // Another writer changes the value behind the store's back: a touch must not write it back.
      await admin.set(redisKey, JSON.stringify({ n: 2 }), "KEEPTTL");
      expect(await touching.readSession(key)).toEqual({ n: 2 });
      expect(await admin.ttl(redisKey)).toBeGreaterThan(590);
      expect(await admin.get(redisKey)).toBe(JSON.stringify({ n: 2 }));

      // Touching a missing session creates nothing.
      const missing = newSessionKey();
      expect(await touching.readSession(missing)).toBeUndefined();
      expect(await admin.exists(touching.redisKey(missing))).toBe(0);
    });

    it("reads a stored value that is not a JSON object as absent, and reports it", async () => {
      const store = redisStore({ client, prefix: prefix("invalid") });
      const cases: [string, string][] = [
        ["{not json", "stored session is not valid JSON"],
        ["", "stored session is not valid JSON"],
        ["[1,2]", "stored session is not a JSON object"],
        ["null", "stored session is not a JSON object"],
        ["42", "stored session is not a JSON object"],
        ['"text"', "stored session is not a JSON object"],
      ];
      for (const [stored, reason] of cases) {
        const key = newSessionKey();
        await admin.set(store.redisKey(key), stored);
        const { reports, context } = recorder();
        expect(await store.readSession(key, context)).toBeUndefined();
        expect(reports).toEqual([expect.objectContaining({ kind: "invalid-session", reason })]);
      }
    });

    it("rejects keys of the wrong shape without a Redis round trip, and reports them", () => {
      const store = redisStore({ client, prefix: prefix("shape") });
      fc.assert(
        fc.property(
          fc.string({ maxLength: 100 }).filter((s) => !isSessionKeyShape(s)),
          (key) => {
            const { reports, context } = recorder();
            // `undefined` itself, not a Promise: nothing was sent.
            expect(store.readSession(key, context)).toBeUndefined();
            expect(store.deleteSession(key)).toBeUndefined();
            expect(reports).toEqual([expect.objectContaining({ kind: "rejected-cookie" })]);
          },
        ),
      );
    });

    it("an unknown key of the right shape reads as absent, without a report", async () => {
      const store = redisStore({ client, prefix: prefix("unknown") });
      const { reports, context } = recorder();
      expect(await store.readSession(newSessionKey(), context)).toBeUndefined();
      expect(reports).toEqual([]);
    });

    it("does not bring back a session deleted or expired before an update: the data gets a new key", async () => {
      const p = prefix("resurrect");
      const store = redisStore({ client, prefix: p });
      const key = await store.writeSession(undefined, { user: "ada" });
      await store.deleteSession(key); // a logout in another tab, while this request was running
      const next = await store.writeSession(key, { user: "ada", n: 1 });
      expect(next).not.toBe(key);
      expect(isSessionKeyShape(next)).toBe(true);
      expect(await store.readSession(key)).toBeUndefined();
      expect(await store.readSession(next)).toEqual({ user: "ada", n: 1 });
      expect(await admin.ttl(store.redisKey(next))).toBeGreaterThan(86_000);
      expect(await keysUnder(admin, p)).toEqual([store.redisKey(next)]);
    });

    it("never adopts a key it did not issue: a malformed key on write gets a fresh one", async () => {
      const p = prefix("adopt");
      const store = redisStore({ client, prefix: p });
      const key = await store.writeSession("attacker-chosen", { a: 1 });
      expect(key).not.toBe("attacker-chosen");
      expect(isSessionKeyShape(key)).toBe(true);
      expect(await keysUnder(admin, p)).toEqual([store.redisKey(key)]);
    });

    it("deletes", async () => {
      const store = redisStore({ client, prefix: prefix("del") });
      const key = await store.writeSession(undefined, { a: 1 });
      await store.deleteSession(key);
      expect(await store.readSession(key)).toBeUndefined();
      expect(await admin.exists(store.redisKey(key))).toBe(0);
      await expect(store.deleteSession(newSessionKey())).resolves.toBeUndefined();
    });

    it("throws, naming the path, for data that does not survive JSON, and writes nothing", async () => {
      const p = prefix("json");
      const store = redisStore({ client, prefix: p });
      expect(() => store.writeSession(undefined, { user: { since: new Date() } })).toThrow(
        /session\.user\.since: Date/,
      );
      expect(() => store.writeSession(undefined, { big: 1n })).toThrow(TypeError);
      expect(() => store.writeSession(undefined, [1] as never)).toThrow(/plain object/);
      expect(await keysUnder(admin, p)).toEqual([]);
    });

    it("rejects when Redis answers with an error", async () => {
      const store = redisStore({ client, prefix: prefix("error") });
      const key = newSessionKey();
      await admin.hset(store.redisKey(key), "f", "v");
      await expect(store.readSession(key)).rejects.toThrow(/WRONGTYPE/);
    });

    it("rejects, never throws, on a client that was closed", async () => {
      const closed = await connect(kind);
      const store = redisStore({ client: closed, prefix: prefix("closed"), touch: true });
      const key = await store.writeSession(undefined, { a: 1 });
      const { version } = (await store.readVersionedSession!(key))!;
      closeClient(closed);
      const operations = [
        () => store.readVersionedSession!(key),
        () => store.writeSessionIfVersion!(key, { a: 2 }, version),
        () => store.readSession(key),
        () => store.writeSession(key, { a: 2 }),
        () => store.writeSession(undefined, { a: 2 }),
        () => store.deleteSession(key),
      ];
      for (const operation of operations) {
        const result = operation();
        expect(result).toBeInstanceOf(Promise);
        await expect(result).rejects.toThrow();
      }
    });

    describe("versioned (readVersionedSession, writeSessionIfVersion)", () => {
      const versioned = (options: { prefix: string; touch?: boolean; maxAge?: number }) => {
        const store = redisStore({ client, ...options });
        expect(isVersionedStore(store)).toBe(true);
        return store as RedisStore & VersionedSessionStore;
      };
      const read = async (store: VersionedSessionStore, key: string) => {
        const found = await store.readVersionedSession(key);
        if (found == null) throw new Error(`no session under ${key}`);
        return found;
      };

      it("the version is the stored JSON text; a write with it lands, returns the key, and refreshes the lifetime", async () => {
        const store = versioned({ prefix: prefix("cas"), maxAge: 600 });
        const key = await store.writeSession(undefined, { n: 1, user: { name: "ada" } });
        const { data, version } = await read(store, key);
        expect(data).toEqual({ n: 1, user: { name: "ada" } });
        expect(version).toBe(await admin.get(store.redisKey(key)));

        await admin.expire(store.redisKey(key), 30);
        expect(await store.writeSessionIfVersion(key, { n: 2 }, version)).toBe(key);
        expect(await store.readSession(key)).toEqual({ n: 2 });
        expect(await admin.ttl(store.redisKey(key))).toBeGreaterThan(590);
      });

      it("a write with a version that is no longer current stores nothing and returns null", async () => {
        const store = versioned({ prefix: prefix("stale") });
        const key = await store.writeSession(undefined, { n: 0 });
        const first = await read(store, key);
        const second = await read(store, key);
        // Two requests read n = 0; both write n = 1: the second is a conflict although the values are equal.
        expect(await store.writeSessionIfVersion(key, { n: 1 }, first.version)).toBe(key);
        expect(await store.writeSessionIfVersion(key, { n: 1, by: "second" }, second.version)).toBeNull();
        expect(await store.readSession(key)).toEqual({ n: 1 });
        // A plain write in between also makes the version stale.
        const third = await read(store, key);
        await store.writeSession(key, { n: 5 });
        expect(await store.writeSessionIfVersion(key, { n: 2 }, third.version)).toBeNull();
        expect(await store.readSession(key)).toEqual({ n: 5 });
      });

      it("the version changes with every write that changes the data (property)", async () => {
        const store = versioned({ prefix: prefix("versions") });
        await fc.assert(
          fc.asyncProperty(
            fc.array(fc.dictionary(fc.string(), fc.jsonValue()), { minLength: 1, maxLength: 6 }),
            fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
            async (states, conditional) => {
              const key = await store.writeSession(undefined, states[0]!);
              let previous = await read(store, key);
              for (const [i, data] of states.slice(1).entries()) {
                const written = conditional[i]
                  ? await store.writeSessionIfVersion(key, data, previous.version)
                  : await store.writeSession(key, data);
                expect(written).toBe(key);
                const next = await read(store, key);
                expect(next.data).toEqual(roundTrip(data));
                // Content is the version: equal exactly when the JSON text is equal.
                expect(next.version === previous.version).toBe(
                  JSON.stringify(data) === JSON.stringify(previous.data),
                );
                previous = next;
              }
            },
          ),
          { numRuns: 40 },
        );
      });

      it("after a delete or the expiry, a write with the old version returns null and creates nothing", async () => {
        const p = prefix("gone");
        const store = versioned({ prefix: p, maxAge: 1 });
        const deleted = await store.writeSession(undefined, { a: 1 });
        const expired = await store.writeSession(undefined, { a: 1 });
        const v1 = (await read(store, deleted)).version;
        const v2 = (await read(store, expired)).version;
        await store.deleteSession(deleted);
        await new Promise((resolve) => setTimeout(resolve, 1100));
        expect(await admin.exists(store.redisKey(expired))).toBe(0);
        expect(await store.writeSessionIfVersion(deleted, { a: 2 }, v1)).toBeNull();
        expect(await store.writeSessionIfVersion(expired, { a: 2 }, v2)).toBeNull();
        expect(await keysUnder(admin, p)).toEqual([]);
        // And a key never issued, with a version that looks right, creates nothing either.
        expect(await store.writeSessionIfVersion(newSessionKey(), { a: 2 }, v1)).toBeNull();
        expect(await keysUnder(admin, p)).toEqual([]);
      });

      it("reads like readSession: absent, invalid and touched sessions", async () => {
        const p = prefix("vread");
        const store = versioned({ prefix: p, maxAge: 600, touch: true });
        const { reports, context } = recorder();
        expect(await store.readVersionedSession(newSessionKey(), context)).toBeUndefined();
        const bad = newSessionKey();
        await admin.set(store.redisKey(bad), "[1,2]");
        expect(await store.readVersionedSession(bad, context)).toBeUndefined();
        expect(reports).toEqual([
          expect.objectContaining({ kind: "invalid-session", reason: "stored session is not a JSON object" }),
        ]);
        // A touching read resets the lifetime and leaves the version as it was: a touch is not a write.
        const key = await store.writeSession(undefined, { n: 1 });
        await admin.expire(store.redisKey(key), 30);
        const { version } = await read(store, key);
        expect(await admin.ttl(store.redisKey(key))).toBeGreaterThan(590);
        expect((await read(store, key)).version).toBe(version);
        expect(await store.writeSessionIfVersion(key, { n: 2 }, version)).toBe(key);
      });

      it("rejects hostile keys without a Redis round trip, as readSession does", () => {
        const store = versioned({ prefix: prefix("vshape") });
        fc.assert(
          fc.property(
            fc.string({ maxLength: 100 }).filter((s) => !isSessionKeyShape(s)),
            fc.string(),
            (key, version) => {
              const { reports, context } = recorder();
              // `undefined` and `null` themselves, not Promises: nothing was sent.
              expect(store.readVersionedSession(key, context)).toBeUndefined();
              expect(store.writeSessionIfVersion(key, { a: 1 }, version)).toBeNull();
              expect(reports).toEqual([expect.objectContaining({ kind: "rejected-cookie" })]);
            },
          ),
        );
      });

      it("a version that is not a string never matches: null without a round trip", async () => {
        const store = versioned({ prefix: prefix("vnumber") });
        const key = await store.writeSession(undefined, { a: 1 });
        for (const version of [1, 0, Number.NaN] as SessionVersion[]) {
          expect(store.writeSessionIfVersion(key, { a: 2 }, version)).toBeNull();
        }
        expect(await store.readSession(key)).toEqual({ a: 1 });
      });

      it("throws at once, naming the path, for data that does not survive JSON, and writes nothing", async () => {
        const store = versioned({ prefix: prefix("vjson") });
        const key = await store.writeSession(undefined, { a: 1 });
        const { version } = await read(store, key);
        expect(() => store.writeSessionIfVersion(key, { at: new Date() }, version)).toThrow(
          /session\.at: Date/,
        );
        expect(() => store.writeSessionIfVersion(key, [1] as never, version)).toThrow(/plain object/);
        // Even with a key of the wrong shape: the programmer's error comes first.
        expect(() => store.writeSessionIfVersion("bad", { big: 1n }, version)).toThrow(TypeError);
        expect(await admin.get(store.redisKey(key))).toBe(version);
      });

      it("rejects when Redis answers the script with an error, and changes nothing", async () => {
        const store = versioned({ prefix: prefix("verror") });
        const key = newSessionKey();
        await admin.hset(store.redisKey(key), "f", "v");
        await expect(store.writeSessionIfVersion(key, { a: 1 }, "{}")).rejects.toThrow(/WRONGTYPE/);
        expect(await admin.hgetall(store.redisKey(key))).toEqual({ f: "v" });
      });
    });

    it("leaves no timer behind after commands that answer in time", async () => {
      const p = prefix("timers");
      const store = redisStore({ client, prefix: p, timeoutMs: 60_000 });
      const touching = redisStore({ client, prefix: p, timeoutMs: 60_000, touch: true });
      const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
      const before = timers();
      // ROUNDS of each command: a timer left by any one of them would add ROUNDS (for a minute). The count
      // is process-wide, so the clients' and the runner's own timers may come and go by a few meanwhile.
      const ROUNDS = 20;
      for (let i = 0; i < ROUNDS; i++) {
        const key = await store.writeSession(undefined, { a: i });
        await store.writeSession(key, { a: i + 1 });
        await store.readSession(key);
        await touching.readSession(key);
        const { version } = (await store.readVersionedSession!(key))!;
        await store.writeSessionIfVersion!(key, { a: i + 2 }, version);
        await store.writeSessionIfVersion!(key, { a: i + 3 }, version);
        await store.deleteSession(key);
      }
      expect(timers()).toBeLessThan(before + ROUNDS / 2);
    });
  });

  it.each<ClientKind>(["node-redis", "ioredis"])(
    "keeps every law of checkSessionStore (%s)",
    async (kind) => {
      const client = await connect(kind);
      const p = prefix("laws");
      try {
        const result = await checkSessionStore(() => redisStore({ client, prefix: p }), {
          updateKeepsKey: true,
          minKeyBits: 250,
          numRuns: 50,
        });
        expect(result.keyBits).toBeGreaterThanOrEqual(250);
      } finally {
        closeClient(client);
      }
    },
  );

  it("sessions written through one client kind are read through the other", async () => {
    const p = prefix("interop");
    const a = await connectNodeRedis();
    const b = await connectIoredis();
    try {
      const viaNodeRedis = redisStore({ client: a, prefix: p });
      const viaIoredis = redisStore({ client: b, prefix: p });
      const key = await viaNodeRedis.writeSession(undefined, { from: "node-redis" });
      expect(await viaIoredis.readSession(key)).toEqual({ from: "node-redis" });
      await viaIoredis.writeSession(key, { from: "ioredis" });
      expect(await viaNodeRedis.readSession(key)).toEqual({ from: "ioredis" });
    } finally {
      closeClient(a);
      closeClient(b);
    }
  });

  it("reads replies that come as bytes (a node-redis client mapping strings to Buffers)", async () => {
    const p = prefix("bytes");
    const client = await connectNodeRedis();
    try {
      const bytes = client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
      const data = { name: "Zoë ✓", n: [1, 2] };
      for (const touch of [false, true]) {
        const store = redisStore({ client: bytes, prefix: p, touch });
        const key = await store.writeSession(undefined, data);
        expect(Buffer.isBuffer(await bytes.get(store.redisKey(key)))).toBe(true);
        expect(await store.readSession(key)).toEqual(data);
        // The version read as bytes is the very text Redis holds: a conditional write with it lands.
        const { version } = (await store.readVersionedSession!(key))!;
        expect(await store.writeSessionIfVersion!(key, { ...data, n: [3] }, version)).toBe(key);
        expect(await store.readSession(key)).toEqual({ ...data, n: [3] });
      }
      // Bytes that are not UTF-8 were not written by a store: they read as absent, reported, since their
      // lenient decoding (U+FFFD for each bad byte) is not the stored value.
      const store = redisStore({ client: bytes, prefix: p });
      const key = newSessionKey();
      await admin.set(
        store.redisKey(key),
        Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]),
      );
      for (const read of [store.readSession, store.readVersionedSession!]) {
        const { reports, context } = recorder();
        expect(await read(key, context)).toBeUndefined();
        expect(reports).toEqual([
          expect.objectContaining({ kind: "invalid-session", reason: "stored session is not UTF-8" }),
        ]);
      }
    } finally {
      closeClient(client);
    }
  });

  it("reads a reply that is not a string as absent, and reports it", async () => {
    // A RedisCommands object whose `get` sends another command: Redis answers with a number.
    const commands: RedisCommands = { ...ownCommands(admin), get: (key) => admin.strlen(key) as never };
    const store = redisStore({ client: commands, prefix: prefix("number") });
    const key = await store.writeSession(undefined, { a: 1 });
    const { reports, context } = recorder();
    expect(await store.readSession(key, context)).toBeUndefined();
    expect(reports).toEqual([
      expect.objectContaining({
        kind: "invalid-session",
        reason: "Redis answered with a number, not a string",
      }),
    ]);
  });

  it("turns a RedisCommands method that throws into a rejection, and leaves no timer", async () => {
    const broken = new Error("not connected");
    const commands: RedisCommands = {
      ...ownCommands(admin),
      get: () => {
        throw broken;
      },
    };
    const store = redisStore({ client: commands, prefix: prefix("throws"), timeoutMs: 60_000 });
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    const before = timers();
    for (let i = 0; i < 20; i++) await expect(store.readSession(newSessionKey())).rejects.toBe(broken);
    expect(timers()).toBeLessThan(before + 10);
  });

  it("a RedisCommands object without compareAndSet gives a store that is not versioned", async () => {
    const store = redisStore({ client: ownCommands(admin), prefix: prefix("unversioned") });
    expect(isVersionedStore(store)).toBe(false);
    expect("readVersionedSession" in store).toBe(false);
    expect("writeSessionIfVersion" in store).toBe(false);
    // Everything else as before: last write wins.
    const key = await store.writeSession(undefined, { n: 0 });
    expect(await store.writeSession(key, { n: 1 })).toBe(key);
    expect(await store.readSession(key)).toEqual({ n: 1 });
  });

  it("a RedisCommands object with compareAndSet on COMPARE_AND_SET_SCRIPT gives a versioned store", async () => {
    const commands: RedisCommands = {
      ...ownCommands(admin),
      compareAndSet: (key, expected, value, seconds) =>
        admin.eval(COMPARE_AND_SET_SCRIPT, 1, key, expected, value, seconds).then((n) => n === 1),
    };
    const store = redisStore({ client: commands, prefix: prefix("own-cas") });
    expect(isVersionedStore(store)).toBe(true);
    const key = await store.writeSession(undefined, { n: 0 });
    const { version } = (await store.readVersionedSession!(key))!;
    expect(await store.writeSessionIfVersion!(key, { n: 1 }, version)).toBe(key);
    expect(await store.writeSessionIfVersion!(key, { n: 2 }, version)).toBeNull();
    expect(await store.readSession(key)).toEqual({ n: 1 });
  });

  it("rejects when compareAndSet resolves to something other than a boolean", async () => {
    const commands: RedisCommands = {
      ...ownCommands(admin),
      // A mistake worth catching: Redis's integer reply passed through instead of a boolean.
      compareAndSet: (key, expected, value, seconds) =>
        admin.eval(COMPARE_AND_SET_SCRIPT, 1, key, expected, value, seconds) as never,
    };
    const store = redisStore({ client: commands, prefix: prefix("cas-reply") });
    const key = await store.writeSession(undefined, { n: 0 });
    const { version } = (await store.readVersionedSession!(key))!;
    await expect(store.writeSessionIfVersion!(key, { n: 1 }, version)).rejects.toThrow(
      /compareAndSet resolved to number, expected a boolean/,
    );
  });

  it("accepts a RedisCommands object of the user's own", async () => {
    const p = prefix("commands");
    const store = redisStore({ client: ownCommands(admin), prefix: p, touch: true, maxAge: 100 });
    const key = await store.writeSession(undefined, { a: 1 });
    expect(await store.readSession(key)).toEqual({ a: 1 });
    expect(await admin.ttl(store.redisKey(key))).toBeGreaterThan(90);
  });
});

describe.skipIf(!redisServerAvailable)("redisStore when Redis hangs or goes away", () => {
  let server: PrivateRedis;
  beforeAll(async () => {
    server = await privateRedis();
    await server.start();
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it.each<ClientKind>(["node-redis", "ioredis"])(
    "rejects with RedisTimeoutError after timeoutMs when Redis does not answer (%s)",
    async (kind) => {
      const client = await connect(kind, server.port);
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown) => unhandled.push(reason);
      process.on("unhandledRejection", onUnhandled);
      try {
        const store = redisStore({ client, timeoutMs: 200 });
        const key = await store.writeSession(undefined, { a: 1 });
        const { version } = (await store.readVersionedSession!(key))!;
        server.freeze();
        const started = Date.now();
        const results = await Promise.allSettled([
          store.readSession(key),
          store.writeSession(key, { a: 2 }),
          store.readVersionedSession!(key),
          store.writeSessionIfVersion!(key, { a: 3 }, version),
          store.deleteSession(key),
        ]);
        const elapsed = Date.now() - started;
        for (const result of results) {
          expect(result.status).toBe("rejected");
          expect((result as PromiseRejectedResult).reason).toBeInstanceOf(RedisTimeoutError);
        }
        // Without the timer they would wait for the thaw below; the upper bound leaves room for a busy machine.
        expect(elapsed).toBeGreaterThanOrEqual(190);
        expect(elapsed).toBeLessThan(5000);
        // The commands still complete once Redis wakes up, in order: once a new one has answered, the late
        // answers have come too, and were absorbed without an unhandled rejection.
        server.thaw();
        expect(await redisStore({ client }).readSession(newSessionKey())).toBeUndefined();
        await new Promise((resolve) => setImmediate(resolve));
        expect(unhandled).toEqual([]);
      } finally {
        server.thaw();
        process.off("unhandledRejection", onUnhandled);
        closeClient(client);
      }
    },
  );

  it.each<ClientKind>(["node-redis", "ioredis"])(
    "rejects at once while Redis is down and works again when it is back (%s)",
    async (kind) => {
      const client = await connect(kind, server.port);
      try {
        // A timeout far above the bound below: the failures must come from the client (configured as
        // docs/scaling.md advises), at once, not from the timer.
        const store = redisStore({ client, timeoutMs: 10_000 });
        const key = await store.writeSession(undefined, { a: 1 });
        await server.crash();
        const started = Date.now();
        await expect(store.readSession(key)).rejects.toThrow();
        await expect(store.writeSession(key, { a: 2 })).rejects.toThrow();
        expect(Date.now() - started).toBeLessThan(5000);

        await server.start();
        const deadline = Date.now() + 20_000;
        let data: unknown;
        for (;;) {
          try {
            data = await store.readSession(key);
            break;
          } catch (error) {
            if (Date.now() > deadline) throw error;
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
        }
        // Append-only persistence with fsync on every write: the session survived the crash.
        expect(data).toEqual({ a: 1 });
      } finally {
        closeClient(client);
      }
    },
    60_000,
  );
});

describe.skipIf(!redisServerAvailable)("redisStore on a Redis Cluster of three nodes", () => {
  let cluster: PrivateRedisCluster;
  beforeAll(async () => {
    cluster = await privateRedisCluster(3);
  }, 60_000);
  afterAll(async () => {
    await cluster?.dispose();
  });

  const clients = {
    "node-redis createCluster": async () => {
      const client = createCluster({
        rootNodes: [{ url: `redis://127.0.0.1:${cluster.nodes[0]!.port}` }],
        defaults: { socket: { connectTimeout: 1000 }, disableOfflineQueue: true },
      });
      client.on("error", () => {});
      await client.connect();
      return { client, close: () => client.destroy() };
    },
    "ioredis Cluster": async () => {
      const client = new Cluster([{ host: "127.0.0.1", port: cluster.nodes[0]!.port }], {
        lazyConnect: true,
        enableOfflineQueue: false,
      });
      client.on("error", () => {});
      await client.connect();
      return { client, close: () => client.disconnect() };
    },
  };

  it.each(Object.keys(clients) as (keyof typeof clients)[])(
    "is versioned through %s, each session's script on the node that owns its key",
    async (name) => {
      const { client, close } = await clients[name]();
      const p = uniquePrefix("cluster");
      const admins = await Promise.all(cluster.nodes.map((node) => connectIoredis(node.port)));
      try {
        const store = redisStore({ client, prefix: p, touch: true });
        expect(isVersionedStore(store)).toBe(true);
        const keys: string[] = [];
        for (let i = 0; i < 30; i++) {
          const key = await store.writeSession(undefined, { i });
          const { version } = (await store.readVersionedSession!(key))!;
          expect(await store.writeSessionIfVersion!(key, { i, n: 1 }, version)).toBe(key);
          expect(await store.writeSessionIfVersion!(key, { i, n: 2 }, version)).toBeNull();
          expect(await store.readSession(key)).toEqual({ i, n: 1 });
          keys.push(key);
        }
        // The sessions are spread over the three nodes (SHA-256 keys fall in every slot range), and each node
        // holds exactly the ones whose slots it owns: nothing was written on a node that does not own the key.
        const perNode = await Promise.all(admins.map((admin) => keysUnder(admin, p)));
        expect(perNode.every((held) => held.length > 0)).toBe(true);
        expect(perNode.flat().sort()).toEqual(keys.map((key) => store.redisKey(key)).sort());

        const { version } = (await store.readVersionedSession!(keys[0]!))!;
        await store.deleteSession(keys[0]!);
        expect(await store.writeSessionIfVersion!(keys[0]!, { n: 3 }, version)).toBeNull();
        expect((await Promise.all(admins.map((admin) => keysUnder(admin, p)))).flat()).toHaveLength(29);
      } finally {
        close();
        for (const admin of admins) closeClient(admin);
      }
    },
    30_000,
  );
});

describe("redisStore options", () => {
  // A real client that never connects: validation needs no server.
  const client = new Redis({ lazyConnect: true });
  afterAll(() => client.disconnect());

  it("has documented defaults", () => {
    const store = redisStore({ client });
    expect(store.prefix).toBe("ringlet:sess:");
    expect(store.maxAge).toBe(86_400);
  });

  it.each([
    [{ client: {} }, /option "client": expected a node-redis client, an ioredis client or a RedisCommands/],
    [{}, /option "client": expected .* \(got undefined\)/],
    [{ client, prefix: 1 }, /option "prefix": expected a string \(got 1\)/],
    [{ client, maxAge: 0 }, /option "maxAge": expected an integer number of seconds from 1 to \d+ \(got 0\)/],
    [{ client, maxAge: 1.5 }, /option "maxAge": expected an integer number of seconds/],
    [{ client, maxAge: "60" }, /option "maxAge": expected an integer number of seconds .*\(got a string\)/],
    [{ client, maxAge: 2 ** 31 }, /option "maxAge"/],
    [{ client, touch: "yes" }, /option "touch": expected a boolean \(got a string\)/],
    [{ client, timeoutMs: -1 }, /option "timeoutMs": expected an integer number of milliseconds/],
    [{ client, ttl: 5 }, /redisStore: unknown option "ttl"/],
  ])("throws at construction for %o", (options, message) => {
    expect(() => redisStore(options as never)).toThrow(message);
  });

  it("throws for options that are not an object", () => {
    expect(() => redisStore(undefined as never)).toThrow(/redisStore: options must be an object/);
  });
});
