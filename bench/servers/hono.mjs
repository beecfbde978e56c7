// GET /hello on hono through @hono/node-server (web Request/Response over node:http).
import { serve } from "@hono/node-server";
import { Hono } from "hono";

const app = new Hono();
app.get("/hello", (c) => c.text("hello world"));

serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 0), hostname: "127.0.0.1" }, (info) => {
  console.log(`READY ${info.port}`);
});
