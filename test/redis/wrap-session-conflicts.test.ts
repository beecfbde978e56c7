// Issue 15 through the real Node adapter and a real Redis: two ringlet processes (one node-redis, one
// ioredis) serve 32 concurrent requests of one session between them. Each handler waits before answering,
// so the requests overlap and most writes meet a concurrent one. A store without the versioned methods (the
// same Redis store, hidden) shows the loss the other tests rule out.
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  closeClient,
  connectIoredis,
  deleteKeysUnder,
  killOnExit,
  redisUp,
  uniquePrefix,
} from "./redis-env.js";

const SERVER = fileURLToPath(new URL("./conflict-server.ts", import.meta.url));
const N = 32;

interface Process {
  readonly child: ChildProcess;
  readonly url: string;
}

function start(env: Record<string, string>): Promise<Process> {
  const child = fork(SERVER, [], {
    execArgv: ["--import", "tsx"],
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit", "ipc"],
  });
  killOnExit(child);
  return new Promise((resolve, reject) => {
    let output = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const url = /READY (\S+)/.exec(output)?.[1];
      if (url !== undefined) resolve({ child, url: url.replace(/\/$/, "") });
    });
    child.once("exit", (code) => reject(new Error(`conflict-server exited (${code}) before READY`)));
  });
}

describe.skipIf(!redisUp)(
  "wrapSession over Redis, two processes, 32 concurrent requests of one session",
  () => {
    const prefix = uniquePrefix("conflicts");
    let admin: Redis;
    let running: Process[] = [];

    beforeAll(async () => {
      admin = await connectIoredis();
    });

    afterEach(() => {
      for (const p of running) p.child.kill();
      running = [];
    });

    afterAll(async () => {
      if (admin !== undefined) {
        await deleteKeysUnder(admin, prefix);
        closeClient(admin);
      }
    });

    /** Two processes with these settings; one session made on the first; N requests alternating; the result. */
    async function run(path: "own" | "increment", env: Record<string, string>) {
      running = await Promise.all(
        (["node-redis", "ioredis"] as const).map((client) =>
          start({ REDIS_CLIENT: client, REDIS_PREFIX: prefix, WAIT_MS: "40", ...env }),
        ),
      );
      const [a, b] = running as [Process, Process];
      const started = await fetch(`${a.url}/start`);
      const cookie = started.headers.getSetCookie()[0]!.split(";")[0]!;
      const answers = await Promise.all(
        Array.from({ length: N }, async (_, i) => {
          const res = await fetch(`${(i % 2 === 0 ? a : b).url}/${path}?i=${i}`, { headers: { cookie } });
          return { status: res.status, text: await res.text() };
        }),
      );
      const final = JSON.parse(await (await fetch(`${b.url}/show`, { headers: { cookie } })).text());
      return { answers, final: final as Record<string, unknown> };
    }

    const ownKeys = (final: Record<string, unknown>) => Object.keys(final).filter((k) => /^k\d+$/.test(k));

    it("keeps all 32 keys with the default (merge), written by both processes", async () => {
      const { answers, final } = await run("own", {});
      expect(answers.every((a) => a.status === 200)).toBe(true);
      expect(ownKeys(final)).toHaveLength(N);
      expect(new Set(ownKeys(final).map((k) => final[k])).size).toBe(2);
      expect(final.started).toBe(true);
    }, 60_000);

    it("loses keys when the store is not versioned (the test detects loss)", async () => {
      const { final } = await run("own", { VERSIONED: "0" });
      expect(ownKeys(final).length).toBeLessThan(N);
    }, 60_000);

    it('counts exactly 32 with onConflict "retry", each response a distinct count', async () => {
      const { answers, final } = await run("increment", { ON_CONFLICT: "retry", MAX_ATTEMPTS: String(N) });
      expect(answers.every((a) => a.status === 200)).toBe(true);
      expect(final.count).toBe(N);
      expect(answers.map((a) => Number(a.text)).sort((x, y) => x - y)).toEqual(
        Array.from({ length: N }, (_, i) => i + 1),
      );
    }, 60_000);

    it('with onConflict "reject" the count equals the 200s, and the rest are 409', async () => {
      const { answers, final } = await run("increment", { ON_CONFLICT: "reject" });
      const ok = answers.filter((a) => a.status === 200).length;
      expect(answers.filter((a) => a.status === 409)).toHaveLength(N - ok);
      expect(N - ok).toBeGreaterThan(0);
      expect(final.count).toBe(ok);
    }, 60_000);
  },
);
