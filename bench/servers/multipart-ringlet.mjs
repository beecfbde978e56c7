// POST / multipart/form-data through wrapMultipartParams (temp-file store) on ringlet's Node adapter, the
// built package in dist/. GET /rss: peak RSS. See bench/multipart.mjs.
import { serve, wrapMultipartParams } from "../../dist/node.js";

const app = wrapMultipartParams((request) => {
  if (request.method === "GET") {
    return { status: 200, headers: {}, body: JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS }) };
  }
  const sizes = {};
  for (const [name, value] of Object.entries(request.multipartParams)) {
    sizes[name] = typeof value === "string" ? value.length : value.size;
  }
  return { status: 200, headers: {}, body: JSON.stringify(sizes) };
});

const server = await serve(app, { port: Number(process.env.PORT ?? 0), hostname: "127.0.0.1" });
console.log(`READY ${server.port}`);
