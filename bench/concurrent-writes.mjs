// Lost session writes (issue 15), measured: 32 concurrent requests of one session against express-session and
// ringlet's `onConflict` modes. Each handler reads the session, waits `--delay` ms (a database call, say),
// then writes; so all 32 have read before the first writes. Counts outcomes, not speed.
//
//   npm run build && node bench/concurrent-writes.mjs [--requests 32] [--delay 20]
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import express from "express";
import session from "express-session";
import { response } from "../dist/index.js";
import { serve } from "../dist/node.js";
import { memoryStore, wrapSession } from "../dist/session.js";

const { values } = parseArgs({
  options: { requests: { type: "string", default: "32" }, delay: { type: "string", default: "20" } },
});
const N = Number(values.requests);
const DELAY = Number(values.delay);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** What one request does to the session: increment `count`, or set its own key `k<i>`. */
const change = {
  increment: (data) => ({ ...data, count: (data.count ?? 0) + 1 }),
  ownKey: (data, i) => ({ ...data, [`k${i}`]: i }),
};

function expressServer() {
  const app = express();
  app.use(
    session({ secret: randomBytes(32).toString("base64url"), resave: false, saveUninitialized: false }),
  );
  app.get("/start", (req, res) => {
    req.session.started = true;
    res.send("ok");
  });
  app.get("/show", (req, res) => {
    const { cookie: _cookie, ...data } = req.session;
    res.json(data);
  });
  app.get("/:what", async (req, res) => {
    const { cookie: _cookie, ...before } = req.session;
    await sleep(DELAY);
    Object.assign(req.session, change[req.params.what](before, Number(req.query.i)));
    res.json({ count: req.session.count });
  });
  return new Promise((resolve) => {
    const server = app.listen(0, "127.0.0.1", () =>
      resolve({ url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() }),
    );
  });
}

async function ringletServer(options) {
  const app = wrapSession(
    async (req) => {
      if (req.uri === "/start") return { ...response("ok"), session: { started: true } };
      if (req.uri === "/show") return response(JSON.stringify(req.session));
      await sleep(DELAY);
      const i = Number(new URLSearchParams(req.queryString ?? "").get("i"));
      const next = change[req.uri.slice(1)](req.session, i);
      return { ...response(JSON.stringify({ count: next.count })), session: next };
    },
    { store: memoryStore(), onError: () => {}, ...options },
  );
  const server = await serve(app, { port: 0, onError: () => {} });
  return { url: server.url.replace(/\/$/, ""), close: () => server.close() };
}

async function trial(server, what) {
  const start = await fetch(`${server.url}/start`);
  const cookie = start.headers.getSetCookie()[0].split(";")[0];
  const statuses = await Promise.all(
    Array.from({ length: N }, async (_, i) => {
      const res = await fetch(`${server.url}/${what}?i=${i}`, { headers: { cookie } });
      await res.arrayBuffer();
      return res.status;
    }),
  );
  const final = await (await fetch(`${server.url}/show`, { headers: { cookie } })).json();
  const ok = statuses.filter((s) => s === 200).length;
  const keys = Object.keys(final).filter((k) => /^k\d+$/.test(k)).length;
  return what === "increment"
    ? `count ${final.count ?? 0}, ${ok} × 200, ${N - ok} × 409`
    : `${keys} of ${N} keys`;
}

const targets = [
  ["express-session 1.19 (MemoryStore)", expressServer],
  ['ringlet, onConflict "merge" (default)', () => ringletServer({})],
  ['ringlet, onConflict "retry" (maxAttempts 3, default)', () => ringletServer({ onConflict: "retry" })],
  [
    `ringlet, onConflict "retry", maxAttempts ${N}`,
    () => ringletServer({ onConflict: "retry", maxAttempts: N }),
  ],
  ['ringlet, onConflict "reject"', () => ringletServer({ onConflict: "reject" })],
];

console.log(`${N} concurrent requests of one session, ${DELAY} ms between read and write\n`);
console.log(`| server | ${N} × set own key | ${N} × increment |`);
console.log("|:--|:--|:--|");
for (const [name, start] of targets) {
  const server = await start();
  const keys = await trial(server, "ownKey");
  const counts = await trial(server, "increment");
  server.close();
  console.log(`| ${name} | ${keys} | ${counts} |`);
}
