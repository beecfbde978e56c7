// Static files (issue 17) with @fastify/static on fastify 5, logger off (its default), default options.
import fastifyStatic from "@fastify/static";
import Fastify from "fastify";
import { ensureStaticFiles } from "../static-files.mjs";

const app = Fastify({ logger: false });
await app.register(fastifyStatic, { root: ensureStaticFiles() });

await app.listen({ port: Number(process.env.PORT ?? 0), host: "127.0.0.1" });
console.log(`READY ${app.server.address().port}`);
