// `npm run bench`: the HTTP benchmarks of issues 2 and 3. For each target it starts the server pinned
// to one core, checks its answers, warms it up, loads it with wrk pinned to the other core, and prints
// the median requests/s and p99 of interleaved rounds with ratios to baselines measured in the same run.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ensureBuilt, intOption } from "./cli.mjs";
import { startServer } from "./server-process.mjs";
import { STATIC_FILES, staticBytes } from "./static-files.mjs";
import { SUITES } from "./suites.mjs";
import { runWrk, wrkProblems } from "./wrk.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

const USAGE = `usage: npm run bench -- [options]
  --suite <name>             http, session, all (both), anti-forgery (issue 14), static (issue 17) or self-check,
                             which proves that wrong answers make a run fail (default: all);
                             adversarial has options of its own (npm run bench -- --suite
                             adversarial --help)
  --duration <s>             seconds of measurement per target and round (default: 10)
  --warmup <s>               seconds of warm-up load before each measurement (default: 3)
  --connections <n>          wrk connections (default: 32)
  --threads <n>              wrk threads for the http suite (default: 1; the session suite always uses
                             one thread per connection, so that each connection has its own session)
  --rounds <n>               interleaved rounds; the median is reported (default: 2)
  --h2h-rounds <n>           head-to-head rounds for each goal, and as many for its control (default: 6;
                             0 skips them and takes the verdict from the interleaved rounds)
  --only <id,id,...>         run only these targets (ids from bench/suites.mjs)
  --server-cpu <n>           core the server is pinned to (default: 0)
  --wrk-cpu <n>              core wrk is pinned to (default: 1)
  --nice <n>                 run server and wrk under \`nice -n <n>\`; a negative value (root only) wins
                             them a larger share of their cores from other work (default: 0)
  --no-build                 do not rebuild dist/ even when src/ is newer
  --json <file>              also write every measurement to <file>`;

