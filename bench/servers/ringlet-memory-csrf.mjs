// Ring's counter on ringlet with wrapAntiForgery (issue 14): wrapSession(wrapAntiForgery(counter)) with the
// default memoryStore. GET and POST /counter both count; every response carries a fresh masked token in
// `x-csrf-token` (as a page with a form would), which check.lua's `counter-post` mode sends back on POSTs.
import { serve } from "../../dist/node.js";
import { wrapAntiForgery, wrapSession } from "../../dist/session.js";

const notFound = { status: 404, headers: {}, body: undefined };

const counter = (request) => {
  if (request.uri !== "/counter") return notFound;
  const count = request.session.count ?? 0;
  return {
    status: 200,
    headers: { "content-type": "text/plain; charset=utf-8", "x-csrf-token": request.antiForgeryToken },
    body: `count=${count}`,
    session: { ...request.session, count: count + 1 },
  };
};

const server = await serve(wrapSession(wrapAntiForgery(counter)), {
  port: Number(process.env.PORT ?? 0),
  hostname: "127.0.0.1",
});
console.log(`READY ${server.port}`);
