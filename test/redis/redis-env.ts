/**
 * Shared by the Redis tests: whether the Redis at 127.0.0.1:6379 (`RINGLET_TEST_REDIS_PORT` to change the
 * port) answers (in CI it must: importing this module throws otherwise), clients of both kinds configured
 * to fail fast, unique key prefixes with clean-up, and private `redis-server` processes on spare ports for
 * the tests that stop Redis.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { createClient } from "redis";

export const REDIS_PORT = Number(process.env.RINGLET_TEST_REDIS_PORT ?? 6379);

/** Whether this is a CI run (`CI=true`), where every Redis test must run. */
export const inCI = /^(true|1)$/i.test(process.env.CI ?? "");

/** Send PING to 127.0.0.1:`port` and say whether PONG came back within `timeoutMs`. */
function ping(port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    let answer = "";
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.on("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk) => {
      answer += chunk.toString("latin1");
      if (answer.includes("\r\n")) done(answer.startsWith("+PONG"));
    });
    socket.on("error", () => done(false));
  });
}

async function checkRedis(): Promise<boolean> {
  // A refused connection answers at once; only a slow answer (a busy machine, a module still loading) is
  // asked again, so that a loaded CI machine does not count as one without Redis.
  for (let attempt = 0; attempt < 3; attempt++) if (await ping(REDIS_PORT, 2000)) return true;
  if (inCI) throw new Error(`Redis tests must run in CI, but no Redis answers at 127.0.0.1:${REDIS_PORT}`);
  console.log(`skipping Redis tests: no Redis at 127.0.0.1:${REDIS_PORT}`);
  return false;
}

/** Whether the shared Redis answers; when it does not, outside CI, the Redis tests are skipped. */
export const redisUp: boolean = await checkRedis();

function hasRedisServerBinary(): boolean {
  try {
    execFileSync("redis-server", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

async function checkRedisServerBinary(): Promise<boolean> {
  if (!redisUp) return false;
  if (hasRedisServerBinary()) return true;
  if (inCI) throw new Error("the fault tests need redis-server on the PATH in CI");
  console.log("skipping Redis fault tests: no redis-server binary on the PATH");
  return false;
}

/** Whether private `redis-server` processes can be started (the binary is on the PATH). */
export const redisServerAvailable: boolean = await checkRedisServerBinary();

/**
 * The Redis key of session `id` under `prefix`, computed here independently of the store: the prefix and the
 * lower-case hex SHA-256 of the id.
 */
export function hashedKey(prefix: string, id: string): string {
  return prefix + createHash("sha256").update(id).digest("hex");
}

/** A key prefix no other test run uses. */
export function uniquePrefix(label: string): string {
  return `ringlet:test:${label}:${process.pid}:${Math.random().toString(36).slice(2, 10)}:`;
}

export type ClientKind = "node-redis" | "ioredis";

export type NodeRedisClient = ReturnType<typeof createClient>;

/**
 * A connected node-redis client configured as docs/scaling.md advises: commands fail at once while
 * disconnected, and it keeps reconnecting quickly in the background.
 */
export async function connectNodeRedis(port = REDIS_PORT): Promise<NodeRedisClient> {
  const client = createClient({
    socket: {
      host: "127.0.0.1",
      port,
      connectTimeout: 1000,
      reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 500),
    },
    disableOfflineQueue: true,
  });
  client.on("error", () => {});
  await client.connect();
  return client;
}

/** A connected ioredis client configured as docs/scaling.md advises. */
export async function connectIoredis(port = REDIS_PORT): Promise<Redis> {
  const client = new Redis({
    host: "127.0.0.1",
    port,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 1000,
    retryStrategy: (times) => Math.min(50 * 2 ** times, 500),
  });
  client.on("error", () => {});
  await client.connect();
  return client;
}

export function connect(kind: ClientKind, port = REDIS_PORT): Promise<NodeRedisClient | Redis> {
  return kind === "node-redis" ? connectNodeRedis(port) : connectIoredis(port);
}

/** Close a client of either kind without waiting for a server that may be gone. */
export function closeClient(client: NodeRedisClient | Redis): void {
  if (client instanceof Redis) client.disconnect();
  else if (client.isOpen) client.destroy();
}

/** All keys under `prefix` (SCAN, never KEYS). */
export async function keysUnder(client: Redis, prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await client.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
    found.push(...keys);
    cursor = next;
  } while (cursor !== "0");
  return found;
}

/** Delete every key under `prefix`. */
export async function deleteKeysUnder(client: Redis, prefix: string): Promise<void> {
  const keys = await keysUnder(client, prefix);
  if (keys.length > 0) await client.del(...keys);
}

/** A free TCP port on 127.0.0.1 (released before returning, so it is free unless someone takes it now). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject()));
    });
  });
}

/** A private `redis-server` child on a spare loopback port, with append-only persistence in a temp dir. */
export interface PrivateRedis {
  /** Its port: chosen on the first `start()` (another one if that one was taken meanwhile), then kept. */
  readonly port: number;
  readonly dir: string;
  /** Start it (again), on the same port and directory, and wait until it has loaded its data and listens. */
  start(): Promise<void>;
  /** Kill it with SIGKILL (a crash) and wait until it is gone. */
  crash(): Promise<void>;
  /** SIGSTOP / SIGCONT: the server hangs without closing connections. */
  freeze(): void;
  thaw(): void;
  /** Kill it if running and remove its directory. */
  dispose(): Promise<void>;
}

const living = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of living) child.kill("SIGKILL");
});

