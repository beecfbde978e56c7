/**
 * The session counter with the whole session sealed in the cookie (`cookieStore`): nothing is kept on the
 * server. `SESSION_SECRET=$(openssl rand -base64 32) npx tsx examples/counter-cookie-store.ts`; without a
 * secret, a random per-process key is used (with a warning), so sessions do not survive a restart.
 */
import { pathToFileURL } from "node:url";
import { serve } from "../src/adapters/node.js";
import { cookieStore, wrapSession } from "../src/session/index.js";
import { counterApp, handler } from "./counter.js";

const secret = process.env.SESSION_SECRET;

export const app = counterApp(wrapSession(handler, { store: cookieStore(secret ? { secret } : {}) }));

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const server = await serve(app, { port: Number(process.env.PORT ?? 3000) });
  console.log(`Counter (cookie store) at http://localhost:${server.port} (Ctrl-C to stop)`);
}
