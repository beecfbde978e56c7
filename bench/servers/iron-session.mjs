// The counter with iron-session 8 on raw node:http: getIronSession(req, res, options) opens the
// sealed cookie, session.save() seals it again (iron: AES-256-CBC + HMAC-SHA256, keys from PBKDF2).
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { getIronSession } from "iron-session";

const options = {
  password: randomBytes(32).toString("base64url"),
  cookieName: "iron-session",
  cookieOptions: { path: "/", httpOnly: true, sameSite: "lax", secure: false },
};

const server = createServer(async (req, res) => {
  if (req.url !== "/counter") {
    res.writeHead(404, { "content-length": 0 });
    res.end();
    return;
  }
  try {
    const session = await getIronSession(req, res, options);
    const count = session.count ?? 0;
    session.count = count + 1;
    await session.save();
    const body = `count=${count}`;
    res.writeHead(200, {
      "content-type": "text/plain; charset=utf-8",
      "content-length": Buffer.byteLength(body),
    });
    res.end(body);
  } catch {
    res.writeHead(500, { "content-length": 0 });
    res.end();
  }
});

server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  console.log(`READY ${server.address().port}`);
});
