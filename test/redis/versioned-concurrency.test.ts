// The versioned Redis store under real concurrency: two OS processes, each with its own Redis connection
// (one node-redis, one ioredis), increment one session's counter with read-modify-write loops at the same
// time. With the conditional write (one Lua script) no increment is lost, and conflicts did happen; with
// plain writes (last write wins) increments are lost, which shows that the test can see a loss.
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisStore } from "../../src/redis/index.js";
import type { IncrementTally } from "./increment-worker.js";
import {
  type ClientKind,
  closeClient,
  connectIoredis,
  deleteKeysUnder,
  killOnExit,
  redisUp,
  uniquePrefix,
} from "./redis-env.js";

const WORKER = fileURLToPath(new URL("./increment-worker.ts", import.meta.url));
// Per process. Each increment is two round trips to Redis, so two loops of this length overlap for long
// enough that their reads and writes interleave many times over (the assertions below check that they did).
const INCREMENTS = 300;
const CLIENTS: readonly ClientKind[] = ["node-redis", "ioredis"];

interface Worker {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  readonly done: Promise<IncrementTally>;
}

function startWorker(kind: ClientKind, mode: "versioned" | "plain", prefix: string, key: string): Worker {
  const child = fork(WORKER, [], {
    execArgv: ["--import", "tsx"],
    env: {
      ...process.env,
      INCREMENT_CLIENT: kind,
      INCREMENT_MODE: mode,
      INCREMENT_PREFIX: prefix,
      INCREMENT_KEY: key,
      INCREMENT_COUNT: String(INCREMENTS),
    },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  killOnExit(child);
  let readied: () => void = () => {};
  let finished: (tally: IncrementTally) => void = () => {};
  let failed: (error: Error) => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    readied = resolve;
    child.once("close", (code, signal) => reject(new Error(`worker exited (${signal ?? code}) too early`)));
  });
  const done = new Promise<IncrementTally>((resolve, reject) => {
    finished = resolve;
    failed = reject;
    // "close", not "exit": it comes after the IPC channel has delivered every message the worker sent.
    child.once("close", (code, signal) => reject(new Error(`worker exited (${signal ?? code}) early`)));
  });
  child.on("message", (message: { tally?: IncrementTally; error?: string } | "ready") => {
    if (message === "ready") readied();
    else if (message.error !== undefined) failed(new Error(`worker (${kind}): ${message.error}`));
    else if (message.tally !== undefined) finished(message.tally);
  });
  // Both are awaited by the test; these keep an early exit from also being an unhandled rejection.
  ready.catch(() => {});
  done.catch(() => {});
  return { child, ready, done };
}

/** Start one worker per client kind on one session holding `{ count: 0 }`, and run them together. */
async function race(mode: "versioned" | "plain", prefix: string, admin: Redis) {
  const store = redisStore<{ count: number }>({ client: admin, prefix });
  const key = await store.writeSession(undefined, { count: 0 });
  const workers = CLIENTS.map((kind) => startWorker(kind, mode, prefix, key));
  try {
    await Promise.all(workers.map((w) => w.ready));
    for (const w of workers) w.child.send("go");
    const tallies = await Promise.all(workers.map((w) => w.done));
    const final = await store.readSession(key);
    return { tallies, final: final?.count };
  } finally {
    for (const w of workers) if (w.child.exitCode === null) w.child.kill("SIGKILL");
  }
}

describe.skipIf(!redisUp)("the versioned Redis store under two processes at once", () => {
  const prefix = uniquePrefix("versioned-race");
  let admin: Redis;
  beforeAll(async () => {
    admin = await connectIoredis();
  });
  afterAll(async () => {
    if (admin !== undefined) {
      await deleteKeysUnder(admin, prefix);
      closeClient(admin);
    }
  });

  it("loses no increment with conditional writes, and conflicts did happen", async () => {
    const { tallies, final } = await race("versioned", prefix, admin);
    expect(tallies.map((t) => t.written)).toEqual([INCREMENTS, INCREMENTS]);
    expect(final).toBe(2 * INCREMENTS);
    // Without conflicts the two loops would not have overlapped, and the test would prove nothing.
    const conflicts = tallies.reduce((sum, t) => sum + t.conflicts, 0);
    expect(conflicts).toBeGreaterThan(0);
  }, 60_000);

  it("loses increments with plain writes (the test sees a loss when there is one)", async () => {
    const { tallies, final } = await race("plain", prefix, admin);
    expect(tallies.map((t) => t.written)).toEqual([INCREMENTS, INCREMENTS]);
    expect(final).toBeLessThan(2 * INCREMENTS);
  }, 60_000);
});
