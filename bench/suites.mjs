// The two benchmark suites: what each target serves, which target is the baseline of each ratio,
// and the goals from issues 2 and 3. One server file per target lives in bench/servers/.

/**
 * @typedef {object} Target
 * @property {string} id        unique within its suite
 * @property {string} label     shown in the table
 * @property {string} file      the server, in bench/servers/
 * @property {"hello" | "counter" | "counter-post" | "file"} kind  GET /hello → "hello world", GET /counter →
 *           "count=<n>", one GET /counter then POST /counter with the `x-csrf-token` it sent → "count=<n>",
 *           or GET `path` → the bytes of that file of bench/static-files.mjs
 * @property {string} [path] the request path of a "file" target
 * @property {string[]} [needs] built files of the package it imports (dist/…)
 * @property {boolean} [checkScript] overrides the suite's choice of running bench/check.lua
 */

const hello = (id, label, file, needs) => ({ id, label, file, kind: "hello", needs });
const counter = (id, label, file, needs) => ({ id, label, file, kind: "counter", needs });
const counterPost = (id, label, file, needs) => ({ id, label, file, kind: "counter-post", needs });

/** GET of one static file, `path` in bench/static-files.mjs: the body must be exactly that file's bytes. */
const file = (id, label, fileName, path, needs) => ({ id, label, file: fileName, kind: "file", path, needs });

const RINGLET_NODE = ["dist/node.js"];
const RINGLET_SESSION = ["dist/node.js", "dist/session.js"];
const RINGLET_REDIS = ["dist/node.js", "dist/session.js", "dist/redis.js"];

