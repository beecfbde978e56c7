// GET /hello on express 5. X-Powered-By and ETag are turned off so it sends the same headers as the
// others (an ETag costs a hash of the body per response).
import express from "express";

const app = express();
app.disable("x-powered-by");
app.set("etag", false);
app.get("/hello", (_req, res) => {
  res.type("text/plain").send("hello world");
});

const server = app.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  console.log(`READY ${server.address().port}`);
});
