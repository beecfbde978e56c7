// The routes bench/adversarial.mjs attacks, on fastify 5: its query parser, @fastify/formbody (fastify's
// default 1 MiB body limit) and @fastify/session's in-memory store, cookie "sid".
import { randomBytes } from "node:crypto";
import fastifyCookie from "@fastify/cookie";
import fastifyFormbody from "@fastify/formbody";
import fastifySession from "@fastify/session";
import Fastify from "fastify";

const app = Fastify({ logger: false });
await app.register(fastifyFormbody);
await app.register(async (scope) => {
  await scope.register(fastifyCookie);
  await scope.register(fastifySession, {
    cookieName: "sid",
    secret: randomBytes(32).toString("base64url"),
    saveUninitialized: false,
    cookie: { secure: false },
  });
  scope.get("/session", (request, reply) => {
    reply.type("text/plain; charset=utf-8").send(`count=${request.session.get("count") ?? 0}`);
  });
});
const count = (params) => Object.keys(params ?? {}).length;
app.get("/params", (request, reply) => reply.type("text/plain").send(`n=${count(request.query)}`));
app.post("/params", (request, reply) =>
  reply.type("text/plain").send(`n=${count(request.query) + count(request.body)}`),
);

await app.listen({ port: Number(process.env.PORT ?? 0), host: "127.0.0.1" });
console.log(`READY ${app.server.address().port}`);