function options() {
  const { values } = parseArgs({
    options: {
      suite: { type: "string", default: "all" },
      duration: { type: "string", default: "10" },
      warmup: { type: "string", default: "3" },
      connections: { type: "string", default: "32" },
      threads: { type: "string", default: "1" },
      rounds: { type: "string", default: "2" },
      "h2h-rounds": { type: "string", default: "6" },
      only: { type: "string" },
      "server-cpu": { type: "string", default: "0" },
      "wrk-cpu": { type: "string", default: "1" },
      nice: { type: "string", default: "0" },
      "no-build": { type: "boolean", default: false },
      json: { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const int = (name, min) => intOption(values, name, min);
  const suites = values.suite === "all" ? ["http", "session"] : [values.suite];
  for (const s of suites) {
    if (!(s in SUITES))
      throw new Error(
        `--suite must be http, session, all, anti-forgery, static or self-check, got ${values.suite}`,
      );
  }
  const only = values.only === undefined ? undefined : new Set(values.only.split(",").map((s) => s.trim()));
  if (only !== undefined) {
    const known = new Set(suites.flatMap((s) => SUITES[s].targets.map((t) => t.id)));
    const unknown = [...only].filter((id) => !known.has(id));
    if (unknown.length > 0) throw new Error(`--only: unknown target(s) ${unknown.join(", ")}`);
  }
  return {
    suites,
    only,
    duration: int("duration", 1),
    warmup: int("warmup", 0),
    connections: int("connections", 1),
    threads: int("threads", 1),
    rounds: int("rounds", 1),
    h2hRounds: int("h2h-rounds", 0),
    serverCpu: int("server-cpu", 0),
    wrkCpu: int("wrk-cpu", 0),
    nice: int("nice", -20),
    build: !values["no-build"],
    json: values.json,
  };
}

function requireTools() {
  for (const [tool, hint] of [
    ["wrk", "install it with: apt-get update && apt-get install -y wrk"],
    ["taskset", "it is part of util-linux"],
  ]) {
    const probe = spawnSync("sh", ["-c", `command -v ${tool}`]);
    if (probe.status !== 0) throw new Error(`${tool} is not installed; ${hint}`);
  }
}

/** One request sequence through fetch, before any load: the target must answer what the suite expects. */
async function checkTarget(target, url) {
  if (target.kind === "file") {
    const res = await fetch(`${url}${target.path}`);
    const body = Buffer.from(await res.arrayBuffer());
    if (res.status !== 200 || !body.equals(staticBytes(STATIC_FILES[target.path]))) {
      throw new Error(`GET ${target.path} answered ${res.status} with ${body.length} bytes, not the file`);
    }
    return {};
  }
  if (target.kind === "hello") {
    const res = await fetch(`${url}/hello`);
    const body = await res.text();
    if (res.status !== 200 || body !== "hello world") {
      throw new Error(`GET /hello answered ${res.status} ${JSON.stringify(body.slice(0, 80))}`);
    }
    return {};
  }
  let cookie;
  let cookieBytes = 0;
  let token;
  for (let n = 0; n < 3; n++) {
    // `counter-post`: a GET for the first page, then POSTs with the token it gave (bench/check.lua's mode).
    const post = target.kind === "counter-post" && n > 0;
    const headers = cookie === undefined ? {} : { cookie };
    if (post) Object.assign(headers, { "x-csrf-token": token, origin: new URL(url).origin });
    const res = await fetch(`${url}/counter`, { method: post ? "POST" : "GET", headers });
    const body = await res.text();
    if (res.status !== 200 || body !== `count=${n}`) {
      throw new Error(`GET /counter #${n + 1} answered ${res.status} ${JSON.stringify(body.slice(0, 80))}`);
    }
    const lines = res.headers.getSetCookie();
    // bench/check.lua sees only the last Set-Cookie line of a response.
    if (lines.length > 1) throw new Error(`GET /counter sent ${lines.length} Set-Cookie lines, expected one`);
    if (lines.length === 1) {
      cookie = lines[0].split(";")[0];
      cookieBytes = Math.max(cookieBytes, cookie.length);
    }
    token ??= res.headers.get("x-csrf-token") ?? undefined;
  }
  if (cookie === undefined) throw new Error("GET /counter never sent a Set-Cookie line");
  return { cookieBytes };
}

/** Starts, checks, warms up, measures and stops one target. Throws with a reason when it must not count. */
async function measure(suite, target, opts) {
  const server = await startServer(target.file, { cpu: opts.serverCpu, nice: opts.nice });
  try {
    const info = await checkTarget(target, server.url);
    const load = loader(suite, target, server.url, opts, opts.connections);
    if (opts.warmup > 0) await load("warm-up", opts.warmup);
    const before = server.schedstat();
    const started = process.hrtime.bigint();
    const result = await load("run", opts.duration);
    const wallNs = Number(process.hrtime.bigint() - started);
    const after = server.schedstat();
    // The share of the run the server's main thread spent on its core, and runnable but waiting for it
    // (another process held the core). Well below 100% busy, the server was not what limited the run.
    const share = (key) => (before && after ? (after[key] - before[key]) / wallNs : undefined);
    return {
      ...info,
      requestsPerSecond: result.requestsPerSecond,
      p99Ms: result.p99Ms,
      busy: share("runNs"),
      queued: share("waitNs"),
      // CPU time per request hardly depends on what else runs on the machine: a cross-check of req/s.
      cpuUsPerRequest: before && after ? (after.runNs - before.runNs) / 1000 / result.requests : undefined,
    };
  } finally {
    await server.stop();
  }
}

/**
 * `load(phase, seconds)`: one wrk run against `url` as the suite measures `target`, with `connections`
 * connections; throws with wrk's report when anything in it was wrong.
 */
function loader(suite, target, url, opts, connections) {
  const path = target.kind === "file" ? target.path : target.kind === "hello" ? "/hello" : "/counter";
  const checked = target.checkScript ?? suite.checkScript;
  const wrkOptions = {
    cpu: opts.wrkCpu,
    nice: opts.nice,
    connections,
    threads: checked ? connections : Math.min(opts.threads, connections),
    checkMode: checked ? target.kind : undefined,
  };
  return async (phase, duration) => {
    const result = await runWrk(`${url}${path}`, { ...wrkOptions, duration });
    const problems = wrkProblems(result, { checked });
    if (result.exitCode !== 0) problems.push(`wrk exited with ${result.exitCode}`);
    if (problems.length > 0) {
      throw new Error(`${phase}: ${problems.join("; ")}\n--- wrk ---\n${result.text.trim()}`);
    }
    return result;
  };
}

/**
 * Head-to-head rounds: `a` and `b` started fresh each round, both on the server core at once, warmed up and
 * then loaded at the same time by two wrk processes on the wrk core, each with half the connections. The
 * scheduler gives two busy servers equal shares of the core, so the ratio of their requests/s is the inverse
 * ratio of their CPU cost per request, measured in the same seconds: the machine's drift, which moves
 * separate runs of one server by ±20% here, moves both alike. Which one starts first alternates by round.
 * Returns each round's ratio a/b.
 */
async function headToHead(suite, a, b, opts) {
  const connections = Math.max(1, Math.floor(opts.connections / 2));
  const ratios = [];
  for (let round = 0; round < opts.h2hRounds; round++) {
    const flip = round % 2 === 1;
    const pair = flip ? [b, a] : [a, b];
    const servers = [];
    try {
      for (const target of pair) {
        const server = await startServer(target.file, { cpu: opts.serverCpu, nice: opts.nice });
        servers.push(server);
        await checkTarget(target, server.url);
      }
      const loads = pair.map((target, i) => loader(suite, target, servers[i].url, opts, connections));
      if (opts.warmup > 0) await Promise.all(loads.map((load) => load("warm-up", opts.warmup)));
      const before = servers.map((server) => server.schedstat());
      const started = process.hrtime.bigint();
      const results = await Promise.all(loads.map((load) => load("head-to-head", opts.duration)));
      const wallNs = Number(process.hrtime.bigint() - started);
      const after = servers.map((server) => server.schedstat());
      const [x, y] = results.map((r) => r.requestsPerSecond);
      ratios.push(flip ? y / x : x / y);
      // The method assumes two busy servers sharing the core about equally; anything else (wrk's core the
      // bottleneck, a neighbour on the server core) makes the ratio about something else.
      const shares = servers.map((_, i) =>
        before[i] && after[i] ? (after[i].runNs - before[i].runNs) / wallNs : undefined,
      );
      if (shares.every((share) => share !== undefined) && shares.some((share) => share < 0.4)) {
        console.log(
          `\nwarning: head-to-head round ${round + 1}: the servers were on the core ` +
            `${shares.map(percent).join(" and ")} of the time, not about 50% each: this round's ratio ` +
            "does not compare their CPU cost",
        );
      }
    } finally {
      for (const server of servers) await server.stop();
    }
  }
  return ratios;
}

/**
 * For each goal whose targets both ran: head-to-head rounds of the target against its baseline, and as a
 * control as many of the baseline against a second copy of itself, whose spread around 1.00× is the
 * method's noise on this machine at this time.
 */
async function goalsHeadToHead({ name, suite, summary }, opts) {
  const out = new Map();
  if (opts.h2hRounds === 0) return out;
  for (const goal of suite.goals) {
    const a = summary.find((t) => t.id === goal.target);
    const b = summary.find((t) => t.id === goal.against);
    if (a?.requestsPerSecond === undefined || b?.requestsPerSecond === undefined) continue;
    if (a.failure !== undefined || b.failure !== undefined) continue;
    const entry = {};
    for (const [key, x, y] of [
      ["ratios", a, b],
      ["control", b, b],
    ]) {
      process.stdout.write(`head-to-head ${x.label} vs ${y.label}: `);
      try {
        entry[key] = await headToHead(suite, x, y, opts);
        console.log(entry[key].map((r) => `${r.toFixed(3)}`).join(", "));
      } catch (error) {
        console.log("FAILED");
        console.error(`\n!!! head-to-head ${name}/${x.id} vs ${y.id}: ${error.message}\n`);
        entry.failed = true;
      }
    }
    out.set(`${goal.target}/${goal.against}`, entry);
  }
  return out;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

const selected = (suite, opts) => suite.targets.filter((t) => opts.only === undefined || opts.only.has(t.id));

async function runSuite(name, opts, unbuilt) {
  const suite = SUITES[name];
  const targets = selected(suite, opts);
  const runs = new Map(targets.map((t) => [t.id, []]));
  const failures = new Map();
  const info = new Map();
  for (const t of targets) {
    const missing = (t.needs ?? []).filter((file) => !existsSync(join(ROOT, file)));
    if (t.needs !== undefined && unbuilt !== undefined) failures.set(t.id, unbuilt);
    else if (missing.length > 0)
      failures.set(t.id, `not built: ${missing.join(", ")} (is its entry written yet?)`);
    if (failures.has(t.id)) console.error(`!!! FAIL ${name}/${t.id}: ${failures.get(t.id)}`);
  }
  console.log(`\n## ${name}: ${suite.title}`);
  for (let round = 0; round < opts.rounds; round++) {
    // Each round starts one target later, so no target is always measured first or last.
    const order = targets.map((_, i) => targets[(i + round) % targets.length]);
    for (const target of order) {
      if (failures.has(target.id)) continue;
      process.stdout.write(`round ${round + 1}/${opts.rounds} ${target.label.padEnd(36)} `);
      try {
        const result = await measure(suite, target, opts);
        runs.get(target.id).push({ ...result, round });
        info.set(target.id, result);
        console.log(
          `${result.requestsPerSecond.toFixed(0).padStart(7)} req/s  p99 ${result.p99Ms.toFixed(2).padStart(6)} ms` +
            `  server ${percent(result.busy)} busy, ${percent(result.queued)} queued, ` +
            `${result.cpuUsPerRequest?.toFixed(1)} CPU µs/req`,
        );
      } catch (error) {
        failures.set(target.id, error.message);
        console.log("FAILED");
        // In the self-check a failure is the expected outcome: its first line is enough.
        const message = suite.expectFailure ? error.message.split("\n")[0] : error.message;
        console.error(`\n!!! FAIL ${name}/${target.id}: ${message}\n`);
      }
    }
  }
  const summary = targets.map((t) => {
    const rs = runs.get(t.id);
    return {
      ...t,
      failure: failures.get(t.id),
      runs: rs.map((r) => r.requestsPerSecond),
      byRound: new Map(rs.map((r) => [r.round, r.requestsPerSecond])),
      requestsPerSecond: rs.length > 0 ? median(rs.map((r) => r.requestsPerSecond)) : undefined,
      p99Ms: rs.length > 0 ? median(rs.map((r) => r.p99Ms)) : undefined,
      busy:
        rs.some((r) => r.busy === undefined) || rs.length === 0 ? undefined : median(rs.map((r) => r.busy)),
      queued:
        rs.some((r) => r.queued === undefined) || rs.length === 0
          ? undefined
          : median(rs.map((r) => r.queued)),
      cpuUsPerRequest:
        rs.length === 0 || rs.some((r) => r.cpuUsPerRequest === undefined)
          ? undefined
          : median(rs.map((r) => r.cpuUsPerRequest)),
      cookieBytes: info.get(t.id)?.cookieBytes,
    };
  });
  return { name, suite, summary };
}

/**
 * The ratio of `id` to `against` in each round that measured both. Targets of one round run minutes apart
 * at most, rounds much further apart, and a shared machine's speed drifts between them (raw node's own
 * rounds have differed by 40%): the median of these paired ratios is steadier than a ratio of medians.
 */
function pairedRatios(summary, id, against) {
  const a = summary.find((t) => t.id === id);
  const b = summary.find((t) => t.id === against);
  if (a?.byRound === undefined || b?.byRound === undefined) return [];
  return [...a.byRound]
    .filter(([round]) => b.byRound.has(round))
    .map(([round, x]) => x / b.byRound.get(round));
}

function ratio(summary, id, against) {
  const a = summary.find((t) => t.id === id)?.requestsPerSecond;
  const b = summary.find((t) => t.id === against)?.requestsPerSecond;
  return a === undefined || b === undefined ? undefined : a / b;
}

const percent = (x) => (x === undefined ? "?" : `${Math.round(x * 100)}%`);

function printTable({ suite, summary, headToHead }) {
  const counters = summary.some((t) => t.kind === "counter");
  const columns = [
    ["target", (t) => t.label],
    ["req/s", (t) => t.requestsPerSecond.toFixed(0)],
    ["p99 ms", (t) => t.p99Ms.toFixed(2)],
    ...suite.ratios.map((r) => [
      r.header,
      (t) => {
        const x = ratio(summary, t.id, r.against);
        return x === undefined ? "" : `${x.toFixed(2)}×`;
      },
    ]),
    ...(counters
      ? [["cookie bytes", (t) => (t.cookieBytes === undefined ? "" : String(t.cookieBytes))]]
      : []),
    ["server busy / queued", (t) => `${percent(t.busy)} / ${percent(t.queued)}`],
    ["CPU µs/req", (t) => (t.cpuUsPerRequest === undefined ? "?" : t.cpuUsPerRequest.toFixed(1))],
    ["req/s per round", (t) => t.runs.map((x) => x.toFixed(0)).join(", ")],
  ];
  const head = columns.map(([name]) => name);
  const rows = summary.map((t) =>
    t.requestsPerSecond === undefined || t.failure !== undefined
      ? columns.map(([name], i) => (i === 0 ? t.label : name === "req/s" ? "FAILED" : ""))
      : columns.map(([, cell]) => cell(t)),
  );
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(" | ")} |`;
  console.log(`\n${line(head)}`);
  console.log(
    `|${widths.map((w, i) => (i === 0 ? `:${"-".repeat(w + 1)}` : `${"-".repeat(w + 1)}:`)).join("|")}|`,
  );
  for (const row of rows) console.log(line(row));
  console.log("");
  const starved = summary.filter((t) => t.busy !== undefined && t.busy < 0.9);
  if (starved.length > 0) {
    console.log(
      `warning: the server was on its core less than 90% of the run for ${starved.map((t) => t.id).join(", ")}: ` +
        "it was not the bottleneck (other processes held its core, or wrk could not keep up), so those " +
        "numbers understate it. Rerun on a quiet machine.",
    );
  }
  for (const goal of suite.goals) {
    const label = (id) => suite.targets.find((t) => t.id === id)?.label ?? id;
    // The interleaved rounds: the median of the per-round ratios, with the ratio of the medians and the
    // ratio of CPU time per request beside it as cross-checks.
    const paired = pairedRatios(summary, goal.target, goal.against);
    const ofMedians = ratio(summary, goal.target, goal.against);
    const cpu = (id) => summary.find((t) => t.id === id)?.cpuUsPerRequest;
    const byCpu = cpu(goal.target) && cpu(goal.against) ? cpu(goal.against) / cpu(goal.target) : undefined;
    const interleaved =
      paired.length === 0
        ? undefined
        : `${median(paired).toFixed(2)}× (median of the rounds' ratios ${paired.map((r) => r.toFixed(2)).join(", ")}; ` +
          `ratio of the medians ${ofMedians.toFixed(2)}×` +
          `${byCpu === undefined ? "" : `; by CPU time per request ${byCpu.toFixed(2)}×`})`;
    // Head-to-head rounds, when they ran, decide: they are far steadier (see headToHead).
    const h2h = headToHead?.get(`${goal.target}/${goal.against}`);
    const spread = (xs) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;
    const x = h2h?.ratios?.length > 0 ? median(h2h.ratios) : paired.length > 0 ? median(paired) : undefined;
    let verdict = x === undefined ? "not measured" : x >= goal.atLeast ? "met" : "NOT MET";
    if (h2h?.failed) verdict = "not measured (a head-to-head run failed)";
    else if (x !== undefined && h2h?.control?.length > 0) {
      // Half the spread of the control's rounds: a verdict closer to the goal than that is the method's noise
      // as much as the servers' difference.
      const noise = (Math.max(...h2h.control) - Math.min(...h2h.control)) / 2;
      const margin = Math.abs(x - goal.atLeast);
      if (margin <= noise) {
        verdict += ` at the threshold (by ${margin.toFixed(3)}, within the control's noise of ±${noise.toFixed(3)})`;
      }
    }
    console.log(`goal: ${label(goal.target)} ≥ ${goal.atLeast}× ${label(goal.against)}: ${verdict}`);
    if (h2h?.ratios?.length > 0 && !h2h.failed) {
      console.log(
        `  head-to-head: ${median(h2h.ratios).toFixed(3)}× (median of ${h2h.ratios.length} rounds, ${spread(h2h.ratios)})` +
          (h2h.control?.length > 0
            ? `; control, ${label(goal.against)} against itself: ${median(h2h.control).toFixed(3)}× (${spread(h2h.control)})`
            : ""),
      );
    }
    if (interleaved !== undefined) console.log(`  interleaved rounds: ${interleaved}`);
  }
}

/**
 * With Linux's autogroup scheduling, `nice` only ranks processes within one session: against other
 * sessions' work the whole group counts as one. So `--nice` also sets the nice value of this run's group.
 */
function prioritize(nice) {
  try {
    if (readFileSync("/proc/sys/kernel/sched_autogroup_enabled", "utf8").trim() !== "1") return;
    writeFileSync("/proc/self/autogroup", String(nice));
    console.log(`autogroup scheduling is on: this run's session group set to nice ${nice}`);
  } catch (error) {
    console.log(`warning: could not set the session group's nice value (${error.message})`);
  }
}

function wrkVersion() {
  const out = spawnSync("wrk", ["--version"], { encoding: "utf8" });
  return /wrk (\S+)/.exec(`${out.stdout}${out.stderr}`)?.[1] ?? "unknown";
}

async function main() {
  const opts = options();
  requireTools();
  const started = new Date();
  const load = loadavg()[0].toFixed(2);
  console.log(
    `# ringlet bench ${started.toISOString()}\n` +
      `node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, wrk ${wrkVersion()}\n` +
      `server on cpu ${opts.serverCpu}, wrk on cpu ${opts.wrkCpu}${opts.nice === 0 ? "" : ` (nice ${opts.nice})`}; ` +
      `${opts.connections} connections, wrk -t${opts.threads} for http, -t${opts.connections} with check.lua; ` +
      `${opts.warmup} s warm-up + ${opts.duration} s per target, ${opts.rounds} interleaved round(s), median shown\n` +
      `load average at start: ${load}`,
  );
  if (loadavg()[0] > 0.5) {
    console.log(`warning: load average ${load}: other work competes for the two pinned cores; expect noise`);
  }
  if (opts.nice !== 0) prioritize(opts.nice);
  // One build for the whole run, so every suite measures the same dist/.
  const needs = opts.suites.flatMap((name) => selected(SUITES[name], opts).flatMap((t) => t.needs ?? []));
  const unbuilt = ensureBuilt(ROOT, [...new Set(needs)], opts.build);
  const results = [];
  for (const name of opts.suites) {
    const result = await runSuite(name, opts, unbuilt);
    result.headToHead = await goalsHeadToHead(result, opts);
    printTable(result);
    results.push(result);
  }
  console.log(`\nload average at end: ${loadavg()[0].toFixed(2)} (other work on the machine adds noise)`);
  if (opts.json !== undefined) {
    const data = results.map(({ name, summary, headToHead }) => ({
      suite: name,
      summary,
      headToHead: Object.fromEntries(headToHead),
    }));
    writeFileSync(
      opts.json,
      `${JSON.stringify({ date: started, node: process.version, opts: { ...opts, only: undefined }, results: data }, null, 2)}\n`,
    );
  }
  const failed = results
    .filter((r) => !r.suite.expectFailure)
    .flatMap((r) => [
      ...r.summary.filter((t) => t.failure !== undefined).map((t) => `${r.name}/${t.id}`),
      ...[...r.headToHead]
        .filter(([, entry]) => entry.failed)
        .map(([goal]) => `${r.name}/${goal} head-to-head`),
    ]);
  const missed = results
    .filter((r) => r.suite.expectFailure)
    .flatMap((r) => r.summary.filter((t) => t.failure === undefined).map((t) => `${r.name}/${t.id}`));
  if (missed.length > 0) {
    console.error(`\n!!! the checks MISSED wrong answers from: ${missed.join(", ")}`);
    process.exitCode = 1;
  } else if (results.some((r) => r.suite.expectFailure)) {
    console.log("\nself-check passed: every deliberately wrong target was caught");
  }
  if (failed.length > 0) {
    console.error(
      `\n!!! ${failed.length} target(s) FAILED: ${failed.join(", ")}; their numbers are not reported`,
    );
    process.exitCode = 1;
  }
}

// The adversarial suite measures requests, not servers, so it has a runner of its own.
const adversarial = process.argv
  .slice(2)
  .some(
    (arg, i, args) => arg === "--suite=adversarial" || (arg === "--suite" && args[i + 1] === "adversarial"),
  );
(adversarial ? import("./adversarial.mjs").then((m) => m.main()) : main()).catch((error) => {
  console.error(`bench: ${error.message}`);
  process.exitCode = 1;
});
