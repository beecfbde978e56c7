/**
 * The README's small application: a JSON login kept in a session, a logout, an HttpError and HEAD support.
 * `npx tsx examples/login.ts` serves it on http://localhost:3000 (PORT overrides); the test imports `app`.
 */
import { pathToFileURL } from "node:url";
import { z } from "zod";
import { serve } from "../src/adapters/node.js";
import {
  compose,
  HttpError,
  notFound,
  readJson,
  redirect,
  text,
  wrapHead,
  wrapParams,
} from "../src/index.js";
import { wrapSession } from "../src/session/index.js";

// #region readme
const Login = z.object({ name: z.string().min(1) });

type Visitor = { name?: string };

// Each middleware's keys reach the handler typed: req.session is a Visitor, req.params is there too,
// and a typo such as req.sesion.nmae does not compile.
const middleware = compose(wrapHead, wrapSession<Visitor>(), wrapParams);

export const app = middleware(async (req) => {
  if (req.method === "GET" && req.uri === "/") {
    return text(req.session.name ? `Hello, ${req.session.name}` : "Hello, stranger");
  }
  if (req.method === "POST" && req.uri === "/login") {
    const { name } = await readJson(req, { schema: Login }); // 400, 413 or 415 as HttpError
    return { ...redirect("/", 303), session: { name }, recreateSession: true };
  }
  if (req.method === "POST" && req.uri === "/logout") return { ...redirect("/", 303), session: null };
  if (req.uri === "/admin") throw new HttpError(403, "Not for you");
  return notFound("Not found");
});
// #endregion readme

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const server = await serve(app, { port: Number(process.env.PORT ?? 3000) });
  console.log(`listening on ${server.url}`);
}
