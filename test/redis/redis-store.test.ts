import fc from "fast-check";
import { Redis } from "ioredis";
import { RESP_TYPES } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RedisCommands, RedisTimeoutError, redisStore } from "../../src/redis/index.js";
import { isSessionKeyShape, newSessionKey } from "../../src/session/keys.js";
import type { SessionReport } from "../../src/session/store.js";
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
  privateRedis,
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
      closeClient(closed);
      const operations = [
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
        server.freeze();
        const started = Date.now();
        const results = await Promise.allSettled([
          store.readSession(key),
          store.writeSession(key, { a: 2 }),
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
