// GET /hello on fastify 5, logger off (its default), route answered with reply.send.
import Fastify from "fastify";

const app = Fastify({ logger: false });
app.get("/hello", (_request, reply) => {
  reply.type("text/plain; charset=utf-8").send("hello world");
});

await app.listen({ port: Number(process.env.PORT ?? 0), host: "127.0.0.1" });
console.log(`READY ${app.server.address().port}`);
