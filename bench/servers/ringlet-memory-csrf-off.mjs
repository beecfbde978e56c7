// The baseline of bench/servers/ringlet-memory-csrf.mjs: the same counter and response without
// wrapAntiForgery. It sends a constant `x-csrf-token` of the same length (86 characters), so both servers
// answer the same bytes and check.lua's `counter-post` mode sends the same requests to both.
import { serve } from "../../dist/node.js";
import { wrapSession } from "../../dist/session.js";

const notFound = { status: 404, headers: {}, body: undefined };
const TOKEN = "A".repeat(86);

const counter = (request) => {
  if (request.uri !== "/counter") return notFound;
  const count = request.session.count ?? 0;
  return {
    status: 200,
    headers: { "content-type": "text/plain; charset=utf-8", "x-csrf-token": TOKEN },
    body: `count=${count}`,
    session: { ...request.session, count: count + 1 },
  };
};

const server = await serve(wrapSession(counter), {
  port: Number(process.env.PORT ?? 0),
  hostname: "127.0.0.1",
});
console.log(`READY ${server.port}`);
