/**
 * A ringlet process for the multi-process conflict test: `wrapSession` over `redisStore`, whose handlers
 * wait `WAIT_MS` between reading the session and answering, so concurrent requests overlap. Prints
 * `READY <url>` once listening. Environment: `REDIS_CLIENT` (node-redis | ioredis), `REDIS_PREFIX`,
 * `ON_CONFLICT` (merge | retry | reject), `MAX_ATTEMPTS`, `VERSIONED` ("0" hides the versioned methods, as a
 * store without the extension), `WAIT_MS`.
 */
import { serve } from "../../src/adapters/node.js";
import { response } from "../../src/core/response.js";
import { redisStore } from "../../src/redis/index.js";
import type { SessionStore } from "../../src/session/store.js";
import { wrapSession } from "../../src/session/wrap-session.js";
import { type ClientKind, connect } from "./redis-env.js";

const kind = (process.env.REDIS_CLIENT ?? "node-redis") as ClientKind;
const client = await connect(kind);
const versionedStore = redisStore({ client, prefix: process.env.REDIS_PREFIX ?? "ringlet:test:" });
const store: SessionStore =
  process.env.VERSIONED === "0"
    ? {
        readSession: (key, context) => versionedStore.readSession(key, context),
        writeSession: (key, data) => versionedStore.writeSession(key, data),
        deleteSession: (key) => versionedStore.deleteSession(key),
      }
    : versionedStore;
const wait = Number(process.env.WAIT_MS ?? 30);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const app = wrapSession(
  async (req: any) => {
    const query = new URLSearchParams(req.queryString ?? "");
    switch (req.uri) {
      case "/start":
        return { ...response("started"), session: { started: true } };
      case "/show":
        return response(JSON.stringify(req.session));
      case "/own": {
        await sleep(wait);
        return { ...response("ok"), session: { ...req.session, [`k${query.get("i")}`]: process.pid } };
      }
      case "/increment": {
        await sleep(wait);
        const count = (req.session.count ?? 0) + 1;
        return { ...response(String(count)), session: { ...req.session, count } };
      }
      default:
        return { status: 404, headers: {}, body: "not found" };
    }
  },
  {
    store,
    onConflict: (process.env.ON_CONFLICT ?? "merge") as "merge",
    maxAttempts: Number(process.env.MAX_ATTEMPTS ?? 3),
    onError: () => {},
  },
);

const server = await serve(app, { port: 0, hostname: "127.0.0.1", onError: () => {} });
console.log(`READY ${server.url}`);
process.once("disconnect", () => process.exit(0));
