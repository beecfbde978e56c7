// The counter on fastify 5 + @fastify/cookie + @fastify/session with its default in-memory store
// (server-side, signed id cookie), saveUninitialized off, logger off.
import { randomBytes } from "node:crypto";
import fastifyCookie from "@fastify/cookie";
import fastifySession from "@fastify/session";
import Fastify from "fastify";

const app = Fastify({ logger: false });
await app.register(fastifyCookie);
await app.register(fastifySession, {
  secret: randomBytes(32).toString("base64url"),
  saveUninitialized: false,
  cookie: { path: "/", httpOnly: true, sameSite: "lax", secure: false },
});
app.get("/counter", (request, reply) => {
  const count = request.session.get("count") ?? 0;
  request.session.set("count", count + 1);
  reply.type("text/plain; charset=utf-8").send(`count=${count}`);
});

await app.listen({ port: Number(process.env.PORT ?? 0), host: "127.0.0.1" });
console.log(`READY ${app.server.address().port}`);
