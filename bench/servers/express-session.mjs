// The counter on express 5 + express-session with its default MemoryStore (server-side, signed id
// cookie). resave/saveUninitialized off, as its docs recommend; X-Powered-By and ETag off.
import { randomBytes } from "node:crypto";
import express from "express";
import session from "express-session";

const app = express();
app.disable("x-powered-by");
app.set("etag", false);
app.use(
  session({
    secret: randomBytes(32).toString("base64url"),
    resave: false,
    saveUninitialized: false,
    cookie: { path: "/", httpOnly: true, sameSite: "lax", secure: false },
  }),
);
app.get("/counter", (req, res) => {
  const count = req.session.count ?? 0;
  req.session.count = count + 1;
  res.type("text/plain").send(`count=${count}`);
});

const server = app.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  console.log(`READY ${server.address().port}`);
});
