// The routes bench/adversarial.mjs attacks, on express 5: express.urlencoded (its default 1,000-parameter
// limit, the body limit raised to ringlet's 1 MiB) and express-session's MemoryStore, cookie "sid".
import { randomBytes } from "node:crypto";
import express from "express";
import session from "express-session";

const app = express();
app.disable("x-powered-by");
app.set("etag", false);
app.set("query parser", "simple");
const form = express.urlencoded({ extended: false, limit: "1mb" });
const sessions = session({
  name: "sid",
  secret: randomBytes(32).toString("base64url"),
  resave: false,
  saveUninitialized: false,
});
const count = (params) => Object.keys(params ?? {}).length;
app.get("/params", (req, res) => res.type("text/plain").send(`n=${count(req.query)}`));
app.post("/params", form, (req, res) =>
  res.type("text/plain").send(`n=${count(req.query) + count(req.body)}`),
);
app.get("/session", sessions, (req, res) => res.type("text/plain").send(`count=${req.session.count ?? 0}`));

const server = app.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  console.log(`READY ${server.address().port}`);
});
