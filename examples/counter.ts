/**
 * Ring's session counter (`npm start`): each visit increments a number kept in the session, in the default
 * memory store. Open http://localhost:3000 and reload; `PORT=8080 npm start` picks another port.
 */
import { pathToFileURL } from "node:url";
import { serve } from "../src/adapters/node.js";
import { notFound, response } from "../src/index.js";
import { type SessionHandler, wrapSession } from "../src/session/index.js";

/** The session's shape: the count is absent on the first visit. */
export type Counter = { count?: number };

export const handler: SessionHandler<Counter> = (req) => {
  const count = req.session.count ?? 0;
  return {
    ...response(`You accessed this page ${count} times.`),
    session: { ...req.session, count: count + 1 },
  };
};

/** The counter with the memory store; browsers also ask for /favicon.ico, which must not count as a visit. */
export function counterApp(app = wrapSession(handler)) {
  return (req: Parameters<typeof app>[0]) => (req.uri === "/favicon.ico" ? notFound() : app(req));
}

// Started as a program (not imported by a test): serve it.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const server = await serve(counterApp(), { port: Number(process.env.PORT ?? 3000) });
  console.log(`Counter at http://localhost:${server.port} (Ctrl-C to stop)`);
}
