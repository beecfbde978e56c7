// The counter on koa 3 + koa-session 7 with its default cookie-based store (base64 JSON, 1-day
// maxAge). koa-session signs by default with a second cookie (`koa.sess.sig`, HMAC-SHA1 of
// `koa.sess=<value>`); wrk's Lua sees only the last Set-Cookie line of a response, so the same
// HMAC-SHA1 signature travels inside the one cookie instead (encode/decode options), same work.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import Koa from "koa";
import session from "koa-session";

const app = new Koa();
app.keys = [randomBytes(32).toString("base64url")];
const key = "koa.sess";

const sign = (value) => createHmac("sha1", app.keys[0]).update(`${key}=${value}`).digest("base64url");

function encode(data) {
  const value = Buffer.from(JSON.stringify(data)).toString("base64");
  return `${value}.${sign(value)}`;
}

function decode(cookie) {
  const dot = cookie.lastIndexOf(".");
  const value = cookie.slice(0, dot);
  const given = Buffer.from(cookie.slice(dot + 1));
  const expected = Buffer.from(sign(value));
  // A SyntaxError makes koa-session start a fresh session, as for a bad default signature.
  if (dot < 0 || given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new SyntaxError("bad signature");
  }
  return JSON.parse(Buffer.from(value, "base64").toString("utf8"));
}

app.use(session({ key, signed: false, httpOnly: true, sameSite: "lax", secure: false, encode, decode }, app));
app.use((ctx) => {
  if (ctx.path !== "/counter") return;
  const count = ctx.session.count ?? 0;
  ctx.session.count = count + 1;
  ctx.type = "text/plain; charset=utf-8";
  ctx.body = `count=${count}`;
});

const server = app.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  console.log(`READY ${server.address().port}`);
});
