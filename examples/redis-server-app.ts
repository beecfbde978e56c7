/**
 * One ringlet process that keeps its sessions in Redis. Start several (examples/redis-cluster.ts starts
 * three) and a session begun on one is served by all: a counter, a login, a logout. docs/scaling.md.
 *
 *   PORT=3001 npx tsx examples/redis-server-app.ts
 *
 * Environment: `PORT` (default 3001; 0 picks a free one), `REDIS_URL` (default redis://127.0.0.1:6379),
 * `REDIS_PREFIX` (default "ringlet:example:sess:"), `REDIS_CLIENT` ("node-redis", the default, or "ioredis"),
 * `REDIS_TIMEOUT_MS` (default 1000).
 */
import { Redis } from "ioredis";
import { createClient } from "redis";
import { serve } from "../src/adapters/node.js";
import { type RedisClientLike, redisStore } from "../src/redis/index.js";
import { wrapSession } from "../src/session/index.js";

type Session = { count?: number; user?: string };

const port = Number(process.env.PORT ?? 3001);
const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const kind = process.env.REDIS_CLIENT === "ioredis" ? "ioredis" : "node-redis";

// Both clients set up to fail at once while Redis is down (a 503 then, not a hanging request) and to
// reconnect in the background forever, so the process recovers by itself when Redis is back.
async function connect(): Promise<{ client: RedisClientLike; close: () => void }> {
  if (kind === "ioredis") {
    const client = new Redis(url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: (times) => Math.min(50 * 2 ** times, 1000),
    });
    client.on("error", (error: Error) => console.error(`redis (ioredis): ${error.message}`));
    await client.connect();
    return { client, close: () => client.disconnect() };
  }
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: { connectTimeout: 2000, reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 1000) },
  });
  client.on("error", (error: Error) => console.error(`redis (node-redis): ${error.message}`));
  await client.connect();
  return { client, close: () => client.destroy() };
}

const redis = await connect();
const store = redisStore<Session>({
  client: redis.client,
  prefix: process.env.REDIS_PREFIX ?? "ringlet:example:sess:",
  timeoutMs: Number(process.env.REDIS_TIMEOUT_MS ?? 1000),
});

const text = (body: string, status = 200) => ({
  status,
  headers: { "content-type": "text/plain; charset=utf-8", "x-ringlet-pid": String(process.pid) },
  body,
});

const app = wrapSession<Session>(
  (request) => {
    switch (request.uri) {
      case "/counter": {
        const count = request.session.count ?? 0;
        return { ...text(`count=${count}`), session: { ...request.session, count: count + 1 } };
      }
      case "/login": {
        const user = new URLSearchParams(request.queryString ?? "").get("user") ?? "";
        if (user === "") return text("missing ?user=", 400);
        // A new session id after login (fixation defence); the counter carries over.
        return { ...text(`user=${user}`), session: { ...request.session, user }, recreateSession: true };
      }
      case "/whoami":
        return text(`user=${request.session.user ?? ""}`);
      case "/logout":
        return { ...text("user="), session: null };
      case "/health":
        return text("ok");
      default:
        return text("not found", 404);
    }
  },
  { store },
);

const server = await serve(app, { port, hostname: "127.0.0.1" });
console.log(`listening on ${server.url} (pid ${process.pid}, ${kind})`);

const shutdown = () => {
  server.close().finally(() => {
    redis.close();
    process.exit(0);
  });
};
process.once("SIGTERM", shutdown);
process.once("SIGINT", shutdown);
// Started by examples/redis-cluster.ts (with an IPC channel): stop with it, even if it is killed.
process.once("disconnect", shutdown);
