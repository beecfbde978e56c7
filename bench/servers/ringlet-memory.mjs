// Ring's counter on ringlet: wrapSession with its default memoryStore, served by ringlet/node
// (the built package in dist/). The handler is the one from issue 3 with a plain-text content type.
import { serve } from "../../dist/node.js";
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

const server = await serve(wrapSession(counter), {
  port: Number(process.env.PORT ?? 0),
  hostname: "127.0.0.1",
});
console.log(`READY ${server.port}`);
