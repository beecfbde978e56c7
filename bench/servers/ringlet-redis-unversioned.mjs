// The baseline of bench/servers/ringlet-redis.mjs: the same counter on the same redisStore, seen through a
// store object with only the three methods of SessionStore. wrapSession then finds no versioned extension and
// does what it did before issue 15: one GET and one SET … XX per request, last write wins.
import { createClient } from "redis";
import { serve } from "../../dist/node.js";
import { redisStore } from "../../dist/redis.js";
import { wrapSession } from "../../dist/session.js";

const notFound = { status: 404, headers: {}, body: undefined };

const counter = (request) => {
  if (request.uri !== "/counter") return notFound;
  const count = request.session.count ?? 0;
  return {
    status: 200,
    headers: { "content-type": "text/plain; charset=utf-8" },
    body: `count=${count}`,
    session: { ...request.session, count: count + 1 },
  };
};

const client = await createClient({ url: "redis://127.0.0.1:6379", disableOfflineQueue: true })
  .on("error", (error) => console.error(`redis: ${error.message}`))
  .connect();
const versioned = redisStore({ client, prefix: `ringlet:bench:${process.pid}:`, maxAge: 600 });
const store = {
  readSession: (key, context) => versioned.readSession(key, context),
  writeSession: (key, data) => versioned.writeSession(key, data),
  deleteSession: (key) => versioned.deleteSession(key),
};

const server = await serve(wrapSession(counter, { store }), {
  port: Number(process.env.PORT ?? 0),
  hostname: "127.0.0.1",
});
console.log(`READY ${server.port}`);
