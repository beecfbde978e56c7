// The counter on fastify 5 + @fastify/secure-session: the whole session in one cookie sealed with
// libsodium's secretbox (XSalsa20-Poly1305) under a 32-byte key; default 1-day expiry; logger off.
import { randomBytes } from "node:crypto";
import fastifySecureSession from "@fastify/secure-session";
import Fastify from "fastify";

const app = Fastify({ logger: false });
await app.register(fastifySecureSession, {
  key: randomBytes(32),
  cookie: { path: "/", httpOnly: true, sameSite: "lax", secure: false },
});
app.get("/counter", (request, reply) => {
  const count = request.session.get("count") ?? 0;
  request.session.set("count", count + 1);
  reply.type("text/plain; charset=utf-8").send(`count=${count}`);
});

await app.listen({ port: Number(process.env.PORT ?? 0), host: "127.0.0.1" });
console.log(`READY ${app.server.address().port}`);
