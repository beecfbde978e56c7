// `npm run bench -- --suite adversarial` (issue 10): what hostile input costs. Each case is an attack and an
// honest request of the same size on the same route. Two copies of one server share the server core; one is
// loaded with the honest request and one with the attack, at the same time, by two wrk processes on the wrk
// core. The scheduler gives two busy servers equal shares of the core, so attack req/s ÷ honest req/s is the
// inverse ratio of their CPU cost per request, measured in the same seconds. A control round loads both
// copies honestly: its spread around 1.00× is the method's noise. Target: ringlet keeps ≥ 0.5× everywhere.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ensureBuilt, intOption } from "./cli.mjs";
import { startServer } from "./server-process.mjs";
import { runWrk } from "./wrk.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const GOAL = 0.5;

const SERVERS = [
  {
    id: "ringlet",
    label: "ringlet",
    file: "adversarial-ringlet.mjs",
    needs: ["dist/node.js", "dist/session.js"],
  },
  { id: "express", label: "express + express-session", file: "adversarial-express.mjs" },
  { id: "fastify", label: "fastify + @fastify/session", file: "adversarial-fastify.mjs" },
];

const FORM = { "content-type": "application/x-www-form-urlencoded" };
// `n` copies of a pair joined by "&", without a trailing one (which some parsers count as a pair).
const repeat = (unit, n) => unit.repeat(n).replace(/[&; ]+$/, "");
const pad = (prefix, length) => prefix + "x".repeat(Math.max(0, length - prefix.length));
const pairs = (n, value = "1") => Array.from({ length: n }, (_, i) => `a${i}=${value}`).join("&");
const cookies = (n) => Array.from({ length: n }, (_, i) => `c${i}=1`).join("; ");

/**
 * The cases: `honest` and `attack` are requests of (about) the same size in bytes. `status` is what the
 * request must be answered with; a case whose attack is refused (413) still counts what the refusal costs.
 */
function cases() {
  const badQuery = repeat("a=%ZZ&", 1000);
  const badForm = repeat("a=%ZZ&", 1000);
  const sameName = repeat("sid=%E0%A4%A; ", 690);
  const manySmall = cookies(1400);
  const longSession = `sid=${"A".repeat(12_000)}`;
  const megabyte = repeat("a=%ZZ&", 174_762);
  const headers = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`x-h${i}`, "v"]));
  const headerBytes = Object.entries(headers).reduce((n, [k, v]) => n + k.length + v.length + 4, 0);
  return [
    {
      id: "query-bad-escapes",
      title: "query of 1,000 malformed escapes (a=%ZZ)",
      honest: { method: "GET", path: `/params?${repeat("a=%41&", 1000)}`, status: 200 },
      attack: { method: "GET", path: `/params?${badQuery}`, status: 200 },
    },
    {
      id: "query-1000-pairs",
      title: "query of 1,000 valid pairs",
      honest: { method: "GET", path: `/params?${pad("q=", pairs(1000).length)}`, status: 200 },
      attack: { method: "GET", path: `/params?${pairs(1000)}`, status: 200 },
    },
    {
      id: "query-too-many",
      title: "query of 2,000 pairs (over the 1,000 limit: 413 where there is a limit)",
      honest: { method: "GET", path: `/params?${pad("q=", 12_000)}`, status: 200 },
      attack: { method: "GET", path: `/params?${repeat("a=%ZZ&", 2000)}`, status: "any" },
    },
    {
      id: "form-bad-escapes",
      title: "form body of 1,000 malformed escapes",
      honest: { method: "POST", path: "/params", headers: FORM, body: repeat("a=%41&", 1000), status: 200 },
      attack: { method: "POST", path: "/params", headers: FORM, body: badForm, status: 200 },
    },
    {
      id: "form-1mb",
      title: "1 MiB form body of a=%ZZ (174,762 pairs)",
      honest: {
        method: "POST",
        path: "/params",
        headers: FORM,
        body: pad("q=", megabyte.length),
        status: 200,
      },
      attack: { method: "POST", path: "/params", headers: FORM, body: megabyte, status: "any" },
    },
    {
      id: "cookie-same-name",
      title: "690 undecodable session cookies (sid=%E0%A4%A)",
      honest: {
        method: "GET",
        path: "/session",
        headers: { cookie: pad("pad=", sameName.length) },
        status: 200,
      },
      attack: { method: "GET", path: "/session", headers: { cookie: sameName }, status: 200 },
    },
    {
      id: "cookie-many-small",
      title: "1,400 small cookies",
      honest: {
        method: "GET",
        path: "/session",
        headers: { cookie: pad("pad=", manySmall.length) },
        status: 200,
      },
      attack: { method: "GET", path: "/session", headers: { cookie: manySmall }, status: 200 },
    },
    {
      id: "cookie-long-session",
      title: "a 12 KB session cookie",
      honest: {
        method: "GET",
        path: "/session",
        headers: { cookie: pad("pad=", longSession.length) },
        status: 200,
      },
      attack: { method: "GET", path: "/session", headers: { cookie: longSession }, status: 200 },
    },
    {
      id: "many-headers",
      title: "150 small headers",
      honest: {
        method: "GET",
        path: "/session",
        headers: { "x-pad": pad("", headerBytes - 9) },
        status: 200,
      },
      attack: { method: "GET", path: "/session", headers, status: 200 },
    },
  ];
}

