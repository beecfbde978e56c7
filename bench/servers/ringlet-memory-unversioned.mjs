// The memory-store counter as it ran before issue 15: the same store with its versioned methods hidden, so
// wrapSession reads and writes plainly (last write wins). The baseline of the "versioning costs the common
// case nothing" goal.
import { serve } from "../../dist/node.js";
import { memoryStore, wrapSession } from "../../dist/session.js";

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

const inner = memoryStore();
const store = {
  readSession: (key, context) => inner.readSession(key, context),
  writeSession: (key, data) => inner.writeSession(key, data),
  deleteSession: (key) => inner.deleteSession(key),
};

const server = await serve(wrapSession(counter, { store }), {
  port: Number(process.env.PORT ?? 0),
  hostname: "127.0.0.1",
});
console.log(`READY ${server.port}`);
