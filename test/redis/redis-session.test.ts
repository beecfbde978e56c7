// redisStore behind wrapSession and the real Node adapter, with a real cookie jar: the Ring counter, login,
// logout, and what reaches `onError` (a cookie of the wrong shape, a value in Redis that is not a session,
// a failing Redis) while the client sees an empty session or a 503.
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { type RunningServer, serve } from "../../src/adapters/node.js";
import type { Response } from "../../src/core/types.js";
import { redisStore } from "../../src/redis/index.js";
import { type SessionSchema, wrapSession } from "../../src/session/index.js";
import type { SessionReport } from "../../src/session/store.js";
import { Browser } from "./cluster.js";
import {
  type ClientKind,
  closeClient,
  connect,
  connectIoredis,
  connectNodeRedis,
  deleteKeysUnder,
  hashedKey,
  keysUnder,
  redisUp,
  uniquePrefix,
} from "./redis-env.js";

type Session = { count?: number; user?: string };

const text = (body: string): Response => ({ status: 200, headers: { "content-type": "text/plain" }, body });

function app(
  store: ReturnType<typeof redisStore<Session>>,
  reports: SessionReport[],
  schema?: SessionSchema<Session>,
) {
  return wrapSession<Session>(
    (request) => {
      switch (request.uri) {
        case "/counter": {
          const count = request.session.count ?? 0;
          return { ...text(`count=${count}`), session: { ...request.session, count: count + 1 } };
        }
        case "/login":
          return { ...text("ok"), session: { ...request.session, user: "ada" }, recreateSession: true };
        case "/logout":
          return { ...text("bye"), session: null };
        default:
          return text(`user=${request.session.user ?? ""} count=${request.session.count ?? ""}`);
      }
    },
    { store, schema, onError: (report) => void reports.push(report) },
  );
}

