// Redis fails under two ringlet processes (one on node-redis, one on ioredis): the test runs its own
// redis-server (append-only, fsync on every write), crashes it in the middle of traffic, restarts it, and
// also freezes it. Requests must get a quick 503, the processes must stay up, no session may be corrupted,
// and everything must work again after Redis is back, with no restart of ringlet.
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Browser, type Cluster, startCluster } from "./cluster.js";
import {
  closeClient,
  connectIoredis,
  hashedKey,
  keysUnder,
  type PrivateRedis,
  privateRedis,
  redisServerAvailable,
  uniquePrefix,
} from "./redis-env.js";

const CLIENTS = 10;
const REDIS_TIMEOUT_MS = 500;
// How long a failing request may take: the store's timeout, plus room for a machine under load (CI runs every
// test file at once on two cores). Without the timeout, a request to a frozen Redis would never end.
const FAIL_WITHIN_MS = REDIS_TIMEOUT_MS + 4500;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Client {
  readonly browser: Browser;
  readonly user: string;
  /** The count the last answered /counter request stored: the next one must show this. */
  count: number;
  /** 503s seen; the request in flight when Redis died may have been saved although it failed. */
  failed: number;
  slowestFailureMs: number;
  requests: number;
}

describe.skipIf(!redisServerAvailable)("Redis crashing and hanging under two ringlet processes", () => {
  const prefix = uniquePrefix("fault");
  let redis: PrivateRedis;
  let cluster: Cluster;
  let urls: string[];
  let pids: number[];
  const clients: Client[] = [];

  beforeAll(async () => {
    redis = await privateRedis();
    await redis.start();
    cluster = await startCluster({
      processes: 2,
      prefix,
      redisUrl: `redis://127.0.0.1:${redis.port}`,
      redisTimeoutMs: REDIS_TIMEOUT_MS,
    });
    urls = cluster.members.map((m) => m.url);
    pids = cluster.members.map((m) => m.pid);
  }, 150_000);

  afterAll(async () => {
    await cluster?.stop();
    await redis?.dispose();
  });

  const counter = async (client: Client) => {
    const url = urls[client.requests++ % urls.length]!;
    const started = performance.now();
    const response = await client.browser.get(url, "/counter");
    return { ...response, ms: performance.now() - started };
  };

  it("serves sessions written before the outage", async () => {
    for (let c = 0; c < CLIENTS; c++) {
      const client: Client = {
        browser: new Browser(),
        user: `user${c}`,
        count: 0,
        failed: 0,
        slowestFailureMs: 0,
        requests: 0,
      };
      expect((await client.browser.get(urls[c % 2]!, `/login?user=${client.user}`)).status).toBe(200);
      for (let i = 0; i < 3; i++) {
        expect((await counter(client)).body).toBe(`count=${client.count}`);
        client.count++;
      }
      clients.push(client);
    }
  });

  it("answers 503 quickly when Redis crashes mid-traffic, and the processes stay up", async () => {
    let crashed = false;
    const traffic = Promise.all(
      clients.map(async (client) => {
        // Until each client has seen three failures after the crash.
        let failuresAfterCrash = 0;
        while (failuresAfterCrash < 3) {
          const r = await counter(client);
          if (r.status === 200) {
            expect(r.body).toBe(`count=${client.count}`);
            client.count++;
            continue;
          }
          expect({ status: r.status, crashed }).toEqual({ status: 503, crashed: true });
          // The adapter does not show the store's error to the client.
          expect(r.body).not.toMatch(/redis|ECONNREFUSED|closed/i);
          client.failed++;
          client.slowestFailureMs = Math.max(client.slowestFailureMs, r.ms);
          failuresAfterCrash++;
        }
      }),
    );
    await sleep(300);
    crashed = true;
    await redis.crash();
    await traffic;

    for (const client of clients) {
      expect(client.failed).toBeGreaterThanOrEqual(3);
      expect(client.slowestFailureMs).toBeLessThan(FAIL_WITHIN_MS);
    }
    // Both processes are alive and serve what needs no session.
    for (const [i, url] of urls.entries()) {
      expect(() => process.kill(pids[i]!, 0)).not.toThrow();
      const health = await fetch(`${url}/health`);
      expect(health.status).toBe(200);
      expect(Number(health.headers.get("x-ringlet-pid"))).toBe(pids[i]);
    }
  }, 60_000);

  it("works again once Redis is back, with the sessions from before the crash intact", async () => {
    await redis.start();
    for (const client of clients) {
      // Both clients reconnect in the background; poll each process until it answers.
      for (const url of urls) {
        const deadline = Date.now() + 30_000;
        let r = await client.browser.get(url, "/whoami");
        while (r.status === 503 && Date.now() < deadline) {
          await sleep(100);
          r = await client.browser.get(url, "/whoami");
        }
        expect(r).toMatchObject({ status: 200, body: `user=${client.user}` });
        expect(pids).toContain(r.pid);
      }
      // The request in flight at the crash failed, but its write may have reached the disk first:
      // the count is the last one answered, or one more. Never anything else.
      const r = await counter(client);
      expect(r.status).toBe(200);
      const shown = Number(/^count=(\d+)$/.exec(r.body)?.[1]);
      expect([client.count, client.count + 1]).toContain(shown);
      client.count = shown + 1;
      for (let i = 0; i < 4; i++) {
        expect((await counter(client)).body).toBe(`count=${client.count}`);
        client.count++;
      }
    }

    // Redis holds only whole sessions: each is a JSON object with exactly the keys the app writes.
    const admin: Redis = await connectIoredis(redis.port);
    try {
      const values = await Promise.all(
        clients.map(async (client) => {
          const id = (await client.browser.sessionCookie(urls[0]!))!;
          const stored = await admin.get(hashedKey(prefix, id));
          return JSON.parse(stored!) as unknown;
        }),
      );
      values.forEach((value, i) => {
        expect(value).toEqual({ user: clients[i]!.user, count: clients[i]!.count });
      });
      // And every key written through the outage still has its lifetime: value and TTL went in one SET.
      const keys = await keysUnder(admin, prefix);
      expect(keys.length).toBeGreaterThanOrEqual(CLIENTS);
      for (const key of keys) expect(await admin.ttl(key)).toBeGreaterThan(0);
    } finally {
      closeClient(admin);
    }

    // New sessions work on both processes.
    const fresh = new Browser();
    expect((await fresh.get(urls[0]!, "/counter")).body).toBe("count=0");
    expect((await fresh.get(urls[1]!, "/counter")).body).toBe("count=1");
  }, 90_000);

  it("answers 503 after the timeout while Redis hangs, and recovers when it wakes up", async () => {
    const client = clients[0]!;
    redis.freeze();
    try {
      for (const url of urls) {
        const started = performance.now();
        const r = await client.browser.get(url, "/whoami");
        const ms = performance.now() - started;
        expect(r.status).toBe(503);
        expect(ms).toBeGreaterThanOrEqual(REDIS_TIMEOUT_MS - 50);
        expect(ms).toBeLessThan(FAIL_WITHIN_MS);
      }
    } finally {
      redis.thaw();
    }
    for (const url of urls) {
      expect(await client.browser.get(url, "/whoami")).toMatchObject({
        status: 200,
        body: `user=${client.user}`,
      });
    }
    expect((await counter(client)).body).toBe(`count=${client.count}`);
  }, 30_000);
});
