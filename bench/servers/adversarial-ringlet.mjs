// The routes bench/adversarial.mjs attacks, on ringlet: wrapParams (default limits: 1 MiB, 1,000
// parameters) and wrapSession with its memoryStore, the session cookie named "sid" like the others.

import { wrapParams } from "../../dist/index.js";
import { serve } from "../../dist/node.js";
import { wrapSession } from "../../dist/session.js";

const text = (body) => ({ status: 200, headers: { "content-type": "text/plain; charset=utf-8" }, body });

const app = wrapSession(
  wrapParams((request) => {
    if (request.uri === "/params") return text(`n=${Object.keys(request.params).length}`);
    if (request.uri === "/session") return text(`count=${request.session.count ?? 0}`);
    return { status: 404, headers: {}, body: undefined };
  }),
  { cookieName: "sid" },
);

const server = await serve(app, { port: Number(process.env.PORT ?? 0), hostname: "127.0.0.1" });
console.log(`READY ${server.port}`);
