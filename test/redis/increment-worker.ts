// A child process of versioned-concurrency.test.ts: its own Redis connection and its own redisStore, running
// read-modify-write increments of one session's counter. Started with `node --import tsx`, it waits for "go"
// on its IPC channel (so that both processes start their loops together), then answers with its tally.
//
// Environment: INCREMENT_CLIENT (node-redis | ioredis), INCREMENT_MODE (versioned: read with its version,
// write if unchanged, read again on a conflict | plain: readSession + writeSession, last write wins),
// INCREMENT_PREFIX, INCREMENT_KEY (the session), INCREMENT_COUNT (how many increments to make).
import { redisStore } from "../../src/redis/index.js";
import { isVersionedStore } from "../../src/session/store.js";
import { type ClientKind, closeClient, connect } from "./redis-env.js";

export interface IncrementTally {
  /** Increments this process made (conditional writes that landed, or plain writes). */
  readonly written: number;
  /** Conditional writes that found the session changed since the read, and were retried. */
  readonly conflicts: number;
}

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`increment-worker: ${name} is not set`);
  return value;
};

const kind = env("INCREMENT_CLIENT") as ClientKind;
const mode = env("INCREMENT_MODE");
const key = env("INCREMENT_KEY");
const count = Number(env("INCREMENT_COUNT"));

const client = await connect(kind);
const store = redisStore<{ count: number }>({ client, prefix: env("INCREMENT_PREFIX"), timeoutMs: 10_000 });
if (!isVersionedStore(store)) throw new Error("increment-worker: redisStore is not versioned");

const run = async (): Promise<IncrementTally> => {
  let written = 0;
  let conflicts = 0;
  while (written < count) {
    if (mode === "versioned") {
      const current = await store.readVersionedSession(key);
      if (current == null) throw new Error("increment-worker: the session is gone");
      const next = { count: current.data.count + 1 };
      const result = await store.writeSessionIfVersion(key, next, current.version);
      if (result === null) {
        conflicts++;
        continue;
      }
      if (result !== key) throw new Error(`increment-worker: the write answered another key, ${result}`);
    } else {
      const current = await store.readSession(key);
      if (current == null) throw new Error("increment-worker: the session is gone");
      const result = await store.writeSession(key, { count: current.count + 1 });
      if (result !== key) throw new Error(`increment-worker: the write answered another key, ${result}`);
    }
    written++;
  }
  return { written, conflicts };
};

process.on("message", (message) => {
  if (message !== "go") return;
  run().then(
    (tally) => process.send!({ tally }, () => process.exit(0)),
    (error: unknown) => process.send!({ error: String(error) }, () => process.exit(1)),
  );
});
process.on("disconnect", () => {
  closeClient(client);
  process.exit(0);
});
process.send!("ready");
