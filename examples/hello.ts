/**
 * Hello world on `ringlet/node`: `npx tsx examples/hello.ts`, then open http://localhost:3000/anything.
 * `PORT=8080` picks another port. The handler is a plain function from request map to response map.
 */
import { pathToFileURL } from "node:url";
import { serve } from "../src/adapters/node.js";
import type { Handler } from "../src/index.js";

export const hello: Handler = (request) => ({
  status: 200,
  headers: { "content-type": "text/plain; charset=utf-8" },
  body: `Hello from ${request.uri}\n`,
});

// Started as a program (not imported by a test): serve it.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const server = await serve(hello, { port: Number(process.env.PORT ?? 3000) });
  console.log(`Hello at ${server.url} (Ctrl-C to stop)`);
}
