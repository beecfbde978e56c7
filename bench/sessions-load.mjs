// `node bench/sessions-load.mjs`: many distinct sessions (1,000 clients by default) hammering several server
// processes at once, with the memory, cookie and Redis stores side by side (issue 5). Each client sends its
// requests one after another; with the cookie and Redis stores they alternate between processes, with the
// memory store they stay on one (sticky) or there is one process. Afterwards every client's counter must
// equal the requests it made, and no session may have reached another client. Not part of `npm test`.

import { randomBytes } from "node:crypto";
import { Agent, request as httpRequest } from "node:http";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Redis } from "ioredis";
import { ensureBuilt, intOption } from "./cli.mjs";
import { startServer } from "./server-process.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

const USAGE = `usage: node bench/sessions-load.mjs [options]
  --clients <n>        distinct sessions (default: 1000)
  --processes <n>      server processes for the shared stores (default: 3)
  --connections <n>    requests in flight at once, over all processes (default: 64)
  --duration <s>       seconds measured per target (default: 10)
  --warmup <s>         seconds of load before measuring (default: 3)
  --rounds <n>         interleaved rounds; the median is reported (default: 2)
  --only <id,...>      targets: memory-1, memory-sticky, cookie, redis, redis-ioredis (default: all);
                       memory-roaming (memory sessions without stickiness) is a self-check that must fail
  --no-build           do not rebuild dist/ even when src/ is newer`;

const TARGETS = [
  { id: "memory-1", label: "memoryStore, 1 process", store: "memory", processes: 1 },
  { id: "memory-sticky", label: "memoryStore, sticky", store: "memory", sticky: true },
  { id: "cookie", label: "cookieStore", store: "cookie" },
  { id: "redis", label: "redisStore (node-redis)", store: "redis", client: "node-redis" },
  { id: "redis-ioredis", label: "redisStore (ioredis)", store: "redis", client: "ioredis" },
  // Self-check, only with --only: memory sessions without stickiness are lost, and the run must say so.
  { id: "memory-roaming", label: "memoryStore, not sticky", store: "memory", selfCheck: true },
];

