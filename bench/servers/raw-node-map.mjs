// Baseline for server-side sessions: raw node:http, the counter kept in a Map under a random
// 256-bit cookie id (the same key size as ringlet's memory store). An unknown id is never adopted.
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { parseCookie } from "cookie";

const sessions = new Map();

const server = createServer((req, res) => {
  if (req.url !== "/counter") {
    res.writeHead(404, { "content-length": 0 });
    res.end();
    return;
  }
  const header = req.headers.cookie;
  let id = header === undefined ? undefined : parseCookie(header).sid;
  let session = id === undefined ? undefined : sessions.get(id);
  const headers = { "content-type": "text/plain; charset=utf-8" };
  if (session === undefined) {
    id = randomBytes(32).toString("base64url");
    session = {};
    headers["set-cookie"] = `sid=${id}; Path=/; HttpOnly; SameSite=Lax`;
  }
  const count = session.count ?? 0;
  sessions.set(id, { ...session, count: count + 1 });
  const body = `count=${count}`;
  headers["content-length"] = Buffer.byteLength(body);
  res.writeHead(200, headers);
  res.end(body);
});

server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  console.log(`READY ${server.address().port}`);
});