/** Kill `child` when this process exits, if it is still running then (the tests' last line of defence). */
export function killOnExit(child: ChildProcess): void {
  living.add(child);
  child.once("exit", () => living.delete(child));
}

// The "exit" handler above does not run when the test process is killed by a signal (Ctrl-C, a runner
// tearing its workers down). This watchdog does: it holds the pid of the running redis-server and kills it
// when its IPC channel to the test process closes, however that process ended.
const WATCHDOG = `let pid = 0;
process.on("message", (next) => { pid = next; });
process.on("disconnect", () => {
  if (pid > 0) try { process.kill(pid, "SIGCONT"); process.kill(pid, "SIGKILL"); } catch {}
  process.exit(0);
});`;

function startWatchdog(): ChildProcess {
  const watchdog = spawn(process.execPath, ["-e", WATCHDOG], {
    stdio: ["ignore", "ignore", "ignore", "ipc"],
  });
  killOnExit(watchdog);
  // Neither the process nor its channel may keep the test process alive.
  watchdog.unref();
  watchdog.channel?.unref();
  return watchdog;
}

const STARTUP_MS = 15_000;

/** `redis-server` exited before it was ready; `portTaken` when its port was in use. */
class RedisStartError extends Error {
  constructor(
    message: string,
    readonly portTaken: boolean,
  ) {
    super(message);
  }
}

/**
 * Spawn `redis-server` on `port` and resolve once it logs that it is ready (after loading the append-only
 * file), so a PONG from some other server that took the port meanwhile cannot be mistaken for it.
 */