describe.skipIf(!redisUp)("redisStore through wrapSession and serve()", () => {
  let admin: Redis;
  const prefixes: string[] = [];
  const servers: RunningServer[] = [];

  beforeAll(async () => {
    admin = await connectIoredis();
  });
  afterAll(async () => {
    for (const server of servers) await server.close();
    for (const prefix of prefixes) await deleteKeysUnder(admin, prefix);
    closeClient(admin);
  });

  async function start(
    client: Parameters<typeof redisStore>[0]["client"],
    { touch = false, schema }: { touch?: boolean; schema?: SessionSchema<Session> } = {},
  ) {
    const prefix = uniquePrefix("http");
    prefixes.push(prefix);
    const store = redisStore<Session>({ client, prefix, maxAge: 600, touch });
    const reports: SessionReport[] = [];
    const failures: unknown[] = [];
    const server = await serve(app(store, reports, schema), {
      port: 0,
      onError: (error) => void failures.push(error),
    });
    servers.push(server);
    return { url: server.url, store, prefix, reports, failures };
  }

  describe.each<ClientKind>(["node-redis", "ioredis"])("with %s", (kind) => {
    let client: Awaited<ReturnType<typeof connect>>;
    beforeAll(async () => {
      client = await connect(kind);
    });
    afterAll(() => closeClient(client));

    it("counts 0, 1, 2 …, logs in under a new id, and logs out for good", async () => {
      const { url, prefix, reports } = await start(client);
      const browser = new Browser();
      for (let n = 0; n < 3; n++) expect((await browser.get(url, "/counter")).body).toBe(`count=${n}`);
      const first = (await browser.sessionCookie(url))!;
      expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(await keysUnder(admin, prefix)).toEqual([hashedKey(prefix, first)]);
      expect(JSON.parse((await admin.get(hashedKey(prefix, first)))!)).toEqual({ count: 3 });

      await browser.get(url, "/login");
      const second = (await browser.sessionCookie(url))!;
      expect(second).not.toBe(first);
      expect(await keysUnder(admin, prefix)).toEqual([hashedKey(prefix, second)]);
      expect((await browser.get(url, "/whoami")).body).toBe("user=ada count=3");

      await browser.get(url, "/logout");
      expect(await browser.sessionCookie(url)).toBeUndefined();
      expect(await keysUnder(admin, prefix)).toEqual([]);
      expect((await browser.get(url, "/counter")).body).toBe("count=0");
      expect(reports).toEqual([]);
    });

    it("treats a value in Redis that is not a session as no session, reports it, and never adopts the key", async () => {
      const { url, store, reports } = await start(client);
      const browser = new Browser();
      await browser.get(url, "/counter");
      const id = (await browser.sessionCookie(url))!;
      await admin.set(store.redisKey(id), "{ broken", "KEEPTTL");

      expect((await browser.get(url, "/counter")).body).toBe("count=0");
      expect(reports).toEqual([expect.objectContaining({ kind: "invalid-session" })]);
      const next = (await browser.sessionCookie(url))!;
      expect(next).not.toBe(id);
      expect((await browser.get(url, "/counter")).body).toBe("count=1");
    });

    it("treats JSON in Redis that fails the schema as no session, and reports the path", async () => {
      const schema = z.strictObject({ count: z.number().int().optional(), user: z.string().optional() });
      const { url, store, reports } = await start(client, { schema });
      const browser = new Browser();
      await browser.get(url, "/counter");
      const id = (await browser.sessionCookie(url))!;
      await admin.set(store.redisKey(id), JSON.stringify({ count: "three" }), "KEEPTTL");

      expect((await browser.get(url, "/whoami")).body).toBe("user= count=");
      expect(reports).toEqual([
        expect.objectContaining({
          kind: "invalid-session",
          reason: expect.stringMatching(/^session\.count: /),
        }),
      ]);
      // The key is not adopted: the next write gets a new one, and then the bad value is never read again.
      expect((await browser.get(url, "/counter")).body).toBe("count=0");
      expect(await browser.sessionCookie(url)).not.toBe(id);
      expect((await browser.get(url, "/counter")).body).toBe("count=1");
      expect(reports).toHaveLength(2);
    });

    it("reports a cookie of the wrong shape and starts an empty session", async () => {
      const { url, reports } = await start(client);
      const response = await fetch(`${url}/whoami`, { headers: { cookie: "ring-session=../../etc/passwd" } });
      expect(await response.text()).toBe("user= count=");
      expect(reports).toEqual([expect.objectContaining({ kind: "rejected-cookie" })]);
    });

    it("with touch, a request that only reads extends the session's lifetime", async () => {
      const { url, store } = await start(client, { touch: true });
      const browser = new Browser();
      await browser.get(url, "/counter");
      const key = store.redisKey((await browser.sessionCookie(url))!);
      await admin.expire(key, 20);
      const response = await browser.get(url, "/whoami");
      expect(response.body).toBe("user= count=1");
      expect(await admin.ttl(key)).toBeGreaterThan(590);
    });
  });

  it("answers 503, with no Set-Cookie, and tells both onError hooks when Redis fails", async () => {
    const broken = await connectNodeRedis();
    const { url, reports, failures } = await start(broken);
    const browser = new Browser();
    expect((await browser.get(url, "/counter")).body).toBe("count=0");
    broken.destroy(); // the connection is gone: every command now rejects

    const response = await browser.get(url, "/counter");
    expect(response.status).toBe(503);
    expect(response.body).not.toMatch(/closed|redis/i);
    // A new session that cannot be written: 503, and no Set-Cookie for it.
    const fresh = await fetch(`${url}/counter`);
    expect(fresh.status).toBe(503);
    expect(fresh.headers.getSetCookie()).toEqual([]);
    expect(reports.map((r) => r.kind)).toEqual(["store-failure", "store-failure"]);
    expect(failures).toEqual([
      expect.objectContaining({ name: "SessionStoreError", status: 503, operation: "readSession" }),
      expect.objectContaining({ name: "SessionStoreError", status: 503, operation: "writeSession" }),
    ]);
  });
});
