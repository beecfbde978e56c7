// The versioned Redis store's conditional write (one Lua script) when Redis fails under it: a private
// redis-server (append-only, fsync on every write) is frozen or crashed while conditional writes are in
// flight. Each such write must reject (a store failure, 503 through wrapSession), and afterwards every
// session must hold its old JSON or its new JSON, with its lifetime: never a mix, never a key without a TTL.
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { response } from "../../src/core/response.js";
import { type RedisStore, RedisTimeoutError, redisStore } from "../../src/redis/index.js";
import { SessionStoreError } from "../../src/session/errors.js";
import { isVersionedStore, type SessionReport, type VersionedSessionStore } from "../../src/session/store.js";
import { wrapSession } from "../../src/session/wrap-session.js";
import { mockRequest } from "../../src/testing/mock-request.js";
import {
  type ClientKind,
  closeClient,
  connect,
  connectIoredis,
  type PrivateRedis,
  privateRedis,
  redisServerAvailable,
  uniquePrefix,
} from "./redis-env.js";

type Data = { n: number; pad?: string };

function versioned(store: RedisStore<Data>): RedisStore<Data> & VersionedSessionStore<Data> {
  if (!isVersionedStore(store)) throw new Error("redisStore is not versioned");
  return store;
}

/** Retry `operation` until it stops rejecting (a client reconnecting in the background), for up to 20 s. */
async function eventually<T>(operation: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      return await operation();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

describe.skipIf(!redisServerAvailable)("conditional writes when Redis hangs or crashes", () => {
  let server: PrivateRedis;
  beforeAll(async () => {
    server = await privateRedis();
    await server.start();
  });
  afterAll(async () => {
    await server?.dispose();
  });

  describe.each<ClientKind>(["node-redis", "ioredis"])("with a %s client", (kind) => {
    it("rejects with RedisTimeoutError while Redis hangs; the session is then the old or the new JSON", async () => {
      const client = await connect(kind, server.port);
      const admin: Redis = await connectIoredis(server.port);
      const prefix = uniquePrefix("versioned-freeze");
      try {
        const store = versioned(redisStore<Data>({ client, prefix, timeoutMs: 200, maxAge: 600 }));
        const key = await store.writeSession(undefined, { n: 1 });
        const read = await store.readVersionedSession(key);
        const before = JSON.stringify({ n: 1 });
        const after = JSON.stringify({ n: 2 });
        expect(read?.version).toBe(before);

        server.freeze();
        let outcome: PromiseSettledResult<string | null>;
        try {
          outcome = (
            await Promise.allSettled([store.writeSessionIfVersion(key, { n: 2 }, read!.version)])
          )[0]!;
        } finally {
          server.thaw();
        }
        expect(outcome.status).toBe("rejected");
        const reason = (outcome as PromiseRejectedResult).reason as RedisTimeoutError;
        expect(reason).toBeInstanceOf(RedisTimeoutError);
        expect(reason.command).toBe("EVAL");

        // Once an answer to a later command has come, the script sent before it has run (or never will).
        const stored = await eventually(() => admin.get(store.redisKey(key)));
        expect([before, after]).toContain(stored);
        expect(await admin.ttl(store.redisKey(key))).toBeGreaterThan(0);
        // And the store agrees with what Redis holds: the old version wins again only if nothing landed.
        const again = await store.writeSessionIfVersion(key, { n: 3 }, read!.version);
        expect(again).toBe(stored === before ? key : null);
      } finally {
        closeClient(client);
        closeClient(admin);
      }
    });

    it("through wrapSession: Redis hanging during the conditional write gives 503, reported, and no cookie", async () => {
      const client = await connect(kind, server.port);
      const admin: Redis = await connectIoredis(server.port);
      const prefix = uniquePrefix("versioned-503");
      try {
        const store = versioned(redisStore<Data>({ client, prefix, timeoutMs: 200, maxAge: 600 }));
        const key = await store.writeSession(undefined, { n: 1 });
        const reports: SessionReport[] = [];
        const app = wrapSession<Data>(
          (req) => {
            // Redis stops answering after the read, before the write.
            server.freeze();
            return { ...response("ok"), session: { n: (req.session.n ?? 0) + 1 } };
          },
          { store, onError: (report) => reports.push(report) },
        );
        let error: unknown;
        try {
          await app(mockRequest("GET", "/", { headers: { cookie: `ring-session=${key}` } }));
        } catch (caught) {
          error = caught;
        } finally {
          server.thaw();
        }
        expect(error).toBeInstanceOf(SessionStoreError);
        expect(error).toMatchObject({ status: 503, operation: "writeSession" });
        expect(reports.map((r) => r.kind)).toEqual(["store-failure"]);
        const stored = await eventually(() => admin.get(store.redisKey(key)));
        expect([JSON.stringify({ n: 1 }), JSON.stringify({ n: 2 })]).toContain(stored);
      } finally {
        closeClient(client);
        closeClient(admin);
      }
    });

    it("rejects or lands while Redis crashes; after the restart each session is its old or its new JSON", async () => {
      const client = await connect(kind, server.port);
      const prefix = uniquePrefix("versioned-crash");
      const SESSIONS = 40;
      // A value of a few kilobytes, so that the writes in flight are not all one packet that either
      // arrives whole or not at all.
      const pad = "x".repeat(4000);
      let admin: Redis | undefined;
      try {
        const store = versioned(redisStore<Data>({ client, prefix, timeoutMs: 5000, maxAge: 600 }));
        const keys: string[] = [];
        for (let i = 0; i < SESSIONS; i++) keys.push(await store.writeSession(undefined, { n: 0, pad }));
        const reads = await Promise.all(keys.map((key) => store.readVersionedSession(key)));
        const old = JSON.stringify({ n: 0, pad });
        const next = (i: number) => ({ n: i + 1, pad });
        for (const read of reads) expect(read?.version).toBe(old);

        const writes = Promise.allSettled(
          keys.map((key, i) => store.writeSessionIfVersion(key, next(i), reads[i]!.version)),
        );
        await server.crash();
        const outcomes = await writes;
        // Every write settles: none hangs on the dead connection (the timeout is far above what this takes).
        for (const outcome of outcomes) {
          if (outcome.status === "fulfilled") expect(outcome.value).not.toBeNull();
        }

        await server.start();
        admin = await connectIoredis(server.port);
        for (const [i, key] of keys.entries()) {
          const redisKey = store.redisKey(key);
          const stored = await admin.get(redisKey);
          const written = JSON.stringify(next(i));
          // fsync before each answer: a write that was acknowledged survived the crash.
          if (outcomes[i]!.status === "fulfilled") expect(stored).toBe(written);
          else expect([old, written]).toContain(stored);
          expect(await admin.ttl(redisKey)).toBeGreaterThan(0);
        }

        // The store works again once its client has reconnected, versioned as before.
        const read = await eventually(async () => (await store.readVersionedSession(keys[0]!))!);
        expect(await store.writeSessionIfVersion(keys[0]!, { n: 99 }, read.version)).toBe(keys[0]);
        expect(await store.readSession(keys[0]!)).toEqual({ n: 99 });
      } finally {
        closeClient(client);
        if (admin !== undefined) closeClient(admin);
      }
    }, 60_000);
  });
});
