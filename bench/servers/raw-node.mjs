// Baseline for both suites: raw node:http answering GET /hello with "hello world".
// Every other /hello target sends the same status, content-type and body.
import { createServer } from "node:http";

const server = createServer((req, res) => {
  if (req.url === "/hello") {
    res.writeHead(200, { "content-type": "text/plain; charset=utf-8", "content-length": 11 });
    res.end("hello world");
    return;
  }
  res.writeHead(404, { "content-length": 0 });
  res.end();
});

server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  console.log(`READY ${server.address().port}`);
});
