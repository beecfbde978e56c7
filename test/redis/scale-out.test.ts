// Several ringlet processes (examples/redis-cluster.ts) share one Redis; browser-like clients alternate
// between them. Every client's counter must be exact, and a login or logout on one process must be seen by
// all: the processes hold nothing of a session between requests.
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Browser, type Cluster, startCluster } from "./cluster.js";
import {
  closeClient,
  connectIoredis,
  deleteKeysUnder,
  hashedKey,
  keysUnder,
  redisUp,
  uniquePrefix,
} from "./redis-env.js";

const PROCESSES = 3;
const CLIENTS = 24;
const ROUNDS = 2; // each client visits every process this many times per phase

describe.skipIf(!redisUp)("three ringlet processes sharing one Redis", () => {
  const prefix = uniquePrefix("scale-out");
  let cluster: Cluster;
  let admin: Redis;
  let urls: string[];

  beforeAll(async () => {
    admin = await connectIoredis();
    cluster = await startCluster({ processes: PROCESSES, prefix });
    urls = cluster.members.map((m) => m.url);
  }, 150_000);

  afterAll(async () => {
    await cluster?.stop();
    if (admin !== undefined) {
      await deleteKeysUnder(admin, prefix);
      closeClient(admin);
    }
  });

  it("runs node-redis and ioredis processes, each its own pid", () => {
    expect(new Set(cluster.members.map((m) => m.pid)).size).toBe(PROCESSES);
    expect(cluster.members.map((m) => m.client).sort()).toEqual(["ioredis", "node-redis", "node-redis"]);
  });

  it("keeps every client's session exact while its requests alternate between processes", async () => {
    const outcomes = await Promise.all(
      Array.from({ length: CLIENTS }, async (_, c) => {
        const browser = new Browser();
        const user = `user${c}`;
        const at = (i: number) => urls[(c + i) % PROCESSES]!;
        let count = 0;
        const pids = new Set<number>();

        // A counter that each process continues where another left off.
        for (let i = 0; i < PROCESSES * ROUNDS; i++) {
          const r = await browser.get(at(i), "/counter");
          expect(r).toMatchObject({ status: 200, body: `count=${count}` });
          pids.add(r.pid);
          count++;
        }
        expect(pids.size).toBe(PROCESSES);

        // Log in on one process: every process knows the user, under a new session id.
        const before = await browser.sessionCookie(at(0));
        expect((await browser.get(at(0), `/login?user=${user}`)).body).toBe(`user=${user}`);
        const after = await browser.sessionCookie(at(0));
        expect(after).not.toBe(before);
        for (let i = 0; i < PROCESSES; i++) {
          expect((await browser.get(at(i), "/whoami")).body).toBe(`user=${user}`);
        }
        // The id from before the login is dead everywhere (session fixation defence).
        const stale = await fetch(`${at(1)}/whoami`, { headers: { cookie: `ring-session=${before}` } });
        expect(await stale.text()).toBe("user=");

        for (let i = 0; i < PROCESSES * ROUNDS; i++) {
          expect((await browser.get(at(i), "/counter")).body).toBe(`count=${count}`);
          count++;
        }

        // Log out on another process: no process knows the user any more, and the old id is dead.
        expect((await browser.get(at(2), "/logout")).body).toBe("user=");
        expect(await browser.sessionCookie(at(0))).toBeUndefined();
        for (let i = 0; i < PROCESSES; i++) {
          expect((await browser.get(at(i), "/whoami")).body).toBe("user=");
          const replay = await fetch(`${at(i)}/whoami`, { headers: { cookie: `ring-session=${after}` } });
          expect(await replay.text()).toBe("user=");
        }

        // A new session starts from zero, on any process.
        expect((await browser.get(at(1), "/counter")).body).toBe("count=0");
        expect((await browser.get(at(2), "/counter")).body).toBe("count=1");
        return { user, id: (await browser.sessionCookie(at(0)))!, count: 2 };
      }),
    );

    // Redis holds exactly one session per client, under the hash of its id, with the data it should hold.
    const keys = await keysUnder(admin, prefix);
    expect(keys.length).toBe(CLIENTS);
    for (const { id, count } of outcomes) {
      const key = hashedKey(prefix, id);
      expect(keys).toContain(key);
      expect(JSON.parse((await admin.get(key))!)).toEqual({ count });
      expect(keys.join("\n")).not.toContain(id);
    }
  }, 120_000);
});