const USAGE = `usage: npm run bench -- --suite adversarial [options]
  --duration <s>        seconds of measurement per head-to-head round (default: 5)
  --warmup <s>          seconds of warm-up load before each round (default: 2)
  --rounds <n>          head-to-head rounds per case and server; the median is reported (default: 3)
  --connections <n>     wrk connections, split between the two copies (default: 16)
  --servers <id,...>    ringlet, express, fastify (default: all)
  --cases <id,...>      case ids (default: all)
  --server-cpu <n>      core the servers are pinned to (default: 0)
  --wrk-cpu <n>         core wrk is pinned to (default: 1)
  --nice <n>            run servers and wrk under \`nice -n <n>\` (default: 0)
  --no-build            do not rebuild dist/ even when src/ is newer`;

function options(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      suite: { type: "string" },
      duration: { type: "string", default: "5" },
      warmup: { type: "string", default: "2" },
      rounds: { type: "string", default: "3" },
      connections: { type: "string", default: "16" },
      servers: { type: "string" },
      cases: { type: "string" },
      "server-cpu": { type: "string", default: "0" },
      "wrk-cpu": { type: "string", default: "1" },
      nice: { type: "string", default: "0" },
      "no-build": { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const pick = (flag, all) => {
    if (values[flag] === undefined) return all;
    const ids = values[flag].split(",").map((s) => s.trim());
    const unknown = ids.filter((id) => !all.some((x) => x.id === id));
    if (unknown.length > 0) throw new Error(`--${flag}: unknown id(s) ${unknown.join(", ")}`);
    return all.filter((x) => ids.includes(x.id));
  };
  const int = (name, min) => intOption(values, name, min);
  return {
    servers: pick("servers", SERVERS),
    cases: pick("cases", cases()),
    duration: int("duration", 1),
    warmup: int("warmup", 0),
    rounds: int("rounds", 1),
    connections: int("connections", 2),
    serverCpu: int("server-cpu", 0),
    wrkCpu: int("wrk-cpu", 0),
    nice: int("nice", -20),
    build: !values["no-build"],
  };
}

/** A wrk script that sends `request` (Lua long brackets, so the text needs no escaping). */
function luaScript(dir, name, request) {
  const long = (text) => {
    let level = "";
    while (text.includes(`]${level}]`)) level += "=";
    return `[${level}[${text}]${level}]`;
  };
  const lines = [`wrk.method = ${long(request.method)}`, `wrk.path = ${long(request.path)}`];
  for (const [key, value] of Object.entries(request.headers ?? {})) {
    lines.push(`wrk.headers[ ${long(key)} ] = ${long(value)}`);
  }
  if (request.body !== undefined) lines.push(`wrk.body = ${long(request.body)}`);
  const file = join(dir, `${name}.lua`);
  writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
}

/** One request through fetch before any load: the server must answer it as the case expects. */
async function checkRequest(url, request) {
  const res = await fetch(`${url}${request.path}`, {
    method: request.method,
    headers: request.headers,
    body: request.body,
  });
  await res.arrayBuffer();
  if (request.status !== "any" && res.status !== request.status) {
    throw new Error(
      `${request.method} ${request.path.slice(0, 40)}… answered ${res.status}, expected ${request.status}`,
    );
  }
  return res.status;
}

/**
 * The reasons a wrk run cannot be trusted. `status` is what the server answered the same request through
 * fetch: a refusal (413, say) must then be the answer to every request, and a 2xx to every one.
 */
function problems(result, status) {
  const out = [];
  if (result.requestsPerSecond === undefined || !(result.requests > 0))
    out.push("wrk printed no Requests/sec");
  if (/\.lua:\d+:/.test(result.text)) out.push("the request script failed");
  if (status < 300 && result.non2xx > 0) out.push(`${result.non2xx} non-2xx responses (expected ${status})`);
  if (status >= 300 && result.non2xx !== result.requests)
    out.push(`${result.requests - result.non2xx} 2xx responses (expected ${status})`);
  const errors = Object.entries(result.socketErrors).filter(([, n]) => n > 0);
  // A server may close the connection after a refusal, before reading the rest of the request.
  if (status < 300 && errors.length > 0)
    out.push(`socket errors: ${errors.map(([k, n]) => `${k} ${n}`).join(", ")}`);
  if (result.exitCode !== 0) out.push(`wrk exited with ${result.exitCode}`);
  return out;
}

/** Head-to-head rounds of `a` against `b` (two requests) on two copies of `server`: each round's ratio a/b. */
async function headToHead(server, scripts, [a, b], opts) {
  const connections = Math.max(1, Math.floor(opts.connections / 2));
  const ratios = [];
  const statuses = new Set();
  for (let round = 0; round < opts.rounds; round++) {
    const copies = [];
    try {
      for (let i = 0; i < 2; i++)
        copies.push(await startServer(server.file, { cpu: opts.serverCpu, nice: opts.nice }));
      // Which copy serves which request alternates by round.
      const order = round % 2 === 0 ? [a, b] : [b, a];
      const answered = [];
      for (const [i, name] of order.entries()) {
        answered.push(await checkRequest(copies[i].url, scripts[name].request));
        statuses.add(`${name.split("-")[0]} ${answered[i]}`);
      }
      const load = (phase, duration) =>
        Promise.all(
          order.map(async (name, i) => {
            const result = await runWrk(`${copies[i].url}/`, {
              cpu: opts.wrkCpu,
              nice: opts.nice,
              threads: 1,
              connections,
              duration,
              script: scripts[name].file,
            });
            const found = problems(result, answered[i]);
            if (found.length > 0)
              throw new Error(`${phase} (${name}): ${found.join("; ")}\n${result.text.trim()}`);
            return result.requestsPerSecond;
          }),
        );
      if (opts.warmup > 0) await load("warm-up", opts.warmup);
      const rps = await load("run", opts.duration);
      const [x, y] = round % 2 === 0 ? rps : [rps[1], rps[0]];
      if (x === 0 || y === 0)
        throw new Error("no request completed: the server closes the connection on refusal");
      ratios.push(x / y);
    } finally {
      for (const copy of copies) await copy.stop();
    }
  }
  return { ratios, statuses: [...statuses] };
}

const median = (xs) => {
  const s = [...xs].sort((p, q) => p - q);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

export async function main(argv = process.argv.slice(2)) {
  const opts = options(argv);
  const needs = opts.servers.flatMap((s) => s.needs ?? []);
  const unbuilt = ensureBuilt(ROOT, needs, opts.build);
  if (unbuilt !== undefined) throw new Error(unbuilt);
  const dir = mkdtempSync(join(tmpdir(), "ringlet-adversarial-"));
  const table = new Map();
  let failed = false;
  try {
    console.log(
      `## adversarial: attack req/s ÷ honest req/s of the same size, head to head, median of ${opts.rounds} ` +
        `rounds of ${opts.duration} s (${opts.connections} connections)`,
    );
    for (const server of opts.servers) {
      // The control: the first case's honest request against itself.
      const control = opts.cases[0];
      const rows = [
        {
          id: "control",
          title: `control: ${control.id}'s honest request against itself`,
          honest: control.honest,
          attack: control.honest,
        },
        ...opts.cases,
      ];
      for (const c of rows) {
        const scripts = {
          "honest-request": { request: c.honest, file: luaScript(dir, `${c.id}-honest`, c.honest) },
          "attack-request": { request: c.attack, file: luaScript(dir, `${c.id}-attack`, c.attack) },
        };
        process.stdout.write(`${server.id} ${c.id}: `);
        try {
          const { ratios, statuses } = await headToHead(
            server,
            scripts,
            ["attack-request", "honest-request"],
            opts,
          );
          console.log(`${ratios.map((r) => r.toFixed(3)).join(", ")} (${statuses.join(", ")})`);
          table.set(`${server.id}/${c.id}`, { ratios, statuses });
        } catch (error) {
          console.log("FAILED");
          console.error(`!!! ${server.id}/${c.id}: ${error.message}`);
          table.set(`${server.id}/${c.id}`, { failure: error.message });
          failed = true;
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const ids = ["control", ...opts.cases.map((c) => c.id)];
  console.log(`\n| case | ${opts.servers.map((s) => s.label).join(" | ")} |`);
  console.log(`|---|${opts.servers.map(() => "---:").join("|")}|`);
  for (const id of ids) {
    const cells = opts.servers.map((s) => {
      const entry = table.get(`${s.id}/${id}`);
      if (entry === undefined || entry.failure !== undefined) return "failed";
      const m = median(entry.ratios);
      return `${m.toFixed(2)}× (${Math.min(...entry.ratios).toFixed(2)}–${Math.max(...entry.ratios).toFixed(2)})`;
    });
    console.log(`| ${id} | ${cells.join(" | ")} |`);
  }
  if (opts.servers.some((s) => s.id === "ringlet")) {
    const misses = opts.cases.filter((c) => {
      const entry = table.get(`ringlet/${c.id}`);
      return entry?.ratios === undefined || median(entry.ratios) < GOAL;
    });
    console.log(
      misses.length === 0
        ? `\ngoal met: every attack keeps ≥ ${GOAL}× the honest request's throughput on ringlet`
        : `\ngoal NOT met on ringlet (≥ ${GOAL}×): ${misses.map((c) => c.id).join(", ")}`,
    );
    if (misses.length > 0) failed = true;
  }
  if (failed) process.exitCode = 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
