/**
 * Several ringlet processes sharing one Redis for their sessions: starts `examples/redis-server-app.ts`
 * `PROCESSES` times (default 3) on ports `BASE_PORT`, `BASE_PORT + 1`, … (default 3001; `0` lets each
 * pick a free port), alternately with node-redis and ioredis, and stops them all on Ctrl-C. docs/scaling.md.
 *
 *   npx tsx examples/redis-cluster.ts
 *   curl -c jar -b jar localhost:3001/counter; curl -c jar -b jar localhost:3002/counter   # count=0, count=1
 */
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";

const app = fileURLToPath(new URL("./redis-server-app.ts", import.meta.url));
const processes = Number(process.env.PROCESSES ?? 3);
const basePort = Number(process.env.BASE_PORT ?? 3001);
const clients = (process.env.REDIS_CLIENTS ?? "node-redis,ioredis").split(",");

const children: ChildProcess[] = [];
let stopping = false;

for (let i = 0; i < processes; i++) {
  // `fork` runs the child with this process's `execArgv`, so under tsx the child is TypeScript-ready too,
  // and the IPC channel lets a child notice when this launcher is gone.
  const child = fork(app, [], {
    env: {
      ...process.env,
      PORT: String(basePort === 0 ? 0 : basePort + i),
      REDIS_CLIENT: clients[i % clients.length]!.trim(),
    },
  });
  child.on("exit", (code, signal) => {
    if (!stopping) {
      console.error(`process ${child.pid} exited (${signal ?? code}); stopping the others`);
      stop(1);
    }
  });
  children.push(child);
}

function stop(code = 0): void {
  if (stopping) return;
  stopping = true;
  const running = children.filter((child) => child.exitCode === null && child.signalCode === null);
  let left = running.length;
  if (left === 0) process.exit(code);
  for (const child of running) {
    child.once("exit", () => {
      left -= 1;
      if (left === 0) process.exit(code);
    });
    child.kill("SIGTERM");
  }
}

process.once("SIGINT", () => stop());
process.once("SIGTERM", () => stop());
// Started with an IPC channel (test/redis/cluster.ts does so): stop with the parent, even when it was killed
// by a signal and could not stop us itself.
if (process.send !== undefined) process.once("disconnect", () => stop());