/** The suites, by the name given to `--suite`. */
export const SUITES = {
  http: {
    title: "GET /hello (issue 2)",
    // Plain wrk (no Lua): the body of every target is checked once before it is measured, and wrk
    // counts socket errors and non-2xx responses during the run.
    checkScript: false,
    targets: [
      hello("raw-node", "raw node:http", "raw-node.mjs"),
      hello("ringlet-node", "ringlet/node", "ringlet-node.mjs", RINGLET_NODE),
      hello("fastify", "fastify", "fastify.mjs"),
      hello("hono", "hono (@hono/node-server)", "hono.mjs"),
      hello("express", "express", "express.mjs"),
    ],
    ratios: [{ against: "raw-node", header: "× raw node:http" }],
    goals: [{ target: "ringlet-node", against: "raw-node", atLeast: 0.93 }],
  },
  session: {
    title: "GET /counter, one session cookie re-sent on every request (issue 3)",
    // bench/check.lua on every target (raw /hello included, so the load generator is the same):
    // one wrk thread per connection, each thread one session, every response checked.
    checkScript: true,
    targets: [
      hello("raw-node", "raw node:http /hello", "raw-node.mjs"),
      counter("raw-node-map", "raw node:http + Map", "raw-node-map.mjs"),
      counter("ringlet-memory", "ringlet memoryStore", "ringlet-memory.mjs", RINGLET_SESSION),
      counter(
        "ringlet-memory-unversioned",
        "ringlet memoryStore, unversioned",
        "ringlet-memory-unversioned.mjs",
        RINGLET_SESSION,
      ),
      counter("ringlet-cookie", "ringlet cookieStore", "ringlet-cookie.mjs", RINGLET_SESSION),
      // The Redis at 127.0.0.1:6379 (node-redis): versioned (GET + EVAL) against unversioned (GET + SET XX).
      counter("ringlet-redis", "ringlet redisStore", "ringlet-redis.mjs", RINGLET_REDIS),
      counter(
        "ringlet-redis-unversioned",
        "ringlet redisStore, unversioned",
        "ringlet-redis-unversioned.mjs",
        RINGLET_REDIS,
      ),
      counter("express-session", "express + express-session", "express-session.mjs"),
      counter("fastify-session", "fastify + @fastify/session", "fastify-session.mjs"),
      counter("fastify-secure-session", "fastify + @fastify/secure-session", "fastify-secure-session.mjs"),
      counter("iron-session", "iron-session (node:http)", "iron-session.mjs"),
      counter("koa-session", "koa + koa-session", "koa-session.mjs"),
      counter("raw-node-aes", "raw node:http + AES-256-GCM", "raw-node-aes.mjs"),
    ],
    ratios: [
      { against: "raw-node", header: "× raw /hello" },
      { against: "raw-node-map", header: "× raw + Map" },
    ],
    goals: [
      { target: "ringlet-memory", against: "raw-node-map", atLeast: 0.8 },
      { target: "ringlet-cookie", against: "fastify-secure-session", atLeast: 1.1 },
      // Issue 15: versioning must not tax the common case (one request at a time per session).
      { target: "ringlet-memory", against: "ringlet-memory-unversioned", atLeast: 0.95 },
      { target: "ringlet-redis", against: "ringlet-redis-unversioned", atLeast: 0.9 },
    ],
  },
  "anti-forgery": {
    title: "the memory-store counter with and without wrapAntiForgery, GET and POST (issue 14)",
    // bench/check.lua as in the session suite; `counter-post` sends POSTs with the token after one GET.
    checkScript: true,
    targets: [
      counter("memory-get", "memoryStore counter, GET", "ringlet-memory-csrf-off.mjs", RINGLET_SESSION),
      counter("anti-forgery-get", "+ wrapAntiForgery, GET", "ringlet-memory-csrf.mjs", RINGLET_SESSION),
      counterPost("memory-post", "memoryStore counter, POST", "ringlet-memory-csrf-off.mjs", RINGLET_SESSION),
      counterPost(
        "anti-forgery-post",
        "+ wrapAntiForgery, POST + token",
        "ringlet-memory-csrf.mjs",
        RINGLET_SESSION,
      ),
    ],
    ratios: [
      { against: "memory-get", header: "× GET without" },
      { against: "memory-post", header: "× POST without" },
    ],
    goals: [
      { target: "anti-forgery-get", against: "memory-get", atLeast: 0.9 },
      { target: "anti-forgery-post", against: "memory-post", atLeast: 0.9 },
    ],
  },
  static: {
    title: "GET of a static file, 1 KB and 1 MB, keep-alive (issue 17)",
    // Plain wrk: each target's body is checked byte for byte once before it is measured, and wrk counts
    // socket errors and non-2xx responses during the run.
    checkScript: false,
    targets: [
      file("ringlet-1k", "ringlet wrapFile, 1 KB", "ringlet-static.mjs", "/1k.txt", RINGLET_NODE),
      file("fastify-1k", "@fastify/static, 1 KB", "fastify-static.mjs", "/1k.txt"),
      file("serve-static-1k", "serve-static, 1 KB", "serve-static.mjs", "/1k.txt"),
      file("ringlet-1m", "ringlet wrapFile, 1 MB", "ringlet-static.mjs", "/1m.bin", RINGLET_NODE),
      file("fastify-1m", "@fastify/static, 1 MB", "fastify-static.mjs", "/1m.bin"),
      file("serve-static-1m", "serve-static, 1 MB", "serve-static.mjs", "/1m.bin"),
    ],
    ratios: [],
    // Issue 17: at least 1.0x the faster of the two, so at least 1.0x each.
    goals: [
      { target: "ringlet-1k", against: "fastify-1k", atLeast: 1.0 },
      { target: "ringlet-1k", against: "serve-static-1k", atLeast: 1.0 },
      { target: "ringlet-1m", against: "fastify-1m", atLeast: 1.0 },
      { target: "ringlet-1m", against: "serve-static-1m", atLeast: 1.0 },
    ],
  },
  "self-check": {
    title: "the checks themselves: every target here is wrong on purpose and must FAIL",
    checkScript: true,
    expectFailure: true,
    targets: [
      { ...hello("flaky-hello-wrk", "500 once in 200 (plain wrk)", "flaky-hello.mjs"), checkScript: false },
      hello("flaky-hello-lua", "500 once in 200 (check.lua)", "flaky-hello.mjs"),
      counter("lossy-counter", "counter losing an update (check.lua)", "lossy-counter.mjs"),
    ],
    ratios: [],
    goals: [],
  },
};
