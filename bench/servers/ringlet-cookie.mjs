// Ring's counter on ringlet: wrapSession with cookieStore (AES-256-GCM, the whole session in the
// cookie) under a random 32-byte secret, served by ringlet/node (the built package in dist/).
import { serve } from "../../dist/node.js";
import { cookieStore, wrapSession } from "../../dist/session.js";

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

const secret = crypto.getRandomValues(new Uint8Array(32));
const server = await serve(wrapSession(counter, { store: cookieStore({ secret }) }), {
  port: Number(process.env.PORT ?? 0),
  hostname: "127.0.0.1",
});
console.log(`READY ${server.port}`);