function launch(
  port: number,
  dir: string,
  guard: (pid: number) => void,
  extraArgs: readonly string[],
): Promise<ChildProcess> {
  const child = spawn(
    "redis-server",
    [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "yes",
      // Every write is on disk before Redis answers it, so a crash loses nothing that was acknowledged.
      "--appendfsync",
      "always",
      "--dir",
      dir,
      "--daemonize",
      "no",
      "--loglevel",
      "notice",
      ...extraArgs,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  killOnExit(child);
  guard(child.pid ?? 0);
  return new Promise((resolve, reject) => {
    let log = "";
    const fail = (error: RedisStartError) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(error);
    };
    const timer = setTimeout(
      () =>
        fail(
          new RedisStartError(
            `redis-server was not ready on port ${port} within ${STARTUP_MS} ms\n${log}`,
            false,
          ),
        ),
      STARTUP_MS,
    );
    let ready = false;
    const onOutput = (chunk: Buffer) => {
      // Only the start-up log is kept; afterwards the pipes are just drained.
      if (ready) return;
      log += chunk.toString();
      if (/Ready to accept connections/.test(log)) {
        ready = true;
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout?.on("data", onOutput);
    child.stderr?.on("data", onOutput);
    child.once("error", (error) => fail(new RedisStartError(`redis-server: ${error.message}`, false)));
    child.once("exit", (code, signal) => {
      fail(
        new RedisStartError(
          `redis-server exited (${signal ?? code}) on port ${port}\n${log}`,
          /already in use/i.test(log),
        ),
      );
    });
  });
}

/** `extraArgs` are added to the `redis-server` command line (e.g. to enable cluster mode). */
export async function privateRedis(extraArgs: readonly string[] = []): Promise<PrivateRedis> {
  const dir = mkdtempSync(join(tmpdir(), "ringlet-redis-"));
  const watchdog = startWatchdog();
  let port = 0;
  let child: ChildProcess | undefined;
  const guard = (pid: number) => {
    if (watchdog.connected) watchdog.send(pid);
  };

  const stop = async (signal: NodeJS.Signals) => {
    const running = child;
    if (running === undefined) return;
    child = undefined;
    if (running.exitCode === null && running.signalCode === null) {
      const exited = new Promise((resolve) => running.once("exit", resolve));
      running.kill("SIGCONT");
      running.kill(signal);
      await exited;
    }
    guard(0);
  };

  return {
    get port() {
      return port;
    },
    dir,
    async start() {
      if (child !== undefined) throw new Error("private redis-server is already running");
      if (port !== 0) {
        // A restart comes back on the port the clients know, or fails.
        child = await launch(port, dir, guard, extraArgs);
      } else {
        // A free port can be taken by someone else before redis-server binds it: then try another.
        for (let attempt = 1; child === undefined; attempt++) {
          const candidate = await freePort();
          try {
            child = await launch(candidate, dir, guard, extraArgs);
            port = candidate;
          } catch (error) {
            if (!(error instanceof RedisStartError && error.portTaken) || attempt === 5) throw error;
          }
        }
      }
    },
    crash: () => stop("SIGKILL"),
    freeze() {
      child?.kill("SIGSTOP");
    },
    thaw() {
      child?.kill("SIGCONT");
    },
    async dispose() {
      await stop("SIGKILL");
      watchdog.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A private Redis Cluster: its nodes, each a `PrivateRedis` holding an equal share of the slots. */
export interface PrivateRedisCluster {
  readonly nodes: readonly PrivateRedis[];
  dispose(): Promise<void>;
}

const SLOTS = 16_384;

/**
 * A private Redis Cluster of `size` primaries (no replicas) on spare loopback ports, each holding a
 * contiguous share of the 16384 slots, started and ready (`cluster_state:ok` on every node): cluster clients
 * (node-redis `createCluster`, ioredis `Cluster`) must send each command to the node that owns its key.
 */
export async function privateRedisCluster(size = 3): Promise<PrivateRedisCluster> {
  const nodes: PrivateRedis[] = [];
  const dispose = async () => {
    for (const node of nodes) await node.dispose();
  };
  try {
    for (let i = 0; i < size; i++) {
      const node = await privateRedis(["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"]);
      nodes.push(node);
      await node.start();
    }
    const admins = await Promise.all(nodes.map((node) => connectIoredis(node.port)));
    try {
      for (const [i, admin] of admins.entries()) {
        const first = Math.floor((i * SLOTS) / size);
        const last = Math.floor(((i + 1) * SLOTS) / size) - 1;
        await admin.call("CLUSTER", "ADDSLOTSRANGE", String(first), String(last));
        if (i > 0) await admin.call("CLUSTER", "MEET", "127.0.0.1", String(nodes[0]!.port));
      }
      const deadline = Date.now() + STARTUP_MS;
      for (const admin of admins) {
        while (!/cluster_state:ok/.test(String(await admin.call("CLUSTER", "INFO")))) {
          if (Date.now() > deadline) throw new Error("the private Redis Cluster did not become ready");
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    } finally {
      for (const admin of admins) closeClient(admin);
    }
    return { nodes, dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}