function options() {
  const { values } = parseArgs({
    options: {
      clients: { type: "string", default: "1000" },
      processes: { type: "string", default: "3" },
      connections: { type: "string", default: "64" },
      duration: { type: "string", default: "10" },
      warmup: { type: "string", default: "3" },
      rounds: { type: "string", default: "2" },
      only: { type: "string" },
      "no-build": { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const int = (name, min) => intOption(values, name, min);
  const only = values.only?.split(",").map((s) => s.trim());
  const unknown = (only ?? []).filter((id) => !TARGETS.some((t) => t.id === id));
  if (unknown.length > 0) throw new Error(`--only: unknown target(s) ${unknown.join(", ")}`);
  return {
    clients: int("clients", 1),
    processes: int("processes", 1),
    connections: int("connections", 1),
    duration: int("duration", 1),
    warmup: int("warmup", 0),
    rounds: int("rounds", 1),
    targets: TARGETS.filter((t) => (only === undefined ? !t.selfCheck : only.includes(t.id))),
    build: !values["no-build"],
  };
}

// The servers import dist/ (or RINGLET_DIST); build it when it is missing or older than src/.
function ensureDist(build) {
  if (process.env.RINGLET_DIST !== undefined) return;
  const problem = ensureBuilt(ROOT, ["dist/node.js", "dist/session.js", "dist/redis.js"], build);
  if (problem !== undefined) throw new Error(problem);
}

/** GET `path` on `agent`'s server, with `cookie`; resolves to status, body and the session cookie set. */
function get(agent, port, path, cookie) {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { agent, host: "127.0.0.1", port, path, headers: cookie === undefined ? {} : { cookie } },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk) => {
          body += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode, body, setCookie: res.headers["set-cookie"] }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end();
  });
}

/** The cookie a browser would send next, after the Set-Cookie lines of a response. */
function nextCookie(current, lines) {
  let cookie = current;
  for (const line of lines ?? []) {
    const pair = line.split(";", 1)[0];
    if (!pair.startsWith("ring-session=")) continue;
    cookie = /;\s*max-age=0\b/i.test(line) ? undefined : pair;
  }
  return cookie;
}

/** A fixed-capacity FIFO queue (a ring buffer): no array shifting on the hot path. */
class Queue {
  constructor(items) {
    this.buffer = items.slice();
    this.head = 0;
    this.size = items.length;
  }
  shift() {
    if (this.size === 0) return undefined;
    const item = this.buffer[this.head];
    this.head = (this.head + 1) % this.buffer.length;
    this.size--;
    return item;
  }
  push(item) {
    this.buffer[(this.head + this.size) % this.buffer.length] = item;
    this.size++;
  }
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function runTarget(target, opts) {
  const processes = target.processes ?? opts.processes;
  const prefix = `ringlet:bench:${process.pid}:${target.id}:`;
  Object.assign(process.env, {
    SESSIONS_LOAD_STORE: target.store,
    SESSIONS_LOAD_COOKIE_SECRET: opts.secret,
    SESSIONS_LOAD_REDIS_CLIENT: target.client ?? "node-redis",
    SESSIONS_LOAD_REDIS_PREFIX: prefix,
  });
  const cores = cpus().length;
  const servers = [];
  try {
    for (let i = 0; i < processes; i++) {
      servers.push(await startServer("../sessions-load-server.mjs", { cpu: i % cores }));
    }
    const ports = servers.map((s) => Number(new URL(s.url).port));
    const perProcess = Math.ceil(opts.connections / processes);
    const agents = ports.map(() => new Agent({ keepAlive: true, maxSockets: perProcess }));

    const clients = Array.from({ length: opts.clients }, (_, id) => ({
      id,
      cookie: undefined,
      count: 0,
      sent: 0,
    }));
    const route = (client) => (target.sticky ? client.id % processes : (client.id + client.sent) % processes);
    const problems = [];
    const latencies = [];
    let measuring = false;
    let stopping = false;
    let measured = 0;

    // A queue of idle clients: a worker takes the first, sends its next request and puts it back at the end,
    // so every client's requests are sequential and all clients take turns.
    const idle = new Queue(clients);
    const worker = async () => {
      while (!stopping && problems.length < 10) {
        const client = idle.shift();
        if (client === undefined) {
          await new Promise((resolve) => setImmediate(resolve));
          continue;
        }
        const p = route(client);
        const started = performance.now();
        try {
          const res = await get(agents[p], ports[p], `/counter?c=${client.id}`, client.cookie);
          const ms = performance.now() - started;
          if (res.status !== 200 || res.body !== `count=${client.count}`) {
            problems.push(
              `client ${client.id} got ${res.status} ${JSON.stringify(res.body)}, expected count=${client.count}`,
            );
          } else {
            client.count++;
            client.cookie = nextCookie(client.cookie, res.setCookie);
            if (measuring) {
              latencies.push(ms);
              measured++;
            }
          }
        } catch (error) {
          problems.push(`client ${client.id}: ${error.message}`);
        }
        client.sent++;
        idle.push(client);
      }
    };
    const workers = Array.from({ length: opts.connections }, worker);
    await new Promise((resolve) => setTimeout(resolve, opts.warmup * 1000));
    measuring = true;
    const startedAt = performance.now();
    await new Promise((resolve) => setTimeout(resolve, opts.duration * 1000));
    measuring = false;
    const seconds = (performance.now() - startedAt) / 1000;
    stopping = true;
    await Promise.all(workers);

    // Verification: one more request per client, on another process than its last one where it may move.
    // The counter must equal the requests it made; the owner check on the server catches any mix-up.
    let lost = 0;
    for (let i = 0; i < clients.length; i += opts.connections) {
      await Promise.all(
        clients.slice(i, i + opts.connections).map(async (client) => {
          const p = route(client);
          const res = await get(agents[p], ports[p], `/counter?c=${client.id}`, client.cookie);
          if (res.status !== 200 || res.body !== `count=${client.count}`) {
            lost++;
            if (problems.length < 10) {
              problems.push(
                `verify: client ${client.id} got ${res.status} ${JSON.stringify(res.body)}, expected count=${client.count}`,
              );
            }
          }
        }),
      );
    }
    for (const agent of agents) agent.destroy();
    if (problems.length > 0) {
      // Why the servers failed (e.g. a SessionStoreError and its cause), from their stderr.
      const lines = servers.flatMap((server) =>
        server
          .output()
          .split("\n")
          .filter((l) => /error|fail/i.test(l)),
      );
      problems.push(...lines.slice(0, 5).map((line) => `server: ${line}`));
    }
    latencies.sort((a, b) => a - b);
    const requests = clients.reduce((sum, c) => sum + c.count, 0);
    return {
      target,
      processes,
      requestsPerSecond: measured / seconds,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      requests,
      clientsOk: clients.length - lost,
      problems,
    };
  } finally {
    for (const server of servers) await server.stop();
    if (target.store === "redis") await deleteKeys(prefix);
  }
}

async function deleteKeys(prefix) {
  const redis = new Redis({ host: "127.0.0.1", port: 6379, lazyConnect: true });
  await redis.connect();
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== "0");
  redis.disconnect();
}

const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

async function main() {
  const opts = { ...options(), secret: randomBytes(32).toString("base64") };
  ensureDist(opts.build);
  console.log(
    `${opts.clients} clients, ${opts.connections} requests in flight, ${opts.processes} processes for the shared ` +
      `stores, ${opts.warmup} s warm-up + ${opts.duration} s measured per target and round, ${opts.rounds} ` +
      `rounds, ${cpus().length} cores`,
  );
  const runs = new Map(opts.targets.map((t) => [t.id, []]));
  const failures = new Set();
  for (let round = 0; round < opts.rounds; round++) {
    // Each round starts one target later, so drift on the machine does not always hit the same target.
    const order = opts.targets.map((_, i) => opts.targets[(i + round) % opts.targets.length]);
    for (const target of order) {
      if (failures.has(target.id)) continue;
      process.stdout.write(`round ${round + 1}/${opts.rounds} ${target.label.padEnd(28)} `);
      try {
        const result = await runTarget(target, opts);
        const ok = result.problems.length === 0 && result.clientsOk === opts.clients;
        if (ok) runs.get(target.id).push(result);
        else failures.add(target.id);
        console.log(
          `${result.requestsPerSecond.toFixed(0).padStart(6)} req/s  p99 ${result.p99Ms.toFixed(2)} ms  ` +
            `${result.clientsOk}/${opts.clients} sessions exact${ok ? "" : "  FAILED"}`,
        );
        for (const problem of result.problems) console.error(`  ${problem}`);
      } catch (error) {
        failures.add(target.id);
        console.log("FAILED");
        console.error(`  ${error.message}`);
      }
    }
  }
  const summary = opts.targets.map((target) => {
    const rs = runs.get(target.id);
    return {
      target,
      failed: failures.has(target.id),
      processes: rs[0]?.processes,
      requestsPerSecond: median(rs.map((r) => r.requestsPerSecond)),
      p50Ms: median(rs.map((r) => r.p50Ms)),
      p99Ms: median(rs.map((r) => r.p99Ms)),
      perRound: rs.map((r) => r.requestsPerSecond.toFixed(0)).join(", "),
    };
  });
  const base = summary.find((r) => r.target.id === "memory-1" && !r.failed)?.requestsPerSecond;
  console.log("\n| store | processes | req/s | p50 ms | p99 ms | × memory, 1 process | req/s per round |");
  console.log("|:--|--:|--:|--:|--:|--:|--:|");
  for (const r of summary) {
    if (r.failed) {
      console.log(`| ${r.target.label} | | FAILED | | | | |`);
      continue;
    }
    const x = base === undefined ? "" : `${(r.requestsPerSecond / base).toFixed(2)}×`;
    const procs = r.target.sticky ? `${r.processes} (sticky)` : String(r.processes);
    console.log(
      `| ${r.target.label} | ${procs} | ${r.requestsPerSecond.toFixed(0)} | ${r.p50Ms.toFixed(2)} | ` +
        `${r.p99Ms.toFixed(2)} | ${x} | ${r.perRound} |`,
    );
  }
  if (failures.size === 0) {
    console.log(
      `\nEvery round: all ${opts.clients} sessions exact (counter = requests made, never another's).`,
    );
  }
  process.exitCode = failures.size > 0 ? 1 : 0;
}

await main();
