// Ring's counter on ringlet with redisStore over node-redis (the Redis at 127.0.0.1:6379), served by
// ringlet/node: every request reads and writes its session in Redis. wrapSession takes the store's versioned
// path when the store has it (issue 15: one GET and one EVAL of the compare-and-set script per request);
// ringlet-redis-unversioned.mjs is the same counter on the same store with that extension hidden.
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
// A prefix of this process's own and a short lifetime: a run's sessions leave the shared Redis by themselves.
const store = redisStore({ client, prefix: `ringlet:bench:${process.pid}:`, maxAge: 600 });

const server = await serve(wrapSession(counter, { store }), {
  port: Number(process.env.PORT ?? 0),
  hostname: "127.0.0.1",
});
console.log(`READY ${server.port}`);
