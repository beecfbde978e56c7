// One server process of the sessions load test (bench/sessions-load.mjs): GET /counter?c=<client> with a
// ringlet session store chosen by SESSIONS_LOAD_STORE: "memory", "cookie" (secret in
// SESSIONS_LOAD_COOKIE_SECRET, shared by all processes) or "redis" (client in SESSIONS_LOAD_REDIS_CLIENT,
// key prefix in SESSIONS_LOAD_REDIS_PREFIX). The session remembers its owner, so a session answered to the
// wrong client is caught (409). Imports the built package (dist/, or RINGLET_DIST).
import { pathToFileURL } from "node:url";
import { Redis } from "ioredis";
import { createClient } from "redis";

// RINGLET_DIST: another build of the package (a directory), e.g. one that a concurrent `npm run build` cannot clean.
const distUrl =
  process.env.RINGLET_DIST === undefined
    ? new URL("../dist/", import.meta.url)
    : pathToFileURL(`${process.env.RINGLET_DIST.replace(/\/$/, "")}/`);
const { serve } = await import(new URL("node.js", distUrl).href);
const { wrapSession, memoryStore, cookieStore } = await import(new URL("session.js", distUrl).href);
const { redisStore } = await import(new URL("redis.js", distUrl).href);

const kind = process.env.SESSIONS_LOAD_STORE;
let store;
let close = () => {};
if (kind === "memory") {
  store = memoryStore();
} else if (kind === "cookie") {
  store = cookieStore({ secret: process.env.SESSIONS_LOAD_COOKIE_SECRET });
} else if (kind === "redis") {
  const prefix = process.env.SESSIONS_LOAD_REDIS_PREFIX;
  if (process.env.SESSIONS_LOAD_REDIS_CLIENT === "ioredis") {
    const client = new Redis({ host: "127.0.0.1", port: 6379, enableOfflineQueue: false, lazyConnect: true });
    client.on("error", (error) => console.error(`redis: ${error.message}`));
    await client.connect();
    store = redisStore({ client, prefix });
    close = () => client.disconnect();
  } else {
    const client = createClient({ url: "redis://127.0.0.1:6379", disableOfflineQueue: true });
    client.on("error", (error) => console.error(`redis: ${error.message}`));
    await client.connect();
    store = redisStore({ client, prefix });
    close = () => client.destroy();
  }
} else {
  throw new Error(`SESSIONS_LOAD_STORE must be memory, cookie or redis, got ${kind}`);
}

const headers = { "content-type": "text/plain; charset=utf-8" };
const notFound = { status: 404, headers, body: "not found" };

const app = wrapSession(
  (request) => {
    if (request.uri !== "/counter") return notFound;
    const owner = request.queryString?.startsWith("c=") ? request.queryString.slice(2) : "";
    const session = request.session;
    if (session.owner !== undefined && session.owner !== owner) {
      return { status: 409, headers, body: `mixed: session of ${session.owner} sent by ${owner}` };
    }
    const count = session.count ?? 0;
    return { status: 200, headers, body: `count=${count}`, session: { owner, count: count + 1 } };
  },
  {
    store,
    // Say why a store failed (its cause), so a failed run can be explained.
    onError: (report) =>
      console.error(`session ${report.kind}: ${report.reason}: ${report.cause?.message ?? ""}`),
  },
);

const server = await serve(app, { port: Number(process.env.PORT ?? 0), hostname: "127.0.0.1" });
console.log(`READY ${server.port}`);
process.once("SIGTERM", () => {
  server.close().finally(() => {
    close();
    process.exit(0);
  });
});
