// GET /hello on ringlet's Node adapter (`serve` from ringlet/node, the built package in dist/).
import { serve } from "../../dist/node.js";

const hello = { status: 200, headers: { "content-type": "text/plain; charset=utf-8" }, body: "hello world" };
const notFound = { status: 404, headers: {}, body: undefined };

const server = await serve((request) => (request.uri === "/hello" ? hello : notFound), {
  port: Number(process.env.PORT ?? 0),
  hostname: "127.0.0.1",
});
console.log(`READY ${server.port}`);
