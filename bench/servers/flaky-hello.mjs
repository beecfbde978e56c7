// Self-check only (`npm run bench -- --suite self-check`): GET /hello that fails one request in 200
// with a 500 after the first few. wrk's error count must make its run FAIL, even without Lua.
import { createServer } from "node:http";

let requests = 0;

const server = createServer((_req, res) => {
  requests++;
  const ok = requests <= 100 || requests % 200 !== 0;
  res.writeHead(ok ? 200 : 500, { "content-type": "text/plain; charset=utf-8" });
  res.end(ok ? "hello world" : "oops");
});

server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  console.log(`READY ${server.address().port}`);
});
