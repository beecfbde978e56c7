// Self-check only (`npm run bench -- --suite self-check`): a counter that answers the first requests
// right, then forgets one update in 200. The session check must make its run FAIL.
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";

const sessions = new Map();
let requests = 0;

const server = createServer((req, res) => {
  requests++;
  let id = /(?:^|; )sid=([\w-]+)/.exec(req.headers.cookie ?? "")?.[1];
  let count = id === undefined ? undefined : sessions.get(id);
  const headers = { "content-type": "text/plain; charset=utf-8" };
  if (count === undefined) {
    id = randomBytes(32).toString("base64url");
    count = 0;
    headers["set-cookie"] = `sid=${id}; Path=/; HttpOnly; SameSite=Lax`;
  }
  sessions.set(id, requests > 100 && requests % 200 === 0 ? count : count + 1);
  res.writeHead(200, headers);
  res.end(`count=${count}`);
});

server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  console.log(`READY ${server.address().port}`);
});
