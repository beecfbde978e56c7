/**
 * Test support for the multi-process tests: starts examples/redis-cluster.ts (several processes of
 * examples/redis-server-app.ts) as a child, reads the processes' ports from its output, and stops it; and a
 * browser-like client with a real cookie jar (tough-cookie) that can send each request to any process.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { CookieJar } from "tough-cookie";
import { killOnExit, REDIS_PORT } from "./redis-env.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** One process of the cluster. */
export interface Member {
  readonly url: string;
  readonly pid: number;
  readonly client: string;
}

export interface Cluster {
  readonly members: readonly Member[];
  /** Everything the processes wrote to stdout and stderr so far. */
  output(): string;
  /** SIGTERM to the launcher, which stops its processes; SIGKILL if that takes more than 5 s. */
  stop(): Promise<void>;
}

/**
 * Start `processes` ringlet processes sharing the Redis at `redisUrl` under `prefix`, each on a free port,
 * alternately with node-redis and ioredis.
 */
export function startCluster(options: {
  processes: number;
  prefix: string;
  redisUrl?: string;
  timeoutMs?: number;
  redisTimeoutMs?: number;
}): Promise<Cluster> {
  const { processes, prefix, redisUrl = `redis://127.0.0.1:${REDIS_PORT}`, timeoutMs = 120_000 } = options;
  // `node --import tsx` (not the tsx CLI, which adds a process in between) so that SIGTERM reaches the
  // launcher, and its `fork`ed processes inherit the loader through `execArgv`.
  const child = spawn(process.execPath, ["--import", "tsx", "examples/redis-cluster.ts"], {
    cwd: ROOT,
    env: {
      ...process.env,
      PROCESSES: String(processes),
      BASE_PORT: "0",
      REDIS_URL: redisUrl,
      REDIS_PREFIX: prefix,
      REDIS_CLIENTS: "node-redis,ioredis",
      REDIS_TIMEOUT_MS: String(options.redisTimeoutMs ?? 1000),
    },
    // The IPC channel is how the launcher notices this process is gone, however it ended.
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  child.channel?.unref();
  killOnExit(child);
  let output = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    }
  };
  return new Promise((resolve, reject) => {
    const members: Member[] = [];
    let failed = false;
    const fail = (reason: string) => {
      // The first reason is the cause: stopping after a timeout also ends in an exit.
      if (failed) return;
      failed = true;
      clearTimeout(timer);
      stop().then(() => reject(new Error(`${reason}\n${output}`)));
    };
    const timer = setTimeout(() => fail(`the cluster did not start within ${timeoutMs} ms`), timeoutMs);
    child.stderr!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      for (const m of output.matchAll(/^listening on (http:\/\/[\d.:]+) \(pid (\d+), ([\w-]+)\)$/gm)) {
        if (!members.some((member) => member.url === m[1])) {
          members.push({ url: m[1]!, pid: Number(m[2]), client: m[3]! });
        }
      }
      if (members.length === processes) {
        clearTimeout(timer);
        resolve({ members, output: () => output, stop });
      }
    });
    exited.then(() => fail(`the cluster exited (${child.signalCode ?? child.exitCode}) before it was ready`));
  });
}

/** A browser-like client: its own cookie jar, and requests to whichever process the test names. */
export class Browser {
  readonly jar = new CookieJar();

  /** GET `path` from `base`, sending and storing cookies as a browser would. */
  async get(base: string, path: string): Promise<{ status: number; body: string; pid: number }> {
    const url = base + path;
    const cookie = await this.jar.getCookieString(url);
    const response = await fetch(url, { headers: cookie === "" ? {} : { cookie } });
    for (const line of response.headers.getSetCookie()) await this.jar.setCookie(line, url);
    return {
      status: response.status,
      body: await response.text(),
      pid: Number(response.headers.get("x-ringlet-pid")),
    };
  }

  /** The value of the session cookie the jar holds, if any. */
  async sessionCookie(base: string): Promise<string | undefined> {
    const cookies = await this.jar.getCookies(base);
    return cookies.find((c) => c.key === "ring-session")?.value;
  }
}
